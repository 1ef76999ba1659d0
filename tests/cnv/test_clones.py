"""Clone distances: the run-length shortcut must equal the plain per-bin distance."""

import numpy as np
from scipy.spatial.distance import pdist

from ctcgenomics.cnv._clones import profile_distances


def test_profile_distances_equal_mean_absolute_difference_per_bin():
    rng = np.random.default_rng(7)
    n_cells, n_bins = 40, 600
    x = np.full((n_cells, n_bins), 2.0)
    x[:20, 100:300] = 3  # a clone's gain: a breakpoint shared by 20 cells
    x[20:, 400:] = 4
    for i in range(n_cells):  # private changes, some one bin long
        a = rng.integers(0, n_bins - 1)
        x[i, a : a + rng.integers(1, 30)] = rng.integers(0, 9)
    x[5, 50] = 2.5  # a bin median filled in for a missing value
    expected = pdist(x, metric="cityblock") / n_bins
    got = profile_distances(x)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    # Fewer columns than bins is the point of the shortcut, not a change of result.
    assert np.count_nonzero(np.any(x[:, 1:] != x[:, :-1], axis=0)) < n_bins / 2


def test_profile_distances_of_identical_and_empty_profiles():
    x = np.full((3, 50), 2.0)
    np.testing.assert_array_equal(profile_distances(x), np.zeros(3))
    assert profile_distances(np.zeros((3, 0))).tolist() == [0.0, 0.0, 0.0]
