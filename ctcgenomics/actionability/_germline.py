"""Germline findings: inherited variants in cancer-predisposition genes, reported apart.

A variant the SNV step writes with ``origin=germline`` (supported by the patient's WBCs)
is constitutional: it is in every cell, has consequences for relatives, and is reported
in its own section of the actionability output (JSON key ``germline_findings``), flagged
"germline, confirm in a certified laboratory". ctcgenomics does not assess pathogenicity;
the knowledge base's germline entries (e.g. germline BRCA1/2 and PARP inhibitors) match
only truncating variants or known hotspots.
"""

from __future__ import annotations

import pandas as pd

from ctcgenomics.actionability._data import _read_table, predisposition_genes
from ctcgenomics.actionability._match import CONFIRM_GERMLINE

GERMLINE_NOTE = (
    "Inherited variant in a cancer-predisposition gene, seen in the patient's white blood "
    "cells. ctcgenomics does not classify its pathogenicity. Confirm in a certified "
    "laboratory on a germline sample and offer genetic counselling before any use."
)


def germline_findings(alterations: pd.DataFrame, matches: pd.DataFrame) -> list[dict[str, object]]:
    """List germline variants in predisposition genes with what they match.

    Parameters
    ----------
    alterations
        The patient's alterations table (all draws) with an ``origin`` column.
    matches
        The patient's match table (:func:`ctcgenomics.actionability.match`).

    Returns
    -------
    list of dict
        One record per (gene, alteration): ``gene``, ``alteration``, ``origin``,
        ``flag``, ``predisposition`` (syndrome or label use), ``note``, ``draws`` (draw,
        cells altered/evaluable, evidence) and ``matches`` (therapy, level, label level,
        direction, tumour-type match, context status, entry, sources).
    """
    for col in ("gene", "alteration", "draw"):
        if col not in alterations.columns:
            raise ValueError(f"alterations lack column {col!r}; pass a checked alterations table")
    if "origin" not in alterations.columns or alterations.empty:
        return []
    genes = predisposition_genes()
    use = dict(
        _read_table("predisposition_genes.tsv").loc[:, ["gene", "syndrome_or_use"]].to_numpy()
    )
    sel = alterations[(alterations["origin"] == "germline") & alterations["gene"].isin(genes)]
    out: list[dict[str, object]] = []
    for (gene, alteration), grp in sel.groupby(["gene", "alteration"], sort=True):
        hits = pd.DataFrame()
        if not matches.empty:
            hits = matches[(matches["gene"] == gene) & (matches["alteration"] == alteration)]
        seen = set()
        found = []
        for r in hits.to_dict("records"):
            key = (r["therapy"], r["direction"], r["entry_id"])
            if key in seen:
                continue
            seen.add(key)
            found.append(
                {
                    k: r[k]
                    for k in (
                        "therapy",
                        "level",
                        "label_level",
                        "level_system",
                        "direction",
                        "tumour_type_match",
                        "context_status",
                        "entry_id",
                        "sources",
                    )
                }
            )
        out.append(
            {
                "gene": gene,
                "alteration": alteration,
                "origin": "germline",
                "flag": CONFIRM_GERMLINE,
                "predisposition": use.get(gene, ""),
                "note": GERMLINE_NOTE,
                "draws": [
                    {
                        "draw": str(r["draw"]),
                        "n_cells_altered": int(r["n_cells_altered"]),
                        "n_cells_evaluable": int(r["n_cells_evaluable"]),
                        "evidence": str(r.get("evidence", "")),
                    }
                    for r in grp.to_dict("records")
                ],
                "matches": found,
            }
        )
    return out
