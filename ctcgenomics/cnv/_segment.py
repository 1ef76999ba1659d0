"""Segmentation of one cell's ratio profile with a hidden Markov model.

The HMM's states are a fine grid of ratio levels (not copy numbers), so segmentation
needs no ploidy: breakpoints come from Viterbi decoding, and the integer scale is
searched afterwards on the segment means (:mod:`._ploidy`). Compared with circular
binary segmentation this is linear in the number of bins (CBS is quadratic) and
finds short high-level amplicons in one pass; compared with an HMM over integer
copy states it avoids decoding once per candidate ploidy.

The Viterbi recursion is written here with numpy rather than taken from hmmlearn:
the model has fixed parameters and one switch probability shared by all jumps, so
the best predecessor of a state is either itself or the overall best state, which
makes each step O(states) instead of O(states^2); contigs are decoded side by side,
so the loop runs over the longest contig, not over all bins. hmmlearn's import (it
loads scikit-learn) cost 0.5-0.7 s of every ``ctcg cnv call``. A test checks that the
decoded paths equal hmmlearn's ``GaussianHMM.decode``.
"""

from __future__ import annotations

import numpy as np

from ctcgenomics.cnv._config import CNVConfig


def hmm_segment(
    ratio: np.ndarray,
    lengths: np.ndarray,
    *,
    sd: float,
    level_step: float = CNVConfig.level_step,
    max_ratio: float = CNVConfig.max_ratio,
    transition_prob: float = CNVConfig.transition_prob,
) -> np.ndarray:
    """Label each bin with a segment ID by Viterbi decoding over ratio levels.

    Parameters
    ----------
    ratio
        Normalised ratios of the used bins of one cell (mean about 1), contigs in
        order and contiguous.
    lengths
        Number of bins of each contig (each contig is decoded as its own sequence).
    sd
        Noise SD at ratio 1. The state variance is ``sd**2 * max(level, 0.25)**1.5``,
        between Poisson (variance proportional to the mean) and the multiplicative
        noise of whole-genome amplification (proportional to its square).
    level_step
        Spacing of the levels.
    max_ratio
        Highest level; larger ratios are clipped to it.
    transition_prob
        Probability of leaving a level between adjacent bins.

    Returns
    -------
    numpy.ndarray
        Integer segment ID per bin, increasing along the genome; a new ID starts at
        each change of level and at each contig start.
    """
    levels = np.arange(0.0, max_ratio + level_step / 2, level_step)
    sd = max(float(sd), 0.01) if np.isfinite(sd) else 0.1
    var = sd**2 * np.maximum(levels, 0.25) ** 1.5
    x = np.clip(ratio, 0.0, max_ratio)
    loglik = -0.5 * (np.log(2.0 * np.pi * var) + (x[:, None] - levels) ** 2 / var)
    states = viterbi_uniform_jumps(loglik, np.asarray(lengths, dtype=int), transition_prob)
    change = np.ones(len(states), dtype=bool)
    change[1:] = states[1:] != states[:-1]
    change[np.cumsum(lengths)[:-1]] = True
    return np.cumsum(change) - 1


