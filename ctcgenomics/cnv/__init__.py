"""Single-cell copy number from low-pass WGS of CTCs and WBCs.

Counting reads in bins, GC correction (LOWESS), a panel of normals from the WBCs,
HMM segmentation, integer copy number with a ploidy search anchored by the WBCs,
per-cell QC, gene-level calls (also from CNVkit ``.cnr``/``.cns``), clones and
figures. See ``docs/cnv.md``.

Examples
--------
>>> import ctcgenomics as ctc
>>> adata = ctc.cnv.counts_anndata(counts, bins, cells)  # doctest: +SKIP
>>> ctc.cnv.call_copy_number(adata)  # doctest: +SKIP
>>> genes = ctc.cnv.gene_calls(adata, genes=["ERBB2", "MYC"])  # doctest: +SKIP
"""

from ctcgenomics.cnv._alterations import cnv_alterations
from ctcgenomics.cnv._bins import bin_mask, read_blacklist, read_mappability
from ctcgenomics.cnv._call import SEGMENT_COLUMNS, call_copy_number
from ctcgenomics.cnv._clones import CLONE_COLUMNS, call_clones
from ctcgenomics.cnv._config import DEFAULT_GENES, CNVConfig
from ctcgenomics.cnv._counting import (
    check_bam_reference,
    count_cell,
    counts_anndata,
    read_count_files,
    read_counts,
    write_counts,
)
from ctcgenomics.cnv._errors import BlacklistError, CNVInputError, ReferenceMismatchError
from ctcgenomics.cnv._genes import (
    CALLS,
    GENE_CALL_COLUMNS,
    arms_from_cytobands,
    classify,
    gene_calls,
    gene_calls_from_log2,
    read_cnvkit,
    read_gene_table,
)
from ctcgenomics.cnv._io import read_cnv_h5ad, write_cnv_h5ad
from ctcgenomics.cnv._plot import plot_heatmap, plot_profiles

__all__ = [
    "CALLS",
    "CLONE_COLUMNS",
    "DEFAULT_GENES",
    "GENE_CALL_COLUMNS",
    "SEGMENT_COLUMNS",
    "BlacklistError",
    "CNVConfig",
    "CNVInputError",
    "ReferenceMismatchError",
    "arms_from_cytobands",
    "bin_mask",
    "call_clones",
    "call_copy_number",
    "check_bam_reference",
    "classify",
    "cnv_alterations",
    "count_cell",
    "counts_anndata",
    "gene_calls",
    "gene_calls_from_log2",
    "plot_heatmap",
    "plot_profiles",
    "read_blacklist",
    "read_cnv_h5ad",
    "read_cnvkit",
    "read_count_files",
    "read_counts",
    "read_gene_table",
    "read_mappability",
    "write_cnv_h5ad",
    "write_counts",
]
