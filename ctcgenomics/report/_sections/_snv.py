"""Report section 4: mutations, cells altered and evaluable per draw."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ctcgenomics.report._inputs import LoadedInputs
from ctcgenomics.report._sections._common import (
    _as_bool,
    _cell_meta,
    _draw_order,
    _records,
    absent,
    clean,
    not_run,
)

_HGVSP_COLUMNS = ("HGVSp", "hgvsp", "HGVSp_short", "protein_change")


def _var_column(var: pd.DataFrame, names: Iterable[str]) -> pd.Series:
    for name in names:
        if name in var:
            return var[name].astype(str).replace({"nan": ""})
    return pd.Series("", index=var.index)


def snv_variants(loaded: LoadedInputs) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Return the reported variants, cell metadata and cells x variants genotype matrix.

    Variants flagged ``somatic`` by the SNV stage are reported (all, if that column is
    absent); genotypes are 0 ref/ref, 1 het, 2 alt/alt, -1 not evaluable.
    """
    adata = loaded.snv
    var = adata.var
    keep = _as_bool(var["somatic"]).to_numpy() if "somatic" in var else np.ones(adata.n_vars, bool)
    gt = np.asarray(adata.layers["genotype"])[:, keep]
    sel = var.loc[keep]
    table = pd.DataFrame(
        {
            "variant": sel.index.astype(str),
            "gene": _var_column(sel, ("gene", "SYMBOL")).to_numpy(),
            "hgvsp": _var_column(sel, _HGVSP_COLUMNS).to_numpy(),
            "chrom": _var_column(sel, ("chrom", "CHROM")).to_numpy(),
            "pos": pd.to_numeric(sel["pos"], errors="coerce").to_numpy()
            if "pos" in sel
            else np.nan,
            "ref": _var_column(sel, ("ref", "REF")).to_numpy(),
            "alt": _var_column(sel, ("alt", "ALT")).to_numpy(),
            "consequence": _var_column(sel, ("consequence", "Consequence")).to_numpy(),
        }
    )
    meta = _cell_meta(loaded, adata.obs_names, adata.obs)
    return table, meta, gt


def snv_section(loaded: LoadedInputs) -> dict:
    """One row per variant with cells altered / evaluable per draw among CTCs and WBCs."""
    if loaded.snv is None:
        return absent(loaded, "snv", "no mutation data")
    if "genotype" not in loaded.snv.layers:
        return not_run("the mutation AnnData has no 'genotype' layer; rerun the SNV stage")
    table, meta, gt = snv_variants(loaded)
    draws = _draw_order(loaded)
    rows = []
    for j, var in enumerate(table.to_dict("records")):
        per_draw = []
        for draw in draws:
            is_ctc = ((meta["draw"] == draw) & (meta["role"] == "ctc")).to_numpy()
            col = gt[is_ctc, j]
            per_draw.append({"draw": draw, "n_cells_altered": int((col > 0).sum()),
                             "n_cells_evaluable": int((col >= 0).sum())})  # fmt: skip
        wbc = gt[(meta["role"] == "wbc").to_numpy(), j]
        rows.append(clean({
            **var,
            "ctc_altered": [d["n_cells_altered"] for d in per_draw],
            "ctc_evaluable": [d["n_cells_evaluable"] for d in per_draw],
            "per_draw": per_draw,
            "wbc_altered": int((wbc > 0).sum()),
            "wbc_evaluable": int((wbc >= 0).sum()),
        }))  # fmt: skip
    carriers = {}
    for j, name in enumerate(table["variant"]):
        carriers[name] = sorted(meta.index[gt[:, j] > 0].astype(str))
    return {
        "status": "ok",
        "draws": draws,
        "n_variants": len(rows),
        "n_cells": int(gt.shape[0]),
        "n_not_reported": int(loaded.snv.n_vars - len(rows)),
        "variants": rows,
        "carriers": carriers,
        "figures": ["genotype_matrix"] if len(rows) else [],
        **snv_data_checks(loaded),
    }


_IDENTITY_COLUMNS = ("cell", "role", "against", "n_informative", "n_opposite", "expected",
                     "p_value", "verdict")  # fmt: skip
_LIBRARY_COLUMNS = ("cell", "declared", "used", "rho", "statistic", "n_sites")


def _uns_table(adata: object, key: str, columns: Iterable[str]) -> pd.DataFrame | None:
    """``uns["snv"][key]`` as a table with ``columns``; None if absent or malformed."""
    table = getattr(adata, "uns", {}).get("snv", {})
    table = table.get(key) if isinstance(table, dict) else None
    if not isinstance(table, pd.DataFrame) or not set(columns) <= set(table.columns):
        return None
    return table.loc[:, list(columns)]


def _identity_warning(row: dict, draw: str) -> str:
    """Plain-language warning for one pair judged to be two individuals."""
    who = "the other WBCs" if row["role"] == "wbc" else "the WBCs"
    expected = "–" if row["expected"] is None else f"{row['expected']:.1f}"
    if row["role"] == "wbc":
        where = "this run"  # the WBCs are every CTC's reference
    else:
        where = f"draw {draw}" if draw not in ("", "unknown") else "this draw"
    return (
        f"{str(row['role']).upper()} {row['cell']} and {who} look like different "
        f"individuals: {row['n_opposite']} of {row['n_informative']} informative sites are "
        f"opposite homozygotes, ~{expected} expected for one person; check the sample "
        f"sheet; somatic SNV calls of {where} are unreliable."
    )


def snv_data_checks(loaded: LoadedInputs) -> dict:
    """Same-person (sample-swap) verdicts and switched library kinds of the SNV stage.

    Parameters
    ----------
    loaded
        Inputs with the mutation AnnData; its ``uns["snv"]["identity_check"]`` and
        ``["library_check"]`` are read when present (older outputs lack them).

    Returns
    -------
    dict
        ``identity`` (one row per tested cell, verdict as written: ``same``,
        ``different`` or ``not evaluable``; empty when absent), ``identity_warnings``
        (one text per ``different`` verdict) and ``library_switched`` (cells declared
        amplified but modelled as unamplified: declared and used kind, ``rho``, the
        likelihood-ratio statistic, the number of het sites and ``p_unamplified``, the
        posterior probability of an unamplified library, None in older outputs).
    """
    adata = loaded.snv
    identity = _uns_table(adata, "identity_check", _IDENTITY_COLUMNS)
    library = _uns_table(adata, "library_check", _LIBRARY_COLUMNS)
    rows = [] if identity is None else _records(identity)
    for row in rows:
        row["verdict"] = str(row["verdict"])
    warnings = []
    if rows:
        meta = _cell_meta(loaded, [str(r["cell"]) for r in rows], None)
        for row in rows:
            if row["verdict"] == "different":
                warnings.append(_identity_warning(row, str(meta.loc[str(row["cell"]), "draw"])))
    switched = []
    if library is not None:
        changed = library["declared"].astype(str) != library["used"].astype(str)
        # the posterior of the model average (absent from outputs before it)
        full = adata.uns["snv"]["library_check"]
        posterior = full["p_unamplified"] if "p_unamplified" in full else None
        library = library.assign(p_unamplified=posterior)
        switched = _records(library.loc[changed])
    return {"identity": rows, "identity_warnings": warnings, "library_switched": switched}
