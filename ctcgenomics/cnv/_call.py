"""Copy-number calling on a cells x bins AnnData: normalise, segment, scale, QC."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anndata as ad
import numpy as np
import pandas as pd

from ctcgenomics.cnv._bins import bin_mask
from ctcgenomics.cnv._config import CNVConfig
from ctcgenomics.cnv._normalise import (
    clip_outliers,
    gc_expected,
    long_run_sd,
    mapd,
    noise_sd,
    panel_of_normals,
    pon_divisor,
)
from ctcgenomics.cnv._ploidy import (
    PloidyFit,
    fit_ploidy,
    level_error_from_normals,
    segment_mean_sd,
    with_level_error,
)
from ctcgenomics.cnv._segment import hmm_segment, refine_breakpoints

log = logging.getLogger(__name__)

SEGMENT_COLUMNS = (
    "cell", "chrom", "start", "end", "start_bin", "end_bin", "n_bins", "mean_ratio",
    "copy_number",
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
    gc: np.ndarray,
    bias: np.ndarray,
    *,
    cfg: CNVConfig,
    level: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """GC- and panel-corrected ratio of one cell (mean 1) and the count expected at 1."""
    expected = (
        gc_expected(
            counts / bias, gc, frac=cfg.gc_lowess_frac, min_bins=cfg.gc_min_bins, level=level
        )
        * bias
    )
    corrected = counts / expected
    scale = float(corrected.mean())
    if not scale > 0:
        return np.full(len(counts), np.nan), expected
    return corrected / scale, expected * scale


@dataclass
class _CellFit:
    ratio: np.ndarray
    clipped: np.ndarray
    seg_id: np.ndarray
    cn: np.ndarray
    fit: PloidyFit
    sd: float
    seg_means: np.ndarray
    seg_sd: np.ndarray
    """Sampling SD of each HMM segment mean, without the level error."""


def _segment_and_scale(
    ratio: np.ndarray,
    contig_starts: np.ndarray,
    contig_lengths: np.ndarray,
    *,
    wbc: bool,
    cfg: CNVConfig,
    level_cv: float,
    wave_bins: int,
) -> _CellFit:
    """Outlier clipping, HMM segmentation and scale search for one cell.

    ``wave_bins`` is ``cfg.wave_span_bp`` in bins: the reach of the long-run noise
    (its lags, and 2.5 times it for the running median and the segment-mean lags).
    """
    wide = max(25, int(2.5 * wave_bins))
    sd = noise_sd(ratio, contig_starts)
    clipped, _ = clip_outliers(
        ratio, contig_starts, window=cfg.outlier_window, n_sd=cfg.outlier_sd, sd=sd
    )
    seg_id = hmm_segment(
        clipped,
        contig_lengths,
        sd=long_run_sd(clipped, contig_starts, window=wide | 1, max_lag=max(10, wave_bins)),
        level_step=cfg.level_step,
        max_ratio=cfg.max_ratio,
        transition_prob=cfg.transition_prob,
    )
    n_seg = seg_id[-1] + 1
    sizes = np.bincount(seg_id, minlength=n_seg)
    means = np.bincount(seg_id, weights=clipped, minlength=n_seg) / sizes
    lo, hi = (cfg.wbc_min_ploidy, cfg.wbc_max_ploidy) if wbc else (cfg.min_ploidy, cfg.max_ploidy)
    seg_sd = segment_mean_sd(clipped, seg_id, means, sizes, max_lag=wide)
    fit = fit_ploidy(
        means,
        sizes,
        with_level_error(seg_sd, means, level_cv),
        min_ploidy=lo,
        max_ploidy=hi,
        step=cfg.ploidy_step,
        max_cn=cfg.max_cn,
        penalty=cfg.ploidy_penalty,
    )
    cn = refine_breakpoints(clipped, fit.copy_number[seg_id].astype(float), contig_starts)
    return _CellFit(ratio, clipped, seg_id, cn, fit, sd, means, seg_sd)


def call_copy_number(
    adata: ad.AnnData,
    *,
    config: CNVConfig | None = None,
    layer: str | None = "counts",
    key_added: str = "cnv",
    blacklist: pd.DataFrame | None = None,
    mappability: np.ndarray | None = None,
    copy: bool = False,
) -> ad.AnnData | None:
    """Call integer copy number, ploidy and per-cell QC on a cells x bins count matrix.

    Steps, per cell: LOWESS GC correction of log counts; division by a panel of normals
    built from the WBCs (``obs["role"] == "wbc"``, leave-one-out for the WBCs
    themselves); replacement of single-bin outliers; HMM segmentation over ratio
    levels; Ginkgo-style scale search on segment means (WBCs restricted to
    ``wbc_min_ploidy..wbc_max_ploidy``, anchoring diploid; WBCs are called first and
    their segments calibrate the level error the CTCs are fitted with); merge of
    adjacent segments of equal integer copy number.

    Parameters
    ----------
    adata
        Cells x bins; ``var`` has ``chrom, start, end, gc`` (and ``n_fraction``);
        ``obs`` may have ``role`` (``ctc``/``wbc``), ``patient``, ``draw``.
    config
        Parameters (defaults of the config schema if ``None``).
    layer
        Layer with raw counts (``None`` for ``X``).
    key_added
        Key of ``adata.uns`` for segments and parameters.
    blacklist
        Regions to exclude (:func:`read_blacklist`).
    mappability
        Per-bin mappability (:func:`read_mappability`).
    copy
        Return a modified copy instead of writing in place.

    Returns
    -------
    anndata.AnnData or None
        With ``layers["ratio"]`` (GC- and panel-corrected ratio, NaN in unused bins),
        ``layers["copy_number"]`` (integer-valued float, NaN where not called),
        ``var["used", "exclude_reason", "mappability", "blacklisted", "pon"]``,
        ``obs["ploidy", "ploidy_confidence", "mapd", "overdispersion", "n_breakpoints",
        "mean_reads_per_bin", "noise_sd", "qc_pass", "qc_reason"]`` and
        ``uns[key_added]["segments"]`` (DataFrame, columns :data:`SEGMENT_COLUMNS`),
        ``uns[key_added]["params"]``, ``uns[key_added]["run_warning"]`` (non-empty when
        at least half of the WBCs fail ``wbc_not_diploid``), ``uns[key_added]["level_cv_wbc"]``
        (segment level error estimated on the WBCs, NaN without them) and
        ``uns[key_added]["level_cv_used"]`` (the level error the CTCs were fitted with).
    """
    cfg = config or CNVConfig()
    adata = adata.copy() if copy else adata
    # Counts stay in their stored dtype; each cell is made float when it is called, so
    # memory holds no cells x bins float64 copies.
    counts_all = np.asarray(adata.layers[layer] if layer else adata.X)
    var = bin_mask(adata.var, cfg, blacklist=blacklist, mappability=mappability)
    used = var["used"].to_numpy()
    chroms_all = var["chrom"].astype(str).to_numpy()
    chroms = chroms_all[used]
    contig_starts, contig_lengths = _contig_layout(chroms)
    gc = var["gc"].to_numpy()[used]
    counts = counts_all[:, used]
    n_cells, n_used = counts.shape
    roles = (
        adata.obs["role"].astype(str).str.lower().to_numpy()
        if "role" in adata.obs
        else np.full(n_cells, "ctc")
    )
    status = (
        adata.obs["count_status"].astype(str).to_numpy()
        if "count_status" in adata.obs
        else np.full(n_cells, "ok")
    )
    mean_reads = counts.mean(axis=1, dtype=float)
    enough = (mean_reads >= cfg.min_reads_per_bin) & (status == "ok")

    # Pass 1 (WBCs only): GC curve fitted on all bins; their panel of normals is the
    # bias every cell is divided by. CTCs get the panel, each WBC that of the others.
    ones = np.ones(n_used)
    default_bias, wbc_bias, pon_panel = ones, {}, None
    if cfg.panel_of_normals:
        pon_cells = np.flatnonzero(enough & (roles == "wbc"))
        wbc_ratio = np.full((len(pon_cells), n_used), np.nan)
        for k, i in enumerate(pon_cells):
            wbc_ratio[k], _ = _ratio(counts[i].astype(float), gc, ones, cfg=cfg)
        own_bias, pon_panel = panel_of_normals(wbc_ratio, min_cells=cfg.min_pon_cells)
        del wbc_ratio
        if pon_panel is None:
            log.info(
                "panel of normals skipped: fewer than %d WBCs with enough reads", cfg.min_pon_cells
            )
        else:
            default_bias = pon_divisor(pon_panel)
            wbc_bias = dict(zip(pon_cells.tolist(), own_bias, strict=True))

    obs = {
        k: np.full(n_cells, np.nan)
        for k in (
            "ploidy",
            "ploidy_confidence",
            "mapd",
            "overdispersion",
            "noise_sd",
            "scale_error",
        )
    }
    n_breaks = np.full(n_cells, -1, dtype=int)
    not_two = np.zeros(n_cells)  # fraction of used bins off copy number 2
    ratio_full = np.full(counts_all.shape, np.nan, dtype=np.float32)
    cn_full = np.full(counts_all.shape, np.nan, dtype=np.float32)
    segments: list[pd.DataFrame] = []
    starts_used = var["start"].to_numpy()[used]
    ends_used = var["end"].to_numpy()[used]
    bin_bp = float(np.median(ends_used - starts_used)) if n_used else 1.0
    wave_bins = max(1, round(cfg.wave_span_bp / max(bin_bp, 1.0)))
    cells = adata.obs_names.to_numpy()
    # WBCs first: their segments calibrate the level error the CTCs are fitted with.
    called = np.flatnonzero(enough)
    n_wbc_called = int(np.sum(roles[called] == "wbc"))
    called = np.concatenate([called[roles[called] == "wbc"], called[roles[called] != "wbc"]])
    level_cv = cfg.level_cv
    normal_dev: list[np.ndarray] = []
    normal_sd: list[np.ndarray] = []
    normal_level: list[np.ndarray] = []
    level_cv_wbc = float("nan")
    for n_done, i in enumerate(called):
        wbc = n_done < n_wbc_called
        if n_done == n_wbc_called and normal_dev:
            level_cv_wbc = level_error_from_normals(
                np.concatenate(normal_dev), np.concatenate(normal_sd), np.concatenate(normal_level)
            )
            if cfg.level_cv_from_wbc:
                level_cv = max(cfg.level_cv, level_cv_wbc)
            log.info("segment level error from %d WBCs: %.3f", len(normal_dev), level_cv_wbc)
        cv = cfg.level_cv if wbc else level_cv
        cell_counts, bias = counts[i].astype(float), wbc_bias.get(i, default_bias)
        r, _ = _ratio(cell_counts, gc, bias, cfg=cfg)
        first = _segment_and_scale(
            r, contig_starts, contig_lengths, wbc=wbc, cfg=cfg, level_cv=cv, wave_bins=wave_bins
        )
        # Pass 2: refit the GC curve with the first pass's copy-number levels divided
        # out, then segment again.
        level = first.cn / first.fit.multiplier
        r, expected = _ratio(cell_counts, gc, bias, cfg=cfg, level=level)
        res = _segment_and_scale(
            r, contig_starts, contig_lengths, wbc=wbc, cfg=cfg, level_cv=cv, wave_bins=wave_bins
        )
        if wbc:
            fitted = res.fit.copy_number / res.fit.multiplier
            normal_dev.append(res.seg_means - fitted)
            normal_sd.append(res.seg_sd)
            normal_level.append(fitted)
        ratio_full[i, used] = r
        cn_full[i] = _fill_masked(res.cn, used, chroms_all)
        not_two[i] = np.mean(res.cn != 2)
        obs["noise_sd"][i] = res.sd
        obs["mapd"][i] = mapd(r, contig_starts)
        obs["ploidy"][i] = res.fit.ploidy
        obs["ploidy_confidence"][i] = res.fit.confidence
        obs["scale_error"][i] = res.fit.error / n_used
        # Negative-binomial overdispersion by moments: Var = mu + phi * mu^2.
        mu = expected * res.cn / res.fit.multiplier
        ok = mu > 0
        obs["overdispersion"][i] = max(
            0.0,
            float(((cell_counts[ok] - mu[ok]) ** 2 - mu[ok]).sum() / (mu[ok] ** 2).sum()),
        )
        seg = _merge_segments(
            cells[i], res.cn, res.clipped, chroms, starts_used, ends_used, np.flatnonzero(used)
        )
        n_breaks[i] = int((seg.groupby("chrom", sort=False).size() - 1).sum())
        segments.append(seg)
        if (n_done + 1) % 500 == 0:
            log.info("called %d of %d cells", n_done + 1, len(called))

    reasons = []
    for i in range(n_cells):
        why = []
        if status[i] != "ok":
            why.append(status[i])
        elif not enough[i]:
            why.append("too_few_reads")
        else:
            if obs["mapd"][i] > cfg.max_mapd:
                why.append("high_mapd")
            if n_breaks[i] > cfg.max_breakpoint_fraction * n_used:
                why.append("too_many_breakpoints")
            if obs["ploidy_confidence"][i] < cfg.min_ploidy_confidence:
                why.append("ambiguous_ploidy")
            # WBCs are the diploid controls: copy changes in one mean the run's noise
            # (or a doublet/mislabel) makes calls there unreliable.
            if roles[i] == "wbc" and not_two[i] > cfg.max_wbc_aneuploid_fraction:
                why.append("wbc_not_diploid")
        reasons.append(";".join(why))
    for i in np.flatnonzero(~enough):
        log.warning(
            "cell %s not called: %s (mean %.1f reads per used bin)",
            cells[i],
            reasons[i],
            mean_reads[i],
        )

    adata.layers["ratio"] = ratio_full
    adata.layers["copy_number"] = cn_full
    for col in ("mappability", "blacklisted", "used", "exclude_reason"):
        adata.var[col] = var[col].to_numpy()
    pon_full = np.full(len(used), np.nan)
    if pon_panel is not None:
        pon_full[used] = pon_panel
    adata.var["pon"] = pon_full
    for key, values in obs.items():
        adata.obs[key] = values
    adata.obs["n_breakpoints"] = n_breaks
    adata.obs["mean_reads_per_bin"] = mean_reads
    adata.obs["qc_reason"] = reasons
    adata.obs["qc_pass"] = [r == "" for r in reasons]
    seg_frame = (
        pd.concat(segments, ignore_index=True)
        if segments
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
    adata.uns[key_added] = {
        "run_warning": run_warning,
        "level_cv_wbc": level_cv_wbc,
        "level_cv_used": level_cv,
        "segments": seg_frame,
        "params": {
            **cfg.to_dict(),
            "layer": layer or "X",
            "panel_of_normals_applied": pon_panel is not None,
        },
    }
    log.info(
        "called %d of %d cells (%d pass QC)",
        int(enough.sum()),
        n_cells,
        int(adata.obs["qc_pass"].sum()),
    )
    return adata if copy else None


def _merge_segments(
    cell: str,
    cn: np.ndarray,
    ratio: np.ndarray,
    chroms: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    bin_index: np.ndarray,
) -> pd.DataFrame:
    """Return runs of equal integer copy number within contigs as a segment table."""
    change = np.ones(len(cn), dtype=bool)
    change[1:] = (cn[1:] != cn[:-1]) | (chroms[1:] != chroms[:-1])
    seg = np.cumsum(change) - 1
    first = np.flatnonzero(change)
    last = np.append(first[1:], len(cn)) - 1
    sizes = last - first + 1
    means = np.bincount(seg, weights=ratio) / sizes
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
        }
    )
