import numpy as np
import pytest

from ctcgenomics.cnv._ploidy import (
    fit_ploidy,
    level_error_from_normals,
    segment_mean_sd,
    with_level_error,
)


def _fit(cn, sizes, noise=0.0, **kw):
    cn = np.asarray(cn, float)
    sizes = np.asarray(sizes, float)
    mean_cn = np.dot(cn, sizes) / sizes.sum()
    means = cn / mean_cn + noise
    sd = np.full(len(cn), 0.03)
    return fit_ploidy(means, sizes, sd, min_ploidy=1.5, max_ploidy=6.0, **kw)


def test_diploid_with_gain_and_loss_is_not_doubled():
    fit = _fit([1, 2, 3, 2], [50, 200, 50, 100])
    np.testing.assert_array_equal(fit.copy_number, [1, 2, 3, 2])
    assert fit.ploidy == pytest.approx(2.0)
    assert fit.confidence > 0.9


def test_whole_genome_doubled_with_odd_states_is_tetraploid():
    fit = _fit([3, 4, 5, 4, 8], [50, 200, 50, 100, 4])
    np.testing.assert_array_equal(fit.copy_number, [3, 4, 5, 4, 8])
    assert abs(fit.ploidy - 4.0) < 0.25


def test_flat_profile_takes_lowest_ploidy():
    fit = _fit([2, 2, 2], [100, 100, 100])
    assert fit.ploidy == pytest.approx(2.0)


def test_noise_within_the_error_model_keeps_the_call():
    rng = np.random.default_rng(0)
    fit = _fit([1, 2, 3, 2], [50, 200, 50, 100], noise=rng.normal(0, 0.03, 4))
    np.testing.assert_array_equal(fit.copy_number, [1, 2, 3, 2])


def test_loh_region_read_high_after_allelic_dropout_keeps_low_ploidy():
    # Demo-like clone (issue 3): CN 2 / 5 / 2 over 35 bins, CN 1 (LOH) over 43 bins.
    # Allelic dropout removes ~15 % of reads wherever both haplotypes are present, so
    # the LOH segment reads 15 % high against the others: a systematic bias that no
    # number of bins averages out. Segment means sit exactly at those biased levels;
    # their SDs are those of 0.15 per-bin noise. Without a relative level error the
    # doubled grid (5-13-5-3) fits the bias better than the truth.
    cn = np.array([2, 5, 2, 1.0])
    n = np.array([20, 10, 5, 43.0])
    depth = cn * np.array([0.85, 0.85, 0.85, 1.0])
    means = depth / (depth @ n / n.sum())
    seg_id = np.repeat(np.arange(4), n.astype(int))
    ratio = means[seg_id] + np.random.default_rng(3).normal(0, 0.15, len(seg_id))
    sd = with_level_error(segment_mean_sd(ratio, seg_id, means, n), means, 0.03)
    fit = fit_ploidy(means, n, sd, min_ploidy=1.0, max_ploidy=6.0, penalty=2.0)
    np.testing.assert_array_equal(fit.copy_number, [2, 5, 2, 1])
    assert abs(fit.ploidy - cn @ n / n.sum()) < 0.25
    blind = fit_ploidy(
        means,
        n,
        segment_mean_sd(ratio, seg_id, means, n),
        min_ploidy=1.0,
        max_ploidy=6.0,
        penalty=2.0,
    )
    assert blind.ploidy > 2.5  # the failure mode the level error exists for


def test_level_cv_widens_long_segments_only_relatively():
    ratio = np.r_[np.full(100, 1.0), np.full(10, 2.0)]
    seg_id = np.r_[np.zeros(100, int), np.ones(10, int)]
    means, sizes = np.array([1.0, 2.0]), np.array([100.0, 10.0])
    ratio = ratio + np.random.default_rng(0).normal(0, 0.1, len(ratio))
    base = segment_mean_sd(ratio, seg_id, means, sizes)
    wide = with_level_error(base, means, 0.05)
    np.testing.assert_allclose(wide**2 - base**2, (0.05 * means) ** 2)


@pytest.mark.parametrize("true_cv", [0.0, 0.04, 0.08])
def test_level_error_from_normals_recovers_the_excess_spread(true_cv):
    """Deviations = sampling error (known SD) + a relative level error of known size."""
    rng = np.random.default_rng(3)
    n = 4000
    level = rng.choice([0.5, 1.0, 1.5], size=n)
    sd = rng.uniform(0.01, 0.05, size=n)
    dev = rng.normal(0.0, np.sqrt(sd**2 + (true_cv * level) ** 2))
    est = level_error_from_normals(dev, sd, level)
    assert est == pytest.approx(true_cv, abs=0.01)


def test_level_error_from_normals_without_segments_is_zero():
    assert level_error_from_normals(np.array([]), np.array([]), np.array([])) == 0.0


def _gain_profile():
    """A diploid genome with a loss and an 8-bin gain to 4 (ploidy 1.97), as ratios."""
    sizes = np.array([30.0, 18.0, 8.0, 22.0])
    cn = np.array([2.0, 1.0, 4.0, 2.0])
    return cn, sizes, cn / (cn @ sizes / sizes.sum())


