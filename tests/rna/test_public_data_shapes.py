"""Inputs shaped like public full-length CTC data sets (GEO Smart-seq2 tables).

Read counts of millions of reads with a gene-length bias, TPM/FPKM, log2(TPM + 1),
Ensembl IDs with a symbol column, repeated symbols, names made unique and previous
symbols, given to the public API as a user would load them into AnnData.
"""

import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from ctcgenomics.rna import classify_cells, read_counts, score_programmes
from ctcgenomics.rna._genes import gene_table
from ctcgenomics.rna._programmes import PanelError
from ctcgenomics.rna._simulate import simulate_draw


@pytest.fixture(scope="module")
def reads():
    """Full-length reads (1-5 M per cell, length bias) of 15 CTCs among 60 leukocytes."""
    return simulate_draw(15, 60, depth=2e6, n_genes=1500, length_bias=True, seed=3)


def _tpm(a: ad.AnnData) -> sp.csr_matrix:
    per_kb = sp.csr_matrix(a.X, dtype=np.float64) @ sp.diags(1e3 / a.var["length"].to_numpy())
    return sp.csr_matrix(sp.diags(1e6 / np.asarray(per_kb.sum(axis=1)).ravel()) @ per_kb)


def _like(a: ad.AnnData, x, names=None, var=None) -> ad.AnnData:
    out = ad.AnnData(X=x, obs=a.obs[["truth"]].copy(), var=var)
    if names is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # anndata: names not unique
            out.var_names = list(names)
    return out


def _calls(a: ad.AnnData, **kwargs) -> pd.DataFrame:
    classify_cells(a, tumour_type=kwargs.pop("tumour_type", "BRCA"), cnv=False, **kwargs)
    return a.obs[["cell_class", "ctc_probability", "programme_tumour", "programme_blood"]]


def test_reads_tpm_fpkm_and_log2_tpm_give_the_calls_of_the_truth(reads):
    # The simulated truth: full-length reads with a length bias are classified by the
    # defaults; TPM, FPKM and log2(TPM + 1) of the same cells give identical calls.
    tpm = _tpm(reads)
    fpkm = sp.csr_matrix(
        sp.diags(1e6 / np.asarray(reads.X.sum(axis=1)).ravel())
        @ (
            sp.csr_matrix(reads.X, dtype=np.float64)
            @ sp.diags(1e3 / reads.var["length"].to_numpy())
        )
    )
    log2 = tpm.copy()
    log2.data = np.log2(log2.data + 1)
    truth = reads.obs["truth"].eq("CTC").to_numpy()
    base = _calls(_like(reads, tpm, reads.var_names))
    assert (base["cell_class"][truth] == "CTC").mean() >= 0.6
    assert (base["cell_class"][~truth] != "CTC").all()
    for x in (fpkm, log2):
        pd.testing.assert_frame_equal(_calls(_like(reads, x, reads.var_names)), base)
    raw = _calls(reads.copy())
    assert (raw["cell_class"][~truth] != "CTC").all()
    assert (raw["cell_class"][truth] == "CTC").mean() >= 0.6


def test_versioned_ensembl_ids_as_var_names_are_converted_without_changing_adata(reads):
    # Old code: PanelError "none of the genes of the tumour, blood programme(s)".
    ids = gene_table().drop_duplicates("gene_name").set_index("gene_name")["gene_id"]
    names = [f"{ids[g]}.12" for g in reads.var_names]
    a = _like(reads, _tpm(reads), names)
    got = _calls(a)
    pd.testing.assert_frame_equal(got, _calls(_like(reads, _tpm(reads), reads.var_names)))
    assert list(a.var_names) == names  # the user's names are not changed
    assert a.uns["programme"]["gene_names"]["n_ensembl_converted"] == len(names)


def test_gene_symbols_column_names_the_genes(reads):
    # Ensembl IDs of another release (here not in GENCODE v44) with symbols in a var
    # column: scanpy's gene_symbols= convention. Old code: TypeError (no such argument).
    a = _like(
        reads,
        _tpm(reads),
        [f"ENSG9{i:010d}.3" for i in range(reads.n_vars)],
        var=pd.DataFrame({"symbol": reads.var_names.to_numpy()}),
    )
    with pytest.raises(PanelError, match=r"Ensembl IDs .*0 of \d+ of them in GENCODE v44.*"
                       r"pass gene_symbols='symbol'"):  # fmt: skip
        classify_cells(a.copy(), tumour_type="BRCA", cnv=False)
    with pytest.raises(KeyError, match=r"gene_symbols='gene_name' is not a column .*'symbol'"):
        classify_cells(a.copy(), tumour_type="BRCA", gene_symbols="gene_name")
    got = _calls(a, gene_symbols="symbol")
    pd.testing.assert_frame_equal(got, _calls(_like(reads, _tpm(reads), reads.var_names)))
    out = score_programmes(a, tumour_type="BRCA", gene_symbols="symbol", copy=True)
    assert "EPCAM" in out.uns["programme"]["genes_used"]["EPITHELIAL"]


