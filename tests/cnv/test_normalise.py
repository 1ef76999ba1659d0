"""Normalisation: GC correction on short references (issue 3: a GC-extreme segment was
erased) and the leave-one-out panel of normals."""

import warnings

import numpy as np
import pytest

from ctcgenomics.cnv._normalise import gc_expected, leave_one_out_medians


def _reference(n: int, rng: np.random.Generator) -> np.ndarray:
    # GC varies regionally (isochores): a smooth walk, so neighbouring bins share GC.
    return 0.45 + 0.05 * np.sin(np.linspace(0, 5, n)) + rng.normal(0, 0.01, n)


def test_gc_extreme_short_segment_survives_on_a_short_reference():
    rng = np.random.default_rng(1)
    n = 78
    gc = _reference(n, rng)
    cn = np.ones(n)
    low = np.argsort(gc)[:5]  # the five lowest-GC bins carry a one-copy gain
    cn[low] = 2.0
    counts = rng.poisson(150 * cn).astype(float)
    kept = counts / gc_expected(counts, gc, frac=0.3, min_bins=100)
    kept /= np.median(kept)
    assert kept[low].mean() > 1.7  # truth 2
    # The narrow span alone fits the gain as GC bias (the demo's failure).
    erased = counts / gc_expected(counts, gc, frac=0.3, min_bins=0)
    erased /= np.median(erased)
    assert erased[low].mean() < kept[low].mean() - 0.2


def test_real_gc_bias_still_removed():
    rng = np.random.default_rng(2)
    n = 600
    gc = rng.uniform(0.35, 0.6, n)
    effect = np.exp(-30 * (gc - 0.45) ** 2)  # unimodal GC curve, as in MDA libraries
    counts = rng.poisson(150 * effect).astype(float)
    ratio = counts / gc_expected(counts, gc, frac=0.3, min_bins=100)
    raw_sd = np.std(counts / counts.mean())
    assert np.std(ratio) < 0.5 * raw_sd
    assert np.corrcoef(ratio, gc)[0, 1] ** 2 < 0.01


def test_gc_curve_fitted_with_free_segment_levels_keeps_a_gc_correlated_gain():
    # An 8-bin gain to twice the level on the highest-GC stretch of a 78-bin contig with
    # a GC curve (the independent simulator's GC track and curve shape). Fitted alone,
    # the curve takes part of the step for GC bias; with the segments given, each has its
    # own level and the gain stays near its truth, 2.
    joint, alone = [], []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        n = 78
        walk = np.convolve(rng.normal(0, 1, n + 20), np.ones(10) / 10, "same")[10 : n + 10]
        gc = 0.42 + 0.03 * walk / walk.std()
        start = int(np.argmax(np.convolve(gc, np.ones(8), "valid")))
        gain = np.zeros(n, dtype=bool)
        gain[start : start + 8] = True
        effect = np.exp(2 * (gc - 0.42) - 30 * (gc - 0.42) ** 2)
        counts = rng.poisson(150 * np.where(gain, 2.0, 1.0) * effect).astype(float)
        segments = np.cumsum(np.r_[0, np.diff(gain.astype(int)) != 0])
        for out, seg in ((joint, segments), (alone, None)):
            ratio = counts / gc_expected(counts, gc, min_bins=100, segments=seg)
            out.append(ratio[gain].mean() / ratio[~gain].mean())
    joint_err, alone_err = np.abs(np.array(joint) - 2.0), np.abs(np.array(alone) - 2.0)
    assert joint_err.max() < 0.25, joint
    assert alone_err.max() > 0.4, alone  # the absorption the segments prevent
    assert joint_err.mean() < 0.5 * alone_err.mean(), (joint, alone)


def test_gc_bias_still_removed_with_segments_given():
    rng = np.random.default_rng(2)
    n = 600
    gc = rng.uniform(0.35, 0.6, n)
    effect = np.exp(-30 * (gc - 0.45) ** 2)
    counts = rng.poisson(150 * effect).astype(float)
    segments = np.repeat(np.arange(6), 100)  # segments at one level: nothing to take
    ratio = counts / gc_expected(counts, gc, frac=0.3, min_bins=100, segments=segments)
    assert np.std(ratio) < 0.5 * np.std(counts / counts.mean())
    assert np.corrcoef(ratio, gc)[0, 1] ** 2 < 0.01


def test_newey_west_variance_matches_statsmodels_autocovariances():
    """The numpy autocovariances equal statsmodels' acovf, with and without NaNs."""
    from statsmodels.tsa.stattools import acovf

    from ctcgenomics.cnv._normalise import newey_west_variance

    rng = np.random.default_rng(3)
    e = rng.normal(size=500)
    x = e + 0.6 * np.roll(e, 1)  # MA(1): long-run variance (1 + 0.6)^2 = 2.56
    x[rng.choice(500, 40, replace=False)] = np.nan
    for series, missing in ((np.nan_to_num(x), "none"), (x, "conservative")):
        lag = 8
        gamma = acovf(series, nlag=lag, missing=missing, demean=True)
        kernel = 1.0 - np.arange(1, lag + 1) / (lag + 1)
        expected = gamma[0] + 2.0 * np.dot(kernel, gamma[1:])
        assert np.isclose(newey_west_variance(series, max_lag=lag), expected, rtol=1e-10)
    assert abs(newey_west_variance(np.nan_to_num(x), max_lag=20) - 2.56 * 0.92) < 0.6


@pytest.mark.parametrize("n_rows", [1, 2, 3, 4, 7, 12])
def test_leave_one_out_medians_equal_deleting_each_row(n_rows):
    rng = np.random.default_rng(n_rows)
    values = np.round(rng.normal(1.0, 0.1, (n_rows, 200)), 2)  # rounding makes ties
    values[rng.random(values.shape) < 0.1] = np.nan
    values[:, 3] = np.nan  # a column without values
    values[:, 4] = 1.0  # a column of equal values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        expected = np.array(
            [np.nanmedian(np.delete(values, k, axis=0), axis=0) for k in range(n_rows)]
        )
    got = leave_one_out_medians(values)
    np.testing.assert_array_equal(got, expected)
