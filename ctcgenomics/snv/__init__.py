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
from ctcgenomics.snv._alteration_rows import alteration_rows, load_predisposition_genes
from ctcgenomics.snv._annotate import (
    AnnotationError,
    annotate,
    annotate_variant,
    check_gtf_assembly,
    read_gtf,
)
from ctcgenomics.snv._call import SNVParams, call, empty_calls
from ctcgenomics.snv._copynumber import add_copy_number
from ctcgenomics.snv._counts import BamIndexError, CountParams, ensure_index
from ctcgenomics.snv._evaluate import genotype_metrics, read_truth, site_metrics
from ctcgenomics.snv._filters import FILTER_DESCRIPTIONS, FilterParams, apply_filters
from ctcgenomics.snv._genotype import NOT_EVALUABLE, GenotypeParams, genotype
from ctcgenomics.snv._model import (
    DropoutFit,
    ModelParams,
    SiteInputs,
    SiteModel,
    SitePosteriors,
    carrier_fraction_posterior,
    estimate_dropout,
    genotype_log_likelihoods,
    local_dropout,
    site_model,
    site_posteriors,
)
from ctcgenomics.snv._pileup import CandidateParams, count_alleles
from ctcgenomics.snv._sites import (
    SiteFileError,
    load_hotspots,
    read_bed,
    read_sites,
    read_variant_sites,
)
from ctcgenomics.snv._vcf import write_vcf

__all__ = [
    "FILTER_DESCRIPTIONS",
    "NOT_EVALUABLE",
    "AnnotationError",
    "BamIndexError",
    "CandidateParams",
    "CountParams",
    "DropoutFit",
    "FilterParams",
    "GenotypeParams",
    "ModelParams",
    "SNVParams",
    "SiteFileError",
    "SiteInputs",
    "SiteModel",
    "SitePosteriors",
    "add_copy_number",
    "alteration_rows",
    "annotate",
    "annotate_variant",
    "apply_filters",
    "call",
    "carrier_fraction_posterior",
    "check_gtf_assembly",
    "count_alleles",
    "empty_calls",
    "ensure_index",
    "estimate_dropout",
    "genotype",
    "genotype_log_likelihoods",
    "genotype_metrics",
    "load_hotspots",
    "load_predisposition_genes",
    "local_dropout",
    "read_bed",
    "read_gtf",
    "read_sites",
    "read_truth",
    "read_variant_sites",
    "site_metrics",
    "site_model",
    "site_posteriors",
    "write_vcf",
]
