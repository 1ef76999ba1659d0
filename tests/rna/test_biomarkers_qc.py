import anndata as ad
import numpy as np
import pandas as pd

from ctcgenomics.rna import biomarker_status, qc_cells

GENES = ["ERBB2", "ESR1", "PGR", "CD44", "CD24", "MT-CO1", "RPL3", "AR-V7", "GAPDH"]


def test_levels_status_and_arv7_by_hand(as_format):
    # each cell has 10,000 counts, so counts == counts per 10k
    x = np.array(
        [
            [30, 0, 4, 5, 0, 100, 100, 3, 9758],
            [5, 6, 0, 0, 7, 100, 100, 0, 9782],
        ]
    )
    adata = ad.AnnData(X=as_format(x), var=pd.DataFrame(index=GENES))
    biomarker_status(adata, layer=None, high_cp10k={"ERBB2": 20, "ESR1": 5, "PGR": 5})
    assert list(adata.obs["ERBB2_level"]) == ["high", "low"]
    assert list(adata.obs["ESR1_level"]) == ["absent", "high"]
    assert list(adata.obs["PGR_level"]) == ["low", "absent"]
    assert list(adata.obs["AR_level"]) == ["not_measured"] * 2
    np.testing.assert_allclose(adata.obs["ERBB2_cp10k"], [30, 5])
    assert list(adata.obs["cd44_cd24"]) == ["CD44+/CD24-", "CD44-/CD24+"]
    assert list(adata.obs["arv7"]) == ["positive", "negative"]


def test_qc_flags_with_reason(as_format):
    x = np.zeros((3, 4))
    x[0] = [500, 300, 100, 100]  # healthy
    x[1] = [5, 0, 0, 0]  # too few genes and counts
    x[2] = [100, 100, 600, 200]  # mitochondrial 60 %
    adata = ad.AnnData(X=as_format(x), var=pd.DataFrame(index=["A", "B", "MT-CO1", "RPS3"]))
    qc_cells(adata, min_genes=2, min_counts=100, max_mito_frac=0.5, max_ribo_frac=0.9)
    assert list(adata.obs["qc_pass"]) == [True, False, False]
    assert adata.obs["qc_fail_reason"].iloc[1] == "n_genes<2;total_counts<100"
    assert adata.obs["qc_fail_reason"].iloc[2] == "mito_frac>0.5"
    np.testing.assert_allclose(adata.obs["mito_frac"], [0.1, 0.0, 0.6])
    assert adata.uns["qc"]["params"]["min_genes"] == 2


def test_key_added_names_every_qc_and_biomarker_output(as_format):
    # Another key writes every output under its prefix and leaves the default ones alone.
    x = np.array([[500, 300, 100, 100, 30], [5, 0, 0, 0, 0], [100, 100, 600, 200, 0]], float)
    var = pd.DataFrame(index=["A", "ERBB2", "MT-CO1", "RPS3", "CD44"])
    adata = ad.AnnData(X=as_format(x), var=var)
    qc_cells(adata, min_genes=2, min_counts=100, max_mito_frac=0.5)
    qc_cells(adata, min_genes=3, min_counts=100, max_mito_frac=0.5, key_added="strict")
    for col in ("n_genes", "total_counts", "mito_frac", "ribo_frac"):
        np.testing.assert_array_equal(adata.obs[f"strict_{col}"], adata.obs[col])
    assert list(adata.obs["strict_pass"]) == [True, False, False]
    assert adata.obs["strict_fail_reason"].iloc[1] == "n_genes<3;total_counts<100"
    assert list(adata.var["strict_mt"]) == list(adata.var["mt"])
    assert adata.uns["strict"]["params"]["min_genes"] == 3
    biomarker_status(adata, layer=None)
    biomarker_status(adata, layer=None, key_added="bm2", high_cp10k={"ERBB2": 1e5})
    # ERBB2 at 2,913 / 0 / 1,000 counts per 10k: high at the default 20, low below 1e5.
    assert list(adata.obs["bm2_ERBB2_level"]) == ["low", "absent", "low"]
    assert list(adata.obs["ERBB2_level"]) == ["high", "absent", "high"]
    for col in ("ERBB2_cp10k", "cd44_cd24", "aldh1a1_pos", "arv7"):
        assert list(adata.obs[f"bm2_{col}"]) == list(adata.obs[col])
