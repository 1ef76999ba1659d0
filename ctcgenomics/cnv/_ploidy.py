"""Integer copy number: a scale (ploidy) search on segment means, as in Ginkgo."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaincc, logsumexp

from ctcgenomics.cnv._config import CNVConfig
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
    minor: np.ndarray | None = None
    """Minor copy number of each segment (from the allelic evidence), or ``None``."""
    alternative: float = float("nan")
    """Ploidy of the halved or doubled scale that fits the data about as well as the
    chosen one (within ``identifiability_margin`` log-likelihood units, the Occam term
    left out), NaN when every such scale in the search range fits clearly worse."""
    alternative_gap: float = float("nan")
    """Log-likelihood by which the best halved or doubled scale in the range fits worse
    (negative: better, and only the Occam term chose the lower ploidy)."""
    score: float = float("nan")
    """Penalised negative log-likelihood of the chosen scale (lower is better)."""
    curve: tuple[np.ndarray, np.ndarray] | None = None
    """Multipliers searched and the fit's negative log-likelihood at each (Occam term
    left out, minimum 0): how well each scale fits, for members of a clone to borrow."""

    @property
    def identifiable(self) -> bool:
        """Whether no halved or doubled scale in the search range fits as well."""
        return not np.isfinite(self.alternative)


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


def _clone_log_prior(
    levels: np.ndarray,
    sd: np.ndarray,
    grid: np.ndarray,
    *,
    max_cn: int,
    weight: float,
    alpha: float = 0.01,
) -> np.ndarray:
    """Log prior of each copy number of each segment at each multiplier, from the clone.

    Where the other members' levels over a segment scatter no more than their level
    error allows (chi-square test at ``alpha``, errors at least this cell's ``sd``),
    they read one shared state: their mean estimates it, with the standard error of a
    mean of ``n`` members, and at multiplier ``P`` the clone's integer is ``c`` with
    probability proportional to the normal density of ``c / P`` around that mean.
    Their rounded levels would scatter over neighbouring integers when amplification
    waves move each member's mean by a third of a copy; their mean does not. Where
    they scatter more (a subclonal change: some members at 2, some at 4, whose mean
    is a 3 nobody carries), each member votes for its rounded level. The cell shares
    the clone's state with probability ``n / (n + weight)``; otherwise (a private
    change) any integer is as likely.

    Returns
    -------
    numpy.ndarray
        Multipliers x segments x (max_cn + 1).
    """
    finite = np.isfinite(levels)
    n = finite.sum(axis=1).astype(float)
    filled = np.where(finite, levels, 0.0)
    center = filled.sum(axis=1) / np.maximum(n, 1.0)
    ss = np.sum(np.where(finite, levels - center[:, None], 0.0) ** 2, axis=1)
    var = np.maximum(sd, 1e-4) ** 2
    # Upper-tail probability of the members' scatter under one shared level.
    p_shared = gammaincc(np.maximum(n - 1.0, 0.5) / 2.0, ss / var / 2.0)
    shared = (n < 2) | (p_shared >= alpha)
    states = np.arange(max_cn + 1, dtype=float)
    z = (states[None, None, :] / grid[:, None, None] - center[None, :, None]) / np.sqrt(
        var / np.maximum(n, 1.0)
    )[None, :, None]
    log_dens = -0.5 * z**2
    dens = np.exp(log_dens - logsumexp(log_dens, axis=2, keepdims=True))
    split = np.flatnonzero(~shared & (n > 0))
    if len(split):
        rounded = np.rint(grid[:, None, None] * filled[None, split, :])
        counts = np.stack(
            [np.sum((rounded == c) & finite[None, split, :], axis=2) for c in range(max_cn + 1)],
            axis=2,
        )
        dens[:, split, :] = counts / n[None, split, None]
    share = np.where(n > 0, n / (n + weight), 0.0)[None, :, None]
    return np.log(share * dens + (1.0 - share) / (max_cn + 1))


def _segment_costs(
    means: np.ndarray,
    sd: np.ndarray,
    grid: np.ndarray,
    *,
    max_cn: int,
    allelic: np.ndarray | None,
    prior_levels: np.ndarray | None,
    prior_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Best cost and integer of every segment at every multiplier of the grid.

    The cost of copy number ``c`` for a segment of mean ``m`` at multiplier ``P`` is
    ``((m - c / P) / sd)**2 / 2`` minus its allelic log-likelihood and its log prior.
    Candidates are the integers around ``P m`` (rounded, and one either side).
    """
    scaled = grid[:, None] * means[None, :]
    base = np.clip(np.rint(scaled), 0, max_cn).astype(np.int64)
    best_cost = np.full(scaled.shape, np.inf)
    best_cn = base.copy()
    log_prior = None
    if prior_levels is not None and prior_levels.shape[1]:
        log_prior = _clone_log_prior(prior_levels, sd, grid, max_cn=max_cn, weight=prior_weight)
    for shift in (0, -1, 1):
        cn = base + shift
        valid = (cn >= 0) & (cn <= max_cn)
        cn = np.clip(cn, 0, max_cn)
        cost = 0.5 * ((means[None, :] - cn / grid[:, None]) / sd[None, :]) ** 2
        if allelic is not None:
            cost -= np.take_along_axis(
                np.broadcast_to(allelic[None, :, :], (len(grid), *allelic.shape)),
                cn[:, :, None],
                axis=2,
            )[:, :, 0]
        if log_prior is not None:
            cost -= np.take_along_axis(log_prior, cn[:, :, None], axis=2)[:, :, 0]
        cost = np.where(valid, cost, np.inf)
        better = cost < best_cost
        best_cost = np.where(better, cost, best_cost)
        best_cn = np.where(better, cn, best_cn)
    return best_cost, best_cn


