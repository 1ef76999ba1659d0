"""Report section 5: cell classes, EMT/stemness states and biomarker phenotypes."""

from __future__ import annotations

from ctcgenomics.report._inputs import LoadedInputs
from ctcgenomics.report._sections._common import absent, clean, not_run


def rna_section(loaded: LoadedInputs) -> dict:
    """Cell classes, EMT/stemness states and biomarker phenotypes of CTCs per draw."""
    if loaded.rna is None:
        return absent(loaded, "rna", "no RNA data")
    rna = loaded.rna
    if "cell_class" not in rna or "draw" not in rna:
        return not_run("the RNA cell table lacks cell_class/draw columns; rerun the RNA stage")
    per_draw = []
    for draw, sub in rna.groupby(rna["draw"].astype(str), sort=True):
        ctc = sub[sub["cell_class"] == "CTC"]
        row: dict[str, object] = {
            "draw": draw,
            "n_cells": len(sub),
            "classes": {str(k): int(v) for k, v in sub["cell_class"].value_counts().items()},
            "n_ctc": len(ctc),
        }
        row["emt_states"] = (
            {str(k): int(v) for k, v in ctc["emt_state"].value_counts().items()}
            if "emt_state" in ctc
            else {}
        )
        markers = {}
        for gene in ("ERBB2", "ESR1", "PGR", "AR"):
            col = f"{gene}_level"
            if col in ctc:
                measured = ctc[col].astype(str) != "not_measured"
                markers[f"{gene} high"] = [int((ctc[col] == "high").sum()), int(measured.sum())]
        if "cd44_cd24" in ctc:
            markers["CD44+/CD24-"] = [int((ctc["cd44_cd24"] == "CD44+/CD24-").sum()), len(ctc)]
        if "arv7" in ctc and (ctc["arv7"].astype(str) != "not_measured").any():
            markers["AR-V7"] = [int((ctc["arv7"] == "positive").sum()), len(ctc)]
        row["phenotypes"] = markers
        per_draw.append(clean(row))
    figures = ["emt_stemness"] if {"emt_score", "stemness"} <= set(rna.columns) else []
    return {"status": "ok", "n_cells": len(rna), "per_draw": per_draw, "figures": figures}
