"""Per-cell CTC call on real, correctly labelled tumour and immune cells (held out).

Data (tests/data/rna/README.md): 150 cells of two metastatic melanomas (Tirosh et al.
2016, GSE72056; 39 malignant cells of tumour Mel80, 85 T/B/NK/macrophages, 18
CAFs/endothelial cells, 8 unresolved) and 180 non-malignant cells of head and neck
squamous cell carcinomas (Puram et al. 2017, GSE103322; 140 immune, 40 stromal), both
Smart-seq2, log2(TPM/10 + 1), the authors' labels. Nothing is fitted on them: the
call's only fitted parameters (the blood shape) come from other data.

Prints, for the melanoma cells with tumour type MEL, the issue-15 grid: tumour fraction
1 %, 10 %, 50 %, 90 %, tumour cells only (malignant cells subsampled among the immune
cells, several draws), and at 10 % reads drawn down to 2,000 and 800 per cell
(multinomial from each cell's TPM), a random 2,500-gene panel and TPM scaled to 10^4
(normalised input); then every label's calls on the full sets, for MEL and for other
tumour codes (the HNSCC cells have no tumour cells: immune specificity only).

    python benchmarks/bench_rna_real.py [--draws 10] [--seed 0]
"""

from __future__ import annotations

import argparse
import logging
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp
from bench_rna_grid import FRACTIONS, evaluate, summarise

from ctcgenomics.rna import classify_cells

warnings.filterwarnings("ignore")
MELANOMA = "tests/data/rna/tirosh2016_melanoma_150.h5ad"
HNSCC = "tests/data/rna/puram2017_hnscc_180.h5ad"
IMMUNE = ("T", "B", "B cell", "NK", "Macrophage", "CD4 T cell", "CD8 T cell", "reg. T cell",
          "Dendritic", "Mast")  # fmt: skip


def tpm(a: ad.AnnData) -> sp.csr_matrix:
    """TPM from the shipped log2(TPM/10 + 1) values."""
    x = sp.csr_matrix(a.X, dtype=np.float64).copy()
    x.data = 10.0 * (np.exp2(x.data) - 1.0)
    return x


def draw_reads(a: ad.AnnData, depth: int, rng: np.random.Generator) -> ad.AnnData:
    """``depth`` reads per cell drawn from its TPM proportions (a sparse 3' library)."""
    x = tpm(a)
    for i in range(x.shape[0]):
        lo, hi = x.indptr[i], x.indptr[i + 1]
        p = x.data[lo:hi] / x.data[lo:hi].sum()
        x.data[lo:hi] = rng.multinomial(depth, p)
    x.eliminate_zeros()
    return ad.AnnData(X=x, obs=a.obs.copy(), var=a.var.copy())


def variants(a: ad.AnnData, rng: np.random.Generator) -> dict[str, ad.AnnData]:
    out = {"raw": a, "depth 2000": draw_reads(a, 2000, rng), "depth 800": draw_reads(a, 800, rng)}
    keep = np.sort(rng.choice(a.n_vars, 2500, replace=False))
    out["panel 2500"] = a[:, keep].copy()
    x = tpm(a)
    x = sp.diags(1e4 / np.asarray(x.sum(axis=1)).ravel()) @ x
    out["normalised"] = ad.AnnData(X=sp.csr_matrix(x), obs=a.obs.copy(), var=a.var.copy())
    return out


def melanoma_grid(draws: int, rng: np.random.Generator) -> pd.DataFrame:
    mel = ad.read_h5ad(MELANOMA)
    lab = mel.obs["author_label"].astype(str).to_numpy()
    tum = np.flatnonzero(lab == "malignant")
    imm = np.flatnonzero(np.isin(lab, IMMUNE))
    out: dict[str, list[dict]] = {}
    for fname, frac in FRACTIONS.items():
        for _ in range(1 if frac == 1.0 else draws):
            if frac == 1.0:
                idx = tum
            else:
                n_t = min(len(tum), max(1, round(frac / (1 - frac) * len(imm))))
                n_i = len(imm) if frac <= 0.5 else max(1, round(n_t * (1 - frac) / frac))
                idx = np.r_[rng.choice(tum, n_t, replace=False), rng.choice(imm, n_i, False)]
            sub = mel[np.sort(idx)].copy()
            for vname, v in (variants(sub, rng) if fname == "10%" else {"raw": sub}).items():
                y = (v.obs["author_label"] == "malignant").to_numpy()
                key = fname if vname == "raw" else f"10% {vname}"
                row = evaluate(v, y, "MEL", check=True)
                row["unassigned"] = (v.obs["cell_class"] == "unassigned").to_numpy()
                out.setdefault(key, []).append(row)
    return pd.DataFrame([with_unassigned(v, k) for k, v in out.items()])


def with_unassigned(rows: list[dict], label: str) -> dict:
    """The grid summary plus the shares of tumour and immune cells left unassigned."""
    out = summarise(rows, label)
    y = np.concatenate([r["y"] for r in rows])
    u = np.concatenate([r["unassigned"] for r in rows])
    out["tumour unassigned"] = u[y].mean() if y.any() else np.nan
    out["immune unassigned"] = u[~y].mean() if (~y).any() else np.nan
    del out["RATIO vs score_genes"]
    return out


def label_table(path: str, tumour_type: str) -> pd.DataFrame:
    a = ad.read_h5ad(path)
    classify_cells(a, tumour_type=tumour_type)
    tab = pd.crosstab(a.obs["author_label"], a.obs["cell_class"])
    tab.insert(0, "tumour_type", tumour_type)
    return tab


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    logging.disable(logging.WARNING)
    rng = np.random.default_rng(args.seed)
    print(f"== melanoma (Tirosh 2016), MEL, {args.draws} draws per fraction, seed {args.seed} ==")
    print(melanoma_grid(args.draws, rng).round(3).to_string(index=False))
    for path, codes in ((MELANOMA, ("MEL", "BRCA")),
                        (HNSCC, ("HNSC", "BRCA", "LUAD", "COADREAD", "MEL"))):  # fmt: skip
        print(f"\n== {path}: calls per author label ==")
        for code in codes:
            print(label_table(path, code).to_string(), "\n")


if __name__ == "__main__":
    main()
