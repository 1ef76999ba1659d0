"""Focal events the segmentation cannot see: deep deletions and one-bin amplicons.

Segmentation runs on ratios whose single-bin outliers are replaced (amplification noise
makes single bins jump), and its jump penalty needs several bins of evidence. Two kinds
of short event carry far more evidence per bin than noise can make, and are what a CTC
report is read for:

- **zero is evidence**: a run of bins with (near) no reads where at least one copy
  would give hundreds is a homozygous deletion. Each bin is tested against one copy
  (the lowest non-zero level) with a log-normal-Poisson model of the cell's noise; runs
  of at least ``min_bins`` bins (default 2: a single empty bin can be a mapping gap) whose
  summed evidence passes a Bonferroni bound over the cell's bins are set to 0;
- **one-bin amplicons**: a bin far above its segment (z above the Bonferroni bound for
  the cell's bins) whose ratio implies at least ``amplification_ratio`` times the base
  copy number keeps its own copy number (``round(multiplier * ratio)``) instead of being
  smoothed away.

The noise model is the cell's own: multiplicative (log-normal) SD estimated from the
residuals of log ratios around the fitted levels (robust, by MAD), plus Poisson.
"""

from __future__ import annotations

import itertools
from statistics import NormalDist

import numpy as np


def log_noise_sd(
    counts: np.ndarray,
    expected: np.ndarray,
    level: np.ndarray,
    contig_starts: np.ndarray,
    *,
    waves: bool = False,
) -> float:
    """Multiplicative noise SD (natural log) of one cell around its fitted levels.

    Robust: 1.4826 MAD of adjacent differences of log residuals over sqrt 2, minus the
    median Poisson part, over bins with a level above 0. Adjacent differences leave out
    amplification waves (they span several bins), which is right for a one-bin spike
    judged against its neighbours. With ``waves=True`` the MAD is of the residuals
    themselves, waves included: the spread of a run of bins judged against the
    segment's level (a wave trough is several bins low together).
    """
    ok = (level > 0) & (expected > 0)
    resid = np.log((counts + 0.5) / (expected * np.maximum(level, 1e-6)))
    if waves:
        d, scale = resid[ok], 1.0
    else:
        keep = ok[1:] & ok[:-1]
        keep[np.asarray(contig_starts[1:], dtype=int) - 1] = False
        d, scale = np.diff(resid)[keep], np.sqrt(2)
    if len(d) < 10:
        return 0.3
    sd = 1.4826 * float(np.median(np.abs(d - np.median(d)))) / scale
    poisson = float(np.median(1.0 / (expected[ok] * level[ok] + 0.5)))
    return float(np.sqrt(max(sd**2 - poisson, 0.01**2)))


def _bonferroni_z(n: int, alpha: float) -> float:
    return NormalDist().inv_cdf(1 - alpha / max(n, 1))


def deep_deletions(
    counts: np.ndarray,
    expected: np.ndarray,
    cn: np.ndarray,
    multiplier: float,
    sigma: float,
    contig_starts: np.ndarray,
    *,
    min_bins: int = 2,
    alpha: float = 0.01,
) -> np.ndarray:
    """Bins of runs called homozygously deleted (copy number 0).

    Parameters
    ----------
    counts
        Reads per used bin of one cell.
    expected
        Expected reads at ratio 1 per bin (GC-, panel- or normal-corrected, scaled).
    cn
        Copy number per bin from the segmentation.
    multiplier
        Copy number at ratio 1 (one copy is ratio ``1 / multiplier``).
    sigma
        Multiplicative noise SD (:func:`log_noise_sd`), waves included: the run is
        judged against the global one-copy level, which a wave trough also undercuts.
    contig_starts
        First bin of each contig (runs do not cross contigs).
    min_bins
        Shortest run called.
    alpha
        Family-wise error over the cell's bins.

    Returns
    -------
    numpy.ndarray
        Boolean mask of bins to set to 0.
    """
    one_copy = 1.0 / max(multiplier, 1e-6)
    mu1 = expected * one_copy
    x = np.log((counts + 0.5) / np.maximum(mu1, 1e-9))
    z = x / np.sqrt(sigma**2 + 1.0 / (mu1 + 0.5))
    z_bin = 3.0  # each bin of a run must itself be unlike one copy
    candidate = (z < -z_bin) & (counts < 0.5 * mu1) & (expected > 0)
    out = np.zeros(len(counts), dtype=bool)
    z_run = _bonferroni_z(len(counts), alpha)
    bounds = [*np.asarray(contig_starts, dtype=int).tolist(), len(counts)]
    for a, b in itertools.pairwise(bounds):
        c = candidate[a:b]
        if not c.any():
            continue
        edges = np.flatnonzero(np.diff(np.r_[0, c.astype(int), 0]))
        for s, e in zip(edges[::2], edges[1::2], strict=True):
            if e - s < min_bins:
                continue
            # Evidence of the run as one z (Stouffer): bins are independent given levels.
            zr = -float(np.sum(z[a + s : a + e])) / np.sqrt(e - s)
            if zr > z_run:
                out[a + s : a + e] = True
    out &= cn > 0
    return out


