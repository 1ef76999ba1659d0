"""Copy number inferred from expression: cross-fitted correlation with a tumour profile."""

import anndata as ad
import numpy as np
import pandas as pd

from ctcgenomics.rna._cnv import crossfit_cnv_correlation
from ctcgenomics.rna._genes import gene_table

LEUKO = ["PTPRC", "CD52", "CORO1A", "LCP1", "LAPTM5", "ARHGDIB", "CD53", "SRGN"]
EPI = ["EPCAM", "KRT8", "KRT18", "KRT19", "CDH1", "CLDN4"]


def simulate(n_wbc=60, n_ctc=10, seed=0, marker_signal=0.5):
    """Log-expression of WBCs and tumour cells; tumour cells gain chr3 and lose chr5.

    Markers carry only a weak signal (``marker_signal`` log units), as on real CTCs,
    so the copy-number pattern must decide.
    """
    rng = np.random.default_rng(seed)
    table = gene_table()
    table = table[table["gene_type"] == "protein_coding"].drop_duplicates("gene_name")
    genes = table[table["chromosome"].isin([f"chr{i}" for i in range(1, 9)])]
    names = list(dict.fromkeys([*LEUKO, *EPI, *genes["gene_name"].iloc[::4]]))
    chrom = table.set_index("gene_name")["chromosome"].reindex(names).to_numpy()
    n = n_wbc + n_ctc
    base = rng.gamma(2.0, 0.5, len(names))
    x = base + rng.normal(0, 0.6, (n, len(names)))
    y = np.r_[np.zeros(n_wbc, bool), np.ones(n_ctc, bool)]
    x[np.ix_(y, chrom == "chr3")] += 0.8
    x[np.ix_(y, chrom == "chr5")] -= 0.8
    idx = {g: i for i, g in enumerate(names)}
    x[np.ix_(~y, [idx[g] for g in LEUKO])] += marker_signal
    x[np.ix_(y, [idx[g] for g in EPI])] += marker_signal
    x = np.clip(x, 0, None)
    obs = pd.DataFrame(index=[f"c{i}" for i in range(n)])
    return ad.AnnData(X=x, obs=obs, var=pd.DataFrame(index=names)), y


def test_reference_cells_scored_out_of_reference():
    # In-sample reference cells are pulled towards the reference mean; cross-fitting
    # scores them like the leukocytes outside the reference (same distribution).
    adata, y = simulate(80, 10, seed=3, marker_signal=0.0)
    rng = np.random.default_rng(0)
    wbc = np.flatnonzero(~y)
    ref = np.zeros(len(y), bool)
    ref[rng.choice(wbc, 40, replace=False)] = True
    score = crossfit_cnv_correlation(adata, ref, y)
    other_wbc = ~y & ~ref
    assert abs(np.median(score[ref]) - np.median(score[other_wbc])) < 0.15
    assert score[y].min() > np.quantile(score[ref], 0.95)
