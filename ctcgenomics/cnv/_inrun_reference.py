"""In-run reference: the run's own flat diploid cells as a panel of normals.

Without WBCs or a matched normal, per-bin biases all cells share (mappability, repeats,
bins next to gaps; GC without a gc column) stay in every cell's ratios and read as small
gains and losses, diploid cells included. Many such runs hold normal cells, which tools
in the field use as the reference (SCOPE's normal-cell identification, Ginkgo/CopyKit
practice): after the first pass, cells whose autosomes sit at one integer state are
taken as normals, and their GC-corrected ratios build the panel the WBCs would.
"""

from __future__ import annotations

import numpy as np

from ctcgenomics.cnv._config import CNVConfig
from ctcgenomics.cnv._normalise import clip_outliers, noise_sd
from ctcgenomics.cnv._segment import hmm_segment

MIN_BIAS_LEVEL = 0.25
"""Lowest panel level divided out as a shared bias (lower: a deep deletion)."""
MAX_BIAS_LEVEL = 1.75
"""Highest panel level divided out as a shared bias (higher: an amplicon)."""


def is_flat(
    cn: np.ndarray,
    seg_id: np.ndarray,
    autosome: np.ndarray,
    *,
    min_event_bins: int,
    max_off_fraction: float,
) -> bool:
    """Whether a first-pass profile is one integer state over the autosomes.

    Parameters
    ----------
    cn
        First-pass copy number per used bin.
    seg_id
        First-pass segment of each used bin.
    autosome
        Autosomal used bins.
    min_event_bins
        Segments of at least this many bins off the modal state make the cell non-flat.
        Shorter ones are allowed: a shared per-bin bias (what the panel is to remove)
        and the cell's coverage waves make them in normal cells too.
    max_off_fraction
        Most autosomal bins off the modal state (in the short segments).

    Returns
    -------
    bool
        ``True`` for a flat profile.
    """
    if not autosome.any():
        return False
    cn_a, seg_a = cn[autosome], seg_id[autosome]
    states, n_bins = np.unique(cn_a, return_counts=True)
    mode = states[np.argmax(n_bins)]
    off = cn_a != mode
    if off.mean() > max_off_fraction:
        return False
    sizes = np.bincount(seg_id)  # whole segments: one may straddle a sex chromosome edge
    return not bool(np.any(sizes[seg_a[off]] >= min_event_bins))


def flat_cells(
    profiles: dict[int, tuple[np.ndarray, np.ndarray]],
    autosome: np.ndarray,
    *,
    min_event_bins: int,
    max_off_fraction: float,
) -> np.ndarray:
    """Cells (keys of ``profiles``: ``cell -> (cn, seg_id)``) with a flat profile, sorted."""
    keep = [
        i
        for i, (cn, seg_id) in profiles.items()
        if is_flat(
            cn,
            seg_id,
            autosome,
            min_event_bins=min_event_bins,
            max_off_fraction=max_off_fraction,
        )
    ]
    return np.array(sorted(keep), dtype=np.int64)


def shared_artefacts(
    panel: np.ndarray, contig_starts: np.ndarray, contig_lengths: np.ndarray, cfg: CNVConfig
) -> np.ndarray:
    """Bins of the panel (median ratio of the flat cells) in a segment off ratio 1.

    The panel is segmented as a cell is (outliers replaced, HMM over levels): where it
    sits at another level, the normals share a change the first pass would call in every
    cell (a low-mappability stretch, a repeat, GC without a gc column), and only there is
    the panel divided out. Single-bin deviations the HMM leaves alone anyway; dividing
    them out would add the few normals' noise and coverage waves to every cell (measured:
    dividing even the true per-bin bias out made the HMM cut more waves, as the white
    noise it measures fell).
    """
    sd = noise_sd(panel, contig_starts)
    clipped, _ = clip_outliers(
        panel, contig_starts, window=cfg.outlier_window, n_sd=cfg.outlier_sd, sd=sd
    )
    seg_id = hmm_segment(
        clipped,
        contig_lengths,
        sd=sd,
        level_step=cfg.level_step,
        max_ratio=cfg.max_ratio,
        transition_prob=cfg.transition_prob,
    )
    means = np.bincount(seg_id, weights=clipped) / np.bincount(seg_id)
    level = means[seg_id]
    # Shared biases move reads by tens of per cent; a panel level near 0 or at 2x and
    # above is a deep deletion or an amplicon that near-diploid tumour cells, passing as
    # flat, brought into the panel: divided out, it would vanish from every cell.
    plausible = (level > MIN_BIAS_LEVEL) & (level < MAX_BIAS_LEVEL)
    return (np.abs(level - 1.0) >= cfg.level_step / 2) & plausible