@pytest.mark.parametrize("suffix", ["", "-1", ".1"])
@pytest.mark.parametrize("scale", ["TPM", "log1p(TPM)", "log2(TPM+1)"])
def test_repeated_symbols_and_names_made_unique_are_summed(reads, suffix, scale):
    # KRT18, EPCAM, PTPRC... measured by two IDs each, as repeated symbols (old code:
    # ValueError) or made unique by scanpy (KRT18-1) or R/pandas (KRT18.1) (old code:
    # the first copy alone, so other z). Summed, on the linear scale of the matrix's own
    # log base for log values, they give exactly the whole gene's calls.
    tpm = _tpm(reads)
    split = np.arange(0, 400, 2)  # every other gene among the programme genes
    share = np.random.default_rng(1).uniform(0.2, 0.8, len(split))
    first = tpm.tolil(copy=True)
    first[:, split] = tpm[:, split] @ sp.diags(share)
    x = sp.hstack([first.tocsr(), tpm[:, split] @ sp.diags(1 - share)]).tocsr()
    whole = tpm.copy()
    log = {"TPM": None, "log1p(TPM)": np.log1p, "log2(TPM+1)": lambda v: np.log2(v + 1)}[scale]
    if log is not None:
        x.data, whole.data = log(x.data), log(whole.data)
    names = list(reads.var_names) + [f"{g}{suffix}" for g in reads.var_names[split]]
    got = _calls(_like(reads, x, names))
    expected = _calls(_like(reads, whole, reads.var_names))
    pd.testing.assert_frame_equal(got, expected, rtol=1e-6)


def test_a_real_symbol_with_a_number_suffix_is_not_a_copy():
    from ctcgenomics.rna._genes import merge_copy_suffixes

    names, merged = merge_copy_suffixes(pd.Index(["NKX2", "NKX2-1", "HLA-A", "KRT18", "KRT18-1"]))
    assert list(names) == ["NKX2", "NKX2-1", "HLA-A", "KRT18", "KRT18"]
    assert merged == ["KRT18-1"]


def test_previous_symbols_are_renamed_by_the_api():
    # A prostate matrix on an older annotation (ACPP for ACP3): old code scored PROSTATE
    # without ACP3.
    draw = simulate_draw(10, 40, tumour_type="PRAD", n_genes=1000, seed=5)
    old = _like(draw, draw.X, ["ACPP" if g == "ACP3" else g for g in draw.var_names])
    got = _calls(old, tumour_type="PRAD")
    assert "ACP3" in old.uns["programme"]["genes_used"]["PROSTATE"]
    assert old.uns["programme"]["gene_names"]["previous_symbols_renamed"] == ["ACPP->ACP3"]
    pd.testing.assert_frame_equal(got, _calls(draw.copy(), tumour_type="PRAD"))


def test_read_counts_takes_a_gene_symbols_column(tmp_path, reads):
    symbols = reads.var_names.to_numpy().copy()
    symbols[-1] = ""  # no symbol: the ID is kept
    a = _like(
        reads,
        sp.csr_matrix(reads.X),
        [f"ENSG9{i:010d}" for i in range(reads.n_vars)],
        var=pd.DataFrame({"symbol": symbols}),
    )
    a.write_h5ad(tmp_path / "m.h5ad")
    got = read_counts(tmp_path / "m.h5ad", gene_symbols="symbol")
    assert list(got.var_names[:-1]) == list(reads.var_names[:-1])
    assert got.var_names[-1] == a.var_names[-1]
    with pytest.raises(ValueError, match=r"m.h5ad: gene_symbols 'name' is not a var column"):
        read_counts(tmp_path / "m.h5ad", gene_symbols="name")


LOG_FORMS = {
    "log2(TPM+1)": (lambda v: np.log2(v + 1), 2.0),
    "log2(TPM/10+1)": (lambda v: np.log2(v / 10 + 1), 2.0),
    "log1p(TPM)": (np.log1p, float(np.e)),
    "log10(TPM+1)": (lambda v: np.log10(v + 1), 10.0),
}


