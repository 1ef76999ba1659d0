import numpy as np
import pytest

from ctcgenomics.cnv._ploidy import fit_ploidy


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
