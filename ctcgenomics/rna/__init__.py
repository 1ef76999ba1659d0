"""Single-cell RNA arm: read matrices, QC, classify CTC/WBC/platelet, score signatures.

Scanpy-style API: functions take an AnnData, write documented ``obs``/``uns`` keys and
accept ``key_added``, ``layer`` and ``copy``. See ``docs/rna.md``.
"""

from ctcgenomics.rna._classify import (
    CLASSES,
    CalibrationError,
    class_posterior,
    classify_cells,
    fit_calibration,
    fit_effect_prior,
    load_calibration,
)
from ctcgenomics.rna._cnv import (
    cnv_evidence,
    cnv_tumour_correlation,
    crossfit_cnv_correlation,
    robust_z,
)
from ctcgenomics.rna._genes import harmonize_gene_names, sum_duplicate_genes
from ctcgenomics.rna._genesets import SIGNATURE_SETS, load_gene_sets, read_gmt
from ctcgenomics.rna._params import RNAParams
from ctcgenomics.rna._programmes import (
    PanelError,
    contrast_scores,
    load_programmes,
    programmes_for,
    rank_scores,
    score_programmes,
    supported_tumour_types,
)
from ctcgenomics.rna._qc import qc_cells
from ctcgenomics.rna._read import VALUES, CountMatrixError, read_counts, validate_counts
from ctcgenomics.rna._score import GeneSetOverlapError, expression_bins, score_gene_sets
from ctcgenomics.rna._signatures import (
    BIOMARKERS,
    biomarker_status,
    score_emt,
    score_hallmark_emt,
    score_proliferation,
    score_signature,
    score_stemness,
)

__all__ = [
    "BIOMARKERS",
    "CLASSES",
    "SIGNATURE_SETS",
    "VALUES",
    "CalibrationError",
    "CountMatrixError",
    "GeneSetOverlapError",
    "PanelError",
    "RNAParams",
    "biomarker_status",
    "class_posterior",
    "classify_cells",
    "cnv_evidence",
    "cnv_tumour_correlation",
    "contrast_scores",
    "crossfit_cnv_correlation",
    "expression_bins",
    "fit_calibration",
    "fit_effect_prior",
    "harmonize_gene_names",
    "load_calibration",
    "load_gene_sets",
    "load_programmes",
    "programmes_for",
    "qc_cells",
    "rank_scores",
    "read_counts",
    "read_gmt",
    "robust_z",
    "score_emt",
    "score_gene_sets",
    "score_hallmark_emt",
    "score_programmes",
    "score_proliferation",
    "score_signature",
    "score_stemness",
    "sum_duplicate_genes",
    "supported_tumour_types",
    "validate_counts",
]
