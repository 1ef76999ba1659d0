"""Integer copy number: a scale (ploidy) search on segment means, as in Ginkgo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ctcgenomics.cnv._normalise import newey_west_variance


@dataclass(frozen=True)
class PloidyFit:
    """Result of :func:`fit_ploidy`."""

    multiplier: float
    """Copy number of a bin at ratio 1 (mean ratio is 1, so about the ploidy)."""
    copy_number: np.ndarray
    """Integer copy number of each segment."""
    ploidy: float
    """Bin-weighted mean integer copy number."""
    confidence: float
    """Posterior probability of ploidies within 0.5 of the chosen one."""
    error: float
    """Ginkgo's weighted squared distance to integers (copy-number units)."""


def segment_mean_sd(
    ratio: np.ndarray,
    seg_id: np.ndarray,
    means: np.ndarray,
    sizes: np.ndarray,
    *,
    max_lag: int = 25,
) -> np.ndarray:
    """SD of each segment mean, allowing for autocorrelated amplification bias.

    Whole-genome amplification adds coverage waves spanning many bins, so a segment
    mean is far less precise than ``s / sqrt(n)``. The long-run variance of the
    residuals around the segment means (Newey-West, Bartlett kernel up to
    ``max_lag`` bins) replaces ``s**2``; the result is scaled by the level as in the
    segmentation's noise model (variance ~ level**1.5).

    The relative level error that does not shrink with segment length is added by
    :func:`with_level_error`.
    """
    long_run = max(newey_west_variance(ratio - means[seg_id], max_lag=max_lag), 1e-6)
    return np.sqrt(long_run / sizes * np.maximum(means, 0.25) ** 1.5)


def with_level_error(sd: np.ndarray, means: np.ndarray, level_cv: float) -> np.ndarray:
    """Add a relative level error ``level_cv * level`` to segment-mean SDs (in quadrature).

    The error does not shrink with segment length: a segment's depth is not exactly
    proportional to its copy number. Allelic dropout of whole-genome amplification
    removes reads only where both haplotypes are present, so a heterozygous region
    reads 10-20 % low against a region of loss of heterozygosity; residual GC and
    mappability bias act per region, too. Without it a long segment's mean looks so
    precise that a finer integer grid (a doubled ploidy) fitting such a bias wins the
    scale search.
    """
    return np.sqrt(sd**2 + (level_cv * np.maximum(means, 0.25)) ** 2)


def level_error_from_normals(deviation: np.ndarray, sd: np.ndarray, level: np.ndarray) -> float:
    """Relative level error of segments, estimated on cells known to be diploid.

    Segments of normal cells should sit exactly on their integer level; what their
    means deviate beyond the sampling SD of :func:`segment_mean_sd` is level error
    that does not average out along a segment (amplification waves that the
    segmentation cut out as segments of their own, allelic-dropout and residual GC
    bias). Method of moments over all segments of all normal cells:
    ``cv**2 = sum(d_j**2 - sd_j**2) / sum(level_j**2)``, floored at 0. The same run's
    CTCs share the chemistry, so this calibrates ``level_cv`` for them: where the WBCs
    show no such error it stays 0 and one-copy steps of doubled cells keep their full
    weight.

    Parameters
    ----------
    deviation
        Segment mean minus its fitted level (``copy_number / multiplier``), ratio units.
    sd
        Sampling SD of each segment mean (:func:`segment_mean_sd`).
    level
        Fitted level of each segment (ratio units).

    Returns
    -------
    float
        Estimated ``level_cv`` (0 when there are no segments).
    """
    deviation, sd, level = (np.asarray(v, dtype=float) for v in (deviation, sd, level))
    ok = np.isfinite(deviation) & np.isfinite(sd) & np.isfinite(level)
    if not ok.any():
        return 0.0
    excess = float(np.sum(deviation[ok] ** 2 - sd[ok] ** 2))
    return float(np.sqrt(max(excess, 0.0) / np.sum(np.maximum(level[ok], 0.25) ** 2)))


def fit_ploidy(
    means: np.ndarray,
    weights: np.ndarray,
    sd: np.ndarray,
    *,
    min_ploidy: float,
    max_ploidy: float,
    step: float = 0.01,
    max_cn: int = 20,
    penalty: float = 1.0,
) -> PloidyFit:
    """Choose the scale that turns segment means into integer copy numbers.

    1. Candidates: local minima over a grid of multipliers ``P`` of Ginkgo's error
       ``E(P) = sum_j n_j (P m_j - round(P m_j))**2``.
    2. Each candidate is scored by a penalised likelihood,
       ``chi2(P) / 2 + penalty * S * log(P)`` with
       ``chi2(P) = sum_j ((m_j - round(P m_j) / P) / sd_j)**2`` (ratio units, so a finer
       grid always fits at least as well) and ``S`` segments. The Occam term is the
       cost of choosing each segment's level among about ``P`` times more levels; it
       makes a whole-genome-doubled fit win only when odd copy states (3, 5 on a
       base of 4) demand it, and resolves proportional profiles (1-2-3 vs 2-4-6) to
       the lower ploidy.

    The confidence is the posterior weight (``exp(-score)``, normalised over the
    candidates) of candidates whose ploidy is within 0.5 of the chosen one.

    Parameters
    ----------
    means
        Mean ratio of each segment (ratios normalised to a bin mean of 1).
    weights
        Bins per segment.
    sd
        SD of each segment mean (:func:`segment_mean_sd`).
    min_ploidy, max_ploidy, step
        Grid of multipliers.
    max_cn
        Copy numbers are capped here.
    penalty
        Weight of the Occam term.
    """
    means = np.asarray(means, dtype=float)
    weights = np.asarray(weights, dtype=float)
    sd = np.maximum(np.asarray(sd, dtype=float), 1e-4)
    grid = np.arange(min_ploidy, max_ploidy + step / 2, step)
    scaled = grid[:, None] * means[None, :]
    cn = np.clip(np.rint(scaled), 0, max_cn)
    err = ((scaled - cn) ** 2 * weights[None, :]).sum(axis=1)
    chi2 = (((means[None, :] - cn / grid[:, None]) / sd[None, :]) ** 2).sum(axis=1)
    score_all = 0.5 * chi2 + penalty * len(means) * np.log(grid)
    # Candidates are the local minima of the penalised score itself, not of Ginkgo's
    # error: that error weights segments by bins in copy-number units, so one long
    # segment read slightly off (e.g. an LOH region after allelic dropout) sets the
    # scale and short high-level segments are rounded wrongly.
    # (Strict local minima by comparison with both neighbours: scipy.signal.argrelmin
    # does the same but costs a third of a second of import in every CLI call.)
    padded = np.concatenate([[np.inf], score_all, [np.inf]])
    inner = padded[1:-1]
    cand = np.flatnonzero((inner < padded[:-2]) & (inner < padded[2:]))
    # Plateaus (equal neighbours) are not strict minima: add the global one.
    cand = np.union1d(cand, [int(np.argmin(score_all))])
    score = score_all[cand]
    choice = int(np.argmin(score))
    best = int(cand[choice])
    ploidies = (cn[cand] * weights[None, :]).sum(axis=1) / weights.sum()
    logp = -score - logsumexp(-score)
    near = np.abs(ploidies - ploidies[choice]) < 0.5
    conf = float(np.exp(logsumexp(logp[near])))
    return PloidyFit(
        float(grid[best]),
        cn[best].astype(int),
        float(ploidies[choice]),
        float(np.clip(conf, 0.0, 1.0)),
        float(err[best]),
    )
