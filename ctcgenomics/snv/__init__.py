"""Single-cell SNV and indel calling across CTCs with allelic dropout.

Candidates come from a pooled pileup over a patient's cells plus forced hotspot and
user alleles; per-cell allele counts (one pass per BAM) feed a genotype model with
per-cell allelic dropout, amplification bias and errors; WBC-supported sites are
germline. Outputs: multi-sample VCF, ``snv.h5ad`` (cells x variants) and alterations
rows. The model is described in ``docs/snv.md``.

Examples
--------
>>> import ctcgenomics as ctc
>>> adata = ctc.snv.call(bams, "genome.fa", cells=cells, targets="panel.bed")  # doctest: +SKIP
>>> ctc.snv.write_vcf(adata, "snv.vcf.gz", "genome.fa")  # doctest: +SKIP
"""

from ctcgenomics._errors import ReferenceMismatchError  # noqa: F401 (documented in ctc.align)
from ctcgenomics.snv._alteration_rows import alteration_rows
from ctcgenomics.snv._annotate import AnnotationError, annotate
from ctcgenomics.snv._call import SNVParams, call
from ctcgenomics.snv._copynumber import add_copy_number
from ctcgenomics.snv._evaluate import genotype_metrics, read_truth, site_metrics
from ctcgenomics.snv._filters import apply_filters
from ctcgenomics.snv._genotype import genotype
from ctcgenomics.snv._pileup import count_alleles
from ctcgenomics.snv._sites import load_hotspots, read_bed
from ctcgenomics.snv._vcf import write_vcf

__all__ = [
    "AnnotationError",
    "SNVParams",
    "add_copy_number",
    "alteration_rows",
    "annotate",
    "apply_filters",
    "call",
    "count_alleles",
    "genotype",
    "genotype_metrics",
    "load_hotspots",
    "read_bed",
    "read_truth",
    "site_metrics",
    "write_vcf",
]
