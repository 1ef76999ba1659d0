"""``ctcg cells``: the per-cell steps (align, QC, bin counts) of a batch of cells.

A cohort of tens of thousands of cells cannot be planned as one Snakemake job per cell
and step: the plan grows with the jobs. For large cohorts the workflow therefore runs
the per-cell steps of up to N cells of one patient and draw as one job
(``execution.cells_per_job``, docs/cluster.md). This command runs, for each cell in
turn, exactly the commands the per-cell rules run (``ctcg align``, ``ctcg qc cell``,
``ctcg cnv count``), each into that cell's usual log, and writes every output at the
cell's usual path. A cell whose step fails does not fail the batch: its BAM is written
as a failed, header-only BAM carrying the error (as a broken FASTQ already is), its QC
row and bin counts then say "failed" with that reason, and the batch goes on. A batch
manifest (one row per cell: status and reason) is written last, atomically: a batch
killed mid-way has no manifest and is rerun whole.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from ctcgenomics._ids import validate_id
from ctcgenomics.cli import CLIError

log = logging.getLogger(__name__)

# Output and log paths of a cell, as templates with {cell} (given by the workflow).
PATH_KEYS = ("bam", "qc", "stats", "flagstat", "counts", "genes")
LOG_KEYS = ("align", "qc_cell", "cnv_count")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "cells",
        help="align, QC and count the reads of a batch of cells (one job for many cells)",
        description=__doc__.split("\n\n")[1],
    )
    p.add_argument("--reference", required=True, help="bwa-indexed reference FASTA")
    p.add_argument("--bins", required=True, help="bin table TSV (ctcg bins)")
    p.add_argument(
        "--params-json",
        required=True,
        help='JSON: {"cells": [{"cell", "fq1", "fq2", "bam", "wga", "assay", "count"}], '
        '"paths": {bam, qc, stats, flagstat, counts, genes: templates with {cell}}, '
        '"logs": {align, qc_cell, cnv_count: templates}, "align": {threads, sort_memory, '
        'strict}, "qc": the --params-json of ctcg qc cell, "cnv": {"count": the '
        '--params-json of ctcg cnv count, "genes": comma-separated genes}}',
    )
    p.add_argument("--manifest", required=True, help="batch manifest TSV (cell status reason)")
    p.add_argument(
        "--on-error",
        choices=["report", "fail"],
        default="report",
        help="report: a failing cell is recorded as failed and the batch goes on (default); "
        "fail: the first failing cell fails the batch",
    )
    p.set_defaults(func=run_cells)


def _spec(text: str) -> dict:
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as err:
        raise CLIError(f"--params-json is not valid JSON ({err})") from None
    for key in ("cells", "paths", "logs", "align", "qc", "cnv"):
        if key not in spec:
            raise CLIError(f"--params-json has no '{key}' entry; the workflow writes it")
    missing = [k for k in (*PATH_KEYS, *LOG_KEYS) if k not in {**spec["paths"], **spec["logs"]}]
    if missing:
        raise CLIError(f"--params-json names no path template for {', '.join(missing)}")
    if not spec["cells"]:
        raise CLIError("--params-json lists no cells; a batch needs at least one")
    return spec


def _steps(cell: dict, spec: dict, reference: str, bins: str) -> list[tuple[str, list[str]]]:
    """Return the ``ctcg`` commands of one cell, as the per-cell rules run them."""
    name = cell["cell"]
    out = {k: spec["paths"][k].format(cell=name) for k in PATH_KEYS}
    a, q, c = spec["align"], spec["qc"], spec["cnv"]
    source = ["--bam", cell["bam"]] if cell.get("bam") else ["--fq1", cell["fq1"]]
    if not cell.get("bam") and cell.get("fq2"):
        source += ["--fq2", cell["fq2"]]
    align = ["align", "--cell", name, "--reference", reference, *source, "--out", out["bam"],
             "--threads", str(a["threads"]), "--wga", str(cell.get("wga", "")),
             "--sort-memory", str(a["sort_memory"]), *(["--strict"] if a["strict"] else []),
             "--tool-log", spec["logs"]["align"].format(cell=name)]  # fmt: skip
    qc = ["qc", "cell", "--bam", out["bam"], "--bins", bins, "--cell", name, "--out", out["qc"],
          "--assay", cell.get("assay", "wgs"), "--params-json", json.dumps(q),
          "--samtools-stats", out["stats"], "--flagstat", out["flagstat"]]  # fmt: skip
    steps = [("align", align), ("qc_cell", qc)]
    if cell.get("count"):
        steps.append(
            ("cnv_count", ["cnv", "count", "--bam", out["bam"], "--bins", bins, "--cell", name,
                           "--params-json", json.dumps(c["count"]), "--out", out["counts"],
                           "--genes", str(c["genes"]), "--genes-out", out["genes"]])
        )  # fmt: skip
    return steps


def _run_step(parser: argparse.ArgumentParser, argv: list[str], log_path: str) -> None:
    """Run one ``ctcg`` subcommand in this process, its log records going to ``log_path``."""
    try:
        args = parser.parse_args(argv)
    except SystemExit:  # argparse printed the usage error to stderr
        raise ValueError(f"invalid arguments for ctcg {argv[0]}: {' '.join(argv)}") from None
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    Path(log_path).write_text("")  # the step's tools append to it (bwa/samtools stderr)
    handler = logging.FileHandler(log_path, mode="a", encoding="utf-8")
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s", "%H:%M:%S")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        code = args.func(args)
    except Exception as err:  # into the cell's log too, as `ctcg` itself would print it
        log.error("%s", _first_line(err))
        raise
    finally:
        root.removeHandler(handler)
        handler.close()
    if code:
        raise RuntimeError(f"ctcg {argv[0]} exited with status {code}")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else 'no message'}"


def run_cells(args: argparse.Namespace) -> int:
    from ctcgenomics.align._bwa import failed_reason, write_failed_bam
    from ctcgenomics.cli import build_parser
    from ctcgenomics.io import atomic_open

    spec = _spec(args.params_json)
    parser = build_parser()
    rows = []
    for cell in spec["cells"]:
        name = validate_id(cell.get("cell", ""), what="cell", where="--params-json")
        steps = _steps(cell, spec, args.reference, args.bins)
        logs = {step: spec["logs"][step].format(cell=name) for step in LOG_KEYS}
        error = None
        for step, argv in steps:
            try:
                _run_step(parser, argv, logs[step])
            except Exception as err:  # one bad cell must not sink its batch
                if args.on_error == "fail" or (step == "align" and spec["align"]["strict"]):
                    raise
                error = f"{step} failed: {_first_line(err)}"
                log.error("cell %s: %s (log: %s); recording the cell as failed", name, error,
                          logs[step])  # fmt: skip
                break
        bam = spec["paths"]["bam"].format(cell=name)
        if error is not None:
            # The cell's failure record: a failed BAM, then its QC row and counts from it,
            # as for a cell whose FASTQ is broken (QC reports it failed with the reason).
            write_failed_bam(bam, args.reference, cell=name, reason=error)
            for step, argv in steps[1:]:
                _run_step(parser, argv, logs[step])
        reason = error or failed_reason(bam)
        rows.append((name, "failed" if reason else "ok", " ".join((reason or "").split())))
    with atomic_open(args.manifest, newline="") as handle:
        handle.write("cell\tstatus\treason\n")
        handle.writelines(f"{name}\t{status}\t{reason}\n" for name, status, reason in rows)
    n_failed = sum(status == "failed" for _, status, _ in rows)
    log.info("batch of %d cells done (%d failed): %s", len(rows), n_failed, args.manifest)
    return 0
