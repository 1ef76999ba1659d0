"""``ctcg report`` end to end on the synthetic patient, and its errors."""

from __future__ import annotations

import json

import pytest

from ctcgenomics.cli import main
from tests.report.synthetic import build_patient


def test_cli_writes_html_and_json(tmp_path):
    i = build_patient(tmp_path / "in", with_stages=("qc", "snv"))
    out = tmp_path / "results" / "P01"
    argv = ["report", "--patient", "P01", "--patients", str(i.patients), "--cells",
            str(i.cells), "--qc", str(i.qc), "--snv", str(i.snv), "--stages-off", "rna,cnv",
            "--config-hash", "0123abcd", "--html", str(out / "report.html"),
            "--json", str(out / "report.json")]  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    data = json.loads((out / "report.json").read_text())
    assert data["sections"]["cell_states"]["reason"].startswith("switched off")
    assert data["sections"]["mutations"]["status"] == "ok"
    assert data["sections"]["methods"]["config_hash"] == "0123abcd"
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_cli_missing_input_fails_cleanly(tmp_path, caplog):
    i = build_patient(tmp_path / "in", with_stages=())
    out = tmp_path / "report.html"
    argv = ["report", "--patient", "P01", "--patients", str(i.patients), "--cnv",
            str(tmp_path / "missing.h5ad"), "--html", str(out), "--json",
            str(tmp_path / "report.json")]  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 1
    assert "missing.h5ad does not exist" in caplog.text
    assert not out.exists()
