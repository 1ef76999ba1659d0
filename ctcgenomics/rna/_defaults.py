"""Default parameters of the RNA stage and their merge with the ``rna:`` config section."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ctcgenomics.rna._params import RNAParams

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = RNAParams().to_mapping()
"""Default parameters (of :class:`~ctcgenomics.rna.RNAParams`; the ``rna:`` config section
overrides them key by key)."""

RETIRED_CLASSIFY_KEYS = (
    "marker_weight",
    "min_probability",
    "platelet_z",
    "cnv_min_cells",
    "cnv_min_reference",
    "reference_fraction",
    "seed_fraction",
    "null_quantile",
    "group_z",
    "n_iter",
    "n_folds",
    "outlier_z",
    "window_size",
)
"""``rna.classify`` keys of former run-relative rules: ignored with a warning."""


def merge_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults updated by ``params`` (:meth:`RNAParams.from_mapping`), as a plain dict.

    Raises
    ------
    ValueError
        For an unknown key (naming it and the closest known key).
    """
    out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in (params or {}).items()}
    for key in RETIRED_CLASSIFY_KEYS:
        if key in out.get("classify", {}):
            log.warning(
                "config rna.classify.%s is retired (per-cell programme posterior); ignored", key
            )
            del out["classify"][key]
    return RNAParams.from_mapping(out).to_mapping()
