"""Per-cell normalisation: GC correction, panel of normals, outlier bins, noise."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.ndimage import median_filter
from statsmodels.nonparametric.smoothers_lowess import lowess

# Ratios are floored before log2 so empty (copy-number 0) bins stay finite in MAPD.
_LOG_FLOOR = 1.0 / 64
# Backfitting of segment levels and the GC curve: at most this many rounds, stopping
# when no level moves by more than the tolerance (log units: 0.1 % of a level).
_BACKFIT_ITER = 50
_BACKFIT_TOL = 1e-3


def gc_expected(
    counts: np.ndarray,
    gc: np.ndarray,
    *,
    frac: float = 0.3,
    min_bins: int = 0,
    level: np.ndarray | None = None,
    segments: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Return the expected count of each bin from its GC content, for one cell.

    LOWESS (statsmodels, with robustifying iterations) of log counts on GC. When the
    copy-number ``level`` of each bin is known from a first pass, it is divided out
    before fitting, so arms that happen to differ in GC do not bend the curve (and
    the curve does not flatten real gains).

    Parameters
    ----------
    counts
        Counts of the used bins of one cell.
    gc
        GC fraction of the same bins.
    frac
        LOWESS span.
    min_bins
        Fewest bins in each local fit: the span is widened to ``min_bins / n`` on
        short references. GC content is regionally clustered (isochores), so on a
        reference of a few dozen bins the few bins at one end of the GC range are often
        one copy-number segment, which a narrow span would fit as GC bias and erase.
    level
        Relative copy-number level per bin (copy number / mean), or ``None``.
    segments
        Copy-number segment of each bin (IDs, constant along a segment), or ``None``.
        Each segment then has a free level fitted jointly with the curve (backfitting:
        the curve on the log counts less the levels, each level the mean of its bins'
        log counts less the curve), so the curve is learnt from the GC variation within
        segments and a gain or loss is not taken as GC bias, whatever its size.
    start
        With ``segments``: a log-count curve to start the backfitting from (e.g. an
        earlier fit of the same cell's curve); it only changes how soon it converges.

    Returns
    -------
    numpy.ndarray
        Fitted counts at level 1 (``exp`` of the fitted log count), one per bin.
    """
    logc = np.log(counts + 0.5)
    keep = np.ones(len(counts), dtype=bool)
    if level is not None:
        keep = level > 0.05  # copy-number 0 bins carry no GC information
        logc = logc - np.log(np.maximum(level, 0.05))
    span = float(np.ptp(gc[keep])) if keep.any() else 0.0
    frac = min(1.0, max(frac, min_bins / max(int(keep.sum()), 1)))
    kw = dict(frac=frac, it=3, delta=0.01 * span)
    if segments is not None and keep.any():
        logc = logc - _segment_levels(logc, gc, keep, segments, kw, start)
    fit = lowess(logc[keep], gc[keep], return_sorted=True, **kw)
    if len(fit) == 0 or not np.isfinite(fit[:, 1]).any():
        return np.full(len(counts), float(np.exp(np.median(logc))))
    ok = np.isfinite(fit[:, 1])
    return np.exp(np.interp(gc, fit[ok, 0], fit[ok, 1]))


