"""The per-cell CTC call on real tumour and immune cells labelled by their authors.

Held-out data (tests/data/rna/README.md; nothing of the call is fitted on them):
150 melanoma cells of Tirosh et al. 2016 (39 malignant, 85 T/B/NK/macrophages, 18
stromal, 8 unresolved) and 180 non-malignant head and neck carcinoma cells of Puram
et al. 2017 (140 immune, 40 stromal), Smart-seq2, log2(TPM/10 + 1). Thresholds are the
issue's targets (AUROC >= 0.95, sensitivity >= 0.90, specificity >= 0.95), which the
call meets on these cells (docs/rna.md, "Real labelled tumour and immune cells").
"""

from pathlib import Path

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics import roc_auc_score

from ctcgenomics.rna import classify_cells

DATA = Path(__file__).resolve().parents[1] / "data" / "rna"
MELANOMA = DATA / "tirosh2016_melanoma_150.h5ad"
HNSCC = DATA / "puram2017_hnscc_180.h5ad"
IMMUNE = {"T", "B", "NK", "Macrophage", "CD4 T cell", "CD8 T cell", "reg. T cell"}
IMMUNE |= {"B cell", "Dendritic", "Mast"}


def _truth(a: ad.AnnData) -> tuple[np.ndarray, np.ndarray]:
    label = a.obs["author_label"].astype(str).to_numpy()
    return label == "malignant", np.isin(label, sorted(IMMUNE))


def _reads(a: ad.AnnData, depth: int, seed: int) -> ad.AnnData:
    """``depth`` reads per cell drawn from its TPM (the shipped values are log2(TPM/10+1))."""
    rng = np.random.default_rng(seed)
    x = sp.csr_matrix(a.X, dtype=np.float64).copy()
    x.data = 10.0 * (np.exp2(x.data) - 1.0)
    for i in range(x.shape[0]):
        lo, hi = x.indptr[i], x.indptr[i + 1]
        x.data[lo:hi] = rng.multinomial(depth, x.data[lo:hi] / x.data[lo:hi].sum())
    x.eliminate_zeros()
    return ad.AnnData(X=x, obs=a.obs.copy(), var=a.var.copy())


def _assert_targets(a: ad.AnnData) -> None:
    tumour, immune = _truth(a)
    ctc = (a.obs["cell_class"] == "CTC").to_numpy()
    keep = tumour | immune
    assert roc_auc_score(tumour[keep], a.obs["ctc_score"].to_numpy()[keep]) >= 0.95
    assert ctc[tumour].mean() >= 0.90
    assert (~ctc[immune]).mean() >= 0.95


def test_melanoma_cells_meet_the_targets():
    a = ad.read_h5ad(MELANOMA)
    classify_cells(a, tumour_type="MEL")
    assert a.uns["cell_class"]["label_check"]["status"] == "passed"
    _assert_targets(a)
    # the immune cells are called blood, not left unassigned
    _, immune = _truth(a)
    assert (a.obs["cell_class"].to_numpy()[immune] == "WBC").mean() >= 0.95


def test_melanoma_cells_at_800_reads_meet_the_targets():
    a = _reads(ad.read_h5ad(MELANOMA), 800, seed=3)
    classify_cells(a, tumour_type="MEL")
    _assert_targets(a)


def test_melanoma_cells_are_not_ctcs_of_a_carcinoma():
    # The call rests on the tumour's lineage programme, not on "not blood": melanoma
    # cells classified as breast cancer (epithelial programmes) are rarely CTCs.
    a = ad.read_h5ad(MELANOMA)
    classify_cells(a, tumour_type="BRCA")
    tumour, immune = _truth(a)
    assert (a.obs["cell_class"].to_numpy()[tumour] == "CTC").mean() <= 0.2
    assert (a.obs["cell_class"].to_numpy()[immune] != "CTC").all()


@pytest.mark.parametrize("tumour_type", ["HNSC", "BRCA", "LUAD", "COADREAD", "MEL"])
def test_tumour_infiltrating_immune_cells_are_not_ctcs(tumour_type):
    a = ad.read_h5ad(HNSCC)
    classify_cells(a, tumour_type=tumour_type)
    _, immune = _truth(a)
    assert immune.sum() == 140
    assert (a.obs["cell_class"].to_numpy()[immune] != "CTC").mean() >= 0.95
