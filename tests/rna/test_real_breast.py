"""Real breast CTC / healthy-donor WBC data (unCTC study): the classifier's AUROC."""

import anndata as ad
import numpy as np
import scanpy as sc
from sklearn.metrics import roc_auc_score

from ctcgenomics.rna import classify_cells, qc_cells, read_counts

from .conftest import EXAMPLE


def test_ctc_vs_wbc_auroc_whole_run():
    # Nothing is learned from labels: marker panels are fixed, the CNV reference and seed
    # are chosen by marker evidence, and the mixture is fitted without labels.
    adata = read_counts(EXAMPLE)
    truth = ad.read_h5ad(EXAMPLE).obs["cell_type"].reindex(adata.obs_names)
    qc_cells(adata)
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    classify_cells(adata)
    y = (truth == "CTC").to_numpy()
    ok = adata.obs["qc_pass"].to_numpy(bool)
    assert adata.uns["cell_class"]["decided_by"] == "cnv_correlation"
    auc = roc_auc_score(y[ok], np.nan_to_num(adata.obs["ctc_score"].to_numpy()[ok]))
    assert auc >= 0.95
    # naive epithelial marker evidence alone is clearly worse on this data
    assert roc_auc_score(y[ok], adata.obs["score_epithelial"].to_numpy()[ok]) < 0.8
