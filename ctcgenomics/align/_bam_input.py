"""Use an already-aligned BAM from the cell sheet instead of FASTQ."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pysam

from ctcgenomics._ids import validate_id
from ctcgenomics.align._reference import reference_contigs
from ctcgenomics.io._atomic import atomic_path

log = logging.getLogger(__name__)


class ContigMismatchError(ValueError):
    """A BAM was aligned to a reference other than the configured one."""


def check_bam_contigs(bam: str | os.PathLike[str], reference: str | os.PathLike[str]) -> None:
    """Check that every contig of ``bam`` exists in ``reference`` with the same length.

    Raises
    ------
    ContigMismatchError
        Naming the BAM, the first differing contigs and the fix.
    """
    ref = reference_contigs(reference)
    with pysam.AlignmentFile(os.fspath(bam), "rb") as handle:
        bam_contigs = dict(zip(handle.references, handle.lengths, strict=True))
    unknown = [c for c in bam_contigs if c not in ref]
    wrong_len = [(c, n, ref[c]) for c, n in bam_contigs.items() if c in ref and ref[c] != n]
    if unknown or wrong_len or not bam_contigs:
        detail = []
        if unknown:
            detail.append(f"contigs not in the reference: {', '.join(unknown[:5])}")
        if wrong_len:
            detail.append(
                "different lengths: "
                + ", ".join(f"{c} {n:,} bp in the BAM vs {m:,} bp" for c, n, m in wrong_len[:5])
            )
        if not bam_contigs:
            detail.append("the BAM header has no @SQ lines")
        raise ContigMismatchError(
            f"{bam} was not aligned to {reference} ({'; '.join(detail)}); realign the cell to "
            "the configured reference, or give its FASTQ instead of the BAM in the cell sheet"
        )


def import_bam(
    bam: str | os.PathLike[str],
    reference: str | os.PathLike[str],
    out_bam: str | os.PathLike[str],
    *,
    cell: str,
) -> Path:
    """Check a user BAM against the reference, sort it if needed and index it at ``out_bam``.

    Parameters
    ----------
    bam
        The BAM named in the cell sheet.
    reference
        The configured reference FASTA.
    out_bam
        Where the workflow expects the cell's BAM.
    cell
        Cell ID (validated).

    Returns
    -------
    pathlib.Path
        ``out_bam``.
    """
    validate_id(cell, what="cell")
    src = Path(bam)
    if not src.is_file():
        raise FileNotFoundError(f"BAM {src} of cell {cell} does not exist; fix the cell sheet")
    check_bam_contigs(src, reference)
    with pysam.AlignmentFile(str(src), "rb") as handle:
        sort_order = handle.header.to_dict().get("HD", {}).get("SO")
    out = Path(out_bam)
    with atomic_path(out) as tmp:
        if sort_order == "coordinate":
            shutil.copyfile(src, tmp)
        else:
            log.info("cell %s: %s is not coordinate-sorted (SO=%s); sorting", cell, src, sort_order)
            pysam.sort("-o", str(tmp), str(src))
        pysam.index(str(tmp), str(out) + ".bai")
    return out
