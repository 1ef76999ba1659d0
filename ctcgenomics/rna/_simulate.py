"""Simulated blood-draw scRNA counts with known cell types (tests and benchmarks).

A generative model, not real data: genes are GENCODE protein-coding genes plus every
programme gene; a gene's baseline share of a cell's reads is log-normal; a cell type
raises the genes of its own programmes (log2 fold change drawn per gene and cell type,
mean 3) and *loses* each of them with probability ``marker_loss`` (CTCs lose epithelial
and lineage markers in circulation); CTCs also carry ``ambient`` reads of the blood
programmes (leukocyte RNA in the suspension). Counts are negative binomial around a
log-normal library size. Truth is ``obs["truth"]``.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ctcgenomics.rna._genes import gene_table
from ctcgenomics.rna._programmes import load_programmes, oncotree_programmes

BLOOD_TYPES = {
    "T_NK": ("LEUKOCYTE", "T_NK"),
    "B_CELL": ("LEUKOCYTE", "B_CELL"),
    "MYELOID": ("LEUKOCYTE", "MYELOID"),
    "NEUTROPHIL": ("LEUKOCYTE", "NEUTROPHIL"),
}


def simulate_draw(
    n_ctc: int,
    n_blood: int,
    *,
    tumour_type: str = "BRCA",
    depth: float = 20_000,
    n_genes: int = 8000,
    marker_loss: float = 0.5,
    ambient: float = 0.02,
    n_platelet: int = 0,
    n_erythrocyte: int = 0,
    seed: int = 0,
) -> ad.AnnData:
    """Simulate one draw: CTCs of ``tumour_type`` among leukocytes (and optional others).

    Parameters
    ----------
    n_ctc, n_blood, n_platelet, n_erythrocyte
        Cells of each kind (blood cells are T/NK, B, myeloid and neutrophils in turn).
    tumour_type
        OncoTree code whose programmes the CTCs express.
    depth
        Median counts per cell (log-normal, sd 0.5 on the log scale).
    n_genes
        Background genes besides the programme genes.
    marker_loss
        Probability that a CTC has lost a given marker gene.
    ambient
        Share of a CTC's reads drawn from a leukocyte profile.
    seed
        Seed of everything.

    Returns
    -------
    AnnData
        Integer counts (CSR), ``obs["truth"]`` in {CTC, WBC, platelet, erythrocyte}.
    """
    rng = np.random.default_rng(seed)
    progs = load_programmes()
    panel = list(dict.fromkeys(g for p in progs.values() for g in p.genes))
    table = gene_table()
    coding = table.loc[table["gene_type"] == "protein_coding", "gene_name"].drop_duplicates()
    background = [g for g in coding if g not in set(panel)]
    genes = panel + list(rng.choice(background, n_genes, replace=False))
    idx = {g: i for i, g in enumerate(genes)}
    base = rng.normal(0, 1.5, len(genes))
    base[[idx[g] for g in progs["HOUSEKEEPING"].genes]] += 6.0
    lineage = [g for p in progs if p != "HOUSEKEEPING" for g in progs[p].genes]
    base[[idx[g] for g in lineage]] -= 2.0  # lineage genes are off outside their lineage

    def profile(programmes: tuple[str, ...], loss: float) -> np.ndarray:
        logit = base.copy()
        for name in programmes:
            cols = np.array([idx[g] for g in progs[name].genes])
            keep = rng.random(len(cols)) >= loss
            logit[cols[keep]] += rng.normal(3.0, 1.0, keep.sum()) * np.log(2) * 2
        w = np.exp(logit - logit.max())
        return w / w.sum()

    blood_profiles = [profile(p, 0.1) for p in BLOOD_TYPES.values()]
    tumour = oncotree_programmes()[tumour_type]
    kinds = (
        ["CTC"] * n_ctc + ["WBC"] * n_blood + ["platelet"] * n_platelet
        + ["erythrocyte"] * n_erythrocyte
    )  # fmt: skip
    rows = []
    for i, kind in enumerate(kinds):
        if kind == "CTC":
            p = (1 - ambient) * profile(tumour, marker_loss) + ambient * blood_profiles[i % 4]
        elif kind == "WBC":
            p = blood_profiles[i % 4] * rng.lognormal(0, 0.3, len(genes))
            p /= p.sum()
        else:
            p = profile(("PLATELET",) if kind == "platelet" else ("ERYTHROCYTE",), 0.1)
        lib = depth * rng.lognormal(0, 0.5)
        mu = lib * p
        rows.append(rng.negative_binomial(2.0, 2.0 / (2.0 + mu)))
    x = sp.csr_matrix(np.vstack(rows).astype(np.float32)) if rows else sp.csr_matrix((0, 0))
    order = rng.permutation(len(kinds))
    obs = pd.DataFrame({"truth": np.array(kinds)[order]}, index=[f"cell{i}" for i in order])
    return ad.AnnData(X=x[order], obs=obs, var=pd.DataFrame(index=genes))
