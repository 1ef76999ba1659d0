"""Copy-number calling on a cells x bins AnnData.

Per cell: reference (matched normal or panel of WBCs, germline sex-chromosome levels),
GC correction, first-pass HMM segmentation and scale search. Across cells: groups of
similar profiles, consensus breakpoints, a clone prior on each segment's integer
(``_joint``). Per cell again: refit, focal events (deep deletions, one-bin amplicons;
``_focal``), allele-aware ploidy with identifiability, QC.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anndata as ad
import numpy as np
import pandas as pd

from ctcgenomics._keys import layer_names, output_namer
from ctcgenomics._reference_cells import role_labels
from ctcgenomics.cnv._alleles import (
    AlleleCounts,
    SiteLikelihood,
    allelic_difference,
    baf_boundaries,
    bin_emissions,
    estimate_allelic_noise,
    minor_fraction_profile,
    overdispersion_from_groups,
    overdispersion_from_normals,
    read_allele_counts,
    segment_alleles,
    site_likelihood,
)
from ctcgenomics.cnv._bins import bin_mask
from ctcgenomics.cnv._config import CNVConfig
from ctcgenomics.cnv._errors import CNVInputError
from ctcgenomics.cnv._focal import (
    consensus_spikes,
    deep_deletions,
    focal_amplicons,
    focal_with_prior,
    log_noise_sd,
    seg_levels,
)
from ctcgenomics.cnv._inrun_reference import flat_cells, shared_artefacts
from ctcgenomics.cnv._joint import (
    boundaries,
    consensus_ratio,
    group_cells,
    member_levels,
    scaled_profile_mismatch,
    segment_mismatch,
    segments_from_boundaries,
)
from ctcgenomics.cnv._normalise import (
    MIN_PANEL_LEVEL,
    clip_outliers,
    gc_expected,
    long_run_sd,
    mapd,
    noise_sd,
    panel_of_normals,
    pon_divisor,
)
from ctcgenomics.cnv._per_patient import call_each_patient, patients_of
from ctcgenomics.cnv._ploidy import (
    LevelErrorCurve,
    PloidyFit,
    fit_ploidy,
    level_error_curve,
    level_error_from_normals,
    segment_mean_sd,
    window_variance,
    with_level_error,
)
from ctcgenomics.cnv._segment import hmm_segment, refine_breakpoints
from ctcgenomics.cnv._sex import SEXES, germline_levels, infer_sex, is_sex_chromosome

log = logging.getLogger(__name__)

SEGMENT_COLUMNS = (
    "cell", "chrom", "start", "end", "start_bin", "end_bin", "n_bins", "mean_ratio",
    "copy_number", "minor_cn",
)  # fmt: skip


def _contig_layout(chroms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each run of equal contig names."""
    change = np.ones(len(chroms), dtype=bool)
    change[1:] = chroms[1:] != chroms[:-1]
    starts = np.flatnonzero(change)
    lengths = np.diff(np.append(starts, len(chroms)))
    return starts, lengths


def _fill_masked(cn_used: np.ndarray, used: np.ndarray, chroms: np.ndarray) -> np.ndarray:
    """Copy number for all bins: unused bins take the value of the segment around them.

    An unused bin between two used bins of equal copy number (same contig) gets it;
    otherwise it stays NaN.
    """
    full = pd.Series(np.nan, index=np.arange(len(used)))
    full[used] = cn_used
    group = pd.Series(chroms)
    fwd = full.groupby(group).ffill()
    bwd = full.groupby(group).bfill()
    return np.where(fwd == bwd, fwd, np.nan)


