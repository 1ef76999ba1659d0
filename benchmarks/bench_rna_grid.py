"""Robustness grid of the per-cell CTC call: CTC fraction, depth, gene panel, value form.

Two sources, each grid cell reporting AUROC of ``ctc_score``, sensitivity and
specificity of the CTC call (targets of issue 15: >= 0.95, >= 0.90, >= 0.95):

1. the real unCTC breast data (example/breast_ctc_wbc.h5ad), one run per held-out
   patient (its CTCs subsampled to the fraction among the 71 WBCs). Nothing is fitted
   on any patient: the call has no learned parameters. Its gene labels do not match its
   values (docs/rna.md), so the label check is switched off here to show what the
   programmes give on it;
2. simulated draws (ctcgenomics.rna._simulate, known truth), BRCA/PRAD/MEL, 500 cells
   per run (for 1 %: 5 CTCs in 500 cells, pooled over seeds); besides the issue's grid, a
   "designed panel" cell shaped like a sparse targeted data set (69 % CTCs, 800 counts,
   2,545 genes: every programme gene plus the most expressed others);
3. the copy-number term: simulated CTCs whose clone gains/loses 6 chromosomes, with the
   term off and on (10 % and 50 % CTCs, 2,000 and 800 counts).

The calibration was chosen looking at seeds 0-1 (and the real labelled cells of
tests/rna); report figures on other seeds:

    python benchmarks/bench_rna_grid.py [--first-seed 2] [--seeds 3] [--sim-only]

Prints one table per source; the figures in docs/rna.md come from this script. The
reference it is compared with: none of the standard tools makes a per-cell CTC call
(scanpy scores are run-relative); the RATIO column is our AUROC / the AUROC of
``sc.tl.score_genes`` (tumour minus blood programme) on the same run.
"""

from __future__ import annotations

import argparse
import logging
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
import scipy.sparse as sp
from sklearn.metrics import roc_auc_score

from ctcgenomics.rna import classify_cells
from ctcgenomics.rna._programmes import PanelError, load_programmes, programmes_for
from ctcgenomics.rna._simulate import simulate_draw

warnings.filterwarnings("ignore")
EXAMPLE = "example/breast_ctc_wbc.h5ad"
FRACTIONS = {"1%": 0.01, "10%": 0.1, "50%": 0.5, "90%": 0.9, "CTC only": 1.0}


def thin(a: ad.AnnData, depth: int, rng: np.random.Generator) -> ad.AnnData:
    x = sp.csr_matrix(a.X, dtype=np.float64).copy()
    x.data = np.round(x.data)
    for i in range(x.shape[0]):
        lo, hi = x.indptr[i], x.indptr[i + 1]
        tot = x.data[lo:hi].sum()
        if tot > depth:
            x.data[lo:hi] = rng.binomial(x.data[lo:hi].astype(np.int64), depth / tot)
    x.eliminate_zeros()
    return ad.AnnData(X=x, obs=a.obs.copy(), var=a.var.copy())


def variants(a: ad.AnnData, rng: np.random.Generator) -> dict[str, ad.AnnData]:
    out = {"raw": a}
    out["depth 2000"] = thin(a, 2000, rng)
    out["depth 800"] = thin(a, 800, rng)
    keep = rng.choice(a.n_vars, min(2500, a.n_vars), replace=False)
    out["panel 2500"] = a[:, np.sort(keep)].copy()
    norm = a.copy()
    sc.pp.normalize_total(norm, target_sum=1e4)
    out["normalised"] = norm
    return out


def baseline_auroc(a: ad.AnnData, y: np.ndarray, tumour_type: str) -> float:
    b = a.copy()
    sc.pp.normalize_total(b, target_sum=1e4)
    sc.pp.log1p(b)
    progs = programmes_for(tumour_type)
    tum = [g for n, p in progs.items() if p.kind == "tumour" for g in p.genes]
    blood = [g for n, p in progs.items() if p.kind == "blood" for g in p.genes]
    try:
        sc.tl.score_genes(b, [g for g in tum if g in b.var_names], score_name="t")
        sc.tl.score_genes(b, [g for g in blood if g in b.var_names], score_name="b")
    except ValueError:
        return float("nan")
    s = (b.obs["t"] - b.obs["b"]).to_numpy()
    return roc_auc_score(y, s) if 0 < y.sum() < len(y) else float("nan")


def evaluate(a: ad.AnnData, y: np.ndarray, tumour_type: str, check: bool, cnv: bool = True) -> dict:
    try:
        classify_cells(a, tumour_type=tumour_type, check_labels=check, cnv=cnv)
    except PanelError:  # the random panel kept no gene of a required programme
        nan = float("nan")
        return {"y": y, "c": np.zeros(len(y), bool), "auroc": nan, "base": nan, "refused": 1}
    c = (a.obs["cell_class"] == "CTC").to_numpy()
    score = a.obs["ctc_score"].to_numpy()
    both = 0 < y.sum() < len(y)
    return {
        "y": y,
        "c": c,
        "score": score,
        "auroc": roc_auc_score(y, score) if both else float("nan"),
        "base": baseline_auroc(a, y, tumour_type) if both else float("nan"),
        "refused": 0,
    }


