"""Genotype model on allele counts simulated in the test (known truth)."""

import numpy as np
import pytest

from ctcgenomics.snv._model import (
    ModelParams,
    estimate_dropout,
    genotype_log_likelihoods,
    site_posteriors,
)


def simulate_counts(
    rng, n_cells, n_sites, carriers, dropout, *, rho=0.05, err=0.002, depth=(30, 80), artefacts=0.0
):
    """Het carriers with allelic dropout, beta-binomial amplification bias and errors."""
    n = rng.integers(depth[0], depth[1], size=(n_cells, n_sites))
    ab = 0.5 * (1 - rho) / rho
    f = rng.beta(ab, ab, size=(n_cells, n_sites))
    drop = rng.random((n_cells, n_sites)) < dropout[:, None]
    which = rng.random((n_cells, n_sites)) < 0.5
    f = np.where(drop, np.where(which, 1 - err, err), f)
    f = np.where(carriers, f, err)
    art = rng.random((n_cells, n_sites)) < artefacts
    f = np.where(art & ~carriers, rng.uniform(0.05, 0.5, size=f.shape), f)
    k = rng.binomial(n, f)
    return k, n, drop & carriers & which  # last: alt allele dropped


def test_dropout_estimate_recovers_per_cell_rates():
    rng = np.random.default_rng(1)
    truth = np.array([0.1, 0.2, 0.3, 0.1, 0.25, 0.15])
    k, n, _ = simulate_counts(rng, 6, 300, np.ones((6, 300), bool), truth, rho=0.08)
    fit = estimate_dropout(k, n, np.full(6, 0.001), ModelParams())
    assert np.all(np.abs(fit.dropout - truth) < 0.07)
    assert abs(fit.rho - 0.08) < 0.04


def test_site_posterior_separates_clonal_subclonal_and_artefacts():
    rng = np.random.default_rng(2)
    n_cells = 10
    dropout = rng.uniform(0.1, 0.3, n_cells)
    params = ModelParams()
    err = np.full(n_cells, 0.002)
    # clonal (all cells), subclonal (3 cells), absent but with amplification artefacts
    carriers = np.zeros((n_cells, 300), bool)
    carriers[:, :100] = True
    carriers[:3, 100:200] = True
    k, n, _ = simulate_counts(rng, n_cells, 300, carriers, dropout, artefacts=0.01)
    ll = genotype_log_likelihoods(k, n, err, dropout, rho=0.05, artefact_rate=params.artefact_rate)
    post = site_posteriors(ll, params.prior_somatic, hom_given_carrier=params.hom_given_carrier)
    called = post.p_variant > 0.99
    assert called[:100].mean() == 1.0
    assert called[100:200].mean() >= 0.8  # acceptance bar for variants in >= 3 cells
    assert called[200:].mean() <= 0.02
    # per-cell genotype at clonal sites: confident calls are right
    p_carrier = post.p_genotype[..., 1:].sum(-1)
    conf = (p_carrier > 0.9) | (p_carrier < 0.1)
    acc = ((p_carrier > 0.5) == carriers)[:, :200][conf[:, :200]].mean()
    assert acc >= 0.97


def test_dropped_allele_is_not_confidently_absent():
    """A clonal site where one cell shows only reference reads: not called absent."""
    n_cells = 8
    k = np.array([[20], [18], [25], [0], [22], [19], [21], [17]])
    n = np.full((n_cells, 1), 40)
    params = ModelParams()
    ll = genotype_log_likelihoods(
        k,
        n,
        np.full(n_cells, 0.001),
        np.full(n_cells, 0.2),
        rho=0.05,
        artefact_rate=params.artefact_rate,
    )
    post = site_posteriors(ll, params.prior_somatic, hom_given_carrier=params.hom_given_carrier)
    assert post.p_variant[0] > 0.999
    p_ref = post.p_genotype[3, 0, 0]
    assert 0.1 < p_ref < 0.9  # not evaluable at a 0.9 threshold


def test_zero_coverage_is_uninformative():
    ll = genotype_log_likelihoods(
        np.zeros((3, 2)),
        np.zeros((3, 2)),
        np.full(3, 0.001),
        np.full(3, 0.2),
        rho=0.05,
        artefact_rate=0.01,
    )
    assert np.all(ll == 0)
    post = site_posteriors(ll, 1e-3, hom_given_carrier=0.2)
    assert post.p_variant == pytest.approx([1e-3, 1e-3])


def test_rho_from_wbcs_is_not_inflated_by_tumour_loh():
    """CTCs with LOH show one allele at every germline het site; WBCs show both."""
    rng = np.random.default_rng(5)
    k_w, n_w, _ = simulate_counts(rng, 2, 40, np.ones((2, 40), bool), np.full(2, 0.15), rho=0.05)
    n_c = rng.integers(30, 80, size=(6, 40))
    k_c = np.where(rng.random((6, 40)) < 0.5, n_c, 0)  # hemizygous: all ref or all alt
    k, n = np.vstack([k_w, k_c]), np.vstack([n_w, n_c])
    wbc = np.array([True, True] + [False] * 6)
    fit = estimate_dropout(k, n, np.full(8, 0.001), ModelParams(), rho_cells=wbc)
    assert fit.rho < 0.12
    assert np.all(fit.dropout[~wbc] > 0.7)  # LOH looks like dropout in the tumour cells
    assert np.all(fit.dropout[wbc] < 0.35)
