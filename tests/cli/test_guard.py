"""``ctcg guard``: a failing stage fails alone, says why, and never hides an interruption."""

from __future__ import annotations

import signal
import subprocess
import sys

from ctcgenomics.cli.cmd_guard import failure_reason
from ctcgenomics.io import read_alterations
from ctcgenomics.io.stage_status import read_status


def _guard(tmp_path, inner: list[str], *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "ctcgenomics", "guard", "--stage", "cnv", "--patient", "P1",
           "--status", str(tmp_path / "status.json"), "--log", "logs/cnv_call/P1.log",
           *extra, "--outputs", str(tmp_path / "alterations.tsv"), "--", *inner]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def test_success_records_ok(tmp_path):
    proc = _guard(tmp_path, [sys.executable, "-c", "print('fine')"])
    assert proc.returncode == 0 and "fine" in proc.stdout
    assert read_status(tmp_path / "status.json").status == "ok"
    assert not (tmp_path / "alterations.tsv").exists()  # the stage writes its own


def test_failure_is_recorded_with_the_stage_error(tmp_path):
    inner = [sys.executable, "-m", "ctcgenomics", "cnv", "call", "--counts", "missing.tsv",
             "--bins", "nobins.tsv", "--sheet", "nosheet.tsv", "--patient", "P1",
             "--outdir", str(tmp_path / "out")]  # fmt: skip
    proc = _guard(tmp_path, inner)
    assert proc.returncode == 0, proc.stderr
    status = read_status(tmp_path / "status.json")
    assert status.failed and status.log == "logs/cnv_call/P1.log"
    assert "nobins.tsv" in status.reason or "missing.tsv" in status.reason
    assert "FAILED for patient P1" in proc.stderr
    assert read_alterations(tmp_path / "alterations.tsv").empty


def test_on_error_fail_keeps_the_exit_code(tmp_path):
    proc = _guard(tmp_path, [sys.executable, "-c", "raise SystemExit(3)"], "--on-error", "fail")
    assert proc.returncode == 3
    assert not (tmp_path / "status.json").exists()


def test_interruption_is_not_a_stage_failure(tmp_path):
    inner = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"]
    proc = _guard(tmp_path, inner)
    assert proc.returncode == 128 + signal.SIGTERM
    assert not (tmp_path / "status.json").exists() and not (tmp_path / "alterations.tsv").exists()


def test_failure_reason_prefers_the_logged_error():
    lines = [
        "12:00:00 INFO [ctcgenomics] reading",
        "Traceback (most recent call last):",
        "KeyError: 'chrom'",
    ]
    assert failure_reason(lines, 1) == "KeyError: 'chrom'"
    lines.append("12:00:01 ERROR [ctcgenomics] ValueError: cells.tsv, line 3: bad role")
    assert failure_reason(lines, 1) == "ValueError: cells.tsv, line 3: bad role"
    assert failure_reason(["usage: ctcg", "ctcg snv: error: argument --bams: expected"], 2) == (
        "ctcg snv: error: argument --bams: expected"
    )
    assert "status 9" in failure_reason([], 9)
