"""Reference preparation and per-cell alignment (bwa mem + samtools)."""

from ctcgenomics._errors import ReferenceMismatchError
from ctcgenomics.align._bam_input import (
    BamInputError,
    check_bam_contigs,
    import_bam,
)
from ctcgenomics.align._bwa import (
    FAILED_TAG,
    AlignResult,
    align_cell,
    failed_reason,
    write_failed_bam,
)
from ctcgenomics.align._fastq import FastqError, FastqSummary, check_fastq
from ctcgenomics.align._reference import (
    ReferenceFastaError,
    prepare_reference,
    reference_contigs,
    reference_identity,
    require_tool,
)

__all__ = [
    "FAILED_TAG",
    "AlignResult",
    "BamInputError",
    "FastqError",
    "FastqSummary",
    "ReferenceFastaError",
    "ReferenceMismatchError",
    "align_cell",
    "check_bam_contigs",
    "check_fastq",
    "failed_reason",
    "import_bam",
    "prepare_reference",
    "reference_contigs",
    "reference_identity",
    "require_tool",
    "write_failed_bam",
]
