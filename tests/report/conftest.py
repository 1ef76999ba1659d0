"""Fixtures of the report tests."""

from __future__ import annotations

import pytest

from ctcgenomics.report import ReportInputs
from tests.report.synthetic import build_patient


@pytest.fixture
def patient_inputs(tmp_path) -> ReportInputs:
    """The synthetic two-draw patient of :mod:`tests.report.synthetic`."""
    return build_patient(tmp_path / "inputs")
