"""Per-cell rank-test programme scores, panels and the OncoTree map."""

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import mannwhitneyu, rankdata

from ctcgenomics.rna import score_programmes
from ctcgenomics.rna._genes import gene_table
from ctcgenomics.rna._programmes import (
    PanelError,
    contrast_scores,
    load_programmes,
    programmes_for,
    rank_scores,
    supported_tumour_types,
)
from ctcgenomics.rna._simulate import simulate_draw


def test_rank_test_equals_scipy(as_format):
    rng = np.random.default_rng(0)
    x = rng.negative_binomial(1, 0.7, (6, 120)).astype(float)
    names = [f"g{i}" for i in range(120)]
    auc, z, used = rank_scores(as_format(x), names, {"s": [*names[:9], "absent"]})
    assert used["s"] == names[:9]
    for c in range(6):
        u = mannwhitneyu(x[c, :9], x[c, 9:]).statistic
        assert auc.loc[c, "s"] == pytest.approx(u / (9 * 111))
        rk = rankdata(x[c])
        _, t = np.unique(x[c], return_counts=True)
        var = 9 * 111 / 12 * (121 - (t**3 - t).sum() / (120 * 119))
        assert z.loc[c, "s"] == pytest.approx((rk[:9].sum() - 45 - 9 * 111 / 2) / np.sqrt(var))


def test_contrast_test_equals_scipy(as_format):
    rng = np.random.default_rng(1)
    x = rng.negative_binomial(1, 0.6, (5, 40)).astype(float)
    names = [f"g{i}" for i in range(40)]
    sets = {"a": names[:6], "b": names[6:10]}
    refs = {"a": names[20:], "b": [*names[:6], *names[20:30]]}
    auc, z, z_max, used, ref_used = contrast_scores(as_format(x), names, sets, refs)
    for name in sets:
        cols = [names.index(g) for g in used[name]]
        rcols = [names.index(g) for g in ref_used[name]]
        n1, n2 = len(cols), len(rcols)
        for c in range(5):
            v = np.r_[x[c, cols], x[c, rcols]]
            u = mannwhitneyu(x[c, cols], x[c, rcols]).statistic
            assert auc.loc[c, name] == pytest.approx(u / (n1 * n2))
            _, t = np.unique(v, return_counts=True)
            n = n1 + n2
            sd = np.sqrt(n1 * n2 / 12 * ((n + 1) - (t**3 - t).sum() / (n * (n - 1))))
            assert z.loc[c, name] == pytest.approx((u - n1 * n2 / 2) / sd)
            # z_max: the set holding the highest values of the pooled genes
            top = np.sort(v)[::-1]
            u_max = mannwhitneyu(top[:n1], top[n1:]).statistic
            assert z_max.loc[c, name] == pytest.approx((u_max - n1 * n2 / 2) / sd)


def test_panels_are_valid_symbols_and_every_code_resolves():
    known = set(gene_table()["gene_name"])
    for prog in load_programmes().values():
        assert prog.source and set(prog.genes) <= known, prog.name
    for code in ("BRCA", "PRAD", "LUAD", "NSCLC", "COADREAD", "MEL"):
        assert code in supported_tumour_types()
    assert "EPITHELIAL" not in programmes_for("MEL")  # melanoma CTCs are not epithelial
    assert {"EPITHELIAL", "BREAST"} <= set(programmes_for("brca"))


CARCINOMAS = (
    "PAAD",
    "STAD",
    "ESCA",
    "ESCC",
    "BLCA",
    "HNSC",
    "HGSOC",
    "UCEC",
    "CHOL",
    "HCC",
    "SCLC",
)


@pytest.mark.parametrize("code", CARCINOMAS)
def test_carcinomas_of_other_organs_score_the_epithelial_programme(code):
    # CTCs of carcinomas are EpCAM+ cytokeratin+ whatever the organ (Allard et al. 2004)
    tumour = [n for n, p in programmes_for(code).items() if p.kind == "tumour"]
    assert tumour == ["EPITHELIAL"]


@pytest.mark.parametrize("code", ["SARC", "LMS", "DLBCLNOS", "GBM", "AML"])
def test_non_carcinomas_keep_the_unknown_code_error(code):
    with pytest.raises(PanelError, match=rf"'{code}' has no RNA marker panel.*PAAD"):
        programmes_for(code)


def test_unknown_tumour_type_lists_supported_codes():
    a = simulate_draw(2, 2, n_genes=200, seed=0)
    with pytest.raises(PanelError, match=r"'GBM' has no RNA marker panel.*BRCA.*MEL"):
        score_programmes(a, tumour_type="GBM")


def test_matrix_without_marker_genes():
    a = ad.AnnData(
        X=sp.csr_matrix(np.ones((3, 4))),
        var=pd.DataFrame(index=["ACTB", "GAPDH", "B2M", "TPT1"]),
    )
    with pytest.raises(PanelError, match="none of the genes of the tumour, blood"):
        score_programmes(a, tumour_type="BRCA")


def test_symbols_in_another_case_are_matched():
    # Mouse-style names throughout are matched to human symbols (as read_counts does),
    # and so are a few among human names when their human symbol is absent.
    a = ad.AnnData(
        X=sp.csr_matrix(np.arange(1, 13, dtype=float).reshape(3, 4)),
        var=pd.DataFrame(index=["Actb", "Epcam", "Krt8", "Ptprc"]),
    )
    out = score_programmes(a, tumour_type="BRCA", copy=True)
    assert out.uns["programme"]["gene_names"]["recased"]
    assert list(a.var_names) == ["Actb", "Epcam", "Krt8", "Ptprc"]
    mixed = ad.AnnData(
        X=sp.csr_matrix(np.arange(1, 22, dtype=float).reshape(3, 7)),
        var=pd.DataFrame(index=["ACTB", "GAPDH", "B2M", "Epcam", "Krt8", "Ptprc", "KRT18"]),
    )
    out = score_programmes(mixed, tumour_type="BRCA", copy=True)
    info = out.uns["programme"]["gene_names"]
    assert not info["recased"]
    assert sorted(info["recased_names"]) == ["Epcam->EPCAM", "Krt8->KRT8", "Ptprc->PTPRC"]
    assert set(out.uns["programme"]["genes_used"]["EPITHELIAL"]) == {"EPCAM", "KRT8", "KRT18"}


def test_scores_written_and_negative_values_refused():
    a = simulate_draw(5, 5, n_genes=500, seed=1)
    out = score_programmes(a, tumour_type="PRAD", copy=True)
    assert "programme_tumour" not in a.obs
    for key in ("programme_tumour", "programme_blood", "programme_PROSTATE_auc"):
        assert out.obs[key].notna().all()
    assert out.uns["programme"]["params"]["tumour_programmes"] == ["EPITHELIAL", "PROSTATE"]
    params = out.uns["programme"]["params"]
    assert "BREAST" in params["decoy_programmes"] and "GATA3" in params["decoys"]
    refs = out.uns["programme"]["reference_genes"]
    assert "GATA3" in refs["tumour"] and "PTPRC" in refs["tumour"]  # decoys + other kinds
    assert "KLK3" in refs["LEUKOCYTE"] and "PTPRC" not in refs["LEUKOCYTE"]
    assert set(refs["PLATELET"]) <= set(load_programmes()["HOUSEKEEPING"].genes)
    a.X = a.X.toarray() - 1
    with pytest.raises(ValueError, match="negative values"):
        score_programmes(a, tumour_type="PRAD")
    with pytest.raises(KeyError, match="layer 'nope'"):
        score_programmes(a, tumour_type="PRAD", layer="nope")
