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
    "CNVConfig": "ctcgenomics.cnv._config",
    "CNVInputError": "ctcgenomics.cnv._errors",
    "HetSiteParams": "ctcgenomics.cnv._germline",
    "ReferenceMismatchError": "ctcgenomics.cnv._errors",
    "call_clones": "ctcgenomics.cnv._clones",
    "call_copy_number": "ctcgenomics.cnv._call",
    "cnv_alterations": "ctcgenomics.cnv._alterations",
    "counts_anndata": "ctcgenomics.cnv._counting",
    "gene_calls": "ctcgenomics.cnv._genes",
    "gene_calls_from_log2": "ctcgenomics.cnv._genes",
    "read_allele_counts": "ctcgenomics.cnv._alleles",
    "read_bin_counts": "ctcgenomics.cnv._counting",
    "read_blacklist": "ctcgenomics.cnv._bins",
    "read_cnv_h5ad": "ctcgenomics.cnv._io",
    "read_cnvkit": "ctcgenomics.cnv._genes",
    "read_count_table": "ctcgenomics.cnv._tables",
    "read_gene_table": "ctcgenomics.cnv._genes",
    "read_mappability": "ctcgenomics.cnv._bins",
    "write_cnv_h5ad": "ctcgenomics.cnv._io",
}
# ReferenceMismatchError is importable here too (documented in ctc.align).
__all__ = [
    "CNVConfig",
    "CNVInputError",
    "HetSiteParams",
    "call_clones",
    "call_copy_number",
    "cnv_alterations",
    "counts_anndata",
    "gene_calls",
    "gene_calls_from_log2",
    "read_allele_counts",
    "read_bin_counts",
    "read_blacklist",
    "read_cnv_h5ad",
    "read_cnvkit",
    "read_count_table",
    "read_gene_table",
    "read_mappability",
    "write_cnv_h5ad",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
