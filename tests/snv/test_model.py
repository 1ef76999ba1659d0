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


# --- the three-hypothesis site model ------------------------------------------------------


def _inputs(alt, depth, roles, *, dropout=0.15, prior_somatic=1e-3, prior_germline=1e-3, **kw):
    from ctcgenomics.snv._model import SiteInputs

    alt = np.asarray(alt, dtype=float)
    depth = np.asarray(depth, dtype=float)
    roles = np.asarray(roles)
    n_cells, n_sites = alt.shape
    return SiteInputs(
        alt=alt,
        depth=depth,
        is_ctc=roles == "ctc",
        is_wbc=roles == "wbc",
        error=np.full(n_cells, 0.001),
        dropout=np.full((n_cells, n_sites), dropout),
        artefact_rate=np.full(n_cells, 1e-4),
        prior_somatic=np.full(n_sites, prior_somatic),
        prior_germline=np.full(n_sites, prior_germline),
        rho=0.05,
        **kw,
    )


def test_wbc_depth_decides_how_much_absence_is_worth():
    """A clonal het in 4 CTCs: deep WBCs without the allele make it somatic; shallow ones
    (1 of 4 and 0 of 4 reads) cannot certify absence; a WBC with the allele makes it germline."""
    from ctcgenomics.snv._model import site_model

    roles = ["ctc"] * 4 + ["wbc"] * 2
    ctc_alt, ctc_n = [15, 14, 16, 15], [30, 30, 30, 30]
    cases = {
        "deep_absent": ([0, 0], [60, 60]),
        "shallow": ([1, 0], [4, 4]),
        "present": ([12, 0], [25, 25]),
    }
    alt = np.array([ctc_alt + list(a) for a, _ in cases.values()]).T
    depth = np.array([ctc_n + list(d) for _, d in cases.values()]).T
    m = site_model(_inputs(alt, depth, roles), ModelParams())
    p_som = dict(zip(cases, m.p_somatic, strict=True))
    p_ger = dict(zip(cases, m.p_germline, strict=True))
    assert p_som["deep_absent"] > 0.99
    assert p_som["shallow"] < 0.5 and p_ger["shallow"] > 0.5  # 1 alt read of 4 in a WBC
    assert p_ger["present"] > 0.99
    # shallow WBCs that show nothing: absence is weak evidence (a het WBC shows no
    # alternative read in 4 about 1 time in 7), so germline stays far more likely than
    # with deep WBCs
    m2 = site_model(
        _inputs(np.array([[*ctc_alt, 0, 0]]).T, np.array([[*ctc_n, 4, 4]]).T, roles),
        ModelParams(),
    )
    assert m2.p_germline[0] > 3 * p_ger["deep_absent"]
    assert m2.p_somatic[0] < p_som["deep_absent"]


def test_allele_balance_across_cells_tells_subclonal_from_germline():
    """Without WBCs: a variant in 2 of 6 CTCs (others deep, reference only) is somatic; one
    at VAF 0.5 in every CTC cannot be told from germline."""
    from ctcgenomics.snv._model import site_model

    roles = ["ctc"] * 6
    alt = np.array([[15, 14, 0, 0, 0, 0], [15, 14, 16, 15, 13, 15]]).T
    depth = np.full((6, 2), 30)
    m = site_model(_inputs(alt, depth, roles), ModelParams())
    assert m.p_somatic[0] > 0.95
    assert 0.2 < m.p_germline[1] < 0.8


def test_posteriors_are_calibrated_on_data_from_the_model():
    """Sites drawn from the model's own generative process (priors, dropout, artefacts):
    among sites given a somatic posterior >= 0.9, about that fraction is somatic."""
    from ctcgenomics.snv._model import site_model

    rng = np.random.default_rng(7)
    n_sites, n_ctc, n_wbc = 20000, 3, 2
    roles = np.array(["ctc"] * n_ctc + ["wbc"] * n_wbc)
    prior_s, prior_g = 0.2, 0.2
    kind = rng.choice(3, size=n_sites, p=[1 - prior_s - prior_g, prior_s, prior_g])
    depth = rng.integers(8, 40, size=(n_ctc + n_wbc, n_sites))
    frac = np.full(depth.shape, 0.001)
    carrier = np.zeros(depth.shape, bool)
    pi = rng.uniform(size=n_sites)
    carrier[:n_ctc] = (kind == 1) & (rng.random((n_ctc, n_sites)) < pi)
    carrier[:, kind == 2] = True
    het_f = rng.beta(9.5, 9.5, size=depth.shape)
    drop = rng.random(depth.shape) < 0.15
    side = rng.random(depth.shape) < 0.5
    frac = np.where(carrier, np.where(drop, np.where(side, 0.999, 0.001), het_f), frac)
    art = ~carrier & (rng.random(depth.shape) < 0.02)
    frac = np.where(art, 0.5 * rng.beta(1, 3, size=depth.shape), frac)
    alt = rng.binomial(depth, frac)
    inputs = _inputs(
        alt, depth, roles, prior_somatic=prior_s, prior_germline=prior_g, hom_fraction=1e-6
    )
    inputs.artefact_rate = np.full(n_ctc + n_wbc, 0.02)
    params = ModelParams(loh_given_germline=1e-6, hom_given_carrier=1e-6, clonal_prior=0.0)
    m = site_model(inputs, params)
    for lo, hi in ((0.9, 1.01), (0.5, 0.9)):
        sel = (m.p_somatic >= lo) & (m.p_somatic < hi)
        assert sel.sum() > 200
        observed = (kind[sel] == 1).mean()
        expected = m.p_somatic[sel].mean()
        se = np.sqrt(expected * (1 - expected) / sel.sum())
        assert abs(observed - expected) < 3 * se + 0.01, (lo, observed, expected)


