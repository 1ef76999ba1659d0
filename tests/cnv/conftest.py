"""Fixtures of the copy-number tests (helpers live in cnv_sim.py)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cnv_sim import E2E_AMPLIFICATION, build_e2e


@pytest.fixture(scope="session")
def e2e(tmp_path_factory):
    """Simulator reads aligned with bwa and counted in 50 kb bins (slow: ~1-2 min)."""
    return build_e2e(tmp_path_factory.mktemp("cnv_e2e"), E2E_AMPLIFICATION)
