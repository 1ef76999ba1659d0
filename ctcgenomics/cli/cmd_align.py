"""``ctcg align``: align one cell's reads, or import its already-aligned BAM."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "align",
        help="align one cell (bwa mem | samtools fixmate/sort/markdup) or import its BAM",
        description=(
            "Align one cell's FASTQ to the reference with a read group per cell, sort, mark "
            "duplicates and index; or, with --bam, check an existing BAM against the reference "
            "and index it. A FASTQ that is empty, truncated or whose mates disagree yields an "
            "empty BAM marked as failed (reported by QC), unless --strict."
        ),
    )
    p.add_argument("--cell", required=True, help="cell ID (read group ID and SM)")
    p.add_argument("--reference", required=True, help="bwa-indexed reference FASTA")
    p.add_argument("--out", required=True, help="output BAM (index written beside it)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--fq1", help="read 1 FASTQ (gzipped or plain)")
    src.add_argument("--bam", help="already-aligned BAM to import instead of FASTQ")
    p.add_argument("--fq2", help="read 2 FASTQ for paired-end data")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--wga", help="WGA chemistry, recorded in the read group")
    p.add_argument("--sort-memory", default="512M", help="samtools sort memory per thread")
    p.add_argument(
        "--strict", action="store_true", help="fail on bad FASTQ instead of failing the cell"
    )
    p.add_argument("--tool-log", help="file receiving bwa/samtools stderr")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ctcgenomics.align import align_cell, import_bam
    from ctcgenomics.align._bwa import failed_reason

    if args.bam:
        import_bam(
            args.bam,
            args.reference,
            args.out,
            cell=args.cell,
            on_input_error="raise" if args.strict else "fail_cell",
        )
        reason = failed_reason(args.out)
        if reason:
            log.warning("cell %s marked failed: %s", args.cell, reason)
        else:
            log.info("cell %s: imported %s -> %s", args.cell, args.bam, args.out)
        return 0
    result = align_cell(
        args.fq1,
        args.fq2,
        args.reference,
        args.out,
        cell=args.cell,
        threads=args.threads,
        wga=args.wga,
        sort_memory=args.sort_memory,
        on_input_error="raise" if args.strict else "fail_cell",
        log_path=args.tool_log,
    )
    if result.failed_reason:
        log.warning("cell %s marked failed: %s", args.cell, result.failed_reason)
    else:
        log.info("cell %s: %d reads aligned to %s", args.cell, result.n_reads, result.bam)
    return 0
