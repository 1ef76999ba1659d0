"""Classification on simulated draws written the way public full-length data sets are.

Public CTC scRNA-seq (Smart-seq2-like, non-UMI) comes as read counts of 1-5 M reads per
cell with a gene-length bias, or as TPM / FPKM, log2(TPM + 1) or log1p(CPM), with HGNC
symbols or Ensembl IDs (a symbol column in ``var``). Every shape below is made from the
same simulated draw (``simulate_draw(..., length_bias=True)``: expected reads scale with
a per-gene transcript length), classified with the public API's defaults, and scored
against the simulated truth (CTC vs every other cell).

Usage: ``python benchmarks/bench_rna_shapes.py --first-seed 2 --seeds 3`` (add
``--mixed-platform --tumour-types BRCA,MEL`` for full-length CTCs beside UMI PBMCs).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData
from sklearn.metrics import roc_auc_score

from ctcgenomics.rna import classify_cells
from ctcgenomics.rna._genes import gene_table
from ctcgenomics.rna._simulate import simulate_draw


def _with_x(a: AnnData, x: sp.csr_matrix) -> AnnData:
    return AnnData(X=sp.csr_matrix(x, dtype=np.float64), obs=a.obs.copy(), var=a.var.copy())


def shapes(a: AnnData) -> dict[str, tuple[AnnData, dict]]:
    """Each shape of the reads draw ``a`` and the keyword arguments it is classified with."""
    reads = sp.csr_matrix(a.X, dtype=np.float64)
    length = a.var["length"].to_numpy()
    per_kb = reads @ sp.diags(1e3 / length)
    tpm = sp.diags(1e6 / np.asarray(per_kb.sum(axis=1)).ravel()) @ per_kb
    fpkm = sp.diags(1e6 / np.asarray(reads.sum(axis=1)).ravel()) @ per_kb
    cpm = sp.diags(1e6 / np.asarray(reads.sum(axis=1)).ravel()) @ reads
    log2tpm, log1pcpm = tpm.copy(), cpm.copy()
    log2tpm.data = np.log2(log2tpm.data + 1)
    log1pcpm.data = np.log1p(log1pcpm.data)
    out = {
        "reads": (_with_x(a, reads), {}),
        "TPM": (_with_x(a, tpm), {}),
        "FPKM": (_with_x(a, fpkm), {}),
        "log2(TPM+1)": (_with_x(a, log2tpm), {}),
        "log1p(CPM)": (_with_x(a, log1pcpm), {}),
    }
    ids = gene_table().drop_duplicates("gene_name").set_index("gene_name")["gene_id"]
    ens = _with_x(a, tpm)
    ens.var["symbol"] = ens.var_names.to_numpy()
    ens.var_names = [f"{ids[g]}.12" for g in ens.var_names]
    out["TPM, Ensembl.version + var['symbol']"] = (ens, {"gene_symbols": "symbol"})
    bare = ens.copy()
    bare.var = bare.var.drop(columns="symbol")
    out["TPM, Ensembl.version var_names"] = (bare, {})
    out.update(_name_shapes(_with_x(a, tpm)))
    return out


def _name_shapes(a: AnnData) -> dict[str, tuple[AnnData, dict]]:
    """Duplicated symbols, make_unique suffixes, previous symbols, mixed case (on TPM)."""
    from ctcgenomics.rna._genes import previous_symbols

    rng = np.random.default_rng(0)
    names = a.var_names.to_numpy()
    # a fifth of the genes (every programme gene among them) measured by two IDs
    split = np.unique(np.r_[np.arange(0, len(names), 5), np.arange(300)])
    share = rng.uniform(0.2, 0.8, len(split))
    x = sp.csr_matrix(a.X)
    second = x[:, split] @ sp.diags(1 - share)
    first = x.tolil(copy=True)
    first[:, split] = x[:, split] @ sp.diags(share)
    both = sp.hstack([first.tocsr(), second]).tocsr()
    out = {}
    for name, suffix in (("duplicated symbols", ""), ("make_unique suffixes -1", "-1")):
        dup = AnnData(X=both, obs=a.obs.copy())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dup.var_names = list(names) + [f"{g}{suffix}" for g in names[split]]
        out[f"TPM, {name}"] = (dup, {})
    old = a.copy()
    back = {new: prev for prev, new in previous_symbols().items()}
    old.var_names = [back.get(g, g) for g in names]
    out["TPM, previous symbols (ACPP, SILV...)"] = (old, {})
    cased = a.copy()
    cased.var_names = [
        g.lower() if i % 3 == 0 else g.capitalize() if i % 3 == 1 else g
        for i, g in enumerate(names)
    ]
    out["TPM, a third lower- and a third title-case"] = (cased, {})
    return out


def evaluate(a: AnnData, kwargs: dict, tumour_type: str) -> dict[str, float]:
    """Sensitivity, specificity (CTC call) and AUROC of ``ctc_probability``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            classify_cells(a, tumour_type=tumour_type, **kwargs)
    except Exception as err:  # the shape is refused: report it
        return {"error": f"{type(err).__name__}: {str(err)[:120]}"}
    truth = a.obs["truth"].to_numpy() == "CTC"
    call = a.obs["cell_class"].to_numpy() == "CTC"
    prob = a.obs["ctc_probability"].to_numpy()
    auc = roc_auc_score(truth, np.nan_to_num(prob)) if np.isfinite(prob).any() else np.nan
    return {
        "n_ctc": int(truth.sum()),
        "sensitivity": float(call[truth].mean()),
        "specificity": float(1 - call[~truth].mean()),
        "auroc": float(auc),
        "label_check": a.uns["cell_class"]["label_check"]["status"],
    }


