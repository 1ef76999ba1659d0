"""Parameters of per-cell QC: the ``qc:`` config section, with the bins' N filter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ctcgenomics._params import as_mapping, build
from ctcgenomics.qc._metrics import QCThresholds


def _targeted() -> QCThresholds:
    # Panels and exomes: fewer reads suffice, and MAPD over genome-wide bins does not apply.
    return QCThresholds(min_reads=2000, max_mapd=None)


@dataclass(frozen=True)
class QCParams:
    """Per-cell QC parameters (the ``qc:`` config section, plus ``bins.max_n_fraction``).

    Attributes
    ----------
    min_mapq
        MAPQ of the reads counted in bins (MAPD).
    max_n_fraction
        Bins with a larger fraction of N bases are not used for MAPD (the workflow's
        ``bins.max_n_fraction``).
    wgs
        Pass/fail thresholds of low-pass whole-genome cells.
    targeted
        Pass/fail thresholds of panel and exome cells.
    """

    min_mapq: int = 20
    max_n_fraction: float = 0.1
    wgs: QCThresholds = field(default_factory=QCThresholds)
    targeted: QCThresholds = field(default_factory=_targeted)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None = None) -> QCParams:
        """Parameters from the config layout; keys left out keep their defaults.

        A ``wgs``/``targeted`` sub-mapping overrides that assay's thresholds key by key.

        Raises
        ------
        ValueError
            For an unknown key, naming where it is and the closest valid key.
        """
        values = dict(values or {})
        default = cls()
        for assay in ("wgs", "targeted"):
            if isinstance(values.get(assay), Mapping):
                given = build(QCThresholds, values[assay], f"qc.{assay}")
                base = as_mapping(getattr(default, assay))
                base.update({k: getattr(given, k) for k in values[assay]})
                values[assay] = base
        return build(cls, values, "qc")

    def to_mapping(self) -> dict[str, Any]:
        """Return the parameters in the config layout (the inverse of :meth:`from_mapping`)."""
        return as_mapping(self)

    def thresholds(self, assay: str) -> QCThresholds:
        """Thresholds of ``assay`` (``wgs``; ``panel`` and ``exome`` are targeted)."""
        return self.wgs if assay == "wgs" else self.targeted
