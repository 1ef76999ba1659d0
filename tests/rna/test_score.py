import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc

from ctcgenomics.rna import score_emt, score_gene_sets
from ctcgenomics.rna._score import GeneSetOverlapError, expression_bins

# 3 cells x 6 genes; gene means increase g0 < ... < g5, so with n_bins=3
# (round(6 / 2) = 3 genes per bin) the bins are [0, 0, 1, 1, 1, 2].
X = np.array(
    [
        [0.0, 1.0, 2.0, 3.0, 4.0, 9.0],
        [1.0, 1.0, 3.0, 3.0, 6.0, 9.0],
        [0.0, 4.0, 2.0, 6.0, 5.0, 9.0],
    ]
)
GENES = [f"g{i}" for i in range(6)]


def make(x):
    return ad.AnnData(X=x, var=pd.DataFrame(index=GENES), obs=pd.DataFrame(index=["a", "b", "c"]))


def test_bins_match_hand_computation(as_format):
    assert list(expression_bins(as_format(X), n_bins=3)) == [0, 0, 1, 1, 1, 2]


def test_scores_by_hand(as_format):
    adata = make(as_format(X))
    scores, used = score_gene_sets(adata, {"one": ["g1"], "two": ["g1", "g3"]}, n_bins=3)
    # one: bin 0 -> control g0 only
    np.testing.assert_allclose(scores["one"], X[:, 1] - X[:, 0])
    # two: bins {0, 1} -> controls g0, g2, g4
    expected = X[:, [1, 3]].mean(1) - X[:, [0, 2, 4]].mean(1)
    np.testing.assert_allclose(scores["two"], expected)
    assert used["two"] == ["g1", "g3"]


def test_equals_scanpy_with_all_bin_genes_as_controls():
    rng = np.random.default_rng(1)
    counts = rng.negative_binomial(2, 0.3, size=(60, 300)).astype(float)
    adata = ad.AnnData(X=np.log1p(counts), var=pd.DataFrame(index=[f"G{i}" for i in range(300)]))
    genes = [f"G{i}" for i in range(0, 300, 17)]
    ours, _ = score_gene_sets(adata, {"s": genes})
    sc.tl.score_genes(adata, genes, ctrl_size=10_000, score_name="ref")
    np.testing.assert_allclose(ours["s"], adata.obs["ref"], atol=1e-10)


def test_no_overlap_names_the_sets():
    adata = make(X)
    with pytest.raises(GeneSetOverlapError, match=r"EMPTY_ONE.*0/2"):
        score_gene_sets(adata, {"EMPTY_ONE": ["KRT8", "EPCAM"], "ok": ["g1"]})


def test_emt_two_sided_and_hybrid(as_format):
    adata = make(as_format(X))
    sets = {"E": ["g1"], "M": ["g3"]}
    score_emt(adata, epithelial=["E"], mesenchymal=["M"], gene_sets=sets, n_bins=3)
    # sets scored in one call: E bins {0} -> control g0; M bins {1} -> controls g2, g4
    epi = X[:, 1] - X[:, 0]
    mes = X[:, 3] - X[:, [2, 4]].mean(1)
    np.testing.assert_allclose(adata.obs["emt_score"], mes - epi)
    expected = [
        "hybrid"
        if e > 0 and m > 0
        else "epithelial"
        if e > 0
        else "mesenchymal"
        if m > 0
        else "neither"
        for e, m in zip(epi, mes, strict=True)
    ]
    assert list(adata.obs["emt_state"]) == expected
    assert adata.uns["emt"]["params"]["epithelial"] == ["E"]


def test_copy_leaves_input_untouched():
    adata = make(X)
    out = score_emt(
        adata,
        epithelial=["E"],
        mesenchymal=["M"],
        gene_sets={"E": ["g1"], "M": ["g3"]},
        n_bins=3,
        copy=True,
    )
    assert "emt_score" in out.obs and "emt_score" not in adata.obs
