"""Simulated blood-draw scRNA counts with known cell types (tests and benchmarks).

A generative model, not real data: genes are GENCODE protein-coding genes plus every
programme gene; a gene's baseline share of a cell's reads is log-normal; lineage genes
are silent outside their lineage; a cell type raises the genes of its own programmes
(log2 fold change drawn per gene and cell, N(6, 2); N(14, 2) for the anucleate
platelets and erythrocytes, whose few transcripts are mostly their programme's, as
haemoglobin is most of an erythrocyte's) and *loses* each of them with a
per-cell probability (CTCs lose epithelial and lineage markers in circulation, and some
lose more than others: Beta with mean ``marker_loss`` and standard deviation
``marker_loss_sd``). Every cell carries ambient RNA: a per-cell share (log-normal around
``ambient``) of reads drawn from the suspension's soup, the mean profile of the blood
cells with haemoglobin from lysed erythrocytes. Counts are negative binomial (dispersion
2) around a log-normal library size, so dropout follows from depth. ``n_doublet``
CTC+leukocyte doublets (truth ``doublet``) can be added. Truth is ``obs["truth"]``.
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
    marker_loss_sd: float = 0.15,
    ambient: float = 0.02,
    n_platelet: int = 0,
    n_erythrocyte: int = 0,
    n_doublet: int = 0,
    cnv_chromosomes: int = 0,
    length_bias: bool = False,
    seed: int = 0,
) -> ad.AnnData:
    """Simulate one draw: CTCs of ``tumour_type`` among leukocytes (and optional others).

    Parameters
    ----------
    n_ctc, n_blood, n_platelet, n_erythrocyte, n_doublet
        Cells of each kind (blood cells are T/NK, B, myeloid and neutrophils in turn;
        a doublet is a CTC and a leukocyte in one droplet, truth ``doublet``).
    tumour_type
        OncoTree code whose programmes the CTCs express.
    depth
        Median counts per cell (log-normal, sd 0.5 on the log scale).
    n_genes
        Background genes besides the programme genes.
    marker_loss, marker_loss_sd
        Mean and standard deviation (between CTCs) of the probability that a CTC has
        lost a given marker gene (Beta distributed; ``marker_loss_sd=0``: the same for
        every CTC).
    ambient
        Median share of a cell's reads from the ambient soup (log-normal between cells,
        sd 0.5 on the log scale).
    cnv_chromosomes
        Whole chromosomes (of chr1-22, drawn at random) that the tumour clone gains
        (x1.5) or loses (x0.5), each equally likely; expression of their genes in every
        CTC scales accordingly (0: diploid CTCs).
    length_bias
        Full-length (Smart-seq2-like, non-UMI) reads: a gene's expected reads scale with
        its transcript length (log-normal per gene, median 2,500 bp, sd 0.6 on the log
        scale, drawn from its own seed so the rest of the draw is unchanged), stored in
        ``var["length"]``; ``depth`` is then reads per cell (e.g. 1e6). Off: UMI-like
        counts, ``var["length"]`` absent.
    seed
        Seed of everything.

    Returns
    -------
    AnnData
        Integer counts (CSR), ``obs["truth"]`` in {CTC, WBC, platelet, erythrocyte,
        doublet}.
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

    def profile(programmes: tuple[str, ...], loss: float, lfc: float = 6.0) -> np.ndarray:
        logit = base.copy()
        for name in programmes:
            cols = np.array([idx[g] for g in progs[name].genes])
            keep = rng.random(len(cols)) >= loss
            logit[cols[keep]] += rng.normal(lfc, 2.0, keep.sum()) * np.log(2)
        w = np.exp(logit - logit.max())
        return w / w.sum()

    copy_ratio = np.ones(len(genes))
    if cnv_chromosomes:
        chrom = (
            table.drop_duplicates("gene_name").set_index("gene_name")["chromosome"].reindex(genes)
        )
        autosomes = [f"chr{i}" for i in range(1, 23)]
        for c in rng.choice(autosomes, min(cnv_chromosomes, 22), replace=False):
            copy_ratio[(chrom == c).to_numpy()] = rng.choice([0.5, 1.5])
    # own generator: the UMI-like draw of a seed stays what it was
    length = np.random.default_rng([seed, 1]).lognormal(np.log(2500.0), 0.6, len(genes))
    blood_profiles = [profile(p, 0.1) for p in BLOOD_TYPES.values()]
    soup = 0.9 * np.mean(blood_profiles, axis=0) + 0.1 * profile(("ERYTHROCYTE",), 0.0, 14.0)
    tumour = oncotree_programmes()[tumour_type]
    if marker_loss_sd > 0:
        # Beta with the given mean and sd (concentration kept >= 2 so it stays unimodal)
        m = min(max(marker_loss, 1e-3), 1 - 1e-3)
        conc = max(m * (1 - m) / marker_loss_sd**2 - 1, 2.0)
        losses = rng.beta(m * conc, (1 - m) * conc, n_ctc + n_doublet)
    else:
        losses = np.full(n_ctc + n_doublet, marker_loss)
    kinds = (
        ["CTC"] * n_ctc + ["WBC"] * n_blood + ["platelet"] * n_platelet
        + ["erythrocyte"] * n_erythrocyte + ["doublet"] * n_doublet
    )  # fmt: skip
    rows = []
    n_tumour = 0
    for i, kind in enumerate(kinds):
        if kind in ("CTC", "doublet"):
            p = profile(tumour, losses[n_tumour]) * copy_ratio
            p /= p.sum()
            n_tumour += 1
            if kind == "doublet":
                p = 0.5 * p + 0.5 * blood_profiles[i % 4]
        elif kind == "WBC":
            p = blood_profiles[i % 4] * rng.lognormal(0, 0.3, len(genes))
            p /= p.sum()
        else:
            # anucleate: little RNA, most of it the programme's (haemoglobin, PPBP/PF4)
            p = profile(("PLATELET",) if kind == "platelet" else ("ERYTHROCYTE",), 0.1, 14.0)
        share = min(ambient * rng.lognormal(0, 0.5), 0.5)
        p = (1 - share) * p + share * soup
        # anucleate cells hold little RNA
        lib = depth * rng.lognormal(0, 0.5) * (0.25 if kind in ("platelet", "erythrocyte") else 1)
        if length_bias:
            p = p * length
            p /= p.sum()
        mu = lib * p
        rows.append(rng.negative_binomial(2.0, 2.0 / (2.0 + mu)))
    x = sp.csr_matrix(np.vstack(rows).astype(np.float32)) if rows else sp.csr_matrix((0, 0))
    order = rng.permutation(len(kinds))
    obs = pd.DataFrame({"truth": np.array(kinds)[order]}, index=[f"cell{i}" for i in order])
    out = ad.AnnData(X=x[order], obs=obs, var=pd.DataFrame(index=genes))
    out.var["copy_ratio"] = copy_ratio
    if length_bias:
        out.var["length"] = length
    return out
