"""Segmentation of one cell's ratio profile with a hidden Markov model (hmmlearn).

The HMM's states are a fine grid of ratio levels (not copy numbers), so segmentation
needs no ploidy: breakpoints come from Viterbi decoding, and the integer scale is
searched afterwards on the segment means (:mod:`._ploidy`). Compared with circular
binary segmentation this is linear in the number of bins (CBS is quadratic) and
finds short high-level amplicons in one pass; compared with an HMM over integer
copy states it avoids decoding once per candidate ploidy.
"""

from __future__ import annotations

import numpy as np
from hmmlearn.hmm import GaussianHMM


def hmm_segment(
    ratio: np.ndarray,
    lengths: np.ndarray,
    *,
    sd: float,
    level_step: float = 0.08,
    max_ratio: float = 6.0,
    transition_prob: float = 1e-4,
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
    k = len(levels)
    model = GaussianHMM(n_components=k, covariance_type="diag", init_params="", params="")
    model.startprob_ = np.full(k, 1.0 / k)
    trans = np.full((k, k), transition_prob / (k - 1))
    np.fill_diagonal(trans, 1.0 - transition_prob)
    model.transmat_ = trans
    model.means_ = levels[:, None]
    sd = max(float(sd), 0.01) if np.isfinite(sd) else 0.1
    model.covars_ = (sd**2 * np.maximum(levels, 0.25) ** 1.5)[:, None]
    x = np.clip(ratio, 0.0, max_ratio)[:, None]
    _, states = model.decode(x, lengths=np.asarray(lengths, dtype=int), algorithm="viterbi")
    change = np.ones(len(states), dtype=bool)
    change[1:] = states[1:] != states[:-1]
    change[np.cumsum(lengths)[:-1]] = True
    return np.cumsum(change) - 1


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
        out[a:best] = cn[a]
        out[best:c] = cn[b]
        run_starts[k] = best
    return out