def summarise(rows: list[dict], label: str) -> dict:
    y = np.concatenate([r["y"] for r in rows])
    c = np.concatenate([r["c"] for r in rows])
    au = [r["auroc"] for r in rows if np.isfinite(r["auroc"])]
    base = [r["base"] for r in rows if np.isfinite(r["base"])]
    return {
        "cell": label,
        "n_ctc": int(y.sum()),
        "n_other": int((~y).sum()),
        "AUROC (mean)": np.mean(au) if au else np.nan,
        "sensitivity": c[y].mean() if y.any() else np.nan,
        "specificity": (~c[~y]).mean() if (~y).any() else np.nan,
        "RATIO vs score_genes": (np.mean(au) / np.mean(base)) if au and base else np.nan,
        "runs refused (no panel gene)": sum(r["refused"] for r in rows),
    }


def breast_grid(rng: np.random.Generator) -> pd.DataFrame:
    real = ad.read_h5ad(EXAMPLE)
    real.X = sp.csr_matrix(real.X)
    wbc = np.flatnonzero((real.obs["cell_type"] == "WBC").to_numpy())
    out = {}
    for pat in sorted(set(real.obs["patient"]) - {"healthy_donor"}):
        ctc = np.flatnonzero((real.obs["patient"] == pat).to_numpy())
        for fname, frac in FRACTIONS.items():
            if frac == 1.0:
                idx = ctc
            else:
                n_ctc = max(1, round(frac / (1 - frac) * len(wbc)))
                n_ctc = min(n_ctc, len(ctc))
                n_wbc = len(wbc) if frac <= 0.5 else max(1, round(n_ctc * (1 - frac) / frac))
                idx = np.r_[rng.choice(ctc, n_ctc, replace=False), rng.choice(wbc, n_wbc, False)]
            sub = real[idx].copy()
            for vname, v in (variants(sub, rng) if fname == "10%" else {"raw": sub}).items():
                y = (v.obs["cell_type"] == "CTC").to_numpy()
                key = fname if vname == "raw" else f"10% {vname}"
                out.setdefault(key, []).append(evaluate(v, y, "BRCA", check=False))
    return pd.DataFrame([summarise(v, k) for k, v in out.items()])


def designed_panel(a: ad.AnnData, n_genes: int = 2545) -> ad.AnnData:
    """Every programme gene plus the most expressed other genes, n_genes in all."""
    progs = {g for p in load_programmes().values() for g in p.genes}
    inpanel = np.array([g in progs for g in a.var_names])
    mean = np.asarray(a.X.mean(axis=0)).ravel()
    mean[inpanel] = np.inf
    keep = np.sort(np.argsort(-mean)[:n_genes])
    return a[:, keep].copy()


def sim_grid(first: int, seeds: int) -> pd.DataFrame:
    out = {}
    for tt in ("BRCA", "PRAD", "MEL"):
        for seed in range(first, first + seeds):
            rng = np.random.default_rng(seed)
            for fname, frac in FRACTIONS.items():
                n_ctc = 500 if frac == 1 else max(1, round(500 * frac))
                a = simulate_draw(n_ctc, 500 - n_ctc if frac < 1 else 0, tumour_type=tt,
                                  depth=20_000, seed=seed)  # fmt: skip
                vs = variants(a, rng) if fname == "10%" else {"raw": a}
                for vname, v in vs.items():
                    y = (v.obs["truth"] == "CTC").to_numpy()
                    key = f"{tt} {fname}" if vname == "raw" else f"{tt} 10% {vname}"
                    out.setdefault(key, []).append(evaluate(v, y, tt, check=True))
            a = simulate_draw(345, 155, tumour_type=tt, depth=20_000, seed=seed)
            v = designed_panel(thin(a, 800, rng))
            y = (v.obs["truth"] == "CTC").to_numpy()
            out.setdefault(f"{tt} 69% designed panel 2545, depth 800", []).append(
                evaluate(v, y, tt, check=True)
            )
    return pd.DataFrame([summarise(v, k) for k, v in out.items()])


def cnv_grid(first: int, seeds: int) -> pd.DataFrame:
    out = {}
    for tt in ("BRCA", "MEL"):
        for seed in range(first, first + seeds):
            rng = np.random.default_rng(seed)
            for frac in (0.1, 0.5):
                n_ctc = round(500 * frac)
                a = simulate_draw(n_ctc, 500 - n_ctc, tumour_type=tt, depth=20_000,
                                  cnv_chromosomes=6, seed=seed)  # fmt: skip
                for depth in (2000, 800):
                    v = thin(a, depth, rng)
                    y = (v.obs["truth"] == "CTC").to_numpy()
                    for cnv in (False, True):
                        key = f"{tt} {frac:.0%} depth {depth} copy number {'on' if cnv else 'off'}"
                        out.setdefault(key, []).append(evaluate(v.copy(), y, tt, True, cnv=cnv))
    return pd.DataFrame([summarise(v, k) for k, v in out.items()])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first-seed", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sim-only", action="store_true")
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    logging.disable(logging.WARNING)
    last = args.first_seed + args.seeds - 1
    if not args.sim_only:
        print("== real unCTC breast data, per held-out patient (label check off) ==")
        print(breast_grid(np.random.default_rng(0)).round(3).to_string(index=False))
    print(f"\n== simulated draws, seeds {args.first_seed}-{last}, 500 cells, 20k counts ==")
    print(sim_grid(args.first_seed, args.seeds).round(3).to_string(index=False))
    seeds = f"seeds {args.first_seed}-{last}"
    print(f"\n== copy-number term, CTCs with 6 chromosomes gained/lost, {seeds} ==")
    print(cnv_grid(args.first_seed, args.seeds).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
