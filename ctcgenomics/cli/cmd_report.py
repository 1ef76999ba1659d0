"""``ctcg report``: one patient's self-contained HTML report and its JSON twin."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="patient report (self-contained HTML + JSON) from whatever stages ran",
        description=(
            "Build results/<patient>/report.html and report.json. Every input except the "
            "patient sheet is optional; parts without input are reported as not run."
        ),
    )
    p.add_argument("--patient", required=True, help="patient ID")
    p.add_argument("--patients", required=True, help="patient sheet (TSV)")
    p.add_argument("--cells", help="cell sheet (TSV): draw, role and assay of each cell")
    p.add_argument("--qc", help="run QC table (results/qc/qc.tsv)")
    p.add_argument("--cnv", help="copy-number AnnData (results/cnv/<patient>/cnv.h5ad)")
    p.add_argument("--cnv-clones", help="clone of each cell (clones.tsv: cell, clone)")
    p.add_argument("--snv", help="mutation AnnData (results/snv/<patient>/snv.h5ad)")
    p.add_argument("--rna", help="RNA per-cell table (results/rna/<patient>/cells.tsv)")
    p.add_argument("--alterations", help="merged alterations table (alterations.tsv)")
    p.add_argument(
        "--actionability",
        help="therapy matches (actionability.tsv; the sibling .json gives the KB version)",
    )
    p.add_argument(
        "--stages-off",
        default="",
        help="comma-separated stages switched off in the config (reported as switched off)",
    )
    p.add_argument(
        "--status",
        action="append",
        default=[],
        metavar="STAGE=PATH",
        help="status file of a stage (ctcg guard), repeatable; a failed stage is reported as "
        "failed with its reason",
    )
    p.add_argument(
        "--not-run",
        action="append",
        default=[],
        metavar="STAGE=REASON",
        help="why the workflow did not run a stage for this patient, repeatable",
    )
    p.add_argument("--config-hash", default="", help="hash of the workflow configuration")
    p.add_argument("--reference", default="", help="reference genome (path or name)")
    p.add_argument("--html", required=True, help="output HTML")
    p.add_argument("--json", required=True, help="output JSON")
    p.set_defaults(func=_run)


def _pairs(items: list[str], option: str, *, many: bool = False) -> dict:
    """Parse repeated ``STAGE=VALUE`` options (a list of values per stage if ``many``)."""
    from ctcgenomics.cli import CLIError

    out: dict = {}
    for item in items:
        stage, sep, value = item.partition("=")
        if not sep or not stage or not value:
            raise CLIError(f"{option} {item!r}: expected STAGE=VALUE, e.g. cnv=results/x")
        if many:
            out.setdefault(stage, []).append(value)
        else:
            out[stage] = value
    return out


def _run(args: argparse.Namespace) -> int:
    from ctcgenomics.report import ReportInputs, make_report, write_report

    inputs = ReportInputs(
        patients=args.patients,
        cells=args.cells,
        qc=args.qc,
        cnv=args.cnv,
        cnv_clones=args.cnv_clones,
        snv=args.snv,
        rna=args.rna,
        alterations=args.alterations,
        actionability=args.actionability,
        statuses=_pairs(args.status, "--status", many=True),
        not_run=_pairs(args.not_run, "--not-run"),
    )
    stages_off = [s.strip() for s in args.stages_off.split(",") if s.strip()]
    report = make_report(
        inputs,
        args.patient,
        stages_off=stages_off,
        config_hash=args.config_hash,
        reference=args.reference,
    )
    write_report(report, args.html, args.json)
    log.info("report of %s written to %s and %s", args.patient, args.html, args.json)
    return 0