def mixed_platform(tumour_types: list[str], seeds: range) -> pd.DataFrame:
    """CTCs and leukocytes of a full-length study beside 10x-like PBMCs: copy-number term.

    50 CTCs + 50 leukocytes at 2 M full-length reads and 450 leukocytes at 5,000 UMIs
    (diploid CTCs); sensitivity, study leukocytes called CTC and the term's status with
    the copy-number term off and on.
    """
    import anndata as ad

    rows = []
    for tt in tumour_types:
        for seed in seeds:
            study = simulate_draw(50, 50, tumour_type=tt, depth=2e6, length_bias=True, seed=seed)
            study.obs["study"] = "full-length"
            pbmc = simulate_draw(0, 450, tumour_type=tt, depth=5000, seed=seed)
            pbmc.obs["study"] = "UMI"
            pbmc.obs_names = [f"pbmc{c}" for c in pbmc.obs_names]
            m = ad.concat([study, pbmc])
            m.X = sp.csr_matrix(m.X)
            ctc = m.obs["truth"].eq("CTC").to_numpy()
            own = (m.obs["truth"].eq("WBC") & m.obs["study"].eq("full-length")).to_numpy()
            row = {"tumour": tt, "seed": seed}
            for cnv in (False, True):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    classify_cells(m, tumour_type=tt, cnv=cnv)
                call = m.obs["cell_class"].eq("CTC").to_numpy()
                tag = "on" if cnv else "off"
                row[f"sensitivity {tag}"] = round(float(call[ctc].mean()), 3)
                row[f"study WBC called CTC {tag}"] = int(call[own].sum())
            row["term"] = m.uns["cell_class"]["cnv"]["status"][:60]
            rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--first-seed", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--tumour-types", default="BRCA,PRAD,MEL")
    ap.add_argument("--depth", type=float, default=2e6)
    ap.add_argument(
        "--mixed-platform", action="store_true", help="only the full-length + UMI mixture"
    )
    args = ap.parse_args()
    if args.mixed_platform:
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        print(mixed_platform(args.tumour_types.split(","), seeds).to_string())
        return
    rows = []
    for tt in args.tumour_types.split(","):
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            a = simulate_draw(
                50, 450, tumour_type=tt, depth=args.depth, length_bias=True, seed=seed
            )
            for name, (shaped, kwargs) in shapes(a).items():
                rows.append({"tumour": tt, "shape": name, "seed": seed,
                             **evaluate(shaped, kwargs, tt)})  # fmt: skip
    res = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 130)
    if "error" in res:
        print(res[res["error"].notna()][["tumour", "shape", "seed", "error"]].to_string())
        res = res[res["error"].isna()]
    agg = res.groupby(["tumour", "shape"], sort=False).agg(
        n_ctc=("n_ctc", "sum"),
        sensitivity=("sensitivity", "mean"),
        specificity=("specificity", "mean"),
        auroc=("auroc", "mean"),
        label_check=("label_check", lambda s: ",".join(sorted(set(s)))),
    )
    print(agg.round(3).to_string())


if __name__ == "__main__":
    main()
