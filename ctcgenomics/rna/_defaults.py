"""Default parameters of the RNA stage and their merge with the ``rna:`` config section."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "qc": {"min_genes": 200, "min_counts": 500, "max_mito_frac": 0.25, "max_ribo_frac": 0.6},
    "gene_set_files": [],
    "classify": {"check_labels": True, "cnv": True},
    "calibration": None,
    "high_cp10k": {"ERBB2": 20.0, "ESR1": 5.0, "PGR": 5.0, "AR": 5.0},
    "arv7_min_counts": 2,
    "embedding": {"n_top_genes": 2000, "n_pcs": 30, "n_neighbors": 15, "resolution": 1.0},
    "seed": 0,
}
"""Default parameters (the ``rna:`` config section overrides them key by key)."""

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
    """Defaults updated by ``params`` (one level of nesting).

    Raises
    ------
    ValueError
        For an unknown ``rna.classify`` key (naming it and the known keys).
    """
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    for key, value in (params or {}).items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key].update(value)
        else:
            out[key] = value
    for key in RETIRED_CLASSIFY_KEYS:
        if key in out["classify"]:
            log.warning(
                "config rna.classify.%s is retired (per-cell programme posterior); ignored", key
            )
            del out["classify"][key]
    unknown = sorted(set(out["classify"]) - set(DEFAULTS["classify"]))
    if out["calibration"] is not None and not isinstance(out["calibration"], str):
        raise ValueError(
            "config rna.calibration must be a path to a calibration JSON or null, got "
            f"{out['calibration']!r}"
        )
    if unknown:
        raise ValueError(
            f"config rna.classify: unknown key(s) {unknown}; known keys are "
            f"{sorted(DEFAULTS['classify'])} (see docs/rna.md)"
        )
    return out
