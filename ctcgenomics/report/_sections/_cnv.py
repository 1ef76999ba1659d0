"""Report section 3: copy number per cell and gene-level calls of actionable genes."""

from __future__ import annotations

import pandas as pd

from ctcgenomics.report._inputs import LoadedInputs
from ctcgenomics.report._sections._common import _cell_meta, _records, absent, not_run


def _actionable_genes() -> frozenset[str]:
    from ctcgenomics.actionability import load_kb

    return load_kb().genes


def cnv_cells(loaded: LoadedInputs) -> pd.DataFrame:
    """Per-cell annotation of the copy-number AnnData: draw, role, clone, ploidy, QC.

    ``ploidy_identifiable`` is false where a halved or doubled scale fits as well, or
    where the cell's level error could not be measured (``ploidy_note`` says which).
    """
    adata = loaded.cnv
    obs = adata.obs
    meta = _cell_meta(loaded, adata.obs_names, obs)
    clone = pd.Series("", index=meta.index, dtype=object)
    if "clone" in obs:
        clone = obs["clone"].astype(str).reindex(meta.index)
    if loaded.cnv_clones is not None and {"cell", "clone"} <= set(loaded.cnv_clones.columns):
        table = loaded.cnv_clones.set_index("cell")["clone"].astype(str)
        known = meta.index.isin(table.index)
        clone[known] = table.reindex(meta.index[known]).to_numpy()
    meta["clone"] = clone.fillna("").replace({"": "none", "nan": "none"})
    for col in ("ploidy", "ploidy_identifiable", "qc_pass", "qc_reason"):
        meta[col] = obs[col].to_numpy() if col in obs else None
    # Why a ploidy is not identifiable: the caller appends a reason other than the
    # halved/doubled scale test to the evidence after "; " (a lone cell's unmeasured
    # level error).
    evidence = obs["ploidy_evidence"].astype(str) if "ploidy_evidence" in obs else None
    meta["ploidy_note"] = "half or double fits as well"
    if evidence is not None:
        reason = evidence.str.partition("; ")[2].to_numpy()
        meta.loc[reason != "", "ploidy_note"] = reason[reason != ""]
    return meta.reset_index()


def cnv_section(loaded: LoadedInputs) -> dict:
    """Per-cell copy-number summary and gene-level calls of actionable genes."""
    if loaded.cnv is None:
        return absent(loaded, "cnv", "no copy-number data")
    adata = loaded.cnv
    if "copy_number" not in adata.layers:
        return not_run("the copy-number AnnData has no 'copy_number' layer; rerun the CNV stage")
    cells = cnv_cells(loaded)
    genes: list[dict] = []
    if loaded.alterations is not None:
        alt = loaded.alterations
        actionable = _actionable_genes()
        sel = alt[(alt["kind"] == "copy_number") & alt["gene"].isin(actionable)]
        genes = _records(
            sel.sort_values(["gene", "alteration", "draw"]),
            ("draw", "gene", "alteration", "n_cells_altered", "n_cells_evaluable",
             "prevalence", "ci_low", "ci_high", "evidence"),
        )  # fmt: skip
    chroms = adata.var["chrom"].astype(str) if "chrom" in adata.var else pd.Series(dtype=str)
    return {
        "status": "ok",
        "n_cells": int(adata.n_obs),
        "n_bins": int(adata.n_vars),
        "chromosomes": sorted(set(chroms), key=_chrom_key),
        "cells": _records(cells),
        "gene_calls": genes,
        "gene_calls_note": (
            ""
            if loaded.alterations is not None
            else "gene-level calls come from the alterations table, which was not given"
        ),
        "gene_warnings": cnv_gene_warnings(adata),
        "figures": ["cnv_heatmap"],
    }


def cnv_gene_warnings(adata) -> list[dict]:
    """Return the configured genes the CNV stage could not read from a usable bin."""
    table = adata.uns.get("ctc_cnv", {}).get("gene_warnings")
    if table is None:
        return []
    table = pd.DataFrame(table)
    if not {"gene", "warning"} <= set(table.columns):
        return []
    table = table[table["warning"].astype(str).str.len() > 0]
    return _records(table.sort_values("gene"), ("gene", "warning"))


def _chrom_key(name: str) -> tuple[int, str]:
    core = name.removeprefix("chr")
    return (int(core), "") if core.isdigit() else (100, core)
