"""Expression phenotypes of each draw's CTCs as rows of the alterations table."""

from __future__ import annotations

from functools import partial

import pandas as pd
from anndata import AnnData

from ctcgenomics.io.alterations import alteration_row, alterations_frame
from ctcgenomics.rna._signatures import BIOMARKERS


def expression_alterations(
    adata: AnnData, patient: str, *, draw_key: str = "draw", source: str = "ctcg rna"
) -> pd.DataFrame:
    """Expression phenotypes with prevalence across each draw's CTCs (kind ``expression``).

    One row per draw x phenotype, in the agreed alteration vocabulary:
    ``EXPRESSION_HIGH`` for ERBB2/ESR1/PGR/AR (``high`` level among the CTCs where the gene
    was measured), ``EXPRESSION_LOW`` for ERBB2 (HER2-low-like: detected below the high
    level) and ``AR-V7_POSITIVE`` (gene ``AR``) when AR-V7 isoform or junction counts
    exist. EMT and CD44/CD24 states are cell states, not alterations: they are in
    ``cells.tsv`` and the report.
    """
    for col in ("cell_class", *[f"{g}_level" for g in BIOMARKERS], "arv7"):
        if col not in adata.obs:
            raise KeyError(
                f"expression_alterations: obs[{col!r}] missing; run classify_cells and "
                "biomarker_status (or analyse) first"
            )
    rows = []
    draws = (
        adata.obs[draw_key].astype(str)
        if draw_key in adata.obs
        else pd.Series("NA", index=adata.obs_names)
    )
    thresholds = adata.uns["biomarker"]["params"]["high_cp10k"]
    for draw in sorted(draws.unique()):
        ctc = adata.obs[(draws == draw).to_numpy() & (adata.obs["cell_class"] == "CTC").to_numpy()]
        n = len(ctc)
        row = partial(alteration_row, patient=patient, draw=draw, kind="expression", source=source)
        for gene in BIOMARKERS:
            level = ctc[f"{gene}_level"]
            evaluable = int((level != "not_measured").sum())
            high = int((level == "high").sum())
            thr = thresholds[gene]
            rows.append(
                row(
                    gene=gene,
                    alteration="EXPRESSION_HIGH",
                    n_cells_altered=high,
                    n_cells_evaluable=evaluable,
                    evidence=f"{high}/{evaluable} CTCs >= {thr:g} counts per 10k",
                )
            )
            if gene == "ERBB2":
                low = int((level == "low").sum())
                rows.append(
                    row(
                        gene=gene,
                        alteration="EXPRESSION_LOW",
                        n_cells_altered=low,
                        n_cells_evaluable=evaluable,
                        evidence=f"{low}/{evaluable} CTCs detected below {thr:g} counts per "
                        "10k (HER2-low-like; not an IHC score)",
                    )
                )
        if n and (ctc["arv7"] != "not_measured").any():
            pos = int((ctc["arv7"] == "positive").sum())
            rows.append(
                row(
                    gene="AR",
                    alteration="AR-V7_POSITIVE",
                    n_cells_altered=pos,
                    n_cells_evaluable=n,
                    evidence=f"AR-V7 isoform/junction counts in {pos}/{n} CTCs",
                )
            )
    return alterations_frame(rows)