ROBUST_DOF = 4.0
"""Degrees of freedom of the Student-t cost of segment levels when their shared level
error is profiled (:func:`_profiled_costs`; 4 as in Lange, Little & Taylor 1989)."""


def _profiled_costs(
    means: np.ndarray,
    sd: np.ndarray,
    grid: np.ndarray,
    *,
    max_cn: int,
    allelic: np.ndarray | None,
    prior_levels: np.ndarray | None,
    prior_weight: float,
    use: np.ndarray,
    level_cvs: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_segment_costs` with the shared relative level error profiled out.

    A level error that does not average out along a segment and that the segments of
    one profile share (GC bias nobody divided out, which cells that share it are
    grouped by, so that it survives their consensus) cannot be measured on other cells.
    With ``level_cvs`` (increasing) it is estimated at each multiplier: every candidate ``cv`` gives
    the segments SDs ``sqrt(sd**2 + (cv * m)**2)``, and at each multiplier the ``cv`` of
    least cost *with* the Gaussian normalisation ``log sd_j`` (over ``use``) is kept,
    its costs including that term. With a fixed SD a finer scale's better fit of
    scattered levels grows with the square of the scatter, beyond any Occam term; with
    the SD estimated the scatter that rounds to a finer grid is explained as level
    error at the coarser scale, and the Occam term decides between them. Without
    allelic evidence or a clone prior the squared distance is read as a Student-t
    (``ROBUST_DOF``), so that a few segments far off at every scale do not set the
    shared error; with either, the cost stays Gaussian (their log terms are not
    distances).
    """
    if level_cvs is None:
        return _segment_costs(
            means, sd, grid, max_cn=max_cn, allelic=allelic, prior_levels=prior_levels,
            prior_weight=prior_weight,
        )  # fmt: skip
    best_total = np.full(len(grid), np.inf)
    seg_cost = np.zeros((len(grid), len(means)))
    seg_cn = np.zeros((len(grid), len(means)), dtype=np.int64)
    for cv in np.asarray(level_cvs, dtype=float):
        sd_cv = np.maximum(with_level_error(sd, means, float(cv)), 1e-4)
        cost, cn = _segment_costs(
            means, sd_cv, grid, max_cn=max_cn, allelic=allelic, prior_levels=prior_levels,
            prior_weight=prior_weight,
        )  # fmt: skip
        if allelic is None and prior_levels is None:
            # Student-t with ROBUST_DOF degrees of freedom on z**2 = 2 * cost: a few
            # segments far off every scale (short, or a subclonal change) would set a
            # Gaussian's shared error by themselves.
            cost = (ROBUST_DOF + 1) / 2 * np.log1p(2 * cost / ROBUST_DOF)
        cost = cost + np.log(sd_cv)[None, :]
        total = cost[:, use].sum(axis=1)
        better = total < best_total
        if not better.any():
            break  # past the least cost at every multiplier (it is unimodal in cv)
        best_total = np.where(better, total, best_total)
        seg_cost[better] = cost[better]
        seg_cn[better] = cn[better]
    return seg_cost, seg_cn


def fit_ploidy(
    means: np.ndarray,
    weights: np.ndarray,
    sd: np.ndarray,
    *,
    min_ploidy: float,
    max_ploidy: float,
    step: float = 0.01,
    max_cn: int = CNVConfig.max_cn,
    penalty: float = 1.0,
    allelic: np.ndarray | None = None,
    allelic_minor: np.ndarray | None = None,
    prior_levels: np.ndarray | None = None,
    prior_weight: float = 1.0,
    identifiability_margin: float = 3.0,
    exclude: np.ndarray | None = None,
    breaks: np.ndarray | None = None,
    scale_prior: tuple[np.ndarray, np.ndarray] | None = None,
    level_cvs: np.ndarray | None = None,
) -> PloidyFit:
    """Choose the scale that turns segment means into integer copy numbers.

    Over a grid of multipliers ``P``, each segment takes the integer ``c`` near ``P m_j``
    of least cost: ``((m_j - c / P) / sd_j)**2 / 2`` (ratio units, so a finer grid always
    fits at least as well), minus its allelic log-likelihood (``allelic``, B-allele
    evidence: a minor fraction of 1/3 or 1/4 needs a total of 3 or 4) and its log prior
    (``prior_levels``: the levels of the other cells of its clone, read as one shared
    state or as each member's own, :func:`_clone_log_prior`). The scale's
    score adds an Occam term ``penalty * S * log(P)`` (S segments), the cost of choosing
    each segment's level among about ``P`` times more levels: a doubled fit wins only
    when odd copy states or allelic imbalance demand it, and proportional profiles
    (1-2-3 vs 2-4-6) resolve to the lower ploidy. Candidates are the local minima of the
    score (not of Ginkgo's ``sum_j n_j (P m_j - round(P m_j))**2``, which lets one long,
    slightly-off segment set the scale and round a short amplicon wrongly). The best
    candidate chooses the basin; within 10 % of it the scale is where the fit cost
    (without the Occam term) is least: the term's slope pulled each scale to the low
    edge of its basin (6 % low at strong waves, which turned a gain to 4 into 3).

    The confidence is the posterior weight (``exp(-score)``, normalised over the
    candidates) of candidates whose ploidy is within 0.5 of the chosen one. The scale is
    *identifiable* when the best halved or doubled scale in the range fits worse by more
    than ``identifiability_margin`` (Occam term left out): a pure doubling of a profile
    fits exactly as well as the profile, so its ploidy cannot be told from the data.
    "Halved" and "doubled" span 0.4-0.67 and 1.5-2.5 times the chosen scale: a doubled
    cell with odd post-doubling states, read at a halved scale that its noise lets fit,
    can sit at 0.6 of its true scale (ploidy 2.5 for 4.2), where an exact factor of two
    would miss its true scale as the alternative.

    Parameters
    ----------
    means
        Mean ratio of each segment (ratios normalised to a bin mean of 1).
    weights
        Bins per segment.
    sd
        SD of each segment mean (:func:`segment_mean_sd`, :func:`with_level_error`).
    min_ploidy, max_ploidy, step
        Grid of multipliers.
    max_cn
        Copy numbers are capped here.
    penalty
        Weight of the Occam term.
    allelic
        Segments x (max_cn + 1) allelic log-likelihood of each total copy number
        (:func:`ctcgenomics.cnv._alleles.segment_alleles`), or ``None``.
    allelic_minor
        The minor copy number achieving each (same shape), reported per segment.
    prior_levels
        Segments x cells: other cells' relative levels (copy number / multiplier) over
        each segment, NaN where unknown, or ``None`` for no prior.
    prior_weight
        Pseudo-votes of the prior spread over all states.
    identifiability_margin
        Log-likelihood margin for a halved or doubled scale to count as excluded.
    exclude
        Segments left out of the scale choice (e.g. sex chromosomes); they still get
        the integer nearest at the chosen scale.
    breaks
        Segments that start a contig. ``S`` in the Occam term counts runs of equal copy
        number at each scale (within contigs), so segments that a scale gives the same
        integer (e.g. clone breakpoints a cell does not share) cost nothing; without
        ``breaks`` every segment counts.
    scale_prior
        A clone consensus's :attr:`PloidyFit.curve` (multipliers and fit): the cells of
        a clone share one genome, so a member's scale is chosen on its own fit and Occam
        term plus the consensus's fit. The consensus, many cells' average, tells which
        scales make its levels integers; a doubled member is not held back (a doubled
        scale fits a consensus at least as well). Identifiability stays judged on this
        cell's data.
    level_cvs
        Candidate relative level errors shared by all segments, added to ``sd`` in
        quadrature (:func:`with_level_error`) when that error is not known; at each
        multiplier the one of greatest likelihood is used (:func:`_profiled_costs`).
        ``None``: ``sd`` is complete.
    """
    means = np.asarray(means, dtype=float)
    weights = np.asarray(weights, dtype=float)
    sd = np.maximum(np.asarray(sd, dtype=float), 1e-4)
    grid = np.arange(min_ploidy, max_ploidy + step / 2, step)
    use = np.ones(len(means), dtype=bool) if exclude is None else ~np.asarray(exclude, bool)
    if not use.any():
        use = np.ones(len(means), dtype=bool)
    kw = dict(max_cn=max_cn, allelic=allelic, use=use, level_cvs=level_cvs)
    seg_cost, seg_cn = _profiled_costs(
        means, sd, grid, prior_levels=prior_levels, prior_weight=prior_weight, **kw
    )
    # Identifiability is judged on the data alone: the clone prior votes more sharply at
    # a coarse scale (members' means scatter over more integers at a fine one).
    data_cost = seg_cost
    if prior_levels is not None and prior_levels.shape[1]:
        data_cost, _ = _profiled_costs(means, sd, grid, prior_levels=None, prior_weight=0, **kw)
    fit_cost = seg_cost[:, use].sum(axis=1)
    own_fit = fit_cost - fit_cost.min()
    if scale_prior is not None:
        fit_cost = fit_cost + np.interp(grid, *scale_prior, left=np.inf, right=np.inf)
    if breaks is None:
        n_runs = np.full(len(grid), float(use.sum()))
    else:
        starts = np.asarray(breaks, dtype=bool)
        pair = use[1:] & use[:-1] & ~starts[1:]
        changed = (seg_cn[:, 1:] != seg_cn[:, :-1]) & pair[None, :]
        n_runs = changed.sum(axis=1) + float((use & (starts | np.r_[True, ~use[:-1]])).sum())
    occam = penalty * n_runs * np.log(grid)
    score_all = fit_cost + occam
    # Strict local minima by comparison with both neighbours (scipy.signal.argrelmin does
    # the same but costs a third of a second of import in every CLI call); plateaus are
    # not strict minima, so the global one is added.
    padded = np.concatenate([[np.inf], score_all, [np.inf]])
    inner = padded[1:-1]
    cand = np.flatnonzero((inner < padded[:-2]) & (inner < padded[2:]))
    cand = np.union1d(cand, [int(np.argmin(score_all))])
    score = score_all[cand]
    choice = int(np.argmin(score))
    # The Occam term chooses the basin; within it (10 % of the scale) the scale is where
    # the fit is best: the term's slope would pull it to the basin's low edge.
    basin = np.flatnonzero(np.abs(grid - grid[cand[choice]]) <= 0.1 * grid[cand[choice]])
    best = int(basin[np.argmin(fit_cost[basin])])
    w_use = weights * use
    ploidies = (seg_cn[cand] * w_use[None, :]).sum(axis=1) / max(w_use.sum(), 1e-12)
    logp = -score - logsumexp(-score)
    near = np.abs(ploidies - ploidies[choice]) < 0.5
    conf = float(np.exp(logsumexp(logp[near])))
    ploidy = float((seg_cn[best] * w_use).sum() / max(w_use.sum(), 1e-12))
    copy_number = seg_cn[best].astype(int)
    err = float((((grid[best] * means - copy_number) ** 2) * weights).sum())
    # Identifiability: the best halved or doubled scale (Occam term left out).
    alternative, gap = float("nan"), float("nan")
    data_fit = data_cost[:, use].sum(axis=1)
    here = np.flatnonzero(np.abs(grid - grid[best]) <= 0.1 * grid[best])
    base_cost = float(data_fit[here].min())
    for factor, lo_factor, hi_factor in ((0.5, 0.4, 0.67), (2.0, 1.5, 2.5)):
        lo, hi = grid[best] * lo_factor, grid[best] * hi_factor
        window = np.flatnonzero((grid >= lo) & (grid <= hi))
        if len(window) == 0:
            continue
        # The best fit; among equal fits (a flat profile fits every scale) the one
        # nearest the exact halving or doubling.
        off = np.abs(grid[window] / grid[best] - factor)
        k = int(window[np.lexsort((off, np.round(data_fit[window], 9)))[0]])
        d = float(data_fit[k] - base_cost)
        if not np.isfinite(gap) or d < gap:
            gap = d
            if d < identifiability_margin:
                alternative = float((seg_cn[k] * w_use).sum() / max(w_use.sum(), 1e-12))
    minor = None
    if allelic_minor is not None:
        minor = allelic_minor[np.arange(len(means)), copy_number]
    return PloidyFit(
        float(grid[best]),
        copy_number,
        ploidy,
        float(np.clip(conf, 0.0, 1.0)),
        err,
        minor,
        alternative,
        gap,
        float(score[choice]),
        (grid, own_fit),
    )


@dataclass(frozen=True)
class LevelErrorCurve:
    """Variance of the mean of ``n`` consecutive bins around the true level, by ``n``.

    Measured on cells whose copy number is known (the run's WBCs, diploid): the mean of
    ``n`` bins strays from its level by sampling noise *and* by amplification waves
    longer than ``n`` bins, which no within-segment estimate sees. A short wave segment
    is as uncertain as the waves are tall; an arm-long segment averages many waves.

    Attributes
    ----------
    lengths
        Window lengths (bins) at which the variance was measured (increasing).
    variance
        Variance of window means at ratio 1, per length.
    noise
        Median per-bin noise SD of the cells measured (to scale to another cell).
    """

    lengths: np.ndarray
    variance: np.ndarray
    noise: float

    def __call__(
        self, n: np.ndarray, level: np.ndarray, noise: float, scale: float | None = None
    ) -> np.ndarray:
        """SD of segment means of ``n`` bins at ``level`` for a cell of per-bin ``noise``.

        Log-log interpolation in ``n``, extrapolated as ``1 / n`` beyond the longest
        window; scaled by ``scale`` (the cell's own variance relative to the calibration
        cells, when measured) or else by its per-bin noise relative to theirs, and by
        ``level**1.5`` as in the segmentation's noise model.
        """
        n = np.maximum(np.asarray(n, dtype=float), 1.0)
        logv = np.interp(np.log(n), np.log(self.lengths), np.log(self.variance))
        beyond = n > self.lengths[-1]
        logv = np.where(beyond, np.log(self.variance[-1]) - np.log(n / self.lengths[-1]), logv)
        if scale is None:
            scale = (noise / self.noise) ** 2 if self.noise > 0 and np.isfinite(noise) else 1.0
        return np.sqrt(np.exp(logv) * scale * np.maximum(level, 0.25) ** 1.5)


def level_error_curve(
    residuals: list[np.ndarray], contig_starts: np.ndarray, noise: list[float]
) -> LevelErrorCurve | None:
    """Measure :class:`LevelErrorCurve` on ratio residuals of cells of known copy number.

    ``residuals`` are ratios minus their true level (for WBCs: ratio / (CN / multiplier)
    minus 1), one array per cell over the used bins; windows of 1, 2, 4, ... bins are
    laid end to end within contigs, and their mean squared mean is the variance at that
    length (pooled over cells). Lengths with fewer than 8 windows are not used. Returns
    ``None`` without residuals.
    """
    if not residuals:
        return None
    bounds = [*np.asarray(contig_starts, dtype=int).tolist(), len(residuals[0])]
    longest = max(b - a for a, b in itertools.pairwise(bounds))
    lengths, variance = [], []
    n = 1
    while n <= longest:
        sq, count = 0.0, 0
        for r in residuals:
            r = np.asarray(r, dtype=float)
            for a, b in itertools.pairwise(bounds):
                k = (b - a) // n
                if k == 0:
                    continue
                block = r[a : a + k * n].reshape(k, n)
                filled = np.isfinite(block).any(axis=1)  # all-NaN windows (masked bins)
                w = np.nanmean(block[filled], axis=1) if filled.any() else block[:0, 0]
                w = w[np.isfinite(w)]
                sq += float(np.sum(w**2))
                count += len(w)
        if count >= 8:
            lengths.append(n)
            variance.append(max(sq / count, 1e-8))
        n *= 2
    if not lengths:
        return None
    var = np.maximum.accumulate(np.asarray(variance)[::-1])[::-1]  # non-increasing in n
    return LevelErrorCurve(np.asarray(lengths, float), var, float(np.median(noise)))


def window_variance(resid: np.ndarray, contig_starts: np.ndarray, *, length: int = 16) -> float:
    """Robust variance of ``length``-bin window means of one cell's residuals.

    ``median(m**2) / 0.455`` over windows laid end to end within contigs (0.455 is the
    median of chi-square with one degree of freedom), so a few windows over real
    changes do not inflate it. NaN without windows.
    """
    bounds = [*np.asarray(contig_starts, dtype=int).tolist(), len(resid)]
    means = []
    for a, b in itertools.pairwise(bounds):
        k = (b - a) // length
        if k:
            block = resid[a : a + k * length].reshape(k, length)
            block = block[np.isfinite(block).any(axis=1)]  # all-NaN windows (masked bins)
            means.append(np.nanmean(block, axis=1))
    if not means:
        return float("nan")
    m = np.concatenate(means)
    m = m[np.isfinite(m)]
    return float(np.median(m**2) / 0.455) if len(m) else float("nan")
