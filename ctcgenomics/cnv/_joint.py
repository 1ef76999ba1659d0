"""Borrowing strength across a patient's cells: groups, consensus breakpoints, priors.

At MDA-like noise (MAPD 0.3-0.45 at 100 kb) one cell's bins cannot show a one-copy
change of 8 bins reliably: its evidence is about the size of its amplification waves.
The cells of a clone share their changes but not their waves, which are private to each
amplification. So, as in CopyKit's and SCICoNE's joint segmentation:

1. cells are grouped by their first-pass profiles (relative copy number, i.e. copy
   number over the cell's multiplier, so a doubled cell groups with its undoubled
   relatives); WBCs form their own group; without allele counts, groups and lone
   cells whose depth profiles agree up to a scale are then merged (a mixture fitted to
   ten cells over-splits a clone);
2. each group's consensus ratio profile (inverse-variance weighted mean of its cells'
   ratios; noise falls as the square root of the cells) is segmented with the same HMM,
   and its breakpoints are added to every member's own;
3. each cell is refitted on those segments, and the integer of each segment gets an
   empirical-Bayes prior from the other members' levels over the segment: their mean
   when they read one shared state within their level error, each member's rounded
   level when they scatter more (a subclonal change)
   (:func:`ctcgenomics.cnv._ploidy.fit_ploidy`). A cell keeps a private change when its
   own evidence outweighs its clone; calls stay per cell.
"""

from __future__ import annotations

import numpy as np


