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
    }
