"""The CTC/WBC decision on simulated cells with known copy-number truth, and its parts."""

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from ctcgenomics.rna import classify_cells, crossfit_cnv_correlation
from ctcgenomics.rna._genes import gene_table
from ctcgenomics.rna._null import empirical_pvalue, two_group_posterior, typical_of_called
from ctcgenomics.rna._pipeline import merge_params

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


@pytest.mark.parametrize(("n_wbc", "n_ctc"), [(60, 8), (20, 30)])
def test_copy_number_truth_decides(n_wbc, n_ctc):
    adata, y = simulate(n_wbc, n_ctc)
    classify_cells(adata)
    call = (adata.obs["cell_class"] == "CTC").to_numpy()
    assert adata.uns["cell_class"]["decided_by"] == "cnv_correlation"
    assert call[y].mean() >= 0.9
    assert (~call[~y]).mean() >= 0.9
    # null cells are presumed leukocytes; confidence is the called class's posterior
    assert y[adata.obs["ctc_null"].to_numpy(bool)].mean() <= 0.1
    conf = adata.obs["cell_class_confidence"].to_numpy()
    prob = adata.obs["ctc_probability"].to_numpy()
    np.testing.assert_allclose(conf, np.where(call, prob, 1 - prob))
    assert adata.uns["cell_class"]["params"]["null_quantile"] == 0.95


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


def test_too_few_cells_markers_decide():
    adata, y = simulate(8, 2, marker_signal=3.0)
    classify_cells(adata)
    assert adata.uns["cell_class"]["decided_by"] == "marker_evidence"
    assert list(adata.obs["cell_class"][y]) == ["CTC", "CTC"]


def test_low_quality_cells_keep_their_class():
    adata, _ = simulate(40, 8)
    adata.obs["qc_pass"] = True
    adata.obs.iloc[:3, adata.obs.columns.get_loc("qc_pass")] = False
    classify_cells(adata)
    assert list(adata.obs["cell_class"][:3]) == ["low-quality"] * 3
    assert adata.obs["ctc_score"][:3].isna().all()


def test_empirical_pvalue_by_hand():
    null = np.array([0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(empirical_pvalue([0.05, 0.3, 0.5], null), [1.0, 3 / 5, 1 / 5])


def test_typical_of_called_drops_the_low_tail_only():
    # 30 tumour cells tightly around 0.93 and 12 leaked leukocytes around 0.75, all above
    # the null quantile: the leukocytes are low outliers of the called group.
    rng = np.random.default_rng(1)
    tumour = rng.normal(0.93, 0.015, 30)
    leaked = rng.normal(0.75, 0.02, 12)
    below = rng.normal(0.2, 0.2, 50)
    s = np.r_[tumour, leaked, below]
    call = np.r_[np.ones(42, bool), np.zeros(50, bool)]
    kept = typical_of_called(s, call, 2.5)
    assert kept[:30].all() and not kept[30:].any()
    # one homogeneous called group loses (almost) nothing; too few calls are left alone
    assert (
        typical_of_called(s, np.r_[np.ones(30, bool), np.zeros(62, bool)], 2.5)[:30].mean() >= 0.9
    )
    few = np.zeros(92, bool)
    few[[0, 35]] = True
    np.testing.assert_array_equal(typical_of_called(s, few, 2.5), few)


def test_two_group_posterior_monotone_and_degenerate():
    rng = np.random.default_rng(0)
    s = np.r_[rng.normal(0, 1, 50), rng.normal(5, 1, 10)]
    call = s > 2.5
    post = two_group_posterior(s, call)
    order = np.argsort(s)
    assert (np.diff(post[order]) >= 0).all()
    assert post[s > 4.5].min() > 0.95 and post[s < 0].max() < 0.05
    np.testing.assert_array_equal(two_group_posterior(s, np.zeros(60, bool)), 0.0)


def test_retired_and_unknown_config_keys():
    p = merge_params({"classify": {"min_probability": 0.5, "null_quantile": 0.9}})
    assert "min_probability" not in p["classify"] and p["classify"]["null_quantile"] == 0.9
    with pytest.raises(ValueError, match=r"unknown key.*nul_quantile"):
        merge_params({"classify": {"nul_quantile": 0.9}})
