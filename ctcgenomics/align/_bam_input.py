"""Use an already-aligned BAM from the cell sheet instead of FASTQ."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pysam

from ctcgenomics._errors import ReferenceMismatchError
from ctcgenomics._ids import validate_id
from ctcgenomics.align._bwa import write_failed_bam
from ctcgenomics.align._reference import reference_contigs
from ctcgenomics.io._atomic import atomic_path

log = logging.getLogger(__name__)


class BamInputError(ValueError):
    """A BAM named in the cell sheet cannot be read (truncated, not a BAM)."""


def _readable_bam(bam: Path, cell: str) -> dict:
    """Return the header of ``bam``, or raise :class:`BamInputError` naming file and cell.

    htslib refuses a BAM without its end-of-file marker with a bare ``OSError: no BGZF
    EOF marker``; a truncated copy is the usual cause.
    """
    try:
        with pysam.AlignmentFile(os.fspath(bam), "rb") as handle:
            return handle.header.to_dict()
    except (OSError, ValueError) as err:
        raise BamInputError(
            f"BAM {bam} of cell {cell} cannot be read ({err}); it is probably truncated (an "
            "interrupted copy?) or not a BAM: copy it again, or remove the cell from the sheet"
        ) from None


def check_bam_contigs(
    bam: str | os.PathLike[str],
    reference: str | os.PathLike[str] | Mapping[str, int],
    *,
    cell: str | None = None,
    subset_ok: bool = False,
) -> None:
    """Check that ``bam`` was aligned to ``reference``: shared contigs have equal lengths.

    The one contig check of BAMs against a FASTA (alignment of imported BAMs, SNV
    calling). Copy-number counting checks BAMs against its bin table instead
    (in ``ctcg cnv count``), since it has no FASTA.

    Parameters
    ----------
    bam
        BAM file (its header is read).
    reference
        FASTA (with ``.fai``) or a mapping contig -> length.
    cell
        Cell ID, named in the message.
    subset_ok
        Accept BAM contigs absent from the reference (a FASTA holding only the panel's
        chromosomes) as long as at least one contig is shared.

    Raises
    ------
    ReferenceMismatchError
        Naming the BAM, the first differing contigs and the fix.
    """
    ref = dict(reference) if isinstance(reference, Mapping) else reference_contigs(reference)
    with pysam.AlignmentFile(os.fspath(bam), "rb") as handle:
        bam_contigs = dict(zip(handle.references, handle.lengths, strict=True))
    unknown = [c for c in bam_contigs if c not in ref]
    if subset_ok and len(unknown) < len(bam_contigs):
        unknown = []
    wrong_len = [(c, n, ref[c]) for c, n in bam_contigs.items() if c in ref and ref[c] != n]
    if unknown or wrong_len or not bam_contigs:
        detail = []
        if unknown:
            detail.append(
                f"contigs not in the reference: {', '.join(unknown[:5])}; the reference has "
                f"{', '.join(list(ref)[:5])}{' ...' if len(ref) > 5 else ''}"
            )
            renamed = _renamed_contigs(unknown, ref)
            if renamed:
                detail.append(
                    f"the same contigs under other names ({renamed}): rename the BAM's "
                    "contigs (samtools reheader) or use the FASTA it was aligned to"
                )
        if wrong_len:
            detail.append(
                "different lengths: "
                + ", ".join(f"{c} {n:,} bp in the BAM vs {m:,} bp" for c, n, m in wrong_len[:5])
            )
        if not bam_contigs:
            detail.append("the BAM header has no @SQ lines")
        where = f"{bam} (cell {cell})" if cell else f"{bam}"
        target = "the reference" if isinstance(reference, Mapping) else f"{reference}"
        raise ReferenceMismatchError(
            f"{where} was not aligned to {target} ({'; '.join(detail)}); realign the cell to "
            "the configured reference, or give its FASTQ instead of the BAM in the cell sheet"
        )


def _renamed_contigs(unknown: list[str], ref: Mapping[str, int]) -> str:
    """Describe BAM contigs that are reference contigs with or without a ``chr`` prefix."""
    pairs = []
    for name in unknown:
        other = name[3:] if name.startswith("chr") else f"chr{name}"
        if other in ref:
            pairs.append(f"{name} vs {other}")
    return ", ".join(pairs[:3])


def import_bam(
    bam: str | os.PathLike[str],
    reference: str | os.PathLike[str],
    out_bam: str | os.PathLike[str],
    *,
    cell: str,
    on_input_error: str = "fail_cell",
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
    on_input_error
        ``"fail_cell"``: a BAM that cannot be read (truncated, not a BAM) yields a
        header-only BAM recording the reason, as a broken FASTQ does (the run goes on and
        QC reports the cell as failed); ``"raise"``: raise :class:`BamInputError`. A BAM
        aligned to another reference always raises :class:`ReferenceMismatchError`.

    Returns
    -------
    pathlib.Path
        ``out_bam``.
    """
    validate_id(cell, what="cell")
    src = Path(bam)
    if not src.is_file():
        raise FileNotFoundError(f"BAM {src} of cell {cell} does not exist; fix the cell sheet")
    out = Path(out_bam)
    try:
        header = _readable_bam(src, cell)
    except BamInputError as err:
        if on_input_error != "fail_cell":
            raise
        log.error("%s; writing an empty BAM and marking the cell failed", err)
        write_failed_bam(out, reference, cell=cell, reason=str(err))
        return out
    check_bam_contigs(src, reference)
    sort_order = header.get("HD", {}).get("SO")
    with atomic_path(out) as tmp:
        try:
            if sort_order == "coordinate":
                shutil.copyfile(src, tmp)
            else:
                log.info("cell %s: %s is not coordinate-sorted (SO=%s); sorting", cell, src,
                         sort_order)  # fmt: skip
                pysam.sort("-T", str(tmp.parent / "sort"), "-o", str(tmp), str(src))
            pysam.index(str(tmp), str(out) + ".bai")
        except (OSError, pysam.utils.SamtoolsError) as err:
            # A BAM damaged inside (EOF marker intact) fails here, not on opening.
            raise BamInputError(
                f"BAM {src} of cell {cell} is damaged ({err}); copy it again, or remove the "
                "cell from the sheet"
            ) from None
    return out