def viterbi_uniform_jumps(
    loglik: np.ndarray,
    lengths: np.ndarray,
    transition_prob: float,
    *,
    max_batch_bytes: int = 64 << 20,
) -> np.ndarray:
    """Most likely state path of an HMM whose jumps all have the same probability.

    The chain stays in its state with probability ``1 - transition_prob`` and moves
    to each other state with ``transition_prob / (k - 1)``; the start is uniform.
    Sequences (contigs) are decoded side by side, so the Python loop runs over the
    longest contig rather than over all bins.

    Parameters
    ----------
    loglik
        Emission log-likelihoods, observations x ``k`` states.
    lengths
        Lengths of the independent sequences the observations are made of.
    transition_prob
        Probability of leaving the current state.
    max_batch_bytes
        Memory for the traceback of one batch of sequences decoded together.

    Returns
    -------
    numpy.ndarray
        State index per observation (ties go to the lowest index, as in hmmlearn).
    """
    n, k = loglik.shape
    lengths = np.asarray(lengths, dtype=np.int64)
    if k == 1:
        return np.zeros(n, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    out = np.empty(n, dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    order = order[lengths[order] > 0]
    i = 0
    while i < len(order):
        per_sequence = int(lengths[order[i]]) * (k + 8)  # longest first sets the padding
        size = max(1, min(len(order) - i, max_batch_bytes // max(per_sequence, 1)))
        batch = order[i : i + size]
        _viterbi_batch(loglik, starts[batch], lengths[batch], transition_prob, out)
        i += size
    return out


def _viterbi_batch(
    loglik: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    transition_prob: float,
    out: np.ndarray,
) -> None:
    """Decode several sequences at once (see :func:`viterbi_uniform_jumps`)."""
    k = loglik.shape[1]
    m, longest = len(starts), int(lengths.max())
    log_stay = np.log1p(-transition_prob)
    log_jump = np.log(transition_prob / (k - 1))
    rows = np.arange(m)
    last = starts + lengths - 1
    # Traceback: at step t a state came from itself, or else from best[t] at t - 1.
    from_self = np.empty((longest, m, k), dtype=bool)
    best = np.zeros((longest, m), dtype=np.int64)
    delta = loglik[starts] - np.log(k)
    final = delta.argmax(axis=1)
    ending = {int(t): np.flatnonzero(lengths == t + 1) for t in np.unique(lengths - 1)}
    # Row of each sequence's emission at each step; ended sequences repeat their last.
    emission_row = np.minimum(starts[None, :] + np.arange(longest)[:, None], last[None, :])
    for t in range(1, longest):
        b = delta.argmax(axis=1)
        stay = delta + log_stay
        jump = (delta[rows, b] + log_jump)[:, None]
        np.greater_equal(stay, jump, out=from_self[t])
        best[t] = b
        delta = np.maximum(stay, jump, out=stay)
        delta += loglik[emission_row[t]]
        if t in ending:
            final[ending[t]] = delta[ending[t]].argmax(axis=1)
    # Trace back one segment at a time: a state is kept until the last step at which
    # it did not come from itself, where the path jumps to that step's best state.
    for j in range(m):
        t, state, start = int(lengths[j]) - 1, int(final[j]), int(starts[j])
        while t > 0:
            moved = np.flatnonzero(~from_self[1 : t + 1, j, state])
            if len(moved) == 0:
                break
            t_jump = int(moved[-1]) + 1
            out[start + t_jump : start + t + 1] = state
            state, t = int(best[t_jump, j]), t_jump - 1
        out[start : start + t + 1] = state


def refine_breakpoints(
    ratio: np.ndarray, cn: np.ndarray, contig_starts: np.ndarray, *, window: int = 10
) -> np.ndarray:
    """Move each copy-number change to the least-squares split point near it.

    Viterbi places a low-contrast change (one copy on a base of four) where the
    amplification waves make the likelihood jump, which can be bins away from the
    true boundary. Each change between two runs is re-placed at the split of the
    union of the two runs, within ``window`` bins, that minimises the within-run sum
    of squares (the two-sample statistic of binary segmentation), keeping at least
    one bin per run.

    Parameters
    ----------
    ratio
        Ratios of one cell (used bins).
    cn
        Integer copy number per bin.
    contig_starts
        Index of the first bin of each contig (changes never cross contigs).
    window
        Largest move in bins.

    Returns
    -------
    numpy.ndarray
        Copy number per bin with refined boundaries (same run values).
    """
    out = cn.copy()
    boundary = np.zeros(len(cn), dtype=bool)
    boundary[contig_starts] = True
    change = np.flatnonzero((cn[1:] != cn[:-1]) & ~boundary[1:]) + 1
    if len(change) == 0:
        return out
    run_starts = np.unique(np.concatenate([contig_starts, change]))
    run_ends = np.append(run_starts[1:], len(cn))
    # Values by run (not read back from ``cn`` at moved starts: a boundary moved left
    # puts the next run's start where ``cn`` still holds the previous run's value).
    values = cn[run_starts]
    cum = np.concatenate([[0.0], np.cumsum(ratio)])
    cum2 = np.concatenate([[0.0], np.cumsum(ratio**2)])

    def sse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        n = b - a
        s = cum[b] - cum[a]
        return cum2[b] - cum2[a] - s * s / np.maximum(n, 1)

    for k in range(1, len(run_starts)):
        b = run_starts[k]
        if boundary[b]:
            continue
        a, c = run_starts[k - 1], run_ends[k]
        lo, hi = max(a + 1, b - window), min(c - 1, b + window)
        if hi <= lo:
            continue
        splits = np.arange(lo, hi + 1)
        best = int(
            splits[
                np.argmin(
                    sse(np.full(len(splits), a), splits) + sse(splits, np.full(len(splits), c))
                )
            ]
        )
        out[a:best] = values[k - 1]
        out[best:c] = values[k]
        run_starts[k] = best
    return out
