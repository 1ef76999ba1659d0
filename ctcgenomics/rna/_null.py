"""Empirical null p-values and the two-group posterior of a one-sided malignancy score.

The run's own presumed leukocytes (scored *out of* the reference, see
:func:`ctcgenomics.rna.crossfit_cnv_correlation`) give the score's distribution under
"this cell is a WBC"; the call is a high quantile of that null. The confidence is the
posterior of a two-group model (Efron 2008, Stat Sci 23:1) whose groups are the cells
called CTC and the others, each with a Gaussian kernel density of the score and the
called share as prior: ``P(CTC | s) = pi1 f1(s) / (pi1 f1(s) + pi0 f0(s))``. Cells far
above the threshold get ~1, cells at it ~0.5. Nothing is learned from labels.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import gaussian_kde


def empirical_pvalue(score: np.ndarray, null: np.ndarray) -> np.ndarray:
    """One-sided empirical p-value ``(1 + #{null >= s}) / (1 + n_null)`` per score."""
    srt = np.sort(np.asarray(null, dtype=np.float64))
    n_ge = len(srt) - np.searchsorted(srt, np.asarray(score, dtype=np.float64), side="left")
    return (1.0 + n_ge) / (1.0 + len(srt))


def typical_of_called(score: np.ndarray, call: np.ndarray, max_z: float) -> np.ndarray:
    """Keep the called cells whose score is not a low outlier of the called group.

    CTCs of one tumour share one clone, so their correlations with the clone's profile
    cluster tightly; leukocytes that pass the null quantile (the null is the most
    leukocyte-like cells, narrower than the run's whole WBC population) sit in the lower
    tail of the called group. A called cell is kept when its score is at least
    ``median - max_z * 1.4826 * MAD`` of the called scores (median/MAD so the tail being
    removed does not set the scale).

    Parameters
    ----------
    score
        One-sided score per cell.
    call
        Boolean call per cell (cells exceeding the null quantile).
    max_z
        Robust z below the called group's median beyond which a call is dropped.

    Returns
    -------
    numpy.ndarray
        ``call`` with the low outliers removed; unchanged when fewer than three cells
        are called or their scores have no spread.
    """
    s = np.asarray(score, dtype=np.float64)
    call = np.asarray(call, bool)
    if call.sum() < 3:
        return call.copy()
    called = s[call]
    med = np.median(called)
    mad = 1.4826 * np.median(np.abs(called - med))
    if not np.isfinite(mad) or mad <= 0:
        return call.copy()
    return call & (s >= med - max_z * mad)


def _density(values: np.ndarray, at: np.ndarray) -> np.ndarray | None:
    if len(values) < 2 or np.ptp(values) == 0:
        return None
    return gaussian_kde(values)(at)


def two_group_posterior(score: np.ndarray, call: np.ndarray) -> np.ndarray:
    """Posterior probability of the called-CTC group given the score.

    Parameters
    ----------
    score
        One-sided score per cell (higher = more tumour-like).
    call
        Boolean CTC call per cell.

    Returns
    -------
    numpy.ndarray
        ``pi1 f1 / (pi1 f1 + pi0 f0)`` with Gaussian KDEs (scipy, Scott's bandwidth),
        made non-decreasing in the score; the call itself (0/1) when a group has fewer
        than two distinct scores.
    """
    s = np.asarray(score, dtype=np.float64)
    call = np.asarray(call, bool)
    f1 = _density(s[call], s)
    f0 = _density(s[~call], s)
    if f1 is None or f0 is None:
        return call.astype(np.float64)
    pi1 = call.mean()
    num = pi1 * f1
    den = num + (1 - pi1) * f0
    post = np.where(den > 0, num / np.where(den > 0, den, 1), call.astype(np.float64))
    # monotone in the score: a higher score is never less likely a CTC (KDE tails wiggle)
    order = np.argsort(s, kind="stable")
    post[order] = np.maximum.accumulate(post[order])
    return post