@pytest.mark.parametrize("form", list(LOG_FORMS))
def test_log_base_is_read_off_the_matrix_and_levels_kept(tmp_path, reads, form):
    # log2(TPM + 1) declared log1p (the sheet's one log form): old code inverted it with
    # expm1, i.e. raised TPM + 1 to the power 1 / ln 2, and every expression level
    # (biomarker cp10k, EXPRESSION_HIGH) changed. The base is now read off the matrix
    # (equal per-cell totals of base**x - 1) and the levels are those of the TPM.
    from ctcgenomics.rna._pipeline import analyse

    transform, base = LOG_FORMS[form]
    tpm = _tpm(reads)
    logged = tpm.copy()
    logged.data = transform(logged.data)
    _like(reads, tpm, reads.var_names).write_h5ad(tmp_path / "tpm.h5ad")
    _like(reads, logged, reads.var_names).write_h5ad(tmp_path / "log.h5ad")
    a = read_counts(tmp_path / "log.h5ad", values="log1p")
    assert a.uns["rna_read"]["value_summary"]["log_base"] == pytest.approx(base)
    b = read_counts(tmp_path / "tpm.h5ad", values="normalised")
    params = {"classify": {"cnv": False}}
    analyse(a, params, tumour_type="BRCA")
    analyse(b, params, tumour_type="BRCA")
    for col in ("ERBB2_cp10k", "ESR1_cp10k"):
        np.testing.assert_allclose(a.obs[col], b.obs[col], rtol=1e-3, atol=1e-3)
    pd.testing.assert_series_equal(a.obs["cell_class"], b.obs["cell_class"])


def test_symbols_partly_in_another_case_are_matched(reads):
    # A human table in which a third of the symbols (markers among them) were lower- or
    # title-cased: old code matched case only when almost no name was in human case,
    # so these genes were silently missing and the scores changed.
    tpm = _tpm(reads)
    names = [
        g.lower() if i % 3 == 0 else g.capitalize() if i % 3 == 1 else g
        for i, g in enumerate(reads.var_names)
    ]
    a = _like(reads, tpm, names)
    got = _calls(a)
    pd.testing.assert_frame_equal(got, _calls(_like(reads, tpm, reads.var_names)))
    assert not a.uns["programme"]["gene_names"]["recased"]
    assert a.uns["programme"]["gene_names"]["recased_names"]
    assert "PTPRC" in a.uns["programme"]["genes_used"]["LEUKOCYTE"]


def test_scaled_x_names_raw_and_layers():
    # The usual scanpy state: log-normalised values in .raw (and a counts layer), z-scores
    # in X after sc.pp.scale. Old message: "negative values (scaled or batch-corrected?)"
    # without saying where the usable values are.
    import scanpy as sc

    a = simulate_draw(5, 20, n_genes=500, seed=1)
    a.layers["counts"] = a.X.copy()
    sc.pp.normalize_total(a, target_sum=1e4)
    sc.pp.log1p(a)
    a.raw = a
    sc.pp.scale(a)
    with pytest.raises(
        ValueError, match=r"negative values.*adata\.raw.*layer=, one of \['counts'\]"
    ):
        classify_cells(a, tumour_type="BRCA")
    classify_cells(a, tumour_type="BRCA", layer="counts", cnv=False)
    assert (a.obs["cell_class"][a.obs["truth"] == "WBC"] == "WBC").mean() > 0.9


@pytest.mark.parametrize("ctc_values", ["reads", "TPM"])
def test_ctcs_of_another_platform_get_no_copy_number_term(ctc_values):
    # Diploid CTCs of a full-length study (reads or TPM) beside PBMCs of a UMI study,
    # as public data are mixed: old code found a "shared copy-number profile" (the
    # platform's) and used it on the uncertain cells. The term is now left out, with
    # the reason, and the calls are those without it.
    s = simulate_draw(50, 50, depth=2e6, length_bias=True, seed=2)
    if ctc_values == "TPM":
        s.X = _tpm(s)
    pbmc = simulate_draw(0, 450, depth=5000, seed=2)
    pbmc.obs_names = [f"pbmc{c}" for c in pbmc.obs_names]
    m = ad.concat([s, pbmc])
    m.X = sp.csr_matrix(m.X)
    classify_cells(m, tumour_type="BRCA")
    status = m.uns["cell_class"]["cnv"]["status"]
    expected = "more than 100-fold apart" if ctc_values == "reads" else "non-integer values"
    assert status.startswith("not used") and expected in status
    off = classify_cells(m, tumour_type="BRCA", cnv=False, copy=True)
    pd.testing.assert_series_equal(m.obs["cell_class"], off.obs["cell_class"])


def test_copy_number_term_records_the_values_it_recognised():
    # log2(CPM + 1) given to the API with the default values=None: the copy-number
    # profiles take it as log-scale (not normalised and logged again), and say so.
    import scanpy as sc

    a = simulate_draw(100, 200, n_genes=3000, depth=2000, cnv_chromosomes=6, seed=2)
    sc.pp.normalize_total(a, target_sum=1e6)
    a.X.data = np.log2(a.X.data.astype(np.float64) + 1)
    classify_cells(a, tumour_type="BRCA")
    info = a.uns["cell_class"]["cnv"]
    assert info["status"] == "used" and info["values"] == "log1p (recognised)"
