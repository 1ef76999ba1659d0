"""Which cells are the normal reference (the patient's WBCs by default)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def reference_mask(
    obs: pd.DataFrame,
    reference_key: str = "role",
    reference_cat: str | Sequence[str] = "wbc",
) -> np.ndarray:
    """Return a boolean mask of the reference (normal) cells of ``obs``.

    A cell is a reference cell when ``obs[reference_key]`` (compared without case) is
    one of ``reference_cat``. Without the column every cell is a tumour cell (no
    reference), as when a run has no WBCs.

    Parameters
    ----------
    obs
        Cell metadata.
    reference_key
        Column naming each cell's kind (default ``role``, as in the cell sheet).
    reference_cat
        Value or values of that column marking reference cells (default ``wbc``).

    Raises
    ------
    ValueError
        When ``reference_cat`` is empty.
    """
    cats = [reference_cat] if isinstance(reference_cat, str) else list(reference_cat)
    if not cats:
        raise ValueError("reference_cat is empty; give the value(s) that mark normal cells")
    if reference_key not in obs:
        return np.zeros(len(obs), dtype=bool)
    values = obs[reference_key].astype(str).str.lower()
    return values.isin([str(c).lower() for c in cats]).to_numpy()


def role_labels(
    obs: pd.DataFrame,
    reference_key: str = "role",
    reference_cat: str | Sequence[str] = "wbc",
) -> np.ndarray:
    """Return ``"wbc"`` for reference cells and ``"ctc"`` for the others (internal labels)."""
    return np.where(reference_mask(obs, reference_key, reference_cat), "wbc", "ctc")