def group_cells(
    profiles: np.ndarray,
    roles: np.ndarray,
    eligible: np.ndarray,
    *,
    max_components: int = 10,
    n_blocks: int = 1,
) -> np.ndarray:
    """Group cells with similar copy-number profiles.

    ``profiles`` are the cells' smoothed ratios (first-pass segment means; waves and
    noise are private to each cell, copy-number changes are shared by a clone), possibly
    with ``n_blocks`` equal blocks of features side by side (depth, then minor-allele
    fraction), each first scaled to its own noise. They are centred per bin and reduced
    by SVD to the components whose singular values stand out of the noise bulk (above
    1.5 times the median singular value, at most ``max_components``): shared structure,
    not the cells' private noise.

    The cells are then modelled as a Gaussian mixture in that space (scikit-learn,
    diagonal covariances), with the number of groups (up to 10, at most half the cells)
    chosen by BIC: a split must pay for its parameters, so noise does not split a clone.
    WBCs form their own group.

    Returns
    -------
    numpy.ndarray
        Group label per cell (0, 1, ...; -1 for cells in no group of two or more).
    """
    labels = np.full(len(profiles), -1, dtype=np.int64)
    wbc = eligible & (roles == "wbc")
    next_label = 0
    if wbc.sum() >= 2:
        labels[wbc] = next_label
        next_label += 1
    idx = np.flatnonzero(eligible & (roles != "wbc"))
    if len(idx) < 2:
        return labels
    x = np.nan_to_num(np.clip(profiles[idx], 0.0, 3.0), nan=1.0).astype(float)
    x -= x.mean(axis=0, keepdims=True)
    # Each block of features (depth; minor-allele fraction) in units of its own noise
    # (robust SD of its centred entries), so the quiet allelic block is not swamped by
    # the amplification waves of the depth block.
    for cols in np.array_split(np.arange(x.shape[1]), n_blocks):
        scale = 1.4826 * float(np.median(np.abs(x[:, cols])))
        if scale > 0:
            x[:, cols] /= scale
    u, sv, _ = np.linalg.svd(x, full_matrices=False)
    keep = sv > 1.5 * np.median(sv)
    r = int(np.clip(keep.sum(), 1, max_components))
    points = u[:, :r] * sv[:r]
    n = len(idx)
    raw = np.array([1, 1]) if n == 2 else _gmm_clusters(points, max_clusters=min(10, n // 2))
    for lab in np.unique(raw):
        members = idx[raw == lab]
        if len(members) >= 2:
            labels[members] = next_label
            next_label += 1
    return labels


def _gmm_clusters(points: np.ndarray, *, max_clusters: int) -> np.ndarray:
    """Gaussian mixture (diagonal covariances) with the number of clones chosen by BIC."""
    from sklearn.mixture import GaussianMixture

    best, best_bic = np.zeros(len(points), dtype=np.int64), np.inf
    for k in range(1, max_clusters + 1):
        gm = GaussianMixture(
            k, covariance_type="diag", n_init=2, random_state=0, reg_covar=1e-3
        ).fit(points)
        bic = gm.bic(points)
        if bic < best_bic:
            best, best_bic = gm.predict(points), bic
    return best


def consensus_ratio(ratios: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Inverse-variance weighted mean of the cells' ratio profiles (NaN-aware)."""
    w = 1.0 / np.maximum(np.asarray(noise, dtype=float), 1e-3) ** 2
    x = np.asarray(ratios, dtype=float)
    ok = np.isfinite(x)
    num = np.where(ok, x, 0.0) * w[:, None]
    den = ok * w[:, None]
    return np.divide(num.sum(axis=0), den.sum(axis=0), out=np.ones(x.shape[1]),
                     where=den.sum(axis=0) > 0)  # fmt: skip


def boundaries(seg_id: np.ndarray) -> np.ndarray:
    """Return the indices where a new segment starts (the first bin excluded)."""
    return np.flatnonzero(seg_id[1:] != seg_id[:-1]) + 1


def segments_from_boundaries(n: int, *starts: np.ndarray) -> np.ndarray:
    """Segment ID per bin from the union of several sets of segment starts."""
    cut = np.zeros(n, dtype=bool)
    for s in starts:
        s = np.asarray(s, dtype=np.int64)
        cut[s[(s > 0) & (s < n)]] = True
    return np.cumsum(cut)


def member_levels(
    seg_id: np.ndarray,
    n_segments: int,
    others: np.ndarray,
    *,
    max_members: int = 30,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Relative level of each other member over each of a cell's segments.

    Parameters
    ----------
    seg_id
        Segment ID per bin of the cell.
    n_segments
        Number of segments.
    others
        Other members x bins relative levels (copy number / multiplier).
    max_members
        At most this many members vote (a random subset of larger groups), which keeps
        the prior's cost bounded in large clones.
    rng
        Generator for that subset.

    Returns
    -------
    numpy.ndarray
        Segments x members: each member's median level over the segment's bins.
    """
    if len(others) > max_members:
        rng = rng or np.random.default_rng(0)
        others = others[rng.choice(len(others), max_members, replace=False)]
    out = np.full((n_segments, len(others)), np.nan)
    if len(others) == 0:
        return out
    # All segments at once (a loop of nanmedian calls per segment was a quarter of the
    # run time with 300 cells): each member's values are sorted within segments, NaNs
    # last, and the median read at the middle of each segment's valid values.
    order = np.argsort(seg_id, kind="stable")
    seg = seg_id[order]
    x = np.asarray(others, dtype=float)[:, order]
    valid = np.isfinite(x)
    span = float(np.max(np.abs(x[valid]), initial=0.0)) + 1.0
    # Sort key: segment first, then value (invalid values after every valid one).
    key = seg[None, :] * (4.0 * span) + np.where(valid, x, 2.0 * span)
    idx = np.argsort(key, axis=1)
    xs = np.take_along_axis(x, idx, axis=1)
    start = np.searchsorted(seg, np.arange(n_segments))
    rows = np.arange(len(others))[:, None]
    n_valid = np.stack(
        [np.bincount(seg[v], minlength=n_segments) for v in valid], axis=0
    )  # members x segments
    lo = start[None, :] + np.maximum(n_valid - 1, 0) // 2
    hi = start[None, :] + n_valid // 2
    lo = np.minimum(lo, len(seg) - 1)
    hi = np.minimum(hi, len(seg) - 1)
    med = (xs[rows, lo] + xs[rows, hi]) / 2
    out[:] = np.where(n_valid > 0, med, np.nan).T
    return out


def scaled_profile_mismatch(
    means: np.ndarray,
    sd: np.ndarray,
    ref_means: np.ndarray,
    ref_sd: np.ndarray,
    sizes: np.ndarray,
) -> float:
    """BIC of a cell's own segment levels against its group's profile up to a scale.

    Model 0: the cell's segment means are its group's (``ref_means``) times one free
    genome-wide scale ``s`` (ratios are normalised to the mean, which a private amplicon
    or loss shifts); model 1: every segment has its own level. With Gaussian segment
    means (``sd`` and ``ref_sd`` include the level error that does not shrink along a
    segment, so waves are not evidence), the log-likelihood ratio is half the
    chi-square of ``means - s * ref_means``; model 1 pays ``log(n)`` per extra level
    (``n`` the number of bins), so noise does not split a clone.

    Returns
    -------
    float
        ``chi2 - (n_segments - 1) * log(n_bins)``: positive when the cell's own levels
        are the better model, i.e. its profile is not its group's.
    """
    ok = np.isfinite(means) & np.isfinite(ref_means) & (sizes > 0)
    if ok.sum() < 2:
        return float("-inf")
    chi2 = float(np.nansum(segment_mismatch(means, sd, ref_means, ref_sd)))
    return chi2 - (int(ok.sum()) - 1) * float(np.log(max(int(np.sum(sizes[ok])), 2)))


def segment_mismatch(
    means: np.ndarray, sd: np.ndarray, ref_means: np.ndarray, ref_sd: np.ndarray
) -> np.ndarray:
    """Per-segment chi-square of ``means - s * ref_means`` at the best common scale ``s``.

    NaN where either level is missing. See :func:`scaled_profile_mismatch`.
    """
    ok = np.isfinite(means) & np.isfinite(ref_means)
    m, r, v, vr = means[ok], ref_means[ok], sd[ok] ** 2, ref_sd[ok] ** 2
    out = np.full(len(means), np.nan)
    if not len(m):
        return out
    s = 1.0
    for _ in range(3):  # weights depend on s: a few fixed-point steps of weighted LS
        w = 1.0 / np.maximum(v + s**2 * vr, 1e-12)
        s = float(np.sum(w * m * r) / max(np.sum(w * r * r), 1e-12))
    w = 1.0 / np.maximum(v + s**2 * vr, 1e-12)
    out[ok] = w * (m - s * r) ** 2
    return out
