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

    python benchmarks/bench_rna_real.py [--draws 10] [--seed 0] [--colon DIR]

``--colon DIR``: also the colorectal 10x epithelial cells of
github.com/broadinstitute/inferCNV_examples ``colon_cancer_10x/colon_cancer_partial``
(commit 4d5c668d; ``counts.small.matrix.gz``, ``sample_annots.small.txt``: 301 cells of
tumour samples of 10 patients, 323 of normal mucosa of 7; not shipped, the repository
states no licence): calls per sample origin at full depth and at 2,000 / 800 UMIs, and
the tumour effect shape fitted by maximum likelihood on one real tumour set and
evaluated on the other (and on simulated draws, seeds 2-4), against the packaged
uniform shape.
"""

from __future__ import annotations

import argparse
import copy
import logging
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp
from bench_rna_grid import FRACTIONS, evaluate, summarise, thin

from ctcgenomics.rna import classify_cells, score_programmes
from ctcgenomics.rna._classify import fit_effect_prior, load_calibration
from ctcgenomics.rna._simulate import simulate_draw

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


def read_colon(folder: str) -> ad.AnnData:
    counts = pd.read_csv(f"{folder}/counts.small.matrix.gz", sep="\t", index_col=0)
    annot = pd.read_csv(f"{folder}/sample_annots.small.txt", sep="\t", header=None, index_col=0)
    group = annot[1].reindex(counts.columns).astype(str)
    obs = pd.DataFrame(
        {"sample": group.str.split("_").str[0], "origin": group.str.split("_").str[1]}
    )
    obs.index = counts.columns
    x = sp.csr_matrix(counts.to_numpy(dtype=np.float32).T)
    return ad.AnnData(X=x, obs=obs, var=pd.DataFrame(index=counts.index))


def colon_calls(colon: ad.AnnData, rng: np.random.Generator) -> None:
    for name, v in (("full depth", colon), ("2,000 UMIs", thin(colon, 2000, rng)),
                    ("800 UMIs", thin(colon, 800, rng))):  # fmt: skip
        classify_cells(v, tumour_type="COADREAD")
        tab = pd.crosstab(v.obs["origin"], v.obs["cell_class"], normalize="index")
        print(f"COADREAD, {name}:\n{tab.round(3).to_string()}\n")


def tumour_fraction(a: ad.AnnData, tumour_type: str, mask: np.ndarray) -> np.ndarray:
    """Strongest tumour programme's enrichment fraction z / z_max of the masked cells."""
    b = a.copy()
    score_programmes(b, tumour_type=tumour_type)
    names = b.uns["programme"]["kinds"]["tumour"]
    z, zmax = b.obsm["programme_z"][names], b.obsm["programme_zmax"][names]
    return (z / zmax.where(zmax > 0)).max(axis=1).to_numpy()[mask]


def sensitivity(a: ad.AnnData, tumour_type: str, cal: dict, truth: np.ndarray) -> float:
    b = classify_cells(a, tumour_type=tumour_type, calibration=cal, copy=True)
    return float((b.obs["cell_class"].to_numpy()[truth] == "CTC").mean())


def shape_transfer(colon: ad.AnnData, rng: np.random.Generator) -> pd.DataFrame:
    mel = ad.read_h5ad(MELANOMA)
    mel_t = (mel.obs["author_label"] == "malignant").to_numpy()
    col_t = (colon.obs["origin"] == "Tumor").to_numpy()
    col800 = thin(colon, 800, rng)
    shapes = {
        "uniform (packaged)": {"a": 1.0, "b": 1.0},
        "fitted on melanoma": fit_effect_prior(tumour_fraction(mel, "MEL", mel_t)),
        "fitted on colon": fit_effect_prior(tumour_fraction(colon, "COADREAD", col_t)),
    }
    rows = []
    for name, shape in shapes.items():
        cal = copy.deepcopy(load_calibration(None))
        cal["effect"]["tumour"] = shape
        row = {"tumour shape": name, "a": shape["a"], "b": shape["b"]}
        row["melanoma"] = sensitivity(mel, "MEL", cal, mel_t)
        row["colon"] = sensitivity(colon, "COADREAD", cal, col_t)
        row["colon 800"] = sensitivity(col800, "COADREAD", cal, col_t)
        for tt, depth in (("BRCA", 800), ("MEL", 2000), ("PRAD", 800)):
            sens = []
            for seed in (2, 3, 4):
                a = simulate_draw(50, 450, tumour_type=tt, depth=20_000, seed=seed)
                a = thin(a, depth, np.random.default_rng(seed))
                sens.append(sensitivity(a, tt, cal, (a.obs["truth"] == "CTC").to_numpy()))
            row[f"sim {tt} {depth}"] = float(np.mean(sens))
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--colon", help="folder of the inferCNV_examples colon data")
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
    if args.colon:
        colon = read_colon(args.colon)
        print("== colorectal epithelial cells (10x), share of each call per sample origin ==")
        colon_calls(colon.copy(), rng)
        print("== tumour effect shape: uniform vs fitted on one real set; CTC sensitivity ==")
        print(shape_transfer(colon, rng).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
