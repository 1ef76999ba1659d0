"""Copy number of a cohort in one AnnData: each patient called on its own, results joined.

A patient's WBCs are its reference, its sex sets the chrX/chrY levels and its cells form
its clones, so :func:`ctcgenomics.cnv.call_copy_number` calls every patient of
``obs["patient"]`` alone and writes the results back into the one AnnData: per-cell
outputs (``obs``, layers) as they are, group labels offset so no group spans two
patients, per-bin outputs that differ between patients (``used``, ``pon``, germline
levels of different sexes) per patient in ``uns[key]["patients"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd

from ctcgenomics.cnv._alleles import AlleleCounts, read_allele_counts
from ctcgenomics.cnv._errors import CNVInputError

log = logging.getLogger(__name__)


def patients_of(adata: ad.AnnData) -> list[str]:
    """Return the distinct ``obs["patient"]`` values in order of appearance (none: [])."""
    if "patient" not in adata.obs:
        return []
    return list(dict.fromkeys(adata.obs["patient"].astype(str)))


def _alleles_of(table: AlleleCounts, rows: np.ndarray) -> AlleleCounts:
    """Return the allele counts of these cells, renumbered to their order in ``rows``."""
    sub = table.of_cells(rows)
    renumber = np.full(int(max(rows.max(), sub.cell.max(initial=0))) + 1, -1, dtype=np.int64)
    renumber[rows] = np.arange(len(rows))
    return AlleleCounts(renumber[sub.cell], sub.bin, sub.site, sub.a, sub.b, per_bin=sub.per_bin)


def call_each_patient(
    adata: ad.AnnData,
    patients: list[str],
    call: Callable[..., Any],
    *,
    key_added: str,
    name: Callable[[str], str],
    alleles: Any,
    normal: np.ndarray | None,
    copy: bool,
    **kwargs: Any,
) -> ad.AnnData | None:
    """Run ``call`` (:func:`call_copy_number`) on each patient's cells and join the results.

    Raises
    ------
    CNVInputError
        With a matched ``normal``: it belongs to one patient.
    """
    if normal is not None:
        raise CNVInputError(
            f"a matched normal belongs to one patient, but adata holds {len(patients)} "
            f"({', '.join(patients[:5])}); call each patient with its own normal: "
            "ctc.cnv.call_copy_number(adata[adata.obs['patient'] == p].copy(), normal=...)"
        )
    out = adata.copy() if copy else adata
    table = alleles
    if alleles is not None and not isinstance(alleles, AlleleCounts):
        table = read_allele_counts(alleles, out.var, list(out.obs_names))
    before = (set(out.obs.columns), set(out.layers), set(out.var.columns))
    patient = out.obs["patient"].astype(str).to_numpy()
    parts: dict[str, tuple[np.ndarray, ad.AnnData]] = {}
    for p in patients:
        rows = np.flatnonzero(patient == p)
        log.info("patient %s: %d cells", p, len(rows))
        sub = out[rows].copy()
        cells = None if table is None else _alleles_of(table, rows)
        call(sub, key_added=key_added, alleles=cells, copy=False, **kwargs)
        parts[p] = (rows, sub)
    _join(out, parts, before, key_added, name)
    return out if copy else None


def _join(
    out: ad.AnnData,
    parts: dict[str, tuple[np.ndarray, ad.AnnData]],
    before: tuple[set, set, set],
    key_added: str,
    name: Callable[[str], str],
) -> None:
    """Write each patient's outputs into ``out`` (see the module docstring)."""
    obs_before, layers_before, var_before = before
    first = next(iter(parts.values()))[1]
    for layer in [k for k in first.layers if k not in layers_before]:
        full = np.full(out.shape, np.nan, dtype=np.asarray(first.layers[layer]).dtype)
        for rows, sub in parts.values():
            full[rows] = np.asarray(sub.layers[layer])
        out.layers[layer] = full
    group_col, offset = name("group"), 0
    for col in [c for c in first.obs.columns if c not in obs_before]:
        values = pd.concat([sub.obs[col] for _, sub in parts.values()], ignore_index=True)
        order = np.concatenate([rows for rows, _ in parts.values()])
        full = pd.Series(index=np.arange(out.n_obs), dtype=values.dtype)
        full.iloc[order] = values.to_numpy()
        out.obs[col] = full.to_numpy()
    labels = np.full(out.n_obs, -1, dtype=np.int64)
    for rows, sub in parts.values():  # groups of different patients are different clones
        g = sub.obs[group_col].to_numpy().astype(np.int64)
        labels[rows] = np.where(g >= 0, g + offset, -1)
        offset += int(g.max(initial=-1)) + 1
    out.obs[group_col] = labels
    per_patient: dict[str, dict[str, Any]] = {}
    for col in [c for c in first.var.columns if c not in var_before]:
        values = [sub.var[col].to_numpy() for _, sub in parts.values()]
        if all(np.array_equal(v, values[0]) for v in values[1:]):
            out.var[col] = values[0]
        elif col == name("used"):
            out.var[col] = np.logical_or.reduce(values)
        else:
            # Differs between patients (their reference, their sex): the first patient's
            # here, every patient's in uns.
            out.var[col] = values[0]
            for p, (_, sub) in parts.items():
                per_patient.setdefault(p, {})[col] = sub.var[col].to_numpy()
    summaries = {p: dict(sub.uns[key_added]) for p, (_, sub) in parts.items()}
    segments = pd.concat([s.pop("segments") for s in summaries.values()], ignore_index=True)
    for p, s in summaries.items():
        s["var"] = pd.DataFrame(per_patient.get(p, {}), index=out.var_names)
        s["used"] = parts[p][1].var[name("used")].to_numpy()
    warnings = [f"{p}: {s['run_warning']}" for p, s in summaries.items() if s["run_warning"]]
    out.uns[key_added] = {
        "segments": segments,
        "patients": summaries,
        "run_warning": "; ".join(warnings),
        "params": next(iter(summaries.values()))["params"],
    }
