"""``ctcg simulate``: simulate single-cell WGA reads with known truth."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="simulate single-cell WGA paired-end reads and their truth",
        description=(
            "Simulate whole-genome-amplified single-cell paired-end reads (FASTQ) from a "
            "YAML spec, with truth tables (copy number, variants VCF, cells) and a cell "
            "sheet for the workflow. See docs/simulator.md."
        ),
    )
    p.add_argument("--spec", required=True, help="simulation spec (YAML)")
    p.add_argument("--outdir", required=True, help="output folder")
    p.add_argument(
        "--cells", nargs="+", metavar="ID", help="simulate only these cells (default: all)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ctcgenomics.simulate import load_spec, simulate

    spec = load_spec(args.spec)
    n = len(args.cells) if args.cells else len(spec.cells)
    log.info("simulating %d cell(s) from %s into %s", n, args.spec, args.outdir)
    result = simulate(spec, args.outdir, cells=args.cells)
    log.info("cell sheet: %s; truth: %s", result.sheet, result.variants.parent)
    return 0