def test_copy_number_changes_the_expected_allele_fraction():
    """One allele copy of 8 (ERBB2-amplified cell) reads at VAF 1/8, which in a diploid cell
    looks like an artefact; a hemizygous cell (17p loss) with reference reads only is
    confidently not a carrier, while in a diploid cell its allele may have dropped out."""
    from ctcgenomics.snv._model import site_model

    cmax = ModelParams().max_copy_number
    roles = ["ctc"] * 2 + ["wbc"] * 2
    alt = np.array([[5, 6, 0, 0]]).T
    depth = np.array([[40, 44, 60, 60]]).T
    priors = {"prior_somatic": 1e-4, "prior_germline": 1e-3}
    diploid = site_model(_inputs(alt, depth, roles, **priors), ModelParams())
    cn = np.zeros((4, 1, cmax + 1))
    cn[:, :, 2] = 1.0
    cn[:2, 0] = 0.0
    cn[:2, 0, 8] = 1.0
    aware = site_model(_inputs(alt, depth, roles, copy_number=cn, **priors), ModelParams())
    assert aware.p_somatic[0] > diploid.p_somatic[0] + 0.3
    assert aware.p_carrier[:2, 0].min() > 0.99 > 0.6 > diploid.p_carrier[:2, 0].max()
    # 17p loss: 3 carriers all-alt, 1 cell with reference reads only
    roles = ["ctc"] * 4 + ["wbc"] * 2
    alt = np.array([[30, 28, 31, 0, 0, 0]]).T
    depth = np.array([[30, 28, 31, 30, 60, 60]]).T
    diploid = site_model(_inputs(alt, depth, roles), ModelParams())
    cn = np.zeros((6, 1, cmax + 1))
    cn[:, :, 2] = 1.0
    cn[:4, 0] = 0.0
    cn[:4, 0, 1] = 1.0
    aware = site_model(_inputs(alt, depth, roles, copy_number=cn), ModelParams())
    assert aware.p_carrier[3, 0] < 0.05 < diploid.p_carrier[3, 0]


def test_carrier_fraction_interval_covers_the_truth():
    """95 % credible intervals of the carrier fraction cover the true fraction ~95 % of the
    time over many simulated draws (8 cells, dropout, amplification imbalance)."""
    from ctcgenomics.snv._model import (
        artefact_prior_mass,
        carrier_fraction_posterior,
        fraction_logliks,
        log_artefact,
    )

    rng = np.random.default_rng(11)
    n_cells, n_sites = 8, 600
    pi = rng.uniform(0.05, 0.95, size=n_sites)
    carrier = rng.random((n_cells, n_sites)) < pi
    k, n, _ = simulate_counts(rng, n_cells, n_sites, carrier, np.full(n_cells, 0.15))
    f_ll = fraction_logliks(
        k, n, np.array([0.0, 0.5]), np.full(n_cells, 0.002), np.full(n_cells, 0.15), 0.05
    )
    lr = np.logaddexp(
        np.log1p(-1e-4) + f_ll[..., 0],
        np.log(1e-4) + log_artefact(k, n, artefact_prior_mass((1, 3))),
    )
    mean, low, high = carrier_fraction_posterior(lr, f_ll[..., 1])
    true_frac = carrier.mean(axis=0)  # the fraction of these cells (finite population)
    inside = (low <= pi) & (pi <= high)
    assert 0.88 <= inside.mean() <= 0.99
    assert np.corrcoef(mean, true_frac)[0, 1] > 0.8


