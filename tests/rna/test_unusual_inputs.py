"""Unusual but legitimate inputs to the RNA arm (found by fuzzing ``classify_cells``)."""

import logging
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from ctcgenomics.rna import CountMatrixError, classify_cells, read_counts
from ctcgenomics.rna._simulate import simulate_draw


@pytest.mark.parametrize("dense", [True, False])
def test_infinite_values_are_refused_by_name(dense):
    # An overflow upstream (float16 export, exp of large values) leaves inf in X; it
    # crashed deep in the copy-number term with "Input contains NaN".
    a = simulate_draw(5, 20, n_genes=500, seed=1)
    x = a.X.toarray()
    x[3, 7] = np.inf
    a.X = x if dense else sp.csr_matrix(x)
    with pytest.raises(ValueError, match="infinite values"):
        classify_cells(a, tumour_type="BRCA")


def test_read_counts_refuses_infinite_values(tmp_path):
    x = np.array([[1.0, 2.0, 0.0], [0.0, np.inf, 3.0]])
    a = ad.AnnData(
        X=x,
        obs=pd.DataFrame(index=["cellA", "cellB"]),
        var=pd.DataFrame(index=["KRT8", "PTPRC", "ACTB"]),
    )
    a.write_h5ad(tmp_path / "m.h5ad")
    with pytest.raises(CountMatrixError, match=r"m.h5ad: infinite values in cell\(s\) \['cellB'\]"):
        read_counts(tmp_path / "m.h5ad")


def test_nullable_boolean_qc_column():
    # pandas' nullable "boolean" dtype was refused with "must be boolean ... got boolean"
    a = simulate_draw(5, 20, n_genes=500, seed=1)
    b = a.copy()
    a.obs["qc_pass"] = pd.array([False, False] + [True] * (a.n_obs - 2), dtype="boolean")
    b.obs["qc_pass"] = np.array([False, False] + [True] * (b.n_obs - 2))
    classify_cells(a, tumour_type="BRCA", cnv=False)
    classify_cells(b, tumour_type="BRCA", cnv=False)
    assert list(a.obs["cell_class"][:2]) == ["low-quality"] * 2
    np.testing.assert_array_equal(a.obs["cell_class"], b.obs["cell_class"])
    a.obs["qc_pass"] = pd.array([None] + [True] * (a.n_obs - 1), dtype="boolean")
    with pytest.raises(ValueError, match=r"obs\['qc_pass'\] has 1 missing value"):
        classify_cells(a, tumour_type="BRCA", cnv=False)
    a.obs["qc_pass"] = "yes"
    with pytest.raises(TypeError, match="must be boolean"):
        classify_cells(a, tumour_type="BRCA", cnv=False)


def test_values_must_be_a_known_form():
    # values="tpm" was accepted and silently treated as counts by the copy-number term
    a = simulate_draw(5, 20, n_genes=500, seed=1)
    with pytest.raises(ValueError, match=r"values must be one of \['counts', 'normalised'"):
        classify_cells(a, tumour_type="BRCA", values="tpm")
    assert "cell_class" not in a.obs


def test_a_second_call_leaves_no_column_of_the_first():
    # Aneuploid CTCs: the first call adds the copy-number term. A second call without it
    # (cnv=False), or for another tumour type, left the first call's cnv_* columns and
    # programme_BREAST beside its own results.
    a = simulate_draw(100, 400, depth=2_000, cnv_chromosomes=6, seed=2)
    classify_cells(a, tumour_type="BRCA")
    assert a.uns["cell_class"]["cnv"]["status"] == "used"
    assert {"cnv_correlation", "cnv_log_lr", "programme_BREAST"} <= set(a.obs)
    classify_cells(a, tumour_type="PRAD", cnv=False)
    assert a.uns["cell_class"]["cnv"]["status"] == "not requested"
    assert not {"cnv_correlation", "cnv_log_lr"} & set(a.obs)
    assert not [c for c in a.obs if c.startswith("programme_BREAST")]
    fresh = simulate_draw(100, 400, depth=2_000, cnv_chromosomes=6, seed=2)
    classify_cells(fresh, tumour_type="PRAD", cnv=False)
    assert set(a.obs.columns) == set(fresh.obs.columns)


