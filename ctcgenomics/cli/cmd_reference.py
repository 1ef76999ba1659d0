"""``ctcg reference`` and ``ctcg bins``: prepare the reference and its bin table."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "reference",
        help="copy a FASTA to OUTDIR/genome.fa with faidx, .dict and bwa index",
        description="Prepare an alignment-ready reference (checks for duplicate contig names).",
    )
    p.add_argument("--fasta", required=True, help="reference FASTA (plain or gzip/bgzip)")
    p.add_argument("--outdir", required=True, help="output folder")
    p.add_argument("--no-bwa", action="store_true", help="skip the bwa index")
    p.add_argument("--identity", default="", help="path and checksum of the FASTA, for the log")
    p.set_defaults(func=_run_reference)

    b = subparsers.add_parser(
        "bins",
        help="tile the reference into fixed-size bins with GC and N fraction",
        description="Write a bin table (chrom, start, end, gc, n_fraction; 0-based half-open).",
    )
    b.add_argument("--reference", required=True, help="indexed reference FASTA")
    b.add_argument("--size", type=int, required=True, help="bin size in bp")
    b.add_argument("--out", required=True, help="output TSV")
    b.add_argument(
        "--all-contigs",
        action="store_true",
        help="tile every contig (default: leave out chrM/MT, EBV, unplaced scaffolds, "
        "alternate haplotypes and decoys, by their GRCh37/GRCh38 names)",
    )
    b.set_defaults(func=_run_bins)


def _run_reference(args: argparse.Namespace) -> int:
    from ctcgenomics.align import prepare_reference

    if args.identity:
        log.info("reference source: %s", args.identity)
    genome = prepare_reference(args.fasta, args.outdir, index_bwa=not args.no_bwa)
    log.info("reference ready: %s", genome)
    return 0


def _run_bins(args: argparse.Namespace) -> int:
    from ctcgenomics.io import atomic_open
    from ctcgenomics.io.bins import make_bin_table

    contigs = None
    if args.all_contigs:
        import pysam

        with pysam.FastaFile(args.reference) as ref:
            contigs = list(ref.references)
    table = make_bin_table(args.reference, args.size, contigs=contigs)
    with atomic_open(args.out, newline="") as handle:
        table.to_csv(handle, sep="\t", index=False, float_format="%.5f")
    log.info("%d bins of %d bp written to %s", len(table), args.size, args.out)
    return 0