def local_one_copy(
    ratio: np.ndarray,
    cn: np.ndarray,
    contig_starts: np.ndarray,
    *,
    inner: int = 2,
    outer: int = 6,
) -> tuple[np.ndarray, np.ndarray]:
    """Ratio of one copy around each bin, from its flanks: the local baseline of a spike.

    Amplification waves span several bins, so a bin on a wave crest sits far above its
    segment's mean although it is not above its neighbours. The median of ``ratio / cn``
    over the bins at distance ``inner`` to ``outer`` on both sides (same contig, copy
    number above 0) measures one copy *there*, wave included; the nearest ``inner - 1``
    bins are skipped so that the other bins of a 2-3-bin amplicon do not raise it.

    Returns
    -------
    unit : numpy.ndarray
        Local ratio of one copy per bin (NaN without flank bins).
    n_flank : numpy.ndarray
        Flank bins used per bin.
    """
    n = len(ratio)
    contig = np.zeros(n, dtype=np.int64)
    contig[np.asarray(contig_starts, dtype=int)[1:]] = 1
    contig = np.cumsum(contig)
    per_copy = np.where(cn > 0, ratio / np.maximum(cn, 1e-9), np.nan)
    offsets = [d for d in range(-outer, outer + 1) if abs(d) >= inner]
    stack = np.full((len(offsets), n), np.nan)
    idx = np.arange(n)
    for k, d in enumerate(offsets):
        src = idx + d
        ok = (src >= 0) & (src < n)
        ok[ok] &= contig[src[ok]] == contig[ok]
        stack[k, ok] = per_copy[src[ok]]
    n_flank = np.sum(np.isfinite(stack), axis=0)
    unit = np.full(n, np.nan)
    has = n_flank > 0
    unit[has] = np.nanmedian(stack[:, has], axis=0)
    return unit, n_flank


