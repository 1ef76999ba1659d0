"""Single-cell copy number from low-pass WGS of CTCs and WBCs.

Counting reads in bins, GC correction (LOWESS), a panel of normals from the WBCs,
HMM segmentation, integer copy number with a ploidy search anchored by the WBCs,
per-cell QC, gene-level calls (also from CNVkit ``.cnr``/``.cns``) and clones
(figures: ``ctc.pl``). See ``docs/cnv.md``.

Examples
--------
>>> import ctcgenomics as ctc
>>> adata = ctc.cnv.counts_anndata(counts, bins, cells)  # doctest: +SKIP
>>> ctc.cnv.call_copy_number(adata)  # doctest: +SKIP
>>> genes = ctc.cnv.gene_calls(adata, genes=["ERBB2", "MYC"])  # doctest: +SKIP
"""

from __future__ import annotations

# Submodules load on first use, so `ctcg cnv count` does not import anndata or
# matplotlib (start-up time counts in per-cell jobs).
from ctcgenomics._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "gene_regions": "ctcgenomics.cnv._genes",
    "gene_coverage_warnings": "ctcgenomics.cnv._genes",
    "count_regions": "ctcgenomics.cnv._counting",
    "write_region_counts": "ctcgenomics.cnv._counting",
    "read_region_counts": "ctcgenomics.cnv._counting",
    "AlleleCounts": "ctcgenomics.cnv._alleles",
    "read_allele_counts": "ctcgenomics.cnv._alleles",
    "HetSiteParams": "ctcgenomics.cnv._germline",
    "candidate_sites": "ctcgenomics.cnv._germline",
    "count_site_alleles": "ctcgenomics.cnv._germline",
    "germline_allele_counts": "ctcgenomics.cnv._germline",
    "het_posterior": "ctcgenomics.cnv._germline",
    "read_germline_sites": "ctcgenomics.cnv._germline",
    "CountTable": "ctcgenomics.cnv._tables",
    "read_count_table": "ctcgenomics.cnv._tables",
    "read_normal": "ctcgenomics.cnv._tables",
    "check_same_bins": "ctcgenomics.cnv._tables",
    "BlacklistError": "ctcgenomics.cnv._errors",
    "CALLS": "ctcgenomics.cnv._genes",
    "CLONE_COLUMNS": "ctcgenomics.cnv._clones",
    "CNVConfig": "ctcgenomics.cnv._config",
    "CNVInputError": "ctcgenomics.cnv._errors",
    "DEFAULT_GENES": "ctcgenomics.cnv._config",
    "GENE_CALL_COLUMNS": "ctcgenomics.cnv._genes",
    "ReferenceMismatchError": "ctcgenomics.cnv._errors",
    "SEGMENT_COLUMNS": "ctcgenomics.cnv._call",
    "arms_from_cytobands": "ctcgenomics.cnv._genes",
    "bin_mask": "ctcgenomics.cnv._bins",
    "call_clones": "ctcgenomics.cnv._clones",
    "call_copy_number": "ctcgenomics.cnv._call",
    "check_bam_reference": "ctcgenomics.cnv._counting",
    "classify": "ctcgenomics.cnv._genes",
    "cnv_alterations": "ctcgenomics.cnv._alterations",
    "count_cell": "ctcgenomics.cnv._counting",
    "counts_anndata": "ctcgenomics.cnv._counting",
    "gene_calls": "ctcgenomics.cnv._genes",
    "gene_calls_from_log2": "ctcgenomics.cnv._genes",
    "read_blacklist": "ctcgenomics.cnv._bins",
    "read_cnv_h5ad": "ctcgenomics.cnv._io",
    "read_cnvkit": "ctcgenomics.cnv._genes",
    "read_count_files": "ctcgenomics.cnv._counting",
    "read_count_tags": "ctcgenomics.cnv._counting",
    "read_bin_counts": "ctcgenomics.cnv._counting",
    "read_gene_table": "ctcgenomics.cnv._genes",
    "read_mappability": "ctcgenomics.cnv._bins",
    "write_cnv_h5ad": "ctcgenomics.cnv._io",
    "write_counts": "ctcgenomics.cnv._counting",
}


__all__ = [
    "CALLS",
    "CLONE_COLUMNS",
    "DEFAULT_GENES",
    "GENE_CALL_COLUMNS",
    "SEGMENT_COLUMNS",
    "AlleleCounts",
    "BlacklistError",
    "CNVConfig",
    "CNVInputError",
    "CountTable",
    "HetSiteParams",
    "arms_from_cytobands",
    "bin_mask",
    "call_clones",
    "call_copy_number",
    "candidate_sites",
    "check_bam_reference",
    "check_same_bins",
    "classify",
    "cnv_alterations",
    "count_cell",
    "count_regions",
    "count_site_alleles",
    "counts_anndata",
    "gene_calls",
    "gene_calls_from_log2",
    "gene_coverage_warnings",
    "gene_regions",
    "germline_allele_counts",
    "het_posterior",
    "read_allele_counts",
    "read_bin_counts",
    "read_blacklist",
    "read_cnv_h5ad",
    "read_cnvkit",
    "read_count_files",
    "read_count_table",
    "read_count_tags",
    "read_gene_table",
    "read_germline_sites",
    "read_mappability",
    "read_normal",
    "read_region_counts",
    "write_cnv_h5ad",
    "write_counts",
    "write_region_counts",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
