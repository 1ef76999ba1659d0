"""Parameters of the RNA arm: the ``rna:`` config section as one frozen class."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ctcgenomics._params import ParamsError, as_mapping, build

DEFAULT_HIGH_CP10K: dict[str, float] = {"ERBB2": 20.0, "ESR1": 5.0, "PGR": 5.0, "AR": 5.0}
"""Counts per 10k above which a CTC is called ``EXPRESSION_HIGH`` for the gene."""


@dataclass(frozen=True)
class RNAQCParams:
    """Per-cell RNA QC thresholds (:func:`~ctcgenomics.rna.qc_cells`)."""

    min_genes: int = 200
    min_counts: float = 500
    max_mito_frac: float = 0.25
    max_ribo_frac: float = 0.6


@dataclass(frozen=True)
class ClassifyParams:
    """Switches of :func:`~ctcgenomics.rna.classify_cells`.

    Attributes
    ----------
    check_labels
        Refuse to classify when housekeeping genes do not rank high (gene names do not
        match the values).
    cnv
        Add expression-inferred copy-number evidence when the run allows it.
    """

    check_labels: bool = True
    cnv: bool = True


@dataclass(frozen=True)
class EmbeddingParams:
    """PCA, neighbours, UMAP and Leiden of the RNA arm's embedding."""

    n_top_genes: int = 2000
    n_pcs: int = 30
    n_neighbors: int = 15
    resolution: float = 1.0


@dataclass(frozen=True)
class RNAParams:
    """All parameters of the RNA arm (``ctcg rna``; the ``rna:`` config section).

    Attributes
    ----------
    gene_set_files
        Extra GMT files scored per cell.
    qc, classify, embedding
        See :class:`RNAQCParams`, :class:`ClassifyParams`, :class:`EmbeddingParams`.
    calibration
        Calibration JSON of the CTC probability (``None``: the packaged one).
    high_cp10k
        Counts per 10k above which a CTC is ``EXPRESSION_HIGH`` for a gene; a mapping
        given to :meth:`from_mapping` overrides these gene by gene.
    arv7_min_counts
        AR-V7 isoform or junction counts for a cell to be AR-V7 positive.
    seed
        Random seed of the embedding.
    """

    gene_set_files: tuple[str, ...] = ()
    qc: RNAQCParams = field(default_factory=RNAQCParams)
    classify: ClassifyParams = field(default_factory=ClassifyParams)
    calibration: str | None = None
    high_cp10k: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_HIGH_CP10K))
    arv7_min_counts: float = 2
    embedding: EmbeddingParams = field(default_factory=EmbeddingParams)
    seed: int = 0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None = None) -> RNAParams:
        """Parameters from the config layout; keys left out keep their defaults.

        Raises
        ------
        ValueError
            For an unknown key (naming where it is and the closest valid key), or a
            calibration that is not a path.
        """
        values = dict(values or {})
        calibration = values.get("calibration")
        if calibration is not None and not isinstance(calibration, str):
            raise ParamsError(
                "config rna.calibration must be a path to a calibration JSON or null, got "
                f"{calibration!r}"
            )
        if isinstance(values.get("high_cp10k"), Mapping):
            values["high_cp10k"] = {**DEFAULT_HIGH_CP10K, **values["high_cp10k"]}
        return build(cls, values, "rna")

    def to_mapping(self) -> dict[str, Any]:
        """Return the parameters in the config layout (the inverse of :meth:`from_mapping`)."""
        return as_mapping(self)