def focal_amplicons(
    counts: np.ndarray,
    expected: np.ndarray,
    cn: np.ndarray,
    multiplier: float,
    sigma: float,
    *,
    base: float,
    amplification_ratio: float,
    max_cn: int,
    contig_starts: np.ndarray | None = None,
    max_bins: int = 3,
    alpha: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """Short runs (up to ``max_bins``) far above their flanks at amplification level.

    A bin qualifies when its count is above its local level by more than the Bonferroni
    z bound for the cell's bins (log-normal-Poisson noise, plus the error of the flank
    median) and its copy number measured against its flanks implies at least
    ``amplification_ratio * base`` copies. The local level is one copy measured on the
    flanks (:func:`local_one_copy`) times the bin's copy number: a wave crest raises
    the flanks as much as the bin, an amplicon only the bin. Without ``contig_starts``
    (or flanks) the segment's level is used. Runs longer than ``max_bins`` are the
    segmentation's business.

    Returns
    -------
    mask : numpy.ndarray
        Bins to reset.
    copy_number : numpy.ndarray
        Their copy number (ratio over the local one-copy ratio, rounded, capped at
        ``max_cn``).
    """
    one = 1.0 / max(multiplier, 1e-6)
    ratio = counts / np.maximum(expected, 1e-9)
    unit = np.full(len(counts), one)
    flank_var = np.zeros(len(counts))
    if contig_starts is not None:
        local, n_flank = local_one_copy(ratio, cn, contig_starts)
        ok = np.isfinite(local) & (local > 0)
        unit = np.where(ok, local, one)
        # Variance of a median of k log-normal values: about (pi / 2) sigma**2 / k.
        flank_var = np.where(ok, np.pi / 2 * sigma**2 / np.maximum(n_flank, 1), 0.0)
    mu = expected * unit * np.maximum(cn, 0.5)
    z = np.log((counts + 0.5) / np.maximum(mu, 1e-9)) / np.sqrt(
        sigma**2 + flank_var + 1.0 / (mu + 0.5)
    )
    implied = np.rint(ratio / unit)
    hit = (z > _bonferroni_z(len(counts), alpha)) & (implied >= amplification_ratio * base)
    hit &= implied > cn
    if hit.any():
        edges = np.flatnonzero(np.diff(np.r_[0, hit.astype(int), 0]))
        for s, e in zip(edges[::2], edges[1::2], strict=True):
            if e - s > max_bins:
                hit[s:e] = False
    return hit, np.minimum(implied, max_cn)


def seg_levels(values: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Mean of ``values`` over each run of equal ``seg`` labels, per bin."""
    change = np.r_[True, seg[1:] != seg[:-1]]
    ids = np.cumsum(change) - 1
    sums = np.bincount(ids, weights=values)
    sizes = np.bincount(ids)
    return (sums / sizes)[ids]


def consensus_spikes(
    consensus: np.ndarray,
    level: np.ndarray,
    contig_starts: np.ndarray,
    *,
    alpha: float = 0.01,
    min_fold: float = 1.5,
) -> np.ndarray:
    """Bins of a group's consensus far above their segment (shared one-bin amplicons).

    The consensus averages the members' noise, so a spike that is marginal in each cell
    is clear in the consensus: z of the log ratio to the segment level, with the
    consensus's robust per-bin SD, above the Bonferroni bound for its bins, and at least
    ``min_fold`` times the level (the consensus dilutes an amplicon that only some
    members carry; each member then decides with its own reads and the others' votes,
    :func:`focal_with_prior`).
    """
    resid = np.log(np.maximum(consensus, 1e-3) / np.maximum(level, 1e-3))
    d = np.diff(resid)
    keep = np.ones(len(d), dtype=bool)
    keep[np.asarray(contig_starts[1:], dtype=int) - 1] = False
    d = d[keep]
    if len(d) < 10:
        return np.zeros(0, dtype=np.int64)
    sd = 1.4826 * float(np.median(np.abs(d - np.median(d)))) / np.sqrt(2)
    z = resid / max(sd, 1e-6)
    hit = (z > _bonferroni_z(len(consensus), alpha)) & (consensus >= min_fold * level)
    return np.flatnonzero(hit)


def focal_with_prior(
    counts: np.ndarray,
    expected: np.ndarray,
    cn: np.ndarray,
    multiplier: float,
    sigma: float,
    *,
    bins: np.ndarray,
    member_ratios: np.ndarray,
    base: float,
    amplification_ratio: float,
    max_cn: int,
    prior_weight: float,
) -> np.ndarray:
    """Copy number at a group's spike bins from the cell's reads and its members' votes.

    At each bin, every integer ``c`` is scored by the cell's log-normal-Poisson
    likelihood of its count at ``c / multiplier`` plus the log share of the other
    members whose ratio there rounds to ``c`` at this cell's scale (with
    ``prior_weight`` pseudo-votes spread over all states), as segments are. The bin
    takes the best ``c`` when that reaches amplification level
    (``amplification_ratio * base``); otherwise it keeps its segment's copy number.

    Returns
    -------
    numpy.ndarray
        ``cn`` with those bins updated.
    """
    out = cn.copy()
    states = np.arange(max_cn + 1)
    n = member_ratios.shape[0]
    for k, j in enumerate(np.asarray(bins, dtype=int)):
        mu = expected[j] * np.maximum(states, 0.05) / max(multiplier, 1e-6)
        z = np.log((counts[j] + 0.5) / mu) / np.sqrt(sigma**2 + 1.0 / (mu + 0.5))
        own = -0.5 * z**2 - 0.5 * np.log(sigma**2 + 1.0 / (mu + 0.5))
        votes = np.rint(multiplier * member_ratios[:, k]) if n else np.zeros(0)
        hits = np.array([np.sum(votes == c) for c in states])
        prior = np.log((hits + prior_weight / (max_cn + 1)) / (n + prior_weight))
        best = int(np.argmax(own + prior))
        if best >= amplification_ratio * base and best > cn[j]:
            out[j] = best
    return out
