"""Real breast CTC / healthy-donor WBC data (unCTC study): the CTC/WBC call.

Thresholds are those of the issue that asked for a usable call (AUROC >= 0.95 of the
continuous score and balanced accuracy >= 0.9 of the discrete call at default settings),
not numbers read off a run. Nothing is learned from the labels: the marker panels are
fixed, and reference, seed and threshold are chosen by the run itself.
"""

import anndata as ad
import numpy as np
import pytest
import scanpy as sc
from sklearn.metrics import roc_auc_score

from ctcgenomics.rna import classify_cells, qc_cells, read_counts

from .conftest import EXAMPLE


@pytest.fixture(scope="module")
def real():
    adata = read_counts(EXAMPLE)
    truth = ad.read_h5ad(EXAMPLE).obs.reindex(adata.obs_names)
    return adata, truth


def classify(adata):
    adata = adata.copy()
    qc_cells(adata)
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    classify_cells(adata)
    return adata


def sens_spec(adata, truth):
    y = (truth["cell_type"].reindex(adata.obs_names) == "CTC").to_numpy()
    ok = adata.obs["qc_pass"].to_numpy(bool)
    call = (adata.obs["cell_class"] == "CTC").to_numpy()
    sens = (call & y & ok).sum() / (y & ok).sum()
    spec = (~call & ~y & ok).sum() / (~y & ok).sum()
    return y, ok, sens, spec


def test_whole_run_auroc_and_balanced_accuracy(real):
    adata = classify(real[0])
    y, ok, sens, spec = sens_spec(adata, real[1])
    assert ok.all()  # every cell of this data passes the default QC
    assert adata.uns["cell_class"]["decided_by"] == "cnv_correlation"
    assert roc_auc_score(y[ok], adata.obs["ctc_score"].to_numpy()[ok]) >= 0.95
    assert (sens + spec) / 2 >= 0.9
    # issue 5 follow-up: specificity >= 0.9 while sensitivity stays >= 0.85
    assert spec >= 0.9 and sens >= 0.85
    # the confidence is a probability of the called class and agrees with the call
    prob = adata.obs["ctc_probability"].to_numpy()
    assert ((prob >= 0) & (prob <= 1)).all()
    called = (adata.obs["cell_class"] == "CTC").to_numpy()
    assert np.mean((prob >= 0.5) == called) >= 0.9
    # naive epithelial marker evidence alone is clearly worse on this data
    assert roc_auc_score(y[ok], adata.obs["score_epithelial"].to_numpy()[ok]) < 0.8


def test_few_ctcs_among_many_wbcs_not_overcalled(real):
    # The demo patient's composition: 7 CTCs (P7, P9) among all 71 WBCs. The former
    # mixture rule called 58 cells CTC here (issue); a sensible call finds most of the 7
    # without calling most leukocytes.
    adata, truth = real
    keep = (truth["patient"].isin(["P7", "P9"]) | (truth["cell_type"] == "WBC")).to_numpy()
    out = classify(adata[keep])
    _, _, sens, spec = sens_spec(out, truth)
    assert sens >= 5 / 7
    assert spec >= 0.7
    assert out.uns["cell_class"]["counts"]["CTC"] < 58 / 2


def test_demo_composition_specificity(real):
    # The demo patient P01: CTCs of P3 and P4 (22) among all 71 WBCs, one run. Issue 5
    # asked for specificity >= 0.9 at default settings, sensitivity >= 0.85.
    adata, truth = real
    keep = (truth["patient"].isin(["P3", "P4"]) | (truth["cell_type"] == "WBC")).to_numpy()
    out = classify(adata[keep])
    y, ok, sens, spec = sens_spec(out, truth)
    assert sens >= 0.85 and spec >= 0.9
    assert roc_auc_score(y[ok], out.obs["ctc_score"].to_numpy()[ok]) >= 0.95
