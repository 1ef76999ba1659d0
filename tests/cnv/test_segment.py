"""The numpy Viterbi against hmmlearn, and segmentation against simulated truth."""

import numpy as np
import pytest

from ctcgenomics.cnv._segment import hmm_segment, refine_breakpoints, viterbi_uniform_jumps


def _steps(rng, n_segments=30, length=100):
    levels = rng.choice([0.0, 0.5, 1.0, 1.5, 2.0, 4.0], n_segments)
    truth = np.repeat(levels, length)
    noise = rng.normal(0.0, 0.12, len(truth)) * np.sqrt(np.maximum(truth, 0.25))
    return truth, np.clip(truth + noise, 0.0, 6.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_viterbi_equals_hmmlearn_decode(seed):
    from hmmlearn import hmm  # test dependency: the reference implementation

    rng = np.random.default_rng(seed)
    _, x = _steps(rng)
    levels = np.arange(0.0, 6.04, 0.08)
    k, p = len(levels), 1e-4
    var = 0.12**2 * np.maximum(levels, 0.25) ** 1.5
    lengths = np.array([[1000, 1500, 500], [700, 1, 1200, 1099], [3000]][seed])
    model = hmm.GaussianHMM(n_components=k, covariance_type="diag", init_params="", params="")
    model.startprob_ = np.full(k, 1.0 / k)
    trans = np.full((k, k), p / (k - 1))
    np.fill_diagonal(trans, 1.0 - p)
    model.transmat_, model.means_, model.covars_ = trans, levels[:, None], var[:, None]
    _, expected = model.decode(x[:, None], lengths=lengths, algorithm="viterbi")
    loglik = -0.5 * (np.log(2 * np.pi * var) + (x[:, None] - levels) ** 2 / var)
    assert np.array_equal(viterbi_uniform_jumps(loglik, lengths, p), expected)
    # Contigs decoded one at a time (tiny traceback budget) give the same path.
    one_by_one = viterbi_uniform_jumps(loglik, lengths, p, max_batch_bytes=1)
    assert np.array_equal(one_by_one, expected)


def test_single_state_and_one_bin_sequences():
    assert viterbi_uniform_jumps(np.zeros((4, 1)), np.array([4]), 1e-3).tolist() == [0] * 4
    loglik = np.log(np.array([[0.9, 0.1], [0.1, 0.9]]))
    assert viterbi_uniform_jumps(loglik, np.array([1, 1]), 1e-3).tolist() == [0, 1]


def test_hmm_segment_finds_the_simulated_breakpoints():
    rng = np.random.default_rng(7)
    truth, x = _steps(rng)
    lengths = np.array([len(x)])
    seg = hmm_segment(x, lengths, sd=0.12)
    true_breaks = np.flatnonzero(np.diff(truth) != 0) + 1
    found = np.flatnonzero(np.diff(seg) != 0) + 1
    assert len(found) == len(true_breaks)
    assert np.abs(found - true_breaks).max() <= 1
    # Each contig starts a new segment even without a change of level.
    seg2 = hmm_segment(np.ones(20), np.array([10, 10]), sd=0.1)
    assert seg2.tolist() == [0] * 10 + [1] * 10


def test_refine_breakpoints_keeps_run_values_when_a_boundary_moves_left():
    """A short run after a boundary moved left keeps its own value (not its neighbour's)."""
    ratio = np.r_[np.ones(30), np.full(6, 1.5), np.ones(30)]
    cn = np.r_[np.full(33, 2.0), np.full(6, 3.0), np.full(27, 2.0)]  # gain placed 3 bins late
    out = refine_breakpoints(ratio, cn, np.array([0]))
    np.testing.assert_array_equal(out, np.r_[np.full(30, 2.0), np.full(6, 3.0), np.full(30, 2.0)])
