"""Which bins are usable: N content, GC range, blacklist and mappability."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ctcgenomics.cnv._config import CNVConfig
from ctcgenomics.cnv._errors import BlacklistError, CNVInputError


def _contig_extents(bins: pd.DataFrame) -> dict[str, int]:
    return bins.groupby("chrom", sort=False)["end"].max().astype(int).to_dict()


def _overlap_fraction(bins: pd.DataFrame, regions: pd.DataFrame) -> np.ndarray:
    """Fraction of each bin covered by the union of ``regions`` (chrom, start, end)."""
    covered = np.zeros(len(bins))
    for chrom, idx in bins.groupby("chrom", sort=False).indices.items():
        reg = regions[regions["chrom"] == chrom]
        if reg.empty:
            continue
        starts = bins["start"].to_numpy()[idx]
        ends = bins["end"].to_numpy()[idx]
        # Union of intervals via a coverage step function evaluated at bin edges.
        edges = np.concatenate([reg["start"].to_numpy(), reg["end"].to_numpy()])
        steps = np.concatenate([np.ones(len(reg)), -np.ones(len(reg))])
        order = np.argsort(edges, kind="stable")
        edges, depth = edges[order], np.cumsum(steps[order])
        inside = depth > 0
        seg_start = edges[:-1][inside[:-1]]
        seg_end = edges[1:][inside[:-1]]
        for s, e in zip(seg_start, seg_end, strict=True):
            lo = np.maximum(starts, s)
            hi = np.minimum(ends, e)
            covered[idx] += np.clip(hi - lo, 0, None)
    return covered / (bins["end"] - bins["start"]).to_numpy()


def read_blacklist(path: str | os.PathLike[str], bins: pd.DataFrame) -> pd.DataFrame:
    """Read a blacklist BED and check it is in the bins' reference and BED coordinates.

    Parameters
    ----------
    path
        BED file (``chrom start end ...``, 0-based half-open, tab-separated;
        ``#``/``track``/``browser`` lines are skipped).
    bins
        The bin table, whose contigs and extents the blacklist must match.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom, start, end`` of regions on contigs of the bins.

    Raises
    ------
    BlacklistError
        When a line is not BED, contig names follow another convention (``17`` vs
        ``chr17``), intervals are empty/inverted or extend beyond the contigs (another
        build or 1-based coordinates).
    """
    rows = []
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\n").split("\t")
            try:
                chrom, start, end = fields[0], int(fields[1]), int(fields[2])
            except (IndexError, ValueError):
                raise BlacklistError(
                    f"{path}, line {lineno}: not a BED record (need tab-separated chrom, "
                    f"start, end with integer coordinates), got {line.strip()[:80]!r}"
                ) from None
            if start < 0 or end <= start:
                raise BlacklistError(
                    f"{path}, line {lineno}: interval {chrom}:{start}-{end} is empty or "
                    "inverted; BED intervals are 0-based half-open with start < end "
                    "(convert 1-based inclusive coordinates with start-1)"
                )
            rows.append((chrom, start, end, lineno))
    frame = pd.DataFrame(rows, columns=["chrom", "start", "end", "line"])
    extents = _contig_extents(bins)
    if frame.empty:
        return frame.loc[:, ["chrom", "start", "end"]]
    known = frame["chrom"].isin(list(extents))
    if not known.any():
        flip = {c[3:] if c.startswith("chr") else f"chr{c}" for c in frame["chrom"].unique()}
        hint = (
            " (the blacklist and the reference differ in the 'chr' prefix; rename its contigs)"
            if flip & set(extents)
            else " (is it for another genome?)"
        )
        raise BlacklistError(
            f"{path}: none of its contigs ({', '.join(sorted(frame['chrom'].unique())[:5])}) "
            f"is a contig of the bins ({', '.join(list(extents)[:5])}){hint}"
        )
    frame = frame[known]
    # A blacklist may cover a contig beyond its last bin, but never beyond what the
    # bins imply the contig length is: allow one bin of slack (the dropped tail bin).
    slack = int((bins["end"] - bins["start"]).max())
    limit = frame["chrom"].map(extents) + slack
    beyond = frame[frame["end"] > limit]
    if not beyond.empty:
        bad = beyond.iloc[0]
        raise BlacklistError(
            f"{path}, line {bad['line']}: {bad['chrom']}:{bad['start']}-{bad['end']} lies "
            f"beyond the end of {bad['chrom']} in the bins ({extents[bad['chrom']]:,} bp): "
            "the blacklist is for another genome build or coordinate system; use one made "
            "for the configured reference"
        )
    return frame.loc[:, ["chrom", "start", "end"]].reset_index(drop=True)


def read_mappability(path: str | os.PathLike[str], bins: pd.DataFrame) -> np.ndarray:
    """Mean mappability of each bin from a bedGraph-like track (chrom start end value).

    Bins not covered by the track get NaN (and are then not used).

    Raises
    ------
    CNVInputError
        If the file is not a 4-column table or shares no contig with the bins.
    """
    try:
        track = pd.read_csv(
            path,
            sep="\t",
            header=None,
            comment="#",
            usecols=[0, 1, 2, 3],
            names=["chrom", "start", "end", "value"],
            dtype={"chrom": str},
        )
    except (ValueError, pd.errors.ParserError) as err:
        raise CNVInputError(
            f"{path}: a mappability track needs 4 tab-separated columns chrom, start, end, "
            f"mappability (0-1) without a header ({err})"
        ) from None
    if not pd.api.types.is_numeric_dtype(track["value"]):
        raise CNVInputError(f"{path}: column 4 (mappability) must be numeric; remove any header")
    if not track["chrom"].isin(bins["chrom"].unique()).any():
        raise CNVInputError(f"{path}: no contig in common with the bins (another reference?)")
    out = np.full(len(bins), np.nan)
    for chrom, idx in bins.groupby("chrom", sort=False).indices.items():
        t = track[track["chrom"] == chrom].sort_values("start")
        if t.empty:
            continue
        weighted = np.zeros(len(idx))
        cover = np.zeros(len(idx))
        b_start = bins["start"].to_numpy()[idx]
        b_end = bins["end"].to_numpy()[idx]
        first = np.searchsorted(b_end, t["start"].to_numpy(), side="right")
        last = np.searchsorted(b_start, t["end"].to_numpy(), side="left")
        for s, e, v, i0, i1 in zip(t["start"], t["end"], t["value"], first, last, strict=True):
            for i in range(i0, i1):
                ov = min(e, b_end[i]) - max(s, b_start[i])
                if ov > 0:
                    weighted[i] += ov * v
                    cover[i] += ov
        with np.errstate(invalid="ignore"):
            out[idx] = np.where(cover > 0, weighted / cover, np.nan)
    return out


def bin_mask(
    bins: pd.DataFrame,
    config: CNVConfig,
    *,
    blacklist: pd.DataFrame | None = None,
    mappability: np.ndarray | None = None,
    normal: np.ndarray | None = None,
) -> pd.DataFrame:
    """Annotate bins with the reasons they are not used.

    Filters: N fraction (``n_fraction``, when the table has it), a count table's own
    ``use`` flag (``table_use``, QDNAseq), GC range (``gc``, when
    present), blacklist, mappability (the track given, else the bins' own ``mappability``
    column where it has values), and bins where a matched ``normal`` has no reads
    (``normal_zero``: no reference to compare a cell with).

    Returns
    -------
    pandas.DataFrame
        ``bins`` with ``mappability``, ``blacklisted`` (fraction covered) and ``used``
        (bool) columns; ``exclude_reason`` names why a bin is not used.
    """
    out = bins.reset_index(drop=True).copy()
    given = out["mappability"].to_numpy(dtype=float) if "mappability" in out else None
    if mappability is None and given is not None and np.isfinite(given).any():
        # A count table's own mappability (HMMcopy/DLP map): bins without a value are
        # kept, as without a track.
        mappability = np.where(np.isfinite(given), given, 1.0)
    out["mappability"] = np.nan if mappability is None else mappability
    out["blacklisted"] = (
        0.0 if blacklist is None or blacklist.empty else _overlap_fraction(out, blacklist)
    )
    reasons = pd.Series("", index=out.index, dtype=object)

    def flag(cond: np.ndarray, name: str) -> None:
        reasons[cond] = reasons[cond].where(reasons[cond] == "", reasons[cond] + ";") + name

    if "n_fraction" in out:
        flag(out["n_fraction"].to_numpy() > config.max_n_fraction, "n_fraction")
    if "table_use" in out:  # QDNAseq's own filters (use = FALSE)
        flag(~out["table_use"].to_numpy(dtype=bool), "table_use")
    if "gc" in out:
        gc = out["gc"].to_numpy(dtype=float)
        flag(~((gc >= config.min_gc) & (gc <= config.max_gc)), "gc")
    if normal is not None:
        flag(~(np.asarray(normal, dtype=float) > 0), "normal_zero")
    flag(out["blacklisted"].to_numpy() > 0.5, "blacklist")
    if mappability is not None:
        flag(~(np.nan_to_num(mappability, nan=-1) >= config.min_mappability), "mappability")
    out["exclude_reason"] = reasons
    out["used"] = reasons.eq("").to_numpy()
    if not out["used"].any():
        counts = reasons.str.split(";").explode().value_counts()
        hint = ""
        if "gc" in out and np.nanmax(out["gc"].to_numpy(dtype=float), initial=0.0) > 1:
            hint = "; the gc column holds values above 1 (percent?): give GC as a fraction 0-1"
        raise CNVInputError(
            f"no bin passes the filters (bins left out per filter: {counts.to_dict()}){hint}; "
            "relax cnv.max_n_fraction/min_gc/max_gc/min_mappability or check the bin table"
        )
    return out
