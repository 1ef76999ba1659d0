"""Shared fixtures: the packaged real chr17 reference, prepared once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGED_REFERENCE = REPO / "ctcgenomics" / "data" / "reference" / "hg38_chr17_1-7843138.fa.gz"


def pytest_collection_modifyitems(config, items):
    # Missing external tools must fail loudly in CI rather than skip silently.
    for tool in ("bwa", "samtools"):
        if shutil.which(tool) is None:
            raise pytest.UsageError(f"{tool} is not installed; run 'make test' (it installs it)")


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory) -> Path:
    """The real GRCh38 chr17:1-7,843,138 segment with faidx, .dict and bwa index."""
    from ctcgenomics.align import prepare_reference

    out = tmp_path_factory.mktemp("reference")
    prepare_reference(PACKAGED_REFERENCE, out)
    return out


@pytest.fixture(scope="session")
def genome(reference_dir) -> Path:
    return reference_dir / "genome.fa"