def test_local_dropout_follows_nearby_het_sites():
    """A cell that lost one allele at the het sites next to a locus has a high dropout rate
    there; far from any het site the rate falls back to the cell's own."""
    from ctcgenomics.snv._model import DropoutFit, local_dropout

    params = ModelParams()
    het_pos = np.array([1000, 1500, 2000, 500_000, 900_000])
    mono = np.array([[1.0, 1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    fit = DropoutFit(np.array([0.2, 0.2]), 0.05, np.array([5, 5]), mono, np.ones((2, 5), bool))
    sites = np.array([1700, 3_000_000])
    d = local_dropout(
        fit,
        np.array(["c"] * 5),
        het_pos,
        np.array(["c", "c"]),
        sites,
        params,
        correlation_length=2_000,
    )
    assert d[0, 0] > 0.6 and d[1, 0] < 0.1
    assert d[0, 1] == pytest.approx(0.2, abs=0.01) and d[1, 1] == pytest.approx(0.2, abs=0.01)


def test_clonal_loh_state_keeps_more_ctcs_from_making_a_clonal_variant_germline():
    """A clonal het in n CTCs (15 of 30 reads each) and absent from 2 deep WBCs. CTCs at
    allele fraction 1/2 fit a somatic het and a germline het alike, so with LOH a state of
    the clone (``loh_cell_independence=0``) the germline odds may grow with n only by the
    Occam factor of the carrier-fraction prior, ``c + (1 - c) mean_j pi_j^n`` at n = 2 over
    that at n = 20 (about 1.3x). With LOH drawn per cell (the default, 0.2 somatic, 0.1
    germline) each CTC multiplies them by 9/8 (8x from 2 to 20 CTCs)."""
    from ctcgenomics.snv._model import carrier_fraction_prior, site_model

    def odds(params, n_ctc):
        roles = ["ctc"] * n_ctc + ["wbc"] * 2
        alt = np.array([[15] * n_ctc + [0, 0]]).T
        depth = np.array([[30] * n_ctc + [60, 60]]).T
        m = site_model(_inputs(alt, depth, roles), params)
        assert m.p_somatic[0] > 0.5
        return m.p_germline[0] / m.p_somatic[0]

    clonal = ModelParams(loh_cell_independence=0.0)
    grid, prior = carrier_fraction_prior(clonal.n_grid, clonal.clonal_prior)
    bound = (prior * grid**2).sum() / (prior * grid**20).sum()
    assert 1.0 < bound < 1.5
    shared = [odds(clonal, n) for n in (2, 5, 10, 20)]
    assert shared[3] / shared[0] <= bound * 1.05, (shared, bound)
    assert shared == sorted(shared)
    per_cell = [odds(ModelParams(), n) for n in (2, 20)]
    growth = (per_cell[1] / per_cell[0]) / (shared[3] / shared[0])
    assert abs(np.log(growth) - 18 * np.log(9 / 8)) < 0.1


def test_states_with_equal_weights_share_one_likelihood():
    """With every CTC drawing its own state (the default), the clone's states have equal
    weights: their likelihood is computed once and shared; with a clone-level state they
    differ and each is computed."""
    from ctcgenomics.snv._model import _distinct_logliks, mixture_loglik

    rng = np.random.default_rng(0)
    f_ll = rng.normal(size=(3, 4, 5))
    w = rng.dirichlet(np.ones(5), size=(3, 4))
    out = _distinct_logliks(f_ll, [w, w.copy(), w[::-1]])
    assert out[0] is out[1] and out[2] is not out[0]
    assert np.allclose(out[2], mixture_loglik(f_ll, w[::-1]))


def test_distinct_read_count_pairs_match_numpy_unique_of_columns():
    # The artefact integrals are computed once per distinct (k, n): the integer-key
    # shortcut must give the same pairs, order and inverse as np.unique(axis=1).
    from ctcgenomics.snv._model import _distinct_pairs

    rng = np.random.default_rng(7)
    cases = []
    for top in (3, 60, 3000):
        n = rng.integers(0, top, 4000).astype(float)
        cases.append((np.minimum(rng.integers(0, 40, n.size), n).astype(float), n))
    cases.append((np.zeros(50), rng.integers(0, 9, 50).astype(float)))
    cases.append((np.array([0.5, 1.0, 0.5]), np.array([2.0, 3.0, 2.0])))  # general path
    for k, n in cases:
        pairs, inverse = np.unique(np.stack([k, n]), axis=1, return_inverse=True)
        got_pairs, got_inverse = _distinct_pairs(k, n)
        np.testing.assert_array_equal(got_pairs, pairs)
        np.testing.assert_array_equal(got_inverse, inverse.ravel())