def test_cells_with_no_counts_get_no_copy_number_evidence():
    # A cell with nothing detected carries no evidence: Bayes factor 1 for every kind
    # from the programmes, so its posterior is the prior (0.2 for each of the four kinds
    # and "none", identity Platt layer). Its copy-number "profile" (minus the reference
    # mean) was correlated with the CTCs' and gave it a log likelihood ratio of about
    # -3.8 against tumour (CTC probability 0.006).
    a = simulate_draw(100, 400, depth=2_000, cnv_chromosomes=6, seed=2)
    x = a.X.toarray()
    x[:5] = 0
    a.X = sp.csr_matrix(x)
    classify_cells(a, tumour_type="BRCA")
    assert a.uns["cell_class"]["cnv"]["status"] == "used"
    np.testing.assert_allclose(a.obs["ctc_probability"][:5], 0.2)
    assert (a.obs["cnv_log_lr"][:5] == 0).all()
    assert a.obs["cnv_correlation"][:5].isna().all()
    assert (a.obs["cell_class"][:5] == "unassigned").all()


def test_matrix_without_housekeeping_genes_says_which_classes_it_loses(caplog):
    # Platelets and erythrocytes are contrasted with the housekeeping genes; a panel
    # without them silently lost both classes (and combine_max raised a RuntimeWarning).
    from ctcgenomics.rna._programmes import load_programmes

    a = simulate_draw(10, 40, n_platelet=10, n_erythrocyte=10, depth=5_000, seed=2)
    a = a[:, ~a.var_names.isin(load_programmes()["HOUSEKEEPING"].genes)].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with caplog.at_level(logging.WARNING, logger="ctcgenomics.rna._programmes"):
            classify_cells(a, tumour_type="BRCA", cnv=False)
    assert "no housekeeping gene in the matrix" in caplog.text
    assert "no cell can be called erythrocyte or platelet" in caplog.text
    assert a.obs["programme_platelet"].isna().all()
    assert not a.obs["cell_class"].isin(["platelet", "erythrocyte"]).any()


def test_ensembl_var_names_error_names_the_symbol_column():
    # An AnnData with Ensembl IDs as var_names and symbols in a var column (the 10x /
    # CELLxGENE layout). IDs of GENCODE v44 are converted (test_public_data_shapes);
    # IDs it lacks (another release) cannot be, and the error names the symbol column.
    from ctcgenomics.rna._programmes import PanelError

    a = simulate_draw(5, 20, n_genes=500, seed=1)
    a.var["gene_symbols"] = a.var_names.to_numpy()
    a.var_names = [f"ENSG9{i:010d}.4" for i in range(a.n_vars)]
    with pytest.raises(
        PanelError, match=r"Ensembl IDs \(e.g. ENSG\d{11}\.4\).*pass gene_symbols='gene_symbols'"
    ):
        classify_cells(a, tumour_type="BRCA")
    a.var = a.var.drop(columns="gene_symbols")
    with pytest.raises(PanelError, match=r"Ensembl IDs .*give gene symbols in a var column"):
        classify_cells(a, tumour_type="BRCA")


def test_duplicated_gene_names_are_summed_with_a_warning(caplog):
    # Formerly refused; now summed per gene (as read_counts does), said in a warning and
    # in uns, and the user's var_names are left as they are.
    a = simulate_draw(5, 20, n_genes=500, seed=1)
    names = a.var_names.to_numpy().copy()
    names[-1] = "EPCAM"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # anndata: names not unique
        a.var_names = names
    with caplog.at_level(logging.WARNING, logger="ctcgenomics.rna._programmes"):
        classify_cells(a, tumour_type="BRCA", cnv=False)
    assert "1 gene column(s) repeat a gene name (e.g. ['EPCAM'])" in caplog.text
    assert a.uns["programme"]["gene_names"]["n_repeated_summed"] == 1
    assert list(a.var_names) == list(names)


def test_two_keys_keep_their_own_programme_scores():
    # A PRAD run under another key_added used to overwrite the programme scores that the
    # BRCA run's uns points to (both wrote programme_*).
    a = simulate_draw(20, 80, n_genes=500, seed=3, tumour_type="BRCA")
    classify_cells(a, tumour_type="BRCA", cnv=False)
    brca = a.obs["programme_tumour"].copy()
    classify_cells(a, tumour_type="PRAD", key_added="prad", cnv=False)
    pd.testing.assert_series_equal(a.obs["programme_tumour"], brca)
    assert "prad_programme_tumour" in a.obs and "programme_BREAST" in a.obs
    assert a.uns["prad"]["params"]["programme_key"] == "prad_programme"