def _segment_levels(
    logc: np.ndarray,
    gc: np.ndarray,
    keep: np.ndarray,
    segments: np.ndarray,
    kw: dict,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Per-bin level of each segment, fitted jointly with a LOWESS GC curve (backfitting).

    The levels are centred on 0 (the curve carries the cell's overall depth); bins
    outside ``keep`` neither inform a level nor the curve.
    """
    _, ids = np.unique(segments, return_inverse=True)
    w = keep.astype(float)
    sizes = np.maximum(np.bincount(ids, weights=w), 1.0)
    curve = np.zeros(len(logc)) if start is None else np.asarray(start, dtype=float).copy()
    level = np.zeros(len(logc))
    for _ in range(_BACKFIT_ITER):
        new = (np.bincount(ids, weights=w * (logc - curve)) / sizes)[ids]
        new -= np.mean(new[keep])
        done = np.max(np.abs(new - level)[keep]) < _BACKFIT_TOL
        level = new
        if done:
            break
        # Without robustifying rounds here (4x cheaper): the final fit has them.
        fitted = lowess(logc[keep] - level[keep], gc[keep], return_sorted=False, **{**kw, "it": 0})
        curve[keep] = np.where(np.isfinite(fitted), fitted, 0.0)
    return level


def noise_sd(ratio: np.ndarray, contig_starts: np.ndarray) -> float:
    """Robust SD of one cell's bin ratios from differences of adjacent bins.

    Differences cancel the copy-number level, so aneuploidy does not inflate it.
    """
    diff = np.diff(ratio)
    keep = np.ones(len(diff), dtype=bool)
    keep[contig_starts[1:] - 1] = False  # no differences across contigs
    diff = diff[keep & np.isfinite(diff)]
    if len(diff) == 0:
        return float("nan")
    return float(1.4826 * np.median(np.abs(diff - np.median(diff))) / np.sqrt(2))


def mapd(ratio: np.ndarray, contig_starts: np.ndarray) -> float:
    """Median absolute pairwise difference of log2 ratios of adjacent bins (MAPD)."""
    log2 = np.log2(np.maximum(ratio, _LOG_FLOOR))
    diff = np.diff(log2)
    keep = np.ones(len(diff), dtype=bool)
    keep[contig_starts[1:] - 1] = False
    diff = diff[keep & np.isfinite(diff)]
    return float(np.median(np.abs(diff))) if len(diff) else float("nan")


def clip_outliers(
    ratio: np.ndarray, contig_starts: np.ndarray, *, window: int, n_sd: float, sd: float
) -> tuple[np.ndarray, np.ndarray]:
    """Replace single-bin outliers by the running median of their contig.

    A bin further than ``n_sd`` noise SDs (scaled by the level, as noise grows with
    copy number) from the running median of ``window`` bins is replaced. With a
    window of 3, events of two or more bins are kept.

    Returns
    -------
    ratio : numpy.ndarray
        Ratios with outliers replaced.
    outlier : numpy.ndarray
        Boolean mask of replaced bins.
    """
    out = ratio.copy()
    flagged = np.zeros(len(ratio), dtype=bool)
    bounds = [*contig_starts.tolist(), len(ratio)]
    for a, b in itertools.pairwise(bounds):
        if b - a < window:
            continue
        med = median_filter(ratio[a:b], size=window, mode="nearest")
        tol = n_sd * sd * np.sqrt(np.maximum(med, 0.5))
        bad = np.abs(ratio[a:b] - med) > tol
        out[a:b][bad] = med[bad]
        flagged[a:b] = bad
    return out, flagged


MIN_PANEL_LEVEL = 0.05
"""A reference below this share of its mean reads in a bin cannot normalise the bin."""


def pon_divisor(panel: np.ndarray) -> np.ndarray:
    """Return a panel's bin values as divisors: 1 where missing or near zero."""
    return np.where(np.isfinite(panel) & (panel > MIN_PANEL_LEVEL), panel, 1.0)


def panel_of_normals(
    ratios: np.ndarray, *, min_cells: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-bin bias from normal cells (median ratio), leave-one-out for the normals.

    Parameters
    ----------
    ratios
        GC-corrected ratios of the normal cells (diploid WBCs), cells x used bins
        (mean 1 per cell).
    min_cells
        Fewest normal cells needed; with fewer, no panel is built.

    Returns
    -------
    own_bias : numpy.ndarray or None
        Divisors (:func:`pon_divisor`), one row per normal cell: the panel of the
        *other* normals, so a normal is not flattened by its own noise.
    panel : numpy.ndarray or None
        The all-normals panel per bin (other cells divide by ``pon_divisor(panel)``).
    """
    if len(ratios) < max(min_cells, 2):
        return None, None
    panel = np.nanmedian(ratios, axis=0)
    own = leave_one_out_medians(ratios)
    shrink, shrink_own = panel_shrinkage(ratios)
    panel = np.exp(shrink * np.log(np.maximum(panel, 0.05)))
    own = np.exp(shrink_own * np.log(np.maximum(own, 0.05)))
    return pon_divisor(own), panel


def panel_shrinkage(ratios: np.ndarray) -> tuple[float, float]:
    """Empirical-Bayes weight of a panel's per-bin deviation from 1 (all, leave-one-out).

    A panel of a few amplified normals carries their noise: the median of ``n`` cells at
    MAPD 0.4 is off by about 0.3 / sqrt(n) in every bin, and the cells' coverage waves
    survive in it, so dividing every CTC by it adds noise (and shared, wave-shaped
    artefacts that a joint segmentation would take for clonal changes). Each bin's log
    median is therefore shrunk toward 0 by ``v_b / (v_b + v_s)``: ``v_s`` the sampling
    variance of a median of ``n`` (``1.253**2`` times the per-bin variance across the
    normals over ``n``), ``v_b`` the variance of the true per-bin bias (the variance of
    the log medians across bins minus ``v_s``; robust, by MAD). With many normals or a
    strong, reproducible per-bin bias the weight is near 1 (the plain median).
    """
    n = int(np.sum(np.isfinite(ratios).any(axis=1)))
    if n < 2:
        return 0.0, 0.0
    logs = np.log(np.maximum(ratios, 0.05))
    with np.errstate(all="ignore"):
        med = np.nanmedian(logs, axis=0)
        spread = 1.4826 * np.nanmedian(np.abs(logs - med[None, :]), axis=0)
    var_cell = float(np.nanmedian(spread**2))
    mad = 1.4826 * float(np.nanmedian(np.abs(med - np.nanmedian(med))))

    def weight(k: int) -> float:
        v_s = 1.253**2 * var_cell / max(k, 1)
        v_b = max(mad**2 - v_s, 0.0)
        return v_b / (v_b + v_s) if v_b + v_s > 0 else 0.0

    return weight(n), weight(n - 1)


def leave_one_out_medians(values: np.ndarray) -> np.ndarray:
    """Per column, the median of the other rows' values for each row (NaNs skipped).

    Equal to ``np.nanmedian(np.delete(values, k, axis=0), axis=0)`` for each row ``k``,
    from one sort: without row ``k`` (rank ``r`` among the finite values of its column),
    the ``p``-th smallest remaining value is the ``p``-th sorted one if ``p < r`` and the
    next one otherwise. That keeps the panel of normals linear in WBCs, where deleting
    each row in turn is quadratic (500 WBCs x 6,000 bins: about a minute). A missing
    value leaves its column's full median; a column left with no value gives NaN.
    """
    n_rows, n_cols = values.shape
    if n_rows == 0:
        return np.empty_like(values, dtype=float)
    order = np.argsort(values, axis=0, kind="stable")  # NaNs sort last
    ranked = np.take_along_axis(values, order, axis=0)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n_rows)[:, None], axis=0)
    own = np.isfinite(values)
    remaining = own.sum(axis=0)[None, :] - own  # finite values left without the row
    cols = np.arange(n_cols)[None, :]

    def kth_remaining(p: np.ndarray) -> np.ndarray:
        pos = np.where(own & (p >= rank), p + 1, p)
        return ranked[np.clip(pos, 0, n_rows - 1), cols]

    low = kth_remaining((remaining - 1) // 2)
    high = kth_remaining(remaining // 2)
    return np.where(remaining > 0, (low + high) / 2, np.nan)


def long_run_sd(
    ratio: np.ndarray, contig_starts: np.ndarray, *, window: int = 25, max_lag: int = 10
) -> float:
    """Long-run SD of one cell's noise: Newey-West over residuals of a running median.

    Used as the segmentation HMM's noise: whole-genome amplification adds smooth
    coverage waves that adjacent-bin differences do not see, and an HMM that assumes
    independent noise at the per-bin SD cuts a segment at every wave. The running
    median of ``window`` bins absorbs copy-number steps (which would otherwise
    dominate the autocovariances), and bins more than 4 robust SDs off (focal
    amplicons) are left out; Bartlett-weighted autocovariances up to ``max_lag`` bins
    then add the variance of amplification waves to that of the per-bin noise.
    """
    resid = np.full(len(ratio), np.nan)
    bounds = [*contig_starts.tolist(), len(ratio)]
    for a, b in itertools.pairwise(bounds):
        w = min(window, b - a) | 1
        resid[a:b] = ratio[a:b] - median_filter(ratio[a:b], size=w, mode="nearest")
    ok = np.isfinite(resid)
    if ok.sum() < 10:
        return noise_sd(ratio, contig_starts)
    sd = 1.4826 * float(np.median(np.abs(resid[ok] - np.median(resid[ok]))))
    resid = np.where(ok & (np.abs(resid) <= 4 * sd), resid, np.nan)
    return float(np.sqrt(newey_west_variance(resid, max_lag=max_lag, n=int(ok.sum()))))


def newey_west_variance(resid: np.ndarray, *, max_lag: int, n: int | None = None) -> float:
    """Long-run variance of a residual series (Newey-West, Bartlett weights).

    ``gamma_0 + 2 * sum_k (1 - k / (L + 1)) * gamma_k`` over lags ``k = 1..L`` with
    ``L = min(max_lag, n // 5)``, never below ``gamma_0``. NaN marks bins left out:
    they are zero after demeaning and the sums are divided by the number of valid
    bins (statsmodels ``acovf(missing="conservative")``, written out with numpy
    because importing ``statsmodels.tsa`` costs 0.5-1 s per command).
    """
    n = len(resid) if n is None else n
    lag = int(min(max_lag, max(1, n // 5)))
    ok = ~np.isnan(resid)
    x = np.where(ok, resid - resid[ok].mean(), 0.0)
    # Autocovariances by FFT (zero-padded, so not circular): O(n log n) whatever the lag,
    # which matters when small bins make the lag reach hundreds of bins.
    size = 1 << int(2 * len(x) - 1).bit_length()
    spectrum = np.fft.rfft(x, size)
    gamma = np.fft.irfft(spectrum * spectrum.conj(), size)[: lag + 1] / ok.sum()
    kernel = 1.0 - np.arange(1, lag + 1) / (lag + 1)
    return float(max(gamma[0] + 2.0 * np.dot(kernel, gamma[1:]), gamma[0]))
