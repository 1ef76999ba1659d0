"""``ctcg qc``: per-cell sequencing QC, and merging the per-cell rows into one table."""

from __future__ import annotations

import argparse
import logging

from ctcgenomics.cli._params import add_params_options, params_from_args
from ctcgenomics.cli._paths import add_from_option, input_paths

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "qc",
        help="per-cell QC metrics (reads, mapped %%, duplicates, depth, breadth, MAPD) or merge",
        description="Compute one cell's QC row from its BAM, or merge rows with 'ctcg qc merge'.",
    )
    sub = p.add_subparsers(dest="qc_command", metavar="<cell|merge>", required=True)
    c = sub.add_parser("cell", help="QC of one cell's BAM")
    c.add_argument("--bam", required=True)
    c.add_argument("--bins", required=True, help="bin table TSV (ctcg bins)")
    c.add_argument("--cell", required=True)
    c.add_argument("--out", required=True, help="one-row TSV")
    c.add_argument("--assay", default="wgs", choices=["wgs", "panel", "exome"])
    add_params_options(c, "qc: section (with bins.max_n_fraction)")
    c.add_argument("--samtools-stats", help="also write samtools stats here (for MultiQC)")
    c.add_argument("--flagstat", help="also write samtools flagstat here (for MultiQC)")
    c.set_defaults(func=_run_cell)
    m = sub.add_parser("merge", help="merge per-cell QC rows into the run's table")
    m.add_argument("inputs", nargs="*", help="per-cell QC TSVs")
    add_from_option(m, "inputs", "per-cell QC TSVs")
    m.add_argument("--out", required=True)
    m.add_argument("--multiqc", help="also write a MultiQC custom-content table (*_mqc.tsv)")
    m.set_defaults(func=_run_merge)


def _run_cell(args: argparse.Namespace) -> int:
    from ctcgenomics.io import atomic_open
    from ctcgenomics.io.bins import read_bin_table
    from ctcgenomics.qc import QCParams, cell_qc, qc_table

    bins = read_bin_table(args.bins)
    params = params_from_args(args, QCParams)
    bins = bins[bins["n_fraction"] <= params.max_n_fraction]
    row = cell_qc(
        args.bam,
        bins,
        cell=args.cell,
        min_mapq=params.min_mapq,
        thresholds=params.thresholds(args.assay),
        assay=args.assay,
    )
    with atomic_open(args.out, newline="") as handle:
        qc_table([row]).to_csv(handle, sep="\t", index=False, float_format="%.4g")
    if args.samtools_stats or args.flagstat:
        from ctcgenomics.qc._samtools import write_samtools_reports

        write_samtools_reports(args.bam, stats=args.samtools_stats, flagstat=args.flagstat)
    log.info("cell %s: %s", args.cell, "pass" if row["qc_pass"] else f"FAIL ({row['qc_reason']})")
    return 0


def _run_merge(args: argparse.Namespace) -> int:
    import pandas as pd

    from ctcgenomics.io import atomic_open
    from ctcgenomics.qc import to_multiqc

    inputs = input_paths(args.inputs, args.inputs_from, "inputs", "the QC TSVs as arguments")
    table = pd.concat([pd.read_csv(p, sep="\t") for p in inputs], ignore_index=True)
    with atomic_open(args.out, newline="") as handle:
        table.to_csv(handle, sep="\t", index=False, float_format="%.4g")
    if args.multiqc:
        with atomic_open(args.multiqc, newline="") as handle:
            handle.write(to_multiqc(table))
    n_fail = int((~table["qc_pass"].astype(bool)).sum())
    log.info("QC of %d cells written to %s (%d failed)", len(table), args.out, n_fail)
    return 0
