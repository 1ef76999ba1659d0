"""Single-cell RNA arm: read matrices, QC, classify CTC/WBC/platelet, score signatures.

Scanpy-style API: functions take an AnnData, write documented ``obs``/``uns`` keys and
accept ``key_added``, ``layer`` and ``copy``. See ``docs/rna.md``.
"""

from ctcgenomics.rna._classify import classify_cells, fit_calibration
from ctcgenomics.rna._genesets import load_gene_sets
from ctcgenomics.rna._params import RNAParams
from ctcgenomics.rna._programmes import score_programmes
from ctcgenomics.rna._qc import qc_cells
from ctcgenomics.rna._read import CountMatrixError, read_counts
from ctcgenomics.rna._score import score_gene_sets
from ctcgenomics.rna._signatures import (
    biomarker_status,
    score_emt,
    score_hallmark_emt,
    score_proliferation,
    score_signature,
    score_stemness,
)

__all__ = [
    "CountMatrixError",
    "RNAParams",
    "biomarker_status",
    "classify_cells",
    "fit_calibration",
    "load_gene_sets",
    "qc_cells",
    "read_counts",
    "score_emt",
    "score_gene_sets",
    "score_hallmark_emt",
    "score_programmes",
    "score_proliferation",
    "score_signature",
    "score_stemness",
]