def test_occam_term_does_not_pull_the_scale_within_its_basin():
    # Exact ratios with the level errors of strong waves: the least-squares scale is the
    # true one. The Occam term separates halved and doubled scales; applied along the
    # whole grid it pulled this scale to 1.91, where a slightly low gain rounds to 3.
    cn, sizes, means = _gain_profile()
    fit = fit_ploidy(means, sizes, np.array([0.12, 0.12, 0.25, 0.12]), min_ploidy=1.5,
                     max_ploidy=6.0, penalty=2.0)  # fmt: skip
    true_multiplier = float(cn @ sizes / sizes.sum())
    assert fit.multiplier == pytest.approx(true_multiplier, abs=0.02)
    np.testing.assert_array_equal(fit.copy_number, cn)


def _fit_gain_with_members(members_gain, own_gain, sd):
    """Fit the gain profile with the other members' gain levels (in copies) as the prior."""
    cn, sizes, means = _gain_profile()
    multiplier = float(cn @ sizes / sizes.sum())
    levels = np.tile(means[:, None], (1, len(members_gain)))
    levels[2] = np.asarray(members_gain) / multiplier
    own = means.copy()
    own[2] = own_gain / multiplier
    fit = fit_ploidy(own, sizes, np.asarray(sd), min_ploidy=1.5, max_ploidy=6.0, penalty=2.0,
                     prior_levels=levels, prior_weight=1.0)  # fmt: skip
    return fit, cn


def test_clone_prior_follows_the_members_mean_not_their_rounded_votes():
    # The gain reads 15 % low in this cell; the five other members read it 3.2, 3.2,
    # 3.5, 5.1 and 5.0 copies, a scatter their level error (waves) allows, so their
    # rounded votes favour 3 and 5 over 4, but their mean is the true 4.
    fit, cn = _fit_gain_with_members([3.2, 3.2, 3.5, 5.1, 5.0], 4 * 0.85, [0.12, 0.12, 0.3, 0.12])
    np.testing.assert_array_equal(fit.copy_number, cn)


def test_clone_prior_of_a_subclonal_change_is_the_members_states_not_their_mean():
    # Two members keep 2 copies, three carry the gain to 4, each read within a tenth
    # of a copy: their mean (3.2) is a state nobody carries. A carrier reading 3.6
    # copies is called 4, as its fellow carriers are.
    fit, cn = _fit_gain_with_members([2.0, 2.05, 3.95, 4.0, 4.05], 3.6, [0.05, 0.05, 0.15, 0.05])
    np.testing.assert_array_equal(fit.copy_number, cn)


def test_level_error_curve_skips_masked_windows_without_warning():
    # Masked bins (NaN residuals) that fill a whole window are skipped, not averaged
    # into a "Mean of empty slice" RuntimeWarning (seen on runs without WBCs).
    import warnings

    from ctcgenomics.cnv._ploidy import level_error_curve

    r = np.random.default_rng(0).normal(0.0, 0.1, 256)
    masked = r.copy()
    masked[32:64] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        curve = level_error_curve([masked], np.array([0]), np.array([0.1]))
    assert curve is not None
    # The same windows as the unmasked residuals without bins 32-63.
    kept = np.r_[r[:32], r[64:]]
    assert np.isclose(curve.variance[0], np.mean(kept**2))


def test_scattered_levels_of_a_diploid_are_level_error_not_a_doubled_scale():
    # A diploid profile of 80 segments whose levels scatter by 15 % (GC bias nobody
    # divided out, shared by the cells of a consensus), with segment SDs that only know
    # the sampling noise. With that SD fixed, a finer grid's better fit of the scattered
    # levels grows with the square of the scatter and beats the Occam term (ploidy
    # 4.2-5.0 in every seed); with the shared level error profiled at each scale, the
    # scatter is level error at the diploid scale.
    cvs = np.r_[0.0, np.geomspace(0.01, 0.5, 15)]
    for seed in range(6):
        rng = np.random.default_rng(seed)
        n = 80
        sizes = rng.integers(10, 150, n)
        cn = np.full(n, 2)
        cn[rng.choice(n, 8, replace=False)] = rng.choice([1, 3], 8)
        sd = 0.375 / np.sqrt(sizes)
        means = cn / cn.mean() * (1 + 0.15 * rng.standard_normal(n)) + sd * rng.standard_normal(n)
        kw = dict(min_ploidy=1.5, max_ploidy=5.0, penalty=2.0)
        kw["breaks"] = np.r_[True, rng.random(n - 1) < 0.3]
        assert fit_ploidy(means, sizes, sd, **kw).ploidy > 4.0
        fit = fit_ploidy(means, sizes, sd, level_cvs=cvs, **kw)
        assert abs(fit.ploidy - 2.0) < 0.35, (seed, fit.ploidy)


def test_profiled_level_error_keeps_odd_states_of_a_doubled_genome():
    # Odd states of a doubled genome sit halfway between the diploid scale's integers:
    # no shared level error explains them as well as the tetraploid scale does.
    fit = _fit([3, 4, 5, 4, 8, 3, 4], [50, 200, 50, 100, 4, 60, 80],
               level_cvs=np.r_[0.0, np.geomspace(0.01, 0.5, 15)])  # fmt: skip
    np.testing.assert_array_equal(fit.copy_number, [3, 4, 5, 4, 8, 3, 4])
