"""samtools stats and flagstat reports of a cell's BAM, for MultiQC's samtools module."""

from __future__ import annotations

import os

import pysam

from ctcgenomics.io import atomic_open


def write_samtools_reports(
    bam: str | os.PathLike[str],
    *,
    stats: str | os.PathLike[str] | None = None,
    flagstat: str | os.PathLike[str] | None = None,
) -> None:
    """Write ``samtools stats`` and/or ``samtools flagstat`` of ``bam`` (atomically).

    MultiQC recognises both by content and names the sample after the file, so name
    them ``<cell>.stats`` and ``<cell>.flagstat``; ``multiqc results/qc`` then shows them
    beside the ctcgenomics QC table (custom content).
    """
    if not os.path.isfile(bam):
        raise FileNotFoundError(f"BAM {bam} does not exist; align the cell first")
    for path, tool in ((stats, pysam.samtools.stats), (flagstat, pysam.samtools.flagstat)):
        if path is None:
            continue
        text = tool(os.fspath(bam))
        with atomic_open(path) as handle:
            handle.write(text)
