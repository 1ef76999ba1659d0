"""The API reference builds from the docstrings, offline, without a warning."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_api_reference_builds_without_warnings(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
         str(REPO / "docs" / "api"), str(tmp_path / "html")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    cnv = (tmp_path / "html" / "cnv.html").read_text()
    assert 'id="ctcgenomics.cnv.call_copy_number"' in cnv  # documented from its docstring
    for page in ("io", "align", "qc", "snv", "rna", "actionability", "report", "simulate"):
        assert (tmp_path / "html" / f"{page}.html").is_file()