def _ratio(
    counts: np.ndarray,
    gc: np.ndarray | None,
    bias: np.ndarray,
    *,
    cfg: CNVConfig,
    level: np.ndarray,
    autosome: np.ndarray,
    segments: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """GC- and reference-corrected ratio of one cell and the count expected at ratio 1.

    ``level`` is the expected relative copy number of each bin (germline sex-chromosome
    levels, or a first pass's levels), divided out of the GC fit. The ratio is scaled to
    a mean of 1 over the autosomes.
    """
    if gc is None:
        expected = bias.copy()
    else:
        expected = (
            gc_expected(
                counts / bias,
                gc,
                frac=cfg.gc_lowess_frac,
                min_bins=cfg.gc_min_bins,
                level=level,
                segments=segments,
                start=start,
            )
            * bias
        )
    corrected = counts / expected
    scale = float(corrected[autosome].mean()) if autosome.any() else float(corrected.mean())
    if not scale > 0:
        return np.full(len(counts), np.nan), expected
    return corrected / scale, expected * scale


@dataclass
class _Segmented:
    """One cell's segmentation and scale fit."""

    ratio: np.ndarray
    clipped: np.ndarray
    expected: np.ndarray
    seg_id: np.ndarray
    cn: np.ndarray
    fit: PloidyFit
    sd: float
    seg_means: np.ndarray
    seg_sd: np.ndarray
    """Sampling SD of each segment mean, without the level error."""
    minor: np.ndarray | None = None
    total_sd: np.ndarray | None = None
    """SD of each segment mean around its true level (level error included)."""


@dataclass
class _Context:
    """What every per-cell step needs: layout, config, reference and allelic evidence."""

    cfg: CNVConfig
    contig_starts: np.ndarray
    contig_lengths: np.ndarray
    gc: np.ndarray | None
    germline: np.ndarray
    autosome: np.ndarray
    wave_bins: int
    sites: dict[int, SiteLikelihood]
    alleles_given: bool
    level_curve: LevelErrorCurve | None = None
    level_error_measured: bool = False
    """Whether the level error was measured on cells of known copy number (the run's WBCs);
    without that, a depth-only clone consensus profiles the level error it shares."""
    cell_scale: dict[int, float] = dataclasses.field(default_factory=dict)
    """Each cell's level error relative to the typical cell (from its clone's consensus)."""

    @property
    def wide(self) -> int:
        return max(25, int(2.5 * self.wave_bins))


def _sex_segments(seg_id: np.ndarray, autosome: np.ndarray, n_seg: int) -> np.ndarray:
    """Segments lying on sex chromosomes (left out of the scale choice)."""
    on_auto = np.bincount(seg_id, weights=autosome.astype(float), minlength=n_seg)
    return on_auto == 0


_LEVEL_CVS = np.r_[0.0, np.geomspace(0.01, 0.5, 15)]
"""Shared relative level errors profiled in a clone consensus's depth-only scale fit
without WBCs (:func:`_group_scale`; with WBCs the level error is measured on them,
``_Context.level_error_measured``)."""

_PROFILED_CLONE_PENALTY = 1.0
"""Occam weight of a clone consensus's scale fit whose shared level error is profiled:
``log P`` nats per run of equal copy number, the description length of a level among
about ``P`` times more, unweighted (``ploidy_penalty``, 2, was set against fixed SDs that
over-state how well a finer scale fits). At 2 the real near-triploid consensus of Kim
2018 P2 without allele counts or a normal was read at ploidy 1.6 for 2.6."""


def _fit_segments(
    ratio: np.ndarray,
    clipped: np.ndarray,
    expected: np.ndarray,
    seg_id: np.ndarray,
    ctx: _Context,
    *,
    cell: int,
    wbc: bool,
    level_cv: float,
    sd: float,
    prior: np.ndarray | None = None,
    use_alleles: bool = True,
    ploidy_range: tuple[float, float] | None = None,
    scale_prior: tuple[np.ndarray, np.ndarray] | None = None,
) -> _Segmented:
    """Segment means, their SDs, allelic evidence and the scale fit on given segments.

    ``ploidy_range`` narrows the multipliers searched (to the cell's clone's scale);
    ``scale_prior`` adds the clone consensus's fit at each multiplier.
    """
    cfg = ctx.cfg
    n_seg = int(seg_id[-1]) + 1
    sizes = np.bincount(seg_id, minlength=n_seg)
    means = np.bincount(seg_id, weights=clipped, minlength=n_seg) / sizes
    seg_sd = segment_mean_sd(clipped, seg_id, means, sizes, max_lag=ctx.wide)
    total_sd = _segment_total_sd(
        seg_sd, means, sizes, ctx, level_cv=level_cv, noise=sd, scale=ctx.cell_scale.get(cell)
    )
    allelic = minor_table = None
    if use_alleles and cell in ctx.sites:
        sa = segment_alleles(ctx.sites[cell], seg_id, n_seg, max_cn=cfg.max_cn)
        allelic, minor_table = sa.by_cn, sa.minor
    lo, hi = (cfg.wbc_min_ploidy, cfg.wbc_max_ploidy) if wbc else (cfg.min_ploidy, cfg.max_ploidy)
    if ploidy_range is not None and not wbc:
        lo, hi = ploidy_range
    fit = fit_ploidy(
        means,
        sizes,
        total_sd,
        min_ploidy=lo,
        max_ploidy=hi,
        step=cfg.ploidy_step,
        max_cn=cfg.max_cn,
        penalty=cfg.ploidy_penalty,
        allelic=allelic,
        allelic_minor=minor_table,
        prior_levels=prior,
        # A cell that strays far from its clone's consensus (a mis-grouped or doubled
        # cell) lends it less weight: pseudo-votes grow with its stray scale.
        prior_weight=cfg.clone_prior_weight * max(1.0, ctx.cell_scale.get(cell, 1.0)),
        exclude=_sex_segments(seg_id, ctx.autosome, n_seg),
        breaks=_contig_breaks(seg_id, ctx.contig_starts, n_seg),
        scale_prior=scale_prior,
    )
    cn = fit.copy_number[seg_id].astype(float)
    minor = fit.minor[seg_id].astype(float) if fit.minor is not None else None
    return _Segmented(ratio, clipped, expected, seg_id, cn, fit, sd, means, seg_sd, minor, total_sd)


def _segment_total_sd(
    seg_sd: np.ndarray,
    means: np.ndarray,
    sizes: np.ndarray,
    ctx: _Context,
    *,
    level_cv: float,
    noise: float,
    scale: float | None = None,
) -> np.ndarray:
    """SD of segment means around their true levels.

    With a level-error curve (measured on the run's WBCs), the larger of the
    within-segment (Newey-West) SD and the curve's SD for a segment of that length,
    plus the configured relative ``level_cv``; otherwise the Newey-West SD with the
    level error calibrated on the WBCs' segments (``level_cv``).
    """
    if ctx.level_curve is None:
        return with_level_error(seg_sd, means, level_cv)
    curve = ctx.level_curve(sizes, means, noise, scale)
    return with_level_error(np.maximum(seg_sd, curve), means, ctx.cfg.level_cv)


def _contig_breaks(seg_id: np.ndarray, contig_starts: np.ndarray, n_seg: int) -> np.ndarray:
    """Segments that start a contig (a change of copy number there is free)."""
    out = np.zeros(n_seg, dtype=bool)
    out[seg_id[np.asarray(contig_starts, dtype=int)]] = True
    return out


def _first_pass(
    counts: np.ndarray,
    bias: np.ndarray,
    ctx: _Context,
    *,
    cell: int,
    wbc: bool,
    level_cv: float,
    level: np.ndarray | None = None,
    segments: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> _Segmented:
    """GC correction, outlier replacement, HMM and scale fit; GC refit on the levels.

    With ``segments`` (copy-number segments known from the cell's clone) the GC curve
    is fitted once, jointly with a free level per segment, and not refitted on the
    cell's own levels; ``level`` is then divided out first.
    """
    cfg = ctx.cfg
    res = None
    passes = 2 if segments is None else 1
    level = ctx.germline if level is None else level
    for _ in range(passes if ctx.gc is not None else 1):
        r, expected = _ratio(
            counts, ctx.gc, bias, cfg=cfg, level=level, autosome=ctx.autosome,
            segments=segments, start=start,
        )  # fmt: skip
        sd = noise_sd(r, ctx.contig_starts)
        clipped, _ = clip_outliers(
            r, ctx.contig_starts, window=cfg.outlier_window, n_sd=cfg.outlier_sd, sd=sd
        )
        seg_id = hmm_segment(
            clipped,
            ctx.contig_lengths,
            sd=long_run_sd(
                clipped, ctx.contig_starts, window=ctx.wide | 1, max_lag=max(10, ctx.wave_bins)
            ),
            level_step=cfg.level_step,
            max_ratio=cfg.max_ratio,
            transition_prob=cfg.transition_prob,
        )
        # No allelic evidence yet: first-pass segments can join heterozygous and
        # copy-neutral LOH stretches, whose mixed B-allele fraction would pull the scale.
        res = _fit_segments(
            r,
            clipped,
            expected,
            seg_id,
            ctx,
            cell=cell,
            wbc=wbc,
            level_cv=level_cv,
            sd=sd,
            use_alleles=False,
        )
        # Pass 2 refits the GC curve with these copy-number levels divided out.
        level = np.maximum(res.cn / res.fit.multiplier, 0.0)
        segments = None
    assert res is not None
    return res


def _refit(
    first: _Segmented,
    extra_starts: np.ndarray,
    ctx: _Context,
    *,
    cell: int,
    wbc: bool,
    level_cv: float,
    prior_from: np.ndarray | None,
    rng: np.random.Generator,
    ploidy_range: tuple[float, float] | None = None,
    scale_prior: tuple[np.ndarray, np.ndarray] | None = None,
) -> _Segmented:
    """Refit on the cell's own breakpoints plus its group's, with an optional clone prior.

    Own breakpoints are kept only where the levels on either side differ by more than
    ``own_breakpoint_z`` SDs of their means, the level error (waves) included: the HMM
    cuts strong waves into segments, which at a finer scale round to different integers
    and would pose as the odd states of a doubled genome.
    """
    own = boundaries(first.seg_id)
    if len(own):
        left, right = first.seg_id[own - 1], first.seg_id[own]
        m = first.seg_means
        sd = _segment_total_sd(
            first.seg_sd,
            m,
            np.bincount(first.seg_id),
            ctx,
            level_cv=level_cv,
            noise=first.sd,
            scale=ctx.cell_scale.get(cell),
        )
        z = np.abs(m[right] - m[left]) / np.sqrt(sd[right] ** 2 + sd[left] ** 2)
        own = own[z > ctx.cfg.own_breakpoint_z]
    seg_id = segments_from_boundaries(len(first.ratio), own, extra_starts, ctx.contig_starts)
    prior = None
    if prior_from is not None and len(prior_from):
        prior = member_levels(seg_id, int(seg_id[-1]) + 1, prior_from, rng=rng)
    return _fit_segments(
        first.ratio,
        first.clipped,
        first.expected,
        seg_id,
        ctx,
        cell=cell,
        wbc=wbc,
        level_cv=level_cv,
        sd=first.sd,
        prior=prior,
        ploidy_range=ploidy_range,
        scale_prior=scale_prior,
    )


def _merge_allelic_twins(
    group: np.ndarray,
    roles: np.ndarray,
    alleles: AlleleCounts,
    used_index: np.ndarray,
    n_used: int,
    *,
    effect: float,
) -> np.ndarray:
    """Merge groups of CTCs whose pooled B-allele fractions agree everywhere.

    Depth groups cells by amplification waves, GC bias and replication timing too, so a
    clone can be split into subsets that share such an artefact, whose consensus then
    keeps it. The allelic state is the clone's genotype and none of those touch it: two
    groups are one clone unless some 20-bin window differs significantly (Wilson-
    Hilferty z > 5) by at least ``effect`` in B-allele fraction (the smallest genotype
    difference of interest, 1/2 against 1/3, is 0.17; subsets of one real clone differ
    by up to 0.11, tests/cnv and docs/cnv.md). WBCs are left as they are.
    """
    labels = [int(g) for g in np.unique(group[group >= 0])]
    labels = [g for g in labels if roles[group == g][0] != "wbc"]
    if len(labels) < 2:
        return group
    rho = overdispersion_from_groups(alleles, group)
    pooled = {g: alleles.pooled(np.flatnonzero(group == g)) for g in labels}
    size = {g: int(np.sum(group == g)) for g in labels}
    # Allelic noise the model misses (phasing errors, mapping bias), measured as the
    # median chi-square per site between two halves of the largest group (one clone).
    inflation = 1.0
    largest = max(labels, key=size.get)
    if size[largest] >= 4:
        cells = np.flatnonzero(group == largest)
        half = len(cells) // 2
        inflation = max(
            1.0,
            allelic_difference(
                alleles.pooled(cells[:half]), alleles.pooled(cells[half:]), rho=rho,
                n_first=half, n_second=len(cells) - half, n_bins=n_used,
                bin_map=used_index, return_ratio=True,
            ),
        )  # fmt: skip
    parent = {g: g for g in labels}

    def root(g: int) -> int:
        while parent[g] != g:
            g = parent[g]
        return g

    for i, g in enumerate(labels):
        for h in labels[i + 1 :]:
            stat = allelic_difference(
                pooled[g], pooled[h], rho=rho, n_first=size[g], n_second=size[h],
                n_bins=n_used, bin_map=used_index, inflation=inflation, return_effect=True,
            )  # fmt: skip
            if stat < effect:
                parent[root(h)] = root(g)
    out = group.copy()
    for g in labels:
        out[group == g] = root(g)
    _, relabel = np.unique(out, return_inverse=True)
    return np.where(out >= 0, relabel - int((out < 0).any()), -1)


def _consensus_segments(
    cons: np.ndarray, n_members: int, ctx: _Context
) -> tuple[np.ndarray, np.ndarray]:
    """Outlier-replaced consensus of a group and its HMM segment IDs."""
    cfg = ctx.cfg
    cons_sd = noise_sd(cons, ctx.contig_starts)
    cons_clip, _ = clip_outliers(
        cons, ctx.contig_starts, window=cfg.outlier_window, n_sd=cfg.outlier_sd, sd=cons_sd
    )
    seg = hmm_segment(
        cons_clip,
        ctx.contig_lengths,
        sd=_consensus_sd(cons_clip, cons_sd, n_members, ctx),
        level_step=cfg.level_step,
        max_ratio=cfg.max_ratio,
        transition_prob=cfg.transition_prob,
    )
    return cons_clip, seg


def _member_misfit(
    res: _Segmented,
    ref: np.ndarray,
    shared: np.ndarray,
    n_ref: int,
    ctx: _Context,
    *,
    level_cv: float,
) -> float:
    """BIC of a cell's depth profile being ``ref`` (a consensus of ``n_ref`` cells) up to a scale.

    On the cell's own and the consensus' breakpoints (``shared``), with segment SDs that
    include the level error; positive when the cell does not share the profile.
    """
    seg_id, sizes, means, sd = _member_segments(res, shared, ctx, level_cv=level_cv)
    ref_means = np.bincount(seg_id, weights=ref, minlength=len(sizes)) / sizes
    # The others' levels err like this cell's, averaged over them.
    return scaled_profile_mismatch(means, sd, ref_means, sd / np.sqrt(n_ref), sizes)


def _member_segments(
    res: _Segmented, shared: np.ndarray, ctx: _Context, *, level_cv: float, own: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Segment IDs, sizes, means and SDs (with level error) of a cell.

    On the ``shared`` breakpoints, plus the cell's own first-pass ones with ``own``.
    """
    mine = boundaries(res.seg_id) if own else np.zeros(0, dtype=np.int64)
    seg_id = segments_from_boundaries(len(res.clipped), mine, shared, ctx.contig_starts)
    n_seg = int(seg_id[-1]) + 1
    sizes = np.bincount(seg_id, minlength=n_seg)
    means = np.bincount(seg_id, weights=res.clipped, minlength=n_seg) / sizes
    seg_sd = segment_mean_sd(res.clipped, seg_id, means, sizes, max_lag=ctx.wide)
    sd = _segment_total_sd(seg_sd, means, sizes, ctx, level_cv=level_cv, noise=res.sd)
    return seg_id, sizes, means, sd


def _residuals(
    members: np.ndarray, first: dict[int, _Segmented], ctx: _Context, *, level_cv: float
) -> np.ndarray:
    """Members x segments standardised residuals of the cells from their consensus.

    On the consensus' HMM segments: each member's level, less the consensus times the
    member's best scale (ratios are normalised to each cell's mean), over the segment
    SD with level error. Segment means average the waves within a segment, and the SDs
    weigh a short or wavy segment down; a bin-level principal direction is the waves'
    (the clones' difference spans ~70 of 2,000 bins of the genome layout).
    """
    sds = np.array([first[int(k)].sd for k in members])
    cons = consensus_ratio(np.vstack([first[int(k)].clipped for k in members]), sds)
    shared = boundaries(_consensus_segments(cons, len(members), ctx)[1])
    z = []
    for k in members:
        seg_id, sizes, means, sd = _member_segments(
            first[int(k)], shared, ctx, level_cv=level_cv, own=False
        )
        ref = np.bincount(seg_id, weights=cons, minlength=len(sizes)) / sizes
        w = 1.0 / np.maximum(sd, 1e-6) ** 2
        scale = float(np.sum(w * means * ref) / max(np.sum(w * ref * ref), 1e-12))
        z.append((means - scale * ref) / np.maximum(sd, 1e-6))
    return np.vstack(z)


def _repartition(
    first_group: np.ndarray,
    second_group: np.ndarray,
    first: dict[int, _Segmented],
    ctx: _Context,
    *,
    level_cv: float,
) -> list[np.ndarray] | None:
    """Split two groups' cells into two groups that fit them better, or return None.

    2-means (scikit-learn) on the cells' residuals from their joint consensus
    (:func:`_residuals`) proposes two parts. They are kept when both have two cells or
    more, their consensuses fail the merge test (:func:`_profile_mismatch`, so
    :func:`_merge_groups` would not join them again), and their two profiles explain the
    cells better than the current two groups' do: a larger BIC of two profiles against
    one. The one-profile model of the same cells is common to both, so this compares
    the two partitions' BICs; no threshold is added.
    """
    from sklearn.cluster import KMeans

    members = np.sort(np.concatenate([first_group, second_group]))
    z = _residuals(members, first, ctx, level_cv=level_cv)
    halves = KMeans(2, n_init=10, random_state=0).fit_predict(z)
    parts = [members[halves == h] for h in (0, 1)]
    if min(len(p) for p in parts) < 2:
        return None

    # The joint consensus of the pair's cells is the same for both partitions.
    starts = _joint_starts(first_group, second_group, first, ctx)

    def separation(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
        pa, pb = _cluster_profile(a, first, ctx), _cluster_profile(b, first, ctx)
        return _profile_mismatch(pa, pb, len(a), len(b), ctx, level_cv=level_cv, starts=starts)

    new = separation(*parts)
    if max(new) <= 0 or new[0] <= separation(first_group, second_group)[0]:
        return None
    return parts


def _repartition_pairs(
    group: np.ndarray,
    first: dict[int, _Segmented],
    roles: np.ndarray,
    ctx: _Context,
    *,
    level_cv: float,
    max_groups: int = 20,
    max_rounds: int = 10,
) -> np.ndarray:
    """Re-part pairs of groups whose cells two other groups explain better.

    :func:`_check_members` asks only whether a member fits its own group, and a cell
    of one clone that the mixture put with another clone fits that group's consensus
    within one cell's level error (without allele counts, at strong amplification
    waves, that error over an 18-bin segment is about a one-copy change): it is never
    compared with its own clone's group, and a mixed consensus pulls its members'
    scale. On the independent simulator's 78-bin contig two clones shared a group in
    half of the patients. One cell cannot be moved reliably on its own evidence (a
    likelihood classification of single cells moved doubled cells into the diploid
    clone one by one on ten contigs), a pair of groups can: each pair's cells are
    re-parted by :func:`_repartition` when that fits them better, until nothing
    changes (at most ``max_rounds``; skipped above ``max_groups`` groups, whose pairs
    would cost too much). WBCs and lone cells are left as they are.
    """
    out = group.copy()
    for _ in range(max_rounds):
        labels = [g for g in np.unique(out[out >= 0]) if roles[out == g][0] != "wbc"]
        if len(labels) > max_groups:
            break
        parts = None
        for i, g in enumerate(labels):
            for h in labels[i + 1 :]:
                parts = _repartition(
                    np.flatnonzero(out == g), np.flatnonzero(out == h), first, ctx,
                    level_cv=level_cv,
                )  # fmt: skip
                if parts is not None:
                    break
            if parts is not None:
                break
        else:
            break
        log.info("two groups' cells re-parted into %d and %d", *map(len, parts))
        out[parts[0]], out[parts[1]] = g, h
    return out


def _join_lone_cells(
    group: np.ndarray,
    first: dict[int, _Segmented],
    roles: np.ndarray,
    ctx: _Context,
    *,
    level_cv: float,
    alleles: AlleleCounts | None = None,
    used_index: np.ndarray | None = None,
    allelic_effect: float = 0.14,
) -> np.ndarray:
    """Offer each lone CTC the group whose consensus it fits best, by the membership test.

    At MAPD 0.40 the Gaussian mixture of :func:`group_cells` leaves single cells of a
    clone as components of their own (their private waves put them far from the
    clone's mean in the leading components), and a lone cell segments alone: an
    8-bin one-copy gain its clone carries was then called in none of them. A lone cell
    joins the group (of two or more cells) whose consensus its depth profile fits up to
    a scale (:func:`_member_misfit` at most 0, the test that keeps a member in its
    group), the best-fitting one if several do; the cells still alone are then tested
    together as one group, which :func:`_check_members` splits into the groups they
    form (or leaves alone). With allele counts a cell also must not differ from the
    group's pooled B-allele fractions in any 20-bin window (significantly, by at least
    ``allelic_effect``, as for :func:`_merge_allelic_twins`): depth alone, with its level
    errors, let a doubled cell with post-doubling arm changes join its undoubled
    relatives (and take their ploidy).
    """
    out = group.copy()
    lone = [i for i in sorted(first) if out[i] < 0 and roles[i] != "wbc"]
    labels = [g for g in np.unique(group[group >= 0]) if roles[group == g][0] != "wbc"]
    if not lone:
        return out
    refs = []
    for g in labels:
        members = np.flatnonzero(group == g)
        sds = np.array([first[int(k)].sd for k in members])
        cons = consensus_ratio(np.vstack([first[int(k)].clipped for k in members]), sds)
        _, seg = _consensus_segments(cons, len(members), ctx)
        refs.append((g, cons, boundaries(seg), len(members)))
    rho = overdispersion_from_groups(alleles, group) if alleles is not None else 0.0
    cells = set(np.unique(alleles.cell).tolist()) if alleles is not None else set()
    pooled: dict[int, AlleleCounts] = {}  # each group's pooled counts, made once

    def allelic_mismatch(i: int, g: int) -> bool:
        if alleles is None or used_index is None or i not in cells:
            return False
        members = np.flatnonzero(group == g)
        if g not in pooled:
            pooled[g] = alleles.pooled(members)
        effect = allelic_difference(
            alleles.pooled(np.array([i])), pooled[g], rho=rho, n_first=1,
            n_second=len(members), n_bins=len(first[i].clipped), bin_map=used_index,
            return_effect=True,
        )  # fmt: skip
        return effect >= allelic_effect

    still = []
    for i in lone:
        fits = [
            (_member_misfit(first[i], cons, shared, n, ctx, level_cv=level_cv), g)
            for g, cons, shared, n in refs
        ]
        fits = [(f, g) for f, g in fits if f <= 0 and not allelic_mismatch(i, g)]
        best = min(fits, default=(np.inf, -1))
        if best[0] <= 0:
            out[i] = best[1]
        else:
            still.append(i)
    joined = len(lone) - len(still)
    if len(still) >= 2:
        out[still] = int(out.max()) + 1
    if joined or len(still) >= 2:
        log.info("%d lone cells joined a group whose depth profile they share", joined)
        out = _check_members(out, first, roles, ctx, level_cv=level_cv)
    return out


def _check_members(
    group: np.ndarray,
    first: dict[int, _Segmented],
    roles: np.ndarray,
    ctx: _Context,
    *,
    level_cv: float,
) -> np.ndarray:
    """Keep in a group only the cells whose depth profile is the group's up to a scale.

    The grouping clusters cells in a few leading components of their depth and allelic
    profiles, with the number of groups chosen by BIC; with few cells it cannot afford a
    group per singleton, and two cells whose B-allele fractions agree (a loss of one
    copy on a base of two, and of one on a base of four after a doubling, both read 0)
    can land together although their depths differ. Their shared votes and scale then
    pull both cells' ploidies. So each member's first-pass ratios are tested against
    the leave-one-out consensus of the others on its own plus the group's consensus
    segments (:func:`scaled_profile_mismatch`: a BIC between one profile with a free
    genome-wide scale and the cell's own levels, with segment SDs that include the
    level error). The worst misfit leaves the group, one at a time, until every
    member fits; cells that left are tested as a group of their own in turn, so a
    group of two clones splits in two. A group of one is no group (-1). WBCs are left
    as they are.
    """
    out = group.copy()
    next_label = int(out.max()) + 1
    queue = [
        np.flatnonzero(group == g)
        for g in np.unique(group[group >= 0])
        if roles[group == g][0] != "wbc"
    ]
    while queue:
        members = list(queue.pop())
        if len(members) < 2:
            out[members] = -1
            continue
        weights = 1.0 / np.maximum([first[k].sd for k in members], 1e-3) ** 2
        ratios = np.vstack([first[k].clipped for k in members])
        cons = consensus_ratio(ratios, np.array([first[k].sd for k in members]))
        _, cons_seg = _consensus_segments(cons, len(members), ctx)
        shared = boundaries(cons_seg)
        left: list[int] = []
        while len(members) >= 2:
            total = (weights[:, None] * ratios).sum(axis=0)
            wsum = float(weights.sum())
            stats = np.empty(len(members))
            for j, k in enumerate(members):
                # The others' consensus (inverse-variance weights, as the group's).
                ref = (total - weights[j] * ratios[j]) / (wsum - weights[j])
                stats[j] = _member_misfit(
                    first[k], ref, shared, len(members) - 1, ctx, level_cv=level_cv
                )
            worst = int(np.argmax(stats))
            if stats[worst] <= 0:
                break
            left.append(members.pop(worst))
            weights = np.delete(weights, worst)
            ratios = np.delete(ratios, worst, axis=0)
        if len(members) >= 2:
            out[members] = out[members[0]] if out[members[0]] >= 0 else next_label
        else:
            out[members] = -1
        if left:
            log.info("%d cells left a group whose depth profile they do not share", len(left))
            if len(left) >= 2:
                out[left] = next_label
                next_label += 1
                queue.append(np.array(left))
            else:
                out[left] = -1
    _, relabel = np.unique(out, return_inverse=True)
    return np.where(out >= 0, relabel - int((out < 0).any()), -1)


def _cluster_profile(
    members: np.ndarray, first: dict[int, _Segmented], ctx: _Context
) -> tuple[np.ndarray, np.ndarray, float]:
    """Consensus ratios, breakpoints and relative level-error variance of a cluster.

    A lone cell's breakpoints are its own first pass's; a group's are its consensus
    HMM's (shared changes, not one member's waves). The variance factor is the members'
    mean noise relative to the level-error curve's cells, over their number.
    """
    if len(members) == 1:
        res = first[int(members[0])]
        cons, starts = res.clipped, boundaries(res.seg_id)
    else:
        sds = np.array([first[int(k)].sd for k in members])
        raw = consensus_ratio(np.vstack([first[int(k)].clipped for k in members]), sds)
        cons, seg = _consensus_segments(raw, len(members), ctx)
        starts = boundaries(seg)
    curve = ctx.level_curve
    rel = [(first[int(k)].sd / curve.noise) ** 2 if curve.noise > 0 else 1.0 for k in members]
    return cons, starts, float(np.mean(rel)) / len(members)


def _profile_mismatch(
    a: tuple[np.ndarray, np.ndarray, float],
    b: tuple[np.ndarray, np.ndarray, float],
    n_a: int,
    n_b: int,
    ctx: _Context,
    *,
    level_cv: float,
    starts: np.ndarray,
) -> tuple[float, float]:
    """How far two clusters' profiles are apart, on the segments starting at ``starts``.

    ``starts`` are the breakpoints of the two clusters' joint consensus
    (:func:`_joint_starts`), not the union of each cluster's own: a cluster's own HMM
    cuts its consensus where its waves turn, so its segment means there stray further
    than the level error of a segment of that length, and the difference of the two
    clusters' levels with them (splits of one simulated clone into two groups: mean
    chi-square per segment 1.8-2.3 on the independent simulator's ten contigs, 1.0 on
    the joint consensus' segments). The joint consensus is the same whichever cells of
    the clone are on which side, so under one profile its breakpoints do not follow
    either side's waves; two clones' changes still show in it (at a level between
    theirs).

    Returns :func:`scaled_profile_mismatch` (the BIC of one profile up to a scale
    against free levels) and the largest segment's chi-square above a multiple-testing
    bound (``log`` of the bins plus twice the ``log`` of the segments, as in a modified
    BIC for a sparse set of differing segments): positive when at least one segment
    differs beyond its level error.
    """
    seg_id = segments_from_boundaries(len(a[0]), starts, ctx.contig_starts)
    n_seg = int(seg_id[-1]) + 1
    sizes = np.bincount(seg_id, minlength=n_seg)
    out = []
    for (cons, _, scale), n in ((a, n_a), (b, n_b)):
        means = np.bincount(seg_id, weights=cons, minlength=n_seg) / sizes
        seg_sd = segment_mean_sd(cons, seg_id, means, sizes, max_lag=ctx.wide)
        sd = _segment_total_sd(
            seg_sd, means, sizes, ctx, level_cv=level_cv / np.sqrt(n), noise=float("nan"),
            scale=scale,
        )  # fmt: skip
        out.append((means, sd))
    (m_a, sd_a), (m_b, sd_b) = out
    bound = np.log(max(int(sizes.sum()), 2)) + 2.0 * np.log(max(n_seg, 1))
    excess = float(np.nanmax(segment_mismatch(m_a, sd_a, m_b, sd_b), initial=0.0)) - bound
    return scaled_profile_mismatch(m_a, sd_a, m_b, sd_b, sizes), excess


def _joint_starts(
    first_members: np.ndarray,
    second_members: np.ndarray,
    first: dict[int, _Segmented],
    ctx: _Context,
) -> np.ndarray:
    """Breakpoints of the joint consensus of two clusters' cells (:func:`_cluster_profile`)."""
    return _cluster_profile(np.union1d(first_members, second_members), first, ctx)[1]


def _merge_groups(
    group: np.ndarray,
    first: dict[int, _Segmented],
    roles: np.ndarray,
    ctx: _Context,
    *,
    level_cv: float,
    max_clusters: int = 150,
) -> np.ndarray:
    """Merge groups and lone cells whose depth profiles agree up to a scale.

    The Gaussian mixture of :func:`group_cells` is fitted to a handful of points when a
    patient has ten CTCs, and its BIC then favours many small groups (a component's
    variance collapses on two points): a clone of six came out as three pairs, and a
    pair lends its members one vote each, too few against amplification waves. So,
    agglomeratively (closest pair first), two clusters are merged while their
    consensus profiles pass the test that keeps a member in its group
    (:func:`scaled_profile_mismatch` with level errors over each cluster's size) and
    no segment differs beyond its level error (:func:`_profile_mismatch`);
    :func:`_check_members` then re-tests every member of a merged group. WBCs are left
    as they are. Above ``max_clusters`` clusters the pairwise search is skipped.
    """
    out = group.copy()
    items = [
        np.flatnonzero(out == g) for g in np.unique(out[out >= 0]) if roles[out == g][0] != "wbc"
    ]
    items += [np.array([i]) for i in sorted(first) if out[i] < 0 and roles[i] != "wbc"]
    if not 2 <= len(items) <= max_clusters:
        return out
    prof = [_cluster_profile(m, first, ctx) for m in items]
    stat: dict[tuple[int, int], tuple[float, float]] = {}

    def pair(x: int, y: int) -> tuple[float, float]:
        key = (min(x, y), max(x, y))
        if key not in stat:
            stat[key] = _profile_mismatch(
                prof[x], prof[y], len(items[x]), len(items[y]), ctx, level_cv=level_cv,
                starts=_joint_starts(items[x], items[y], first, ctx),
            )  # fmt: skip
        return stat[key]

    alive = list(range(len(items)))
    merged = 0
    while len(alive) >= 2:
        ok = [
            (pair(x, y)[0], x, y)
            for i, x in enumerate(alive)
            for y in alive[i + 1 :]
            if max(pair(x, y)) <= 0
        ]
        if not ok:
            break
        _, x, y = min(ok)
        items.append(np.union1d(items[x], items[y]))
        prof.append(_cluster_profile(items[-1], first, ctx))
        alive = [k for k in alive if k not in (x, y)] + [len(items) - 1]
        merged += 1
    if not merged:
        return out
    log.info("%d merges of groups whose depth profiles agree up to a scale", merged)
    next_label = int(out.max()) + 1
    for k in alive:
        out[items[k]] = next_label if len(items[k]) >= 2 else -1
        next_label += len(items[k]) >= 2
    _, relabel = np.unique(out, return_inverse=True)
    return np.where(out >= 0, relabel - int((out < 0).any()), -1)


def _group_breakpoints(
    group: np.ndarray,
    first: dict[int, _Segmented],
    roles: np.ndarray,
    ctx: _Context,
    *,
    allele_table: AlleleCounts | None,
    rho: float,
    switch: float,
    used_index: np.ndarray,
    focal: dict[int, np.ndarray] | None = None,
    consensus: dict[int, np.ndarray] | None = None,
    pooled_sites: dict[int, SiteLikelihood] | None = None,
) -> dict[int, np.ndarray]:
    """Breakpoints of each group's consensus (depth HMM and B-allele fraction).

    Keys are group labels; a lone cell ``i`` (label -1) gets its own allelic
    breakpoints under key ``-1 - i``. WBC groups get none. With ``focal`` (a dict),
    each group's consensus spikes (one-bin amplicons shared by its members) are stored
    in it.
    """
    cfg = ctx.cfg
    out: dict[int, np.ndarray] = {}
    for i in first:
        if group[i] < 0 and i in ctx.sites:
            out[-1 - i] = _baf_starts(ctx.sites[i], ctx)
    for g in np.unique(group[group >= 0]):
        members = np.flatnonzero(group == g)
        if roles[members[0]] == "wbc":
            out[int(g)] = np.zeros(0, dtype=np.int64)
            continue
        cons = consensus_ratio(
            np.vstack([first[i].ratio for i in members]), np.array([first[i].sd for i in members])
        )
        if consensus is not None:
            consensus[int(g)] = cons
        cons_clip, seg = _consensus_segments(cons, len(members), ctx)
        # Breakpoints placed by least squares on the consensus, not on one noisy cell.
        seg = refine_breakpoints(cons_clip, seg.astype(float), ctx.contig_starts)
        out[int(g)] = boundaries(seg)
        if focal is not None:
            focal[int(g)] = consensus_spikes(
                cons, seg_levels(cons_clip, seg), ctx.contig_starts, alpha=cfg.focal_alpha
            )
        if allele_table is not None:
            pooled = site_likelihood(
                allele_table.pooled(members),
                rho=rho,
                max_cn=cfg.max_cn,
                bin_map=used_index,
                switch=switch,
            )
            out[int(g)] = np.union1d(out[int(g)], _baf_starts(pooled, ctx))
            if pooled_sites is not None:
                pooled_sites[int(g)] = pooled
    return out


def _consensus_sd(cons: np.ndarray, white: float, n: int, ctx: _Context) -> float:
    """Noise SD for segmenting a group's consensus.

    ``consensus_noise`` chooses it: ``white`` (per-bin SD from adjacent differences:
    the members' waves are independent and average out in the consensus, and spurious
    breakpoints cost little because members refit their integers with a prior) or
    ``long_run`` (the Newey-West SD used for single cells).
    """
    if ctx.cfg.consensus_noise == "white":
        return white
    return long_run_sd(cons, ctx.contig_starts, window=ctx.wide | 1, max_lag=max(10, ctx.wave_bins))


def _refit_all(
    first: dict[int, _Segmented],
    group: np.ndarray,
    group_starts: dict[int, np.ndarray],
    roles: np.ndarray,
    ctx: _Context,
    *,
    level_cv: float,
    rng: np.random.Generator,
    group_fits: dict[int, PloidyFit],
) -> dict[int, _Segmented]:
    """Refit every cell on its own and its group's breakpoints, with the clone prior.

    The integer of each segment gets a prior from the other members' levels over the
    same bins, read at the cell's scale (:func:`ctcgenomics.cnv._ploidy.fit_ploidy`).
    A member's scale is searched within ``clone_scale_window`` of its clone's
    (``group_fits``, :func:`_group_scale`; the cells of a clone share one genome) when
    the group has at least ``clone_scale_min_cells`` cells (then its consensus outweighs
    any one cell, including one grouped there by mistake) or when the clone's scale is
    identifiable (its halved and doubled scales fit its consensus clearly worse: a
    doubled clone of four cells without allele counts, fitted at ploidy 4 with a gap of
    over 100 nats, had each member at 2-3 on its own). Without allele counts every
    member also adds its consensus's fit at each scale to its own: where the clone's
    scale is not identifiable, a near-triploid member's Occam term alone pulled it to a
    scale at which no level is an integer (ploidy 2.0-2.9 for 3.1).
    """
    cfg = ctx.cfg
    out: dict[int, _Segmented] = {}
    cells = np.arange(len(group))
    for i, res in first.items():
        wbc = roles[i] == "wbc"
        g = int(group[i])
        extra = group_starts.get(g if g >= 0 else -1 - i, np.zeros(0, dtype=np.int64))
        others = np.flatnonzero((group == g) & (cells != i)) if g >= 0 else []
        if len(others) > cfg.max_prior_cells:
            others = rng.choice(others, cfg.max_prior_cells, replace=False)
        prior_from = np.vstack([first[k].clipped for k in others]) if len(others) else None
        fit_g = group_fits.get(g) if g >= 0 and not wbc else None
        window = None
        if fit_g is not None and (
            np.sum(group == g) >= cfg.clone_scale_min_cells or fit_g.identifiable
        ):
            w = cfg.clone_scale_window
            window = (fit_g.multiplier * (1 - w), fit_g.multiplier * (1 + w))
        # Depth only: a member's waves cannot place its scale, its clone's consensus can.
        # With allele counts each member's own alleles do (and a consensus of pooled
        # alleles over merged segments can misread imbalance as a doubled genome).
        depth_only = fit_g is not None and fit_g.minor is None
        scale_prior = fit_g.curve if depth_only else None
        kwargs = dict(
            cell=i, wbc=wbc, level_cv=cfg.level_cv if wbc else level_cv, prior_from=prior_from
        )
        out[i] = _refit(
            res, extra, ctx, rng=np.random.default_rng(i), ploidy_range=window,
            scale_prior=scale_prior, **kwargs,
        )  # fmt: skip
    return out


def _group_scale(
    cons: np.ndarray,
    starts: np.ndarray,
    members: np.ndarray,
    pooled: SiteLikelihood | None,
    ctx: _Context,
    *,
    level_cv: float,
    shared_cv: float = 0.0,
) -> tuple[PloidyFit, float]:
    """Scale (ploidy) of a clone from its consensus and its members' pooled alleles.

    The cells of a clone share one genome, so they share its ploidy; the consensus
    averages their waves, and their pooled allele counts are many times one cell's.
    Segment SDs are the level-error curve for a cell over the number of members, plus
    ``shared_cv`` times the level: bias the members share (GC, mappability or
    replication timing not divided out) does not average out over them.

    Returns
    -------
    fit : PloidyFit
    excess_cv : float
        The relative level error the consensus segments show beyond their SDs at the
        fitted integers (method of moments), to calibrate ``shared_cv``.
    """
    cfg = ctx.cfg
    seg_id = segments_from_boundaries(len(cons), starts, ctx.contig_starts)
    n_seg = int(seg_id[-1]) + 1
    sizes = np.bincount(seg_id, minlength=n_seg)
    means = np.bincount(seg_id, weights=cons, minlength=n_seg) / sizes
    seg_sd = segment_mean_sd(cons, seg_id, means, sizes, max_lag=ctx.wide)
    scale = float(np.mean([ctx.cell_scale.get(int(k), 1.0) for k in members])) / len(members)
    sampling = _segment_total_sd(
        seg_sd, means, sizes, ctx, level_cv=level_cv / np.sqrt(len(members)), noise=float("nan"),
        scale=scale,
    )  # fmt: skip
    allelic = minor_table = None
    # Depth only and not measured on WBCs, the shared error is profiled at each scale from
    # the largest clone's up: members grouped by a GC bias they share keep it in their
    # consensus, and their deviation from it does not show it.
    level_cvs = None if ctx.level_error_measured else np.hypot(shared_cv, _LEVEL_CVS)
    if pooled is not None:
        sa = segment_alleles(pooled, seg_id, n_seg, max_cn=cfg.max_cn)
        allelic, minor_table = sa.by_cn, sa.minor
        level_cvs = None
    total_sd = sampling if level_cvs is not None else with_level_error(sampling, means, shared_cv)
    fit = fit_ploidy(
        means,
        sizes,
        total_sd,
        min_ploidy=cfg.min_ploidy,
        max_ploidy=cfg.max_ploidy,
        step=cfg.ploidy_step,
        max_cn=cfg.max_cn,
        penalty=cfg.ploidy_penalty if level_cvs is None else _PROFILED_CLONE_PENALTY,
        allelic=allelic,
        allelic_minor=minor_table,
        exclude=_sex_segments(seg_id, ctx.autosome, n_seg),
        breaks=_contig_breaks(seg_id, ctx.contig_starts, n_seg),
        level_cvs=level_cvs,
    )
    fitted = fit.copy_number / fit.multiplier
    excess = level_error_from_normals(means - fitted, sampling, fitted)
    return fit, excess


def _baf_starts(sites: SiteLikelihood, ctx: _Context) -> np.ndarray:
    """Segment starts where the B-allele fraction changes (copy-neutral LOH included)."""
    emission = bin_emissions(sites, len(ctx.germline), max_cn=ctx.cfg.max_cn)
    return baf_boundaries(emission, ctx.contig_lengths, transition_prob=ctx.cfg.transition_prob)


def _warn_sex_mismatch(stated: str, source: str, reference: np.ndarray, var: pd.DataFrame) -> None:
    """Warn when the diploid reference's chrX/chrY depth says the other sex than stated.

    The stated sex is kept: a male read as female (a typo in the sheet, a swapped sample)
    gave chrX levels one copy off in every cell, and WBC level errors, without a word.
    """
    inferred, evidence = infer_sex(reference, var, var["used"].to_numpy())
    if inferred is not None and inferred != stated:
        log.warning(
            "the sex %s (%s) disagrees with the reference's depth, which reads %s (%s): chrX/"
            "chrY are called at %s levels; check --sex or the patient sheet's sex column, "
            "or whether the cells are the patient's",
            stated, source, inferred, evidence, stated,
        )  # fmt: skip


def _resolve_sex(
    sex: str | None,
    adata: ad.AnnData,
    counts: np.ndarray,
    roles: np.ndarray,
    enough: np.ndarray,
    normal: np.ndarray | None,
    var: pd.DataFrame,
) -> tuple[str | None, str]:
    """Resolve the patient's sex: given, from ``obs["sex"]``, or inferred (and said so)."""
    has_sex_chrom = is_sex_chromosome(var["chrom"].to_numpy()).any()
    stated, source = sex, "given"
    if stated is None and "sex" in adata.obs:
        values = {str(v).lower() for v in adata.obs["sex"] if str(v).lower() in SEXES}
        stated, source = (values.pop(), "patient sheet") if len(values) == 1 else (None, "")
    if stated is not None:
        if stated not in SEXES:
            raise CNVInputError(f"sex must be one of {SEXES}, got {stated!r}")
        wbc = enough & (roles == "wbc")
        if has_sex_chrom and (normal is not None or wbc.any()):
            _warn_sex_mismatch(stated, source, normal if normal is not None else counts[wbc], var)
        return stated, source
    if not has_sex_chrom:
        return None, "no sex chromosomes in the bins"
    usable = var["used"].to_numpy()
    if normal is not None:
        inferred, evidence = infer_sex(normal, var, usable)
        return inferred, f"inferred from the matched normal ({evidence})"
    wbc = enough & (roles == "wbc")
    rows = wbc if wbc.any() else enough
    if not rows.any():
        return None, "no cells to infer the sex from"
    inferred, evidence = infer_sex(counts[rows], var, usable)
    source = "the WBCs" if wbc.any() else "all cells (no WBCs: tumour losses may mislead)"
    return inferred, f"inferred from {source} ({evidence})"


def _check_input(adata: ad.AnnData, layer: str | None, normal_given: bool) -> None:
    """Name what is missing and how to provide it."""
    need = ["chrom", "start", "end"]
    missing = [c for c in need if c not in adata.var.columns]
    if missing:
        raise CNVInputError(
            f"adata.var lacks column(s) {missing}: call_copy_number needs a bin table in var "
            "(chrom, start, end, and best gc); build the AnnData "
            "with ctc.cnv.counts_anndata(counts, bins, cells) or ctc.cnv.read_count_table"
        )
    if layer is not None and layer not in adata.layers:
        raise CNVInputError(
            f"adata.layers has no {layer!r} (layers: {layer_names(adata)}); pass layer=None to "
            "use adata.X, or the name of the layer with raw counts"
        )
    if adata.n_vars == 0 or adata.n_obs == 0:
        raise CNVInputError(f"adata is empty ({adata.n_obs} cells x {adata.n_vars} bins)")
    _check_bin_order(adata.var)


def _check_bin_order(var: pd.DataFrame) -> None:
    """Refuse bins that are not one block per contig sorted by start.

    Segmentation reads neighbours in the table as neighbours in the genome, so a
    shuffled table would segment noise.
    """
    chrom = var["chrom"].astype(str).to_numpy()
    start = var["start"].to_numpy()
    new_block = np.r_[True, chrom[1:] != chrom[:-1]]
    blocks = chrom[new_block]
    if len(set(blocks)) < len(blocks):
        seen = pd.Series(blocks).duplicated()
        k = int(np.flatnonzero(new_block)[int(np.flatnonzero(seen.to_numpy())[0])])
        where, why = k, f"{chrom[k]} appears again after other contigs"
    else:
        back = np.flatnonzero(~new_block[1:] & (start[1:] <= start[:-1]))
        if not len(back):
            return
        where, why = int(back[0]) + 1, "its start is not after the previous bin's"
        if start[where] == start[where - 1]:
            raise CNVInputError(
                f"bin {chrom[where]}:{start[where]} is listed twice (var {var.index[where - 1]} "
                f"and {var.index[where]}); keep one column per bin"
            )
    raise CNVInputError(
        f"bins are not in genomic order at {var.index[where]} ({chrom[where]}:{start[where]}; "
        f"{why}): each contig's bins must be one block sorted by start; sort them first, "
        "e.g. adata = adata[:, adata.var.sort_values(['chrom', 'start']).index].copy()"
    )


def call_copy_number(
    adata: ad.AnnData,
    *,
    config: CNVConfig | None = None,
    layer: str | None = "counts",
    key_added: str = "ctc_cnv",
    blacklist: pd.DataFrame | None = None,
    mappability: np.ndarray | None = None,
    normal: np.ndarray | None = None,
    alleles: AlleleCounts | pd.DataFrame | str | None = None,
    sex: str | None = None,
    reference_key: str = "role",
    reference_cat: str | Sequence[str] = "wbc",
    copy: bool = False,
    _trace: dict | None = None,
) -> ad.AnnData | None:
    """Call integer copy number, ploidy and per-cell QC on a cells x bins count matrix.

    Reference: a matched bulk ``normal`` (counts per bin; GC optional then) or a panel
    of the patient's WBCs (``obs[reference_key]`` in ``reference_cat``, by default
    ``obs["role"] == "wbc"``; leave-one-out for the WBCs), on
    top of a per-cell LOWESS GC correction; chrX/chrY are expected at the copy number of
    the patient's sex. First pass per cell: single-bin outliers replaced, HMM over ratio
    levels, scale search on segment means (WBCs restricted to ``wbc_min_ploidy..
    wbc_max_ploidy``; their segments calibrate the level error the CTCs are fitted
    with). Then cells are grouped by profile; each grouped CTC's GC curve is refitted
    with a free level per segment of its group's consensus (a gain its own first pass
    missed is not taken for GC bias); each group's consensus is segmented, and
    every cell is refitted on its own plus its group's breakpoints with a clone prior on
    each segment's integer (``docs/cnv.md``). Focal events follow: runs of two or more
    (near) empty bins become copy number 0, bins far above their segment at
    amplification level keep their own copy number. With allele counts, B-allele
    evidence at heterozygous SNPs enters the scale search (doubled genomes with odd or
    imbalanced states, LOH) and gives each segment's minor copy number.

    Parameters
    ----------
    adata
        Cells x bins; ``var`` has ``chrom, start, end`` and, best, ``gc`` (without it and
        without ``normal`` each cell's own GC bias is not corrected: a warning, and
        ``uns[key_added]["gc_corrected"]`` is False), optionally ``n_fraction``;
        ``obs`` may have ``role`` (``ctc``/``wbc``), ``patient``, ``draw``, ``sex``. Bins in
        genomic order within each contig. Cells of several patients are called patient
        by patient (their own WBCs, sex and clones): ``uns[key_added]`` then holds
        ``segments``, ``params``, ``run_warning`` and, per patient, the run summary
        under ``patients``.
    config
        Parameters (defaults of the config schema if ``None``).
    layer
        Layer with raw counts (``None`` for ``X``).
    key_added
        Key of ``adata.uns`` for segments and parameters. With the default every other
        output has the name listed under Returns (what :func:`call_clones`,
        :func:`gene_calls`, the workflow and the report read); any other key prefixes
        every ``obs``/``var`` column and layer it writes with ``f"{key_added}_"``, so
        calls with different settings coexist in one AnnData.
    blacklist
        Regions to exclude (:func:`read_blacklist`).
    mappability
        Per-bin mappability (:func:`read_mappability`).
    normal
        Reads per bin of a matched bulk normal (one value per bin of ``adata``), used as
        the reference instead of the WBCs; its zero-count bins are excluded
        (``exclude_reason`` ``normal_zero``). Without it, bins where the WBCs together
        have under 5 % of their mean reads are excluded (``wbc_no_reads``).
    alleles
        Allele counts at germline heterozygous SNPs (:func:`read_allele_counts` result,
        a DataFrame or a TSV path with its columns).
    sex
        ``female`` or ``male``; default: ``obs["sex"]`` when unanimous, else inferred from
        the normal, the WBCs or all cells (stated in ``uns[key_added]["sex_source"]``).
    reference_key, reference_cat
        ``obs`` column and value(s) marking the normal reference cells (WBCs); other
        cells are called as tumour cells. Without the column no cell is a reference.
    copy
        Return a modified copy instead of writing in place.

    Returns
    -------
    anndata.AnnData or None
        With ``layers["ratio"]`` (corrected ratio, NaN in unused bins),
        ``layers["copy_number"]`` (integer-valued float, NaN where not called),
        ``layers["minor_cn"]`` (minor copy number where allele counts gave it, else NaN),
        ``var["used", "exclude_reason", "mappability", "blacklisted", "pon",
        "germline_level"]``, ``obs["ploidy", "ploidy_confidence",
        "ploidy_identifiable", "ploidy_alternative", "ploidy_evidence", "mapd",
        "overdispersion", "n_breakpoints", "mean_reads_per_bin", "noise_sd", "group",
        "n_focal_amplicons", "n_deep_deletions", "qc_pass", "qc_reason"]`` and
        ``uns[key_added]``: ``segments`` (DataFrame, columns :data:`SEGMENT_COLUMNS`),
        ``params``, ``run_warning`` (non-empty when at least half of the WBCs fail
        ``wbc_not_diploid``), ``level_cv_wbc``, ``level_cv_used``, ``sex``,
        ``sex_source``, ``allele_overdispersion``, ``reference`` (``normal``,
        ``panel_of_normals`` or ``none``), ``gc_corrected``.

    Raises
    ------
    CNVInputError
        When ``var`` lacks bin columns, the layer is missing, the normal or the allele
        counts do not match the bins or cells, the bins are out of genomic order, or a
        matched normal is given for cells of several patients (each message names the
        key and the fix).
    """
    cfg = config or CNVConfig()
    _check_input(adata, layer, normal is not None)
    patients = patients_of(adata)
    if len(patients) > 1:
        return call_each_patient(
            adata, patients, call_copy_number, key_added=key_added,
            name=output_namer(key_added, "ctc_cnv"), alleles=alleles, normal=normal,
            copy=copy, config=cfg, layer=layer, blacklist=blacklist, mappability=mappability,
            sex=sex, reference_key=reference_key, reference_cat=reference_cat,
        )  # fmt: skip
    adata = adata.copy() if copy else adata
    normal = _check_normal(normal, adata.n_vars)
    # Internal labels "wbc"/"ctc" from the user's reference column and value(s).
    roles = role_labels(adata.obs, reference_key, reference_cat)
    run = _prepare(adata, cfg, layer, normal, blacklist, mappability, sex, alleles, roles)
    default_bias, wbc_bias = _reference(run, normal)
    first, called = _first_passes(run, default_bias, wbc_bias)
    in_run = _in_run_reference(run, first)
    if in_run is not None:
        default_bias, wbc_bias = in_run
        first, called = _first_passes(run, default_bias, wbc_bias)
    wbc_curve = run.ctx.level_curve
    group = _groups(run, first)
    _clone_gc_refit(run, first, group, default_bias, wbc_bias)
    _allelic_noise(run, group)
    group_focal: dict[int, np.ndarray] = {}
    group_cons: dict[int, np.ndarray] = {}
    group_pooled: dict[int, SiteLikelihood] = {}
    group_starts = _group_breakpoints(
        group,
        first,
        run.roles,
        run.ctx,
        allele_table=run.allele_table,
        rho=run.rho,
        switch=run.switch,
        used_index=run.used_index,
        focal=group_focal,
        consensus=group_cons,
        pooled_sites=group_pooled,
    )
    _cell_scales(run, first, group, group_cons)
    if wbc_curve is None and cfg.level_cv_from_wbc:
        _clone_level_curve(run, first, group, group_cons)
    group_fits = _clone_fits(run, group, group_cons, group_starts, group_pooled)
    final = _refit_all(
        first,
        group,
        group_starts,
        run.roles,
        run.ctx,
        level_cv=run.level_cv,
        rng=np.random.default_rng(0),
        group_fits=group_fits,
    )
    if _trace is not None:  # internals for diagnostics (docs/cnv.md figures, tests)
        _trace.update(first=first, final=final, group_starts=group_starts, group=group,
                      sites=run.ctx.sites, level_cv=run.level_cv, ctx=run.ctx,
                      group_fits=group_fits, group_cons=group_cons,
                      group_pooled=group_pooled)  # fmt: skip
    out = _CellOutputs.empty(run.n_cells, run.counts_all.shape)
    for i in called:
        _cell_output(run, out, int(i), final, group, group_focal, group_starts, group_fits)
    reasons = _qc_reasons(run, out)
    name = output_namer(key_added, "ctc_cnv")
    _write_outputs(adata, run, out, group, reasons, name)
    adata.uns[key_added] = _run_summary(run, out, reasons, layer)
    adata.uns[key_added]["params"].update(
        reference_key=reference_key,
        reference_cat=[reference_cat] if isinstance(reference_cat, str) else list(reference_cat),
    )
    log.info(
        "called %d of %d cells (%d pass QC)",
        int(run.enough.sum()),
        run.n_cells,
        int(adata.obs[name("qc_pass")].sum()),
    )
    return adata if copy else None


@dataclass
class _Run:
    """One call's cells and usable bins, and the run-wide figures the steps measure."""

    cfg: CNVConfig
    cells: np.ndarray
    roles: np.ndarray
    status: np.ndarray
    counts_all: np.ndarray
    var: pd.DataFrame
    sex: str | None
    sex_source: str
    germline_all: np.ndarray
    used: np.ndarray
    chroms_all: np.ndarray
    counts: np.ndarray
    mean_reads: np.ndarray
    enough: np.ndarray
    allele_table: AlleleCounts | None
    used_index: np.ndarray
    ctx: _Context
    reference: str = "none"
    pon_panel: np.ndarray | None = None
    level_cv: float = float("nan")
    level_cv_wbc: float = float("nan")
    rho: float = float("nan")
    switch: float = 0.0
    rho_source: str = "none"

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    @property
    def n_used(self) -> int:
        return int(self.counts.shape[1])

    @property
    def chroms(self) -> np.ndarray:
        return self.chroms_all[self.used]


def _check_normal(normal: np.ndarray | None, n_vars: int) -> np.ndarray | None:
    """Return the matched normal as floats, one count per bin (or ``None``)."""
    if normal is None:
        return None
    normal = np.asarray(normal, dtype=float)
    if normal.shape != (n_vars,):
        raise CNVInputError(
            f"the matched normal has {normal.shape[0] if normal.ndim else 0} values for "
            f"{n_vars} bins; give one count per bin of the count table"
        )
    return normal


def _no_reads_in_any_cell(counts: np.ndarray, used: np.ndarray) -> np.ndarray:
    """Bins with (almost) no reads pooled over all cells: reference gaps, not deletions.

    Without WBCs or a matched normal nothing else tells a reference gap (N bases,
    unplaced or collapsed sequence that a whole-genome count table still lists) from a
    deletion, and such a bin would be a deep deletion in every cell, diploid cells
    included. A homozygous deletion carried by every cell of a run with no diploid cell
    is lost with them; the log says so.
    """
    pooled = counts.sum(axis=0, dtype=float)
    if not used.any():
        return np.zeros(len(pooled), dtype=bool)
    gap = used & (pooled < MIN_PANEL_LEVEL * pooled[used].mean())
    if gap.any():
        log.warning(
            "%d bin(s) have under %.0f %% of the mean reads pooled over all %d cells; left "
            "out as reference gaps (exclude_reason no_reads_any_cell). Without WBCs or a "
            "matched normal a deletion in every cell cannot be told from a gap: give WBCs, "
            "--normal or bins with n_fraction",
            int(gap.sum()), 100 * MIN_PANEL_LEVEL, len(counts),
        )  # fmt: skip
    return gap


def _prepare(
    adata: ad.AnnData,
    cfg: CNVConfig,
    layer: str | None,
    normal: np.ndarray | None,
    blacklist: pd.DataFrame | None,
    mappability: np.ndarray | None,
    sex: str | None,
    alleles: AlleleCounts | pd.DataFrame | str | None,
    roles: np.ndarray,
) -> _Run:
    """Bin filters, the patient's sex and germline levels, cells with enough reads, alleles."""
    counts_all = np.asarray(adata.layers[layer] if layer else adata.X)
    var = bin_mask(adata.var, cfg, blacklist=blacklist, mappability=mappability, normal=normal)
    n_cells = adata.n_obs
    status = (
        adata.obs["count_status"].astype(str).to_numpy()
        if "count_status" in adata.obs
        else np.full(n_cells, "ok")
    )
    pre_used = var["used"].to_numpy()
    mean_reads = counts_all[:, pre_used].mean(axis=1, dtype=float)
    enough = (mean_reads >= cfg.min_reads_per_bin) & (status == "ok")
    sex, sex_source = _resolve_sex(sex, adata, counts_all, roles, enough, normal, var)
    log.info("sex: %s (%s)", sex or "unknown", sex_source)
    germline_all, sex_unusable = germline_levels(var, sex)
    reason = var["exclude_reason"].copy()
    for i in np.flatnonzero(sex_unusable & var["used"].to_numpy()):
        reason.iat[i] = "sex_chromosome"
    unusable = sex_unusable.copy()
    wbc = enough & (roles == "wbc")
    if normal is None and wbc.any():
        # Bins the WBCs (the reference) have (almost) no reads in are reference gaps
        # (unplaced sequence, collapsed repeats), not deletions: zero in every cell there
        # would be a "deep deletion" in each CTC and WBC. As a matched normal's zero bins.
        pooled = counts_all[wbc].sum(axis=0, dtype=float)
        expected = pooled[var["used"].to_numpy() & ~sex_unusable].mean()
        gap = var["used"].to_numpy() & ~sex_unusable & (pooled < MIN_PANEL_LEVEL * expected)
        for i in np.flatnonzero(gap):
            reason.iat[i] = "wbc_no_reads"
        unusable |= gap
    elif normal is None and enough.any():
        gap = _no_reads_in_any_cell(counts_all[enough], var["used"].to_numpy() & ~sex_unusable)
        for i in np.flatnonzero(gap):
            reason.iat[i] = "no_reads_any_cell"
        unusable |= gap
    var["exclude_reason"] = reason
    var["used"] = var["used"].to_numpy() & ~unusable
    used = var["used"].to_numpy()
    if not used.any():
        raise CNVInputError("no usable bin left after the bin filters and sex chromosomes")
    counts = counts_all[:, used]
    mean_reads = counts.mean(axis=1, dtype=float)
    enough = (mean_reads >= cfg.min_reads_per_bin) & (status == "ok")
    cells = adata.obs_names.to_numpy()
    allele_table = None
    if alleles is not None:
        allele_table = (
            alleles
            if isinstance(alleles, AlleleCounts)
            else read_allele_counts(alleles, var, list(cells))
        )
    used_index = np.full(len(used), -1, dtype=np.int64)
    used_index[used] = np.arange(counts.shape[1])
    if allele_table is not None and len(allele_table):
        log.info("allele counts for %d cells", len(np.unique(allele_table.cell)))
    return _Run(
        cfg=cfg, cells=cells, roles=roles, status=status, counts_all=counts_all, var=var,
        sex=sex, sex_source=sex_source, germline_all=germline_all, used=used,
        chroms_all=var["chrom"].astype(str).to_numpy(), counts=counts, mean_reads=mean_reads,
        enough=enough, allele_table=allele_table, used_index=used_index,
        ctx=_context(cfg, var, used, germline_all, normal, allele_table is not None),
    )  # fmt: skip


def _context(
    cfg: CNVConfig,
    var: pd.DataFrame,
    used: np.ndarray,
    germline_all: np.ndarray,
    normal: np.ndarray | None,
    alleles_given: bool,
) -> _Context:
    """Layout, GC and germline levels of the usable bins, for the per-cell steps."""
    chroms = var["chrom"].astype(str).to_numpy()[used]
    contig_starts, contig_lengths = _contig_layout(chroms)
    gc = var["gc"].to_numpy(dtype=float)[used] if "gc" in var and normal is None else None
    if "gc" in var and normal is not None and cfg.gc_with_normal:
        gc = var["gc"].to_numpy(dtype=float)[used]
    if "gc" not in var and normal is None:
        # Measured: dropping GC cost 0.2-0.6 % of bins with WBCs (their panel divides out
        # the bias the cells share); refusing the run would cost all of them.
        log.warning(
            "the bins have no gc column: each cell's own GC bias is not corrected (the "
            "reference divides out the bias the cells share); add var['gc'] (GC fraction "
            "per bin, as `ctcg bins` writes it; for a count table a gc column, `--bins` of "
            "`ctcg bins` on the same build, or HMMcopy gcCounter's .wig in a .wig folder) for "
            "better calls: without WBCs, simulated cells with strong GC waves were fitted at "
            "twice their ploidy (docs/cnv.md)"
        )
    bin_bp = float(np.median((var["end"] - var["start"]).to_numpy()[used]))
    return _Context(
        cfg=cfg,
        contig_starts=contig_starts,
        contig_lengths=contig_lengths,
        gc=gc,
        germline=germline_all[used],
        autosome=~is_sex_chromosome(chroms),
        wave_bins=max(1, round(cfg.wave_span_bp / max(bin_bp, 1.0))),
        sites={},
        alleles_given=alleles_given,
    )


def _reference(run: _Run, normal: np.ndarray | None) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Choose the reference: the matched normal, or the panel of the WBCs' GC-corrected ratios.

    Sets ``run.reference`` and ``run.pon_panel``. Returns the per-bin bias every cell is
    divided by, and each panel WBC's own (leave-one-out) bias.
    """
    cfg, ctx = run.cfg, run.ctx
    germline, autosome = ctx.germline, ctx.autosome
    ones = np.ones(run.n_used)
    default_bias, wbc_bias = ones, {}
    if normal is not None:
        shape = normal[run.used] / np.maximum(germline, 1e-6)
        default_bias = shape / float(np.mean(shape[autosome] if autosome.any() else shape))
        run.reference = "normal"
    elif cfg.panel_of_normals:
        pon_cells = np.flatnonzero(run.enough & (run.roles == "wbc"))
        own_bias, run.pon_panel = panel_of_normals(
            _reference_ratios(run, pon_cells), min_cells=cfg.min_pon_cells
        )
        if run.pon_panel is None and not len(pon_cells):
            log.warning(
                "no reference: no matched normal and no WBCs (obs role 'wbc'; `ctcg cnv call "
                "--sheet` gives roles); each cell's depth is taken relative to its own mean, the "
                "germline assumed diploid on the autosomes (chrX/chrY at the sex's level), and "
                "per-bin biases all cells share (mappability%s) stay in the ratios unless the "
                "run's own flat diploid cells give an in-run reference (cnv.in_run_reference)",
                ", GC" if ctx.gc is None else "",
            )
        elif run.pon_panel is None:
            log.info(
                "panel of normals skipped: fewer than %d WBCs with enough reads", cfg.min_pon_cells
            )
        else:
            default_bias = pon_divisor(run.pon_panel)
            wbc_bias = dict(zip(pon_cells.tolist(), own_bias, strict=True))
            run.reference = "panel_of_normals"
    return default_bias, wbc_bias


def _reference_ratios(run: _Run, cells: np.ndarray) -> np.ndarray:
    """GC-corrected ratios of reference cells over their germline levels (cells x bins)."""
    ctx = run.ctx
    ratios = np.full((len(cells), run.n_used), np.nan)
    for k, i in enumerate(cells):
        r, _ = _ratio(
            run.counts[i].astype(float), ctx.gc, np.ones(run.n_used), cfg=run.cfg,
            level=ctx.germline, autosome=ctx.autosome,
        )  # fmt: skip
        ratios[k] = r / np.maximum(ctx.germline, 1e-6)
    return ratios


# Most autosomal bins a flat cell may have off its state, in short segments only: shared
# low-mappability stretches cover a few per cent of the genome.
_MAX_OFF_FRACTION = 0.05


def _in_run_reference(
    run: _Run, first: dict[int, _Segmented]
) -> tuple[np.ndarray, dict[int, np.ndarray]] | None:
    """Panel of the run's flat diploid cells when there is no other reference, or ``None``.

    Cells whose first-pass autosomes sit at one integer state (off it only in segments
    shorter than twice the wave scale, under 5 % of bins) are normals by their profile; a run
    of tumour cells only has none (an arm change is far longer), so no tumour cell is
    taken and no clonal event is cancelled. Sets ``run.reference`` and ``run.pon_panel``;
    returns the divisor of the other cells and each panel cell's leave-one-out divisor.
    """
    cfg, ctx = run.cfg, run.ctx
    if run.reference != "none" or not (cfg.in_run_reference and cfg.panel_of_normals):
        return None
    profiles = {i: (res.cn, res.seg_id) for i, res in first.items() if run.roles[i] != "wbc"}
    cells = flat_cells(
        profiles, ctx.autosome, min_event_bins=2 * ctx.wide, max_off_fraction=_MAX_OFF_FRACTION
    )
    if len(cells) < max(cfg.min_pon_cells, 2):
        log.info(
            "no in-run reference: %d cell(s) with a flat diploid profile, %d needed",
            len(cells), cfg.min_pon_cells,
        )  # fmt: skip
        return None
    own_bias, panel = panel_of_normals(_reference_ratios(run, cells), min_cells=cfg.min_pon_cells)
    assert panel is not None and own_bias is not None
    shared = shared_artefacts(panel, ctx.contig_starts, ctx.contig_lengths, cfg)
    if not shared.any():
        log.info("in-run reference not needed: the %d flat cells share no change", len(cells))
        return None
    run.pon_panel = np.where(shared, panel, 1.0)
    run.reference = "in_run_diploid"
    log.info(
        "in-run reference: %d of %d cells have a flat diploid profile; %d bin(s) that most of "
        "them call changed are divided by their panel (leave-one-out for them), second pass",
        len(cells), len(first), int(shared.sum()),
    )  # fmt: skip
    own = {int(i): np.where(shared, b, 1.0) for i, b in zip(cells, own_bias, strict=True)}
    return pon_divisor(run.pon_panel), own


def _first_passes(
    run: _Run, default_bias: np.ndarray, wbc_bias: dict[int, np.ndarray]
) -> tuple[dict[int, _Segmented], np.ndarray]:
    """First pass per cell, WBCs first: their segments calibrate the level error of CTCs.

    Sets ``run.level_cv`` (the CTCs'), ``run.level_cv_wbc`` and, with
    ``level_cv_from_wbc``, ``ctx.level_curve``. Returns each called cell's segmentation
    and the called cells in the order they were fitted.
    """
    cfg, ctx, roles = run.cfg, run.ctx, run.roles
    called = np.flatnonzero(run.enough)
    n_wbc_called = int(np.sum(roles[called] == "wbc"))
    called = np.concatenate([called[roles[called] == "wbc"], called[roles[called] != "wbc"]])
    run.level_cv = cfg.level_cv
    normal_dev: list[np.ndarray] = []
    normal_sd: list[np.ndarray] = []
    normal_level: list[np.ndarray] = []
    wbc_resid: list[np.ndarray] = []
    wbc_noise: list[float] = []
    first: dict[int, _Segmented] = {}
    for n_done, i in enumerate(called):
        wbc = n_done < n_wbc_called
        if n_done == n_wbc_called and normal_dev:
            run.level_cv_wbc = level_error_from_normals(
                np.concatenate(normal_dev), np.concatenate(normal_sd), np.concatenate(normal_level)
            )
            if cfg.level_cv_from_wbc:
                run.level_cv = max(cfg.level_cv, run.level_cv_wbc)
                ctx.level_curve = level_error_curve(wbc_resid, ctx.contig_starts, wbc_noise)
                ctx.level_error_measured = True
            log.info("segment level error from %d WBCs: %.3f", len(normal_dev), run.level_cv_wbc)
        res = _first_pass(
            run.counts[i].astype(float),
            wbc_bias.get(i, default_bias),
            ctx,
            cell=int(i),
            wbc=wbc,
            level_cv=cfg.level_cv if wbc else run.level_cv,
        )
        if wbc:
            fitted = res.fit.copy_number / res.fit.multiplier
            normal_dev.append(res.seg_means - fitted)
            normal_sd.append(res.seg_sd)
            normal_level.append(fitted)
            # WBCs are diploid (at germline levels on sex chromosomes): what their ratios
            # stray from that, by window length, is the run's level error.
            wbc_resid.append(res.ratio / ctx.germline - 1.0)
            wbc_noise.append(res.sd)
        first[int(i)] = res
        if (n_done + 1) % 500 == 0:
            log.info("first pass: %d of %d cells", n_done + 1, len(called))
    return first, called


def _clone_gc_refit(
    run: _Run,
    first: dict[int, _Segmented],
    group: np.ndarray,
    default_bias: np.ndarray,
    wbc_bias: dict[int, np.ndarray],
) -> None:
    """Refit each grouped CTC's GC curve jointly with a level per segment of its clone.

    A cell's first pass fits its GC curve on its own levels, which its own HMM may have
    missed: on a short reference (one 78-bin contig) an 8-bin gain is a tenth of the
    points, GC is regionally clustered, and the LOWESS takes part of the gain as GC bias,
    which the refit on the cell's (gain-less) levels then keeps. The members of a clone
    share their breakpoints while each has its own GC curve, so the segments of the
    group's consensus are given to :func:`gc_expected`, which fits each member's curve
    with a free level per segment: the curve is learnt within segments and cannot take
    a step for GC bias. Dividing the consensus' levels out instead would keep what the
    members absorbed (they are in the consensus) and would round a gain read low to the
    wrong scale along with the whole clone. Then the member's own HMM and scale fit run
    as before. ``first`` is updated in place; WBC groups, lone cells and runs without GC
    are left as they are.
    """
    ctx = run.ctx
    if ctx.gc is None:
        return
    for g in np.unique(group[group >= 0]):
        members = np.flatnonzero(group == g)
        if run.roles[members[0]] == "wbc" or len(members) < 2:
            continue
        cons = consensus_ratio(
            np.vstack([first[int(i)].ratio for i in members]),
            np.array([first[int(i)].sd for i in members]),
        )
        cons_clip, seg = _consensus_segments(cons, len(members), ctx)
        # Germline levels first (sex chromosomes); the clone's empty bins carry no GC.
        level = np.where(seg_levels(cons_clip, seg) > 0.05, ctx.germline, 0.0)
        for i in members:
            bias = wbc_bias.get(int(i), default_bias)
            first[int(i)] = _first_pass(
                run.counts[i].astype(float),
                bias,
                ctx,
                cell=int(i),
                wbc=False,
                level_cv=run.level_cv,
                level=level,
                segments=seg,
                # The first pass's curve (up to a constant) as the backfitting's start.
                start=np.log(np.maximum(first[int(i)].expected / bias, 1e-9)),
            )


def _groups(run: _Run, first: dict[int, _Segmented]) -> np.ndarray:
    """Group cells by first-pass profile (depth and, with allele counts, minor fractions)."""
    cfg, ctx, allele_table, n_used = run.cfg, run.ctx, run.allele_table, run.n_used
    allele_cells = set(np.unique(allele_table.cell).tolist()) if allele_table is not None else set()
    features = np.full((run.n_cells, 2 * n_used if allele_table is not None else n_used), 0.5,
                       dtype=np.float32)  # fmt: skip
    for i, res in first.items():
        features[i, :n_used] = res.seg_means[res.seg_id]
        if allele_table is not None and i in allele_cells:
            features[i, n_used:] = minor_fraction_profile(
                allele_table, i, run.used_index, n_used, ctx.contig_starts
            )
    if allele_table is not None and cfg.group_features == "alleles":
        # Minor-allele fractions only: amplification waves, GC and replication timing
        # distort depth, shared by subsets of cells, and would split a clone by them.
        grouping = features[:, n_used:]
        n_blocks = 1
    else:
        grouping = features
        n_blocks = 2 if allele_table is not None else 1
    group = group_cells(grouping, run.roles, run.enough, n_blocks=n_blocks)
    if allele_table is not None and cfg.merge_allelic_effect > 0:
        group = _merge_allelic_twins(
            group, run.roles, allele_table, run.used_index, n_used, effect=cfg.merge_allelic_effect
        )
    if ctx.level_curve is not None:
        # Only where the run's WBCs measured the segment level error: without it the
        # test's segment SDs are too small and real clone members are parted (Kim 2018
        # P2, no WBCs: clone agreement with CHISEL fell from 1.0 to 0.25).
        group = _check_members(group, first, run.roles, ctx, level_cv=run.level_cv)
        if allele_table is not None:
            # Lone cells join a group when their depth fits it and their B-allele
            # fractions do not contradict it (a group-level depth merge joined doubled
            # clones to their undoubled relatives).
            group = _join_lone_cells(
                group, first, run.roles, ctx, level_cv=run.level_cv, alleles=allele_table,
                used_index=run.used_index, allelic_effect=cfg.merge_allelic_effect,
            )  # fmt: skip
        else:
            # Depth only: groups and lone cells merge while their profiles agree. With
            # allele counts a doubled clone and its undoubled relative have one depth
            # profile up to a scale and differ in their allelic states; a depth merge
            # joins them (the project's simulator: doubled cells at ploidy 4 went from
            # 24 to 0 of 25).
            merged = _merge_groups(group, first, run.roles, ctx, level_cv=run.level_cv)
            parted = _repartition_pairs(merged, first, run.roles, ctx, level_cv=run.level_cv)
            if not np.array_equal(parted, merged):
                # A re-parted group may now be one clone with a third group.
                merged = _merge_groups(parted, first, run.roles, ctx, level_cv=run.level_cv)
            if not np.array_equal(merged, group):
                group = _check_members(merged, first, run.roles, ctx, level_cv=run.level_cv)
    return group


def _allelic_noise(run: _Run, group: np.ndarray) -> None:
    """Allele overdispersion and phase switches, then each cell's site likelihoods.

    Allelic noise where the state is known: the run's WBCs (autosomal het sites are
    1|1). Without enough WBC evidence, from the spread of sites across the cells of a
    clone (the site's state is shared, whatever it is). Sets ``run.rho``,
    ``run.rho_source``, ``run.switch`` and fills ``ctx.sites``.
    """
    allele_table, ctx = run.allele_table, run.ctx
    if allele_table is None or not len(allele_table):
        return
    site_bin = run.used_index[allele_table.bin]
    from_wbc = overdispersion_from_normals(
        allele_table,
        np.flatnonzero(run.enough & (run.roles == "wbc")),
        site_mask=(site_bin >= 0) & ctx.autosome[np.maximum(site_bin, 0)],
    )
    if from_wbc is not None:
        rho, n_inf = from_wbc
        run.rho_source = "wbc"
        log.info("allele overdispersion from %d WBC site counts: %.3f", n_inf, rho)
    else:
        rho = overdispersion_from_groups(allele_table, group)
        run.rho_source = "clones"
    rho, switch = estimate_allelic_noise(allele_table, per_bin=allele_table.per_bin, rho=rho)
    run.rho, run.switch = rho, switch
    ctx.sites.clear()
    for i in np.unique(allele_table.cell):
        ctx.sites[int(i)] = site_likelihood(
            allele_table.of_cells(np.array([i])),
            rho=rho,
            max_cn=run.cfg.max_cn,
            bin_map=run.used_index,
            switch=switch,
        )
    log.info("allele overdispersion %.3f, phase-switch share %.2f", rho, switch)


def _cell_scales(
    run: _Run, first: dict[int, _Segmented], group: np.ndarray, group_cons: dict[int, np.ndarray]
) -> None:
    """Each cell's own level error relative to the typical cell, in ``ctx.cell_scale``.

    How far it strays from its clone's consensus over 16-bin windows (waves differ
    between cells, and doublets or replicating cells stray far; their own evidence then
    weighs less against their clone's).
    """
    ctx = run.ctx
    ctx.cell_scale.clear()
    strays: dict[int, float] = {}
    for g, cons in group_cons.items():
        members = np.flatnonzero(group == g)
        if len(members) < 3:
            continue
        for k in members:
            with np.errstate(divide="ignore", invalid="ignore"):
                rk = np.where(cons > 0.1, first[k].ratio / cons - 1.0, np.nan)
            strays[int(k)] = window_variance(rk, ctx.contig_starts)
    typical = float(np.nanmedian(list(strays.values()))) if strays else float("nan")
    if np.isfinite(typical) and typical > 0:
        ctx.cell_scale.update(
            {k: float(np.clip(v / typical, 0.5, 20.0)) for k, v in strays.items() if np.isfinite(v)}
        )


def _clone_level_curve(
    run: _Run, first: dict[int, _Segmented], group: np.ndarray, group_cons: dict[int, np.ndarray]
) -> None:
    """No WBCs: the cells of a clone calibrate each other's level error (``ctx.level_curve``).

    Their ratios over the clone's consensus keep each cell's waves and noise but not
    the shared copy number. A member's own error is part of the consensus, so its
    deviation from it has ``1 - 1/n`` of the error's variance (``n`` members): the
    residuals are scaled back by ``sqrt(n / (n - 1))``. Two cells are enough; without
    them a pair of CTCs had no level error at all and fitted its waves as odd states
    of a doubled genome, "identifiable".
    """
    ctx = run.ctx
    resid, noise = [], []
    for g, cons in group_cons.items():
        members = np.flatnonzero(group == g)
        n = len(members)
        if n < 2:
            continue
        for k in members:
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(cons > 0.1, first[k].ratio / cons - 1.0, np.nan)
            resid.append(r * np.sqrt(n / (n - 1)))
            noise.append(first[k].sd)
    ctx.level_curve = level_error_curve(resid, ctx.contig_starts, noise)
    if ctx.level_curve is not None:
        log.info("segment level error measured on %d cells of clones (no WBCs)", len(resid))


def _clone_fits(
    run: _Run,
    group: np.ndarray,
    group_cons: dict[int, np.ndarray],
    group_starts: dict[int, np.ndarray],
    group_pooled: dict[int, SiteLikelihood],
) -> dict[int, PloidyFit]:
    """Scale of every clone from its consensus and pooled alleles.

    Shared bias of a clone's cells is measured on the largest clone (the most precise
    consensus) at its fitted integers, then every clone is fitted with it.
    """
    cfg, ctx, level_cv = run.cfg, run.ctx, run.level_cv
    group_fits: dict[int, PloidyFit] = {}
    if not group_cons:
        return group_fits
    sizes_g = {g: int(np.sum(group == g)) for g in group_cons}
    largest = max(sizes_g, key=sizes_g.get)
    args = (group_starts[largest], np.flatnonzero(group == largest))
    _, shared_cv = _group_scale(
        group_cons[largest], *args, group_pooled.get(largest), ctx, level_cv=level_cv
    )
    shared_cv = max(shared_cv, cfg.level_cv)
    log.info("clone level error shared by members: %.3f", shared_cv)
    for g, cons in group_cons.items():
        group_fits[g], _ = _group_scale(
            cons,
            group_starts[g],
            np.flatnonzero(group == g),
            group_pooled.get(g),
            ctx,
            level_cv=level_cv,
            shared_cv=shared_cv,
        )
    return group_fits


@dataclass
class _CellOutputs:
    """Per-cell results of the final step, filled cell by cell."""

    obs: dict[str, np.ndarray]
    identifiable: np.ndarray
    evidence: np.ndarray
    n_breaks: np.ndarray
    n_private: np.ndarray
    n_amp: np.ndarray
    n_del: np.ndarray
    not_two: np.ndarray
    ratio: np.ndarray
    cn: np.ndarray
    minor: np.ndarray
    segments: list[pd.DataFrame]

    @classmethod
    def empty(cls, n_cells: int, shape: tuple[int, int]) -> _CellOutputs:
        """Return the outputs of ``n_cells`` cells not called yet (NaN, -1 breakpoints, zeros)."""
        keys = ("ploidy", "ploidy_confidence", "ploidy_alternative", "multiplier", "mapd",
                "overdispersion", "noise_sd", "scale_error")  # fmt: skip
        return cls(
            obs={k: np.full(n_cells, np.nan) for k in keys},
            identifiable=np.zeros(n_cells, dtype=bool),
            evidence=np.full(n_cells, "", dtype=object),
            n_breaks=np.full(n_cells, -1, dtype=int),
            n_private=np.zeros(n_cells, dtype=int),
            n_amp=np.zeros(n_cells, dtype=int),
            n_del=np.zeros(n_cells, dtype=int),
            not_two=np.zeros(n_cells),
            ratio=np.full(shape, np.nan, dtype=np.float32),
            cn=np.full(shape, np.nan, dtype=np.float32),
            minor=np.full(shape, np.nan, dtype=np.float32),
            segments=[],
        )


def _cell_output(
    run: _Run,
    out: _CellOutputs,
    i: int,
    final: dict[int, _Segmented],
    group: np.ndarray,
    group_focal: dict[int, np.ndarray],
    group_starts: dict[int, np.ndarray],
    group_fits: dict[int, PloidyFit],
) -> None:
    """Focal events, layers, metrics, ploidy evidence and segments of one called cell."""
    res = final[i]
    cn, dele, amp = _focal_events(run, i, res, final, group, group_focal)
    out.n_del[i], out.n_amp[i] = int(dele.sum()), int(amp.sum())
    minor = res.minor
    if minor is not None:
        minor = np.where(cn == res.cn, minor, np.nan)
        minor = np.where(cn == 0, 0.0, minor)
    _record_fit(run, out, i, res, cn, minor)
    _ploidy_evidence(run, out, i, res, group, group_fits)
    seg = _merge_segments(
        run.cells[i], cn, minor, res.clipped, run.chroms, run.var["start"].to_numpy()[run.used],
        run.var["end"].to_numpy()[run.used], np.flatnonzero(run.used),
    )  # fmt: skip
    out.n_breaks[i] = int((seg.groupby("chrom", sort=False).size() - 1).sum())
    # QC counts the cell's private breakpoints: its clone's are shared, not noise.
    chroms = run.chroms
    own = np.flatnonzero((cn[1:] != cn[:-1]) & (chroms[1:] == chroms[:-1])) + 1
    shared = group_starts.get(int(group[i]), np.zeros(0, dtype=np.int64))
    if len(shared) and len(own):
        near = np.abs(own[:, None] - shared[None, :]).min(axis=1) <= 1
        own = own[~near]
    out.n_private[i] = len(own)
    out.segments.append(seg)


def _focal_events(
    run: _Run,
    i: int,
    res: _Segmented,
    final: dict[int, _Segmented],
    group: np.ndarray,
    group_focal: dict[int, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deep deletions and amplicons of one cell, its clone's focal bins with a prior.

    Returns the copy number with the focal events, and the deleted and amplified bins.
    """
    cfg, contig_starts = run.cfg, run.ctx.contig_starts
    cell_counts = run.counts[i].astype(float)
    m = res.fit.multiplier
    cn = res.cn if group[i] >= 0 else refine_breakpoints(res.clipped, res.cn, contig_starts)
    level = np.maximum(cn / m, 0)
    sigma = log_noise_sd(cell_counts, res.expected, level, contig_starts)
    # A wave trough of one copy (MDA: ~0.5x over 3 bins) is not zero copies: the
    # deletion test uses the spread that waves give, the spike test its neighbours'.
    sigma_runs = log_noise_sd(cell_counts, res.expected, level, contig_starts, waves=True)
    dele = deep_deletions(cell_counts, res.expected, cn, m, max(sigma, sigma_runs), contig_starts)
    amp, amp_cn = focal_amplicons(
        cell_counts,
        res.expected,
        cn,
        m,
        sigma,
        base=max(1.0, float(np.rint(res.fit.ploidy))),
        amplification_ratio=cfg.amplification_ratio,
        max_cn=cfg.max_cn,
        contig_starts=contig_starts,
    )
    cn = np.where(dele, 0.0, np.where(amp, amp_cn, cn))
    g = int(group[i])
    if g >= 0 and len(group_focal.get(g, ())):
        others = np.flatnonzero((group == g) & (np.arange(run.n_cells) != i))
        borrowed = focal_with_prior(
            cell_counts,
            res.expected,
            cn,
            m,
            sigma,
            bins=group_focal[g],
            member_ratios=np.vstack([final[k].ratio[group_focal[g]] for k in others]),
            base=max(1.0, float(np.rint(res.fit.ploidy))),
            amplification_ratio=cfg.amplification_ratio,
            max_cn=cfg.max_cn,
            prior_weight=cfg.clone_prior_weight,
        )
        amp |= borrowed != cn
        cn = borrowed
    return cn, dele, amp


def _record_fit(
    run: _Run,
    out: _CellOutputs,
    i: int,
    res: _Segmented,
    cn: np.ndarray,
    minor: np.ndarray | None,
) -> None:
    """One cell's layers, scale fit, noise and count overdispersion at its copy number."""
    ctx, used = run.ctx, run.used
    autosome = ctx.autosome
    m = res.fit.multiplier
    out.ratio[i, used] = res.ratio
    out.cn[i] = _fill_masked(cn, used, run.chroms_all)
    if minor is not None:
        out.minor[i] = _fill_masked(minor, used, run.chroms_all)
    out.not_two[i] = np.mean(cn[autosome] != 2) if autosome.any() else np.mean(cn != 2)
    obs = out.obs
    obs["noise_sd"][i] = res.sd
    obs["mapd"][i] = mapd(res.ratio, ctx.contig_starts)
    obs["ploidy"][i] = res.fit.ploidy
    obs["multiplier"][i] = m
    obs["ploidy_confidence"][i] = res.fit.confidence
    obs["ploidy_alternative"][i] = res.fit.alternative
    obs["scale_error"][i] = res.fit.error / run.n_used
    base_level = np.where(autosome, 1.0, ctx.germline)
    cell_counts = run.counts[i].astype(float)
    mu = res.expected * cn / m * base_level / np.maximum(base_level, 1e-6)
    ok = mu > 0
    obs["overdispersion"][i] = max(
        0.0,
        float(((cell_counts[ok] - mu[ok]) ** 2 - mu[ok]).sum() / (mu[ok] ** 2).sum()),
    )


def _ploidy_evidence(
    run: _Run,
    out: _CellOutputs,
    i: int,
    res: _Segmented,
    group: np.ndarray,
    group_fits: dict[int, PloidyFit],
) -> None:
    """Whether one cell's ploidy is identifiable, and from what evidence (own or clone)."""
    sites = run.ctx.sites
    has_sites = int(i) in sites and sites[int(i)].reads.sum() > 0
    if run.roles[i] == "wbc":
        out.identifiable[i], out.evidence[i] = True, "diploid control"
    elif run.ctx.alleles_given and not has_sites:
        out.identifiable[i], out.evidence[i] = False, "depth only: no heterozygous-SNP reads"
    else:
        fit_g = group_fits.get(int(group[i]))
        if fit_g is not None:
            # The clone's evidence holds for a cell read at the clone's scale; a member
            # of a small group fits its own scale, and one read at another (a doubled
            # cell's at 0.6 of it) answers for itself.
            w = run.cfg.clone_scale_window
            if abs(res.fit.multiplier / max(fit_g.multiplier, 1e-6) - 1.0) > w:
                fit_g = None
        src = fit_g if fit_g is not None else res.fit
        out.identifiable[i] = src.identifiable
        if fit_g is not None:
            # The clone's alternative (NaN when it has none), at this cell's scale.
            out.obs["ploidy_alternative"][i] = (
                fit_g.alternative * res.fit.ploidy / max(fit_g.ploidy, 1e-6)
            )
        out.evidence[i] = ("depth and alleles" if has_sites else "depth") + (
            " (clone)" if fit_g is not None else ""
        )
        if fit_g is None and not run.ctx.level_error_measured:
            # Read on its own, with no diploid single cell to measure how far a segment's
            # level strays (waves, per-chromosome bias of the amplification), a cell's
            # wave levels fit finer scales as copy-number states: Kim 2018 diploid cells
            # called alone with a bulk normal and allele counts came out at ploidy
            # 4.4-6.1, all "identifiable" (docs/cnv.md, Limits).
            out.identifiable[i] = False
            out.evidence[i] += "; own scale, level error not measured (no WBCs)"


def _qc_reasons(run: _Run, out: _CellOutputs) -> list[str]:
    """Why each cell fails QC (``;``-joined, empty when it passes); logs uncalled cells."""
    cfg, obs, status = run.cfg, out.obs, run.status
    reasons = []
    for i in range(run.n_cells):
        why = []
        if status[i] != "ok":
            why.append(status[i])
        elif not run.enough[i]:
            why.append("too_few_reads")
        else:
            if obs["mapd"][i] > cfg.max_mapd:
                why.append("high_mapd")
            if out.n_private[i] > cfg.max_breakpoint_fraction * run.n_used:
                why.append("too_many_breakpoints")
            if obs["ploidy_confidence"][i] < cfg.min_ploidy_confidence:
                why.append("ambiguous_ploidy")
            # WBCs are the diploid controls: copy changes in one mean the run's noise
            # (or a doublet/mislabel) makes calls there unreliable.
            if run.roles[i] == "wbc" and out.not_two[i] > cfg.max_wbc_aneuploid_fraction:
                why.append("wbc_not_diploid")
        reasons.append(";".join(why))
    for i in np.flatnonzero(~run.enough):
        log.warning(
            "cell %s not called: %s (mean %.1f reads per used bin)",
            run.cells[i],
            reasons[i],
            run.mean_reads[i],
        )
    return reasons


def _write_outputs(
    adata: ad.AnnData,
    run: _Run,
    out: _CellOutputs,
    group: np.ndarray,
    reasons: list[str],
    name: Callable[[str], str],
) -> None:
    """Write the layers, the bin annotations and the per-cell columns into ``adata``.

    ``name`` gives each output's name (:func:`ctcgenomics._keys.output_namer`).
    """
    adata.layers[name("ratio")] = out.ratio
    adata.layers[name("copy_number")] = out.cn
    adata.layers[name("minor_cn")] = out.minor
    for col in ("mappability", "blacklisted", "used", "exclude_reason"):
        adata.var[name(col)] = run.var[col].to_numpy()
    pon_full = np.full(len(run.used), np.nan)
    if run.pon_panel is not None:
        pon_full[run.used] = run.pon_panel
    adata.var[name("pon")] = pon_full
    adata.var[name("germline_level")] = run.germline_all
    for key, values in out.obs.items():
        adata.obs[name(key)] = values
    adata.obs[name("ploidy_identifiable")] = out.identifiable
    adata.obs[name("ploidy_evidence")] = out.evidence.astype(str)
    adata.obs[name("group")] = group
    adata.obs[name("n_focal_amplicons")] = out.n_amp
    adata.obs[name("n_deep_deletions")] = out.n_del
    adata.obs[name("n_breakpoints")] = out.n_breaks
    adata.obs[name("mean_reads_per_bin")] = run.mean_reads
    adata.obs[name("qc_reason")] = reasons
    adata.obs[name("qc_pass")] = [r == "" for r in reasons]


def _run_summary(run: _Run, out: _CellOutputs, reasons: list[str], layer: str | None) -> dict:
    """Return the ``uns`` entry: segments, parameters, run-wide figures and the run warning."""
    roles, enough = run.roles, run.enough
    seg_frame = (
        pd.concat(out.segments, ignore_index=True)
        if out.segments
        else pd.DataFrame(columns=list(SEGMENT_COLUMNS))
    )
    wbc_called = (roles == "wbc") & enough
    wbc_bad = np.array(["wbc_not_diploid" in r for r in reasons]) & wbc_called
    run_warning = ""
    if wbc_called.any() and wbc_bad.sum() * 2 >= wbc_called.sum():
        run_warning = (
            f"{int(wbc_bad.sum())} of {int(wbc_called.sum())} WBCs show copy changes: "
            "amplification noise of this run is at the scale of copy-number steps, so CTC "
            "calls are unreliable (more reads, larger bins or a more even WGA)"
        )
        log.warning("%s", run_warning)
    return {
        "run_warning": run_warning,
        "level_cv_wbc": run.level_cv_wbc,
        "level_cv_used": run.level_cv,
        "sex": run.sex or "unknown",
        "sex_source": run.sex_source,
        "reference": run.reference,
        "gc_corrected": run.ctx.gc is not None,
        "allele_overdispersion": run.rho,
        "allele_overdispersion_source": run.rho_source,
        "allele_phase_switch": run.switch,
        "segments": seg_frame,
        "params": {
            **run.cfg.to_dict(),
            "layer": layer or "X",
            "panel_of_normals_applied": run.pon_panel is not None,
        },
    }


def _merge_segments(
    cell: str,
    cn: np.ndarray,
    minor: np.ndarray | None,
    ratio: np.ndarray,
    chroms: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    bin_index: np.ndarray,
) -> pd.DataFrame:
    """Return runs of equal integer (and minor) copy number within contigs as segments."""
    mn = np.full(len(cn), -1.0) if minor is None else np.nan_to_num(minor, nan=-1.0)
    change = np.ones(len(cn), dtype=bool)
    change[1:] = (cn[1:] != cn[:-1]) | (chroms[1:] != chroms[:-1]) | (mn[1:] != mn[:-1])
    seg = np.cumsum(change) - 1
    first = np.flatnonzero(change)
    last = np.append(first[1:], len(cn)) - 1
    sizes = last - first + 1
    means = np.bincount(seg, weights=ratio) / sizes
    minor_out = np.where(mn[first] >= 0, mn[first], np.nan)
    return pd.DataFrame(
        {
            "cell": cell,
            "chrom": chroms[first],
            "start": starts[first],
            "end": ends[last],
            "start_bin": bin_index[first],
            "end_bin": bin_index[last] + 1,
            "n_bins": sizes,
            "mean_ratio": means,
            "copy_number": cn[first].astype(int),
            "minor_cn": minor_out,
        }
    )
