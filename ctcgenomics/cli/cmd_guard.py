"""``ctcg guard``: run one patient's stage so that its failure fails only that stage.

The workflow wraps each per-patient stage (copy number, mutations, RNA, merging and
matching alterations) in ``ctcg guard``. When the stage succeeds, guard records
``status: ok``. When it fails, guard records the reason, writes every declared output
in an explicitly failed form (see :mod:`ctcgenomics.io.stage_status`) and exits 0, so
the patient's other stages and report go on, and the other patients are unaffected;
the report then says which stage failed and why. A stage killed by a signal (the run
was interrupted) is not a stage failure: guard passes the signal on as its exit status,
writes nothing, and a rerun resumes.
"""

from __future__ import annotations

import argparse
import collections
import logging
import re
import subprocess
import sys

from ctcgenomics._ids import validate_id
from ctcgenomics.cli import CLIError

log = logging.getLogger(__name__)

# Lines of the wrapped command's log that state its error (ctcg's own log format, then
# a Python traceback's last line, then argparse's "error:" line).
_ERROR_LINE = re.compile(r"\bERROR\b(?: \[[^]]*\])? (?P<msg>.+)")
_EXCEPTION_LINE = re.compile(r"^(?P<msg>[A-Za-z_][\w.]*(?:Error|Exception)\b.*)$")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "guard",
        help="run a patient's stage; on failure record why and write failed-state outputs",
        description=__doc__.split("\n\n")[1],
    )
    p.add_argument("--stage", required=True, help="stage name (cnv, snv, rna, match ...)")
    p.add_argument("--patient", required=True)
    p.add_argument("--status", required=True, help="status JSON to write (ok or failed)")
    p.add_argument("--log", default="", help="log file of the stage, named in the status")
    p.add_argument(
        "--on-error",
        choices=["report", "fail"],
        default="report",
        help="report: record the failure and exit 0 (default); fail: exit with the "
        "stage's exit code, as if unwrapped",
    )
    p.add_argument(
        "--outputs",
        nargs="*",
        default=[],
        help="the stage's outputs, written in failed form when it fails",
    )
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- then the stage's command")
    p.set_defaults(func=run_guard)


def _run_teeing_stderr(command: list[str]) -> tuple[int, list[str]]:
    """Run ``command``; copy its stderr to ours as it comes; return code and last lines."""
    tail: collections.deque[str] = collections.deque(maxlen=200)
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, errors="replace") as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            sys.stderr.write(line)
            tail.append(line.rstrip("\n"))
    sys.stderr.flush()
    return proc.returncode, list(tail)


def failure_reason(lines: list[str], code: int) -> str:
    """Return the error a failed command stated: last ERROR line, exception or exit code."""
    for pattern in (_ERROR_LINE, _EXCEPTION_LINE):
        for line in reversed(lines):
            match = pattern.search(line.strip())
            if match:
                return match.group("msg").strip()
    for line in reversed(lines):
        if "error:" in line:  # argparse usage errors
            return line.strip()
    return f"the command exited with status {code} without an error message"


def run_guard(args: argparse.Namespace) -> int:
    from ctcgenomics.io.stage_status import StageStatus, write_failed_outputs, write_status

    patient = validate_id(args.patient, what="patient")
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise CLIError("ctcg guard: give the stage's command after '--'")
    code, lines = _run_teeing_stderr(command)
    if code == 0:
        write_status(StageStatus(args.stage, patient, "ok", log=args.log), args.status)
        return 0
    if code < 0:
        log.error("stage %s of patient %s was interrupted (signal %d)", args.stage, patient, -code)
        return 128 - code
    reason = failure_reason(lines, code)
    if args.on_error == "fail":
        return code
    status = StageStatus(args.stage, patient, "failed", reason=reason, log=args.log)
    write_failed_outputs(args.outputs, status)
    write_status(status, args.status)
    log.error(
        "stage %s FAILED for patient %s: %s. Its outputs are marked failed and the "
        "report will say so; the other stages and patients go on (set on_stage_error: "
        "fail in the config to stop instead).",
        args.stage, patient, reason,
    )  # fmt: skip
    return 0
