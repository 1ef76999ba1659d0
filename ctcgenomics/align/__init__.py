"""Reference preparation and per-cell alignment (bwa mem + samtools)."""

from ctcgenomics._errors import ReferenceMismatchError
from ctcgenomics.align._bam_input import BamInputError, import_bam
from ctcgenomics.align._bwa import align_cell
from ctcgenomics.align._fastq import FastqError, check_fastq
from ctcgenomics.align._reference import prepare_reference

__all__ = [
    "BamInputError",
    "FastqError",
    "ReferenceMismatchError",
    "align_cell",
    "check_fastq",
    "import_bam",
    "prepare_reference",
]
