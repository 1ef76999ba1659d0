"""Candidate discovery by pooled pileup and per-cell allele counts at candidates."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pysam

from ctcgenomics._ids import validate_id
from ctcgenomics._progress import progress
from ctcgenomics.align._bam_input import check_bam_contigs
from ctcgenomics.io._bam_index import ensure_index
from ctcgenomics.snv._counts import BASES, ChunkCounts, CountParams, count_chunk
from ctcgenomics.snv._sites import Chunk, make_chunks

if TYPE_CHECKING:  # anndata is imported where an AnnData is made or read
    import anndata as ad

log = logging.getLogger(__name__)


MAX_HIST_DEPTH = 500
"""Depth histograms (``obsm["depth_histogram"]``) count depths above this as this."""


@dataclass(frozen=True)
class CandidateParams:
    """Thresholds for calling a position a candidate from the pooled pileup.

    Parameters
    ----------
    min_alt_reads
        Pooled reads supporting the alternative allele.
    min_pooled_vaf
        Pooled allele fraction of the alternative allele.
    min_cell_alt_reads
        At least one cell must show this many alternative reads.
    pad
        Padding added around targets and forced sites.
    max_chunk
        Longest window held in memory at once (bp).
    """

    min_alt_reads: int = 3
    min_pooled_vaf: float = 0.01
    min_cell_alt_reads: int = 2
    pad: int = 10
    max_chunk: int = 100_000


def _check_contigs(ref_lengths: dict[str, int], bams: Mapping[str, str]) -> None:
    # A FASTA of only the panel's chromosomes is fine: shared contigs must agree.
    for cell, path in bams.items():
        check_bam_contigs(path, ref_lengths, cell=cell, subset_ok=True)


class _ForcedIndex:
    """Forced alleles by contig, sorted by position, sliced window by window.

    A boolean mask over the whole table per window costs ~1 ms; an exome has ~10^5
    windows.
    """

    def __init__(self, forced: pd.DataFrame) -> None:
        self._empty = forced.iloc[:0]
        self._by_contig: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
        if forced.empty:
            return
        for contig, rows in forced.groupby("contig", sort=False, observed=True):
            rows = rows.sort_values("pos", kind="stable")
            self._by_contig[str(contig)] = (rows, rows["pos"].to_numpy(dtype=np.int64) - 1)

    def in_chunk(self, chunk: Chunk) -> pd.DataFrame:
        """Return the forced alleles whose position lies in ``chunk``."""
        hit = self._by_contig.get(chunk.contig)
        if hit is None:
            return self._empty
        rows, pos0 = hit
        lo, hi = np.searchsorted(pos0, [chunk.start, chunk.end])
        return rows.iloc[lo:hi]


def left_align(key: tuple[int, str, str], ref_seq: str, offset: int) -> tuple[int, str, str]:
    """Left-align a VCF-style indel ``(anchor, ref, alt)`` (0-based anchor) in a repeat.

    The usual normalisation (as ``bcftools norm``): while the base before the inserted or
    deleted sequence equals its last base, shift the event one base left. ``ref_seq``
    holds the reference from ``offset``; the shift stops at its start.
    """
    anchor, ref, alt = key
    if len(ref) == len(alt):
        return key
    deletion = len(ref) > len(alt)
    seq = ref[1:] if deletion else alt[1:]
    i = anchor - offset
    while i > 0 and ref_seq[i] == seq[-1]:
        seq = ref_seq[i] + seq[:-1]
        i -= 1
    base = ref_seq[i]
    if i == anchor - offset:
        return key
    return (i + offset, base + seq, base) if deletion else (i + offset, base, base + seq)


LEFT_ALIGN_PAD = 500
"""Bases of reference fetched left of an indel so it can be left-aligned past its window."""


def _normalise_indels(rows: list[dict], reference: str | os.PathLike[str]) -> None:
    """Left-align indel rows against the FASTA (in place), as ``bcftools norm`` would.

    Counting left-aligns within its window only; an indel whose repeat starts before the
    window keeps a right-shifted anchor there. The counts are of the same event, so only
    the record's position and alleles move.
    """
    if not any(row["kind"] == "indel" for row in rows):
        return
    with pysam.FastaFile(str(reference)) as fasta:
        for row in rows:
            if row["kind"] != "indel":
                continue
            anchor = int(row["pos"]) - 1
            lo = max(0, anchor - LEFT_ALIGN_PAD)
            seq = fasta.fetch(row["chrom"], lo, anchor + len(row["ref"])).upper()
            anchor, row["ref"], row["alt"] = left_align((anchor, row["ref"], row["alt"]), seq, lo)
            row["pos"] = anchor + 1


def _chunk_candidates(
    counts: list[ChunkCounts],
    ref_seq: str,
    chunk: Chunk,
    forced_alleles: pd.DataFrame,
    forced_regions: np.ndarray,
    params: CandidateParams,
    ctc_mask: np.ndarray,
) -> tuple[list[dict], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate alleles of one chunk and their per-cell counts.

    Returns the rows, per-cell ref/alt/depth counts, error tallies and depth histograms
    (per cell, and of the deepest CTC per position).
    """
    n_cells = len(counts)
    length = chunk.end - chunk.start
    # Counts may run past the window (for indels at its edge); the rest is the window's.
    bases_all = np.stack([c.bases for c in counts])  # (cells, L [+ 1], 4, 2)
    depth_all = bases_all.sum(axis=(2, 3))
    bases = bases_all[:, :length]
    ref_seq = ref_seq[:length]
    ref_code = np.array([BASES.find(b) for b in ref_seq], dtype=np.int64)
    per_base = bases.sum(axis=3)  # (cells, L, 4)
    depth = per_base.sum(axis=2)  # (cells, L)
    rows: list[dict] = []
    cols: tuple[list, list, list] = ([], [], [])  # per-cell ref, alt, depth of each row
    forced_keys, forced_snvs = _forced_keys(forced_alleles, ref_seq, chunk)
    _snv_candidates(
        rows, cols, (bases, per_base, depth), ref_code, ref_seq, chunk, forced_regions,
        forced_keys, forced_snvs, params,
    )  # fmt: skip
    _indel_candidates(rows, cols, counts, bases_all, depth_all, ref_seq, chunk, forced_keys, params)
    # Per-cell mismatch tallies at non-candidate positions, for the error rate.
    excl = np.zeros(length, dtype=bool)
    for row in rows:
        excl[row["pos"] - 1 - chunk.start] = True
    use = (ref_code >= 0) & ~excl
    ref_at = per_base[:, use, :][:, np.arange(use.sum()), ref_code[use]]
    tot = depth[:, use].sum(axis=1)
    mism = tot - ref_at.sum(axis=1)
    stats_ = np.stack([tot, mism], axis=1)
    if rows:
        mat = np.stack([np.stack(cols[0], 1), np.stack(cols[1], 1), np.stack(cols[2], 1)])
    else:
        mat = np.zeros((3, n_cells, 0), dtype=np.int64)
    capped = np.minimum(depth, MAX_HIST_DEPTH)
    offsets = np.arange(n_cells)[:, None] * (MAX_HIST_DEPTH + 1)
    hist = np.bincount((capped + offsets).ravel(), minlength=n_cells * (MAX_HIST_DEPTH + 1))
    hist = hist.reshape(n_cells, MAX_HIST_DEPTH + 1)
    deepest = capped[ctc_mask].max(axis=0) if ctc_mask.any() else np.zeros(length, np.int64)
    ctc_hist = np.bincount(deepest, minlength=MAX_HIST_DEPTH + 1)
    return rows, mat, stats_, hist, ctc_hist


def _forced_keys(
    forced_alleles: pd.DataFrame, ref_seq: str, chunk: Chunk
) -> tuple[dict[tuple[int, str, str], str], set[tuple[int, int]]]:
    """Return a chunk's forced alleles, ``(anchor, ref, alt) -> source``, and its SNVs.

    The SNVs are ``(offset in the chunk, base index)``; one whose REF differs from the
    reference is skipped with a warning.
    """
    forced_keys: dict[tuple[int, str, str], str] = {}
    snvs: set[tuple[int, int]] = set()
    columns = (forced_alleles[c].tolist() for c in ("pos", "ref", "alt", "source"))
    for pos, ref, alt, source in zip(*columns, strict=True):
        forced_keys[(int(pos) - 1, ref, alt)] = source
        if len(ref) == 1 and len(alt) == 1 and alt in BASES:
            i = int(pos) - 1 - chunk.start
            if ref_seq[i] != ref:
                log.warning(
                    "forced site %s:%d: REF %s differs from the reference base %s; skipped",
                    chunk.contig,
                    pos,
                    ref,
                    ref_seq[i],
                )
                continue
            snvs.add((i, BASES.index(alt)))
    return forced_keys, snvs


def _snv_candidates(
    rows: list[dict],
    cols: tuple[list, list, list],
    pileup: tuple[np.ndarray, np.ndarray, np.ndarray],
    ref_code: np.ndarray,
    ref_seq: str,
    chunk: Chunk,
    forced_regions: np.ndarray,
    forced_keys: dict[tuple[int, str, str], str],
    forced_snvs: set[tuple[int, int]],
    params: CandidateParams,
) -> None:
    """Append the SNVs discovered in the pooled pileup, and the forced ones, to ``rows``.

    ``pileup`` is the chunk's base counts per strand (cells, L, 4, 2), per base
    (cells, L, 4) and the depth (cells, L).
    """
    bases, per_base, depth = pileup
    pooled = per_base.sum(axis=0)  # (L, 4)
    pooled_depth = pooled.sum(axis=1)
    valid_ref = ref_code >= 0
    alt_pooled = pooled.copy()
    alt_pooled[np.arange(per_base.shape[1]), np.where(valid_ref, ref_code, 0)] *= ~valid_ref
    max_cell_alt = per_base.max(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        vaf = alt_pooled / pooled_depth[:, None]
    hit = (
        valid_ref[:, None]
        & (alt_pooled >= params.min_alt_reads)
        & (vaf >= params.min_pooled_vaf)
        & (max_cell_alt >= params.min_cell_alt_reads)
    )
    hit |= valid_ref[:, None] & forced_regions[:, None] & (alt_pooled > 0)
    snv_keys = {(int(i), int(b)) for i, b in zip(*np.nonzero(hit), strict=True)} | forced_snvs
    for i, b in sorted(snv_keys):
        r = int(ref_code[i])
        key = (chunk.start + i, ref_seq[i], BASES[b])
        rows.append(
            {
                "chrom": chunk.contig,
                "pos": chunk.start + i + 1,
                "ref": ref_seq[i],
                "alt": BASES[b],
                "kind": "snv",
                "forced": forced_keys.get(key, ""),
                "pooled_ref_fwd": int(bases[:, i, r, 0].sum()),
                "pooled_ref_rev": int(bases[:, i, r, 1].sum()),
                "pooled_alt_fwd": int(bases[:, i, b, 0].sum()),
                "pooled_alt_rev": int(bases[:, i, b, 1].sum()),
            }
        )
        cols[0].append(per_base[:, i, r])
        cols[1].append(per_base[:, i, b])
        cols[2].append(depth[:, i])


def _pooled_indels(
    counts: list[ChunkCounts], ref_seq: str, chunk: Chunk
) -> tuple[dict[tuple[int, str, str], np.ndarray], dict[tuple[int, str, str], np.ndarray]]:
    """Per-cell strand counts of each left-aligned indel, and the reads placed right of it.

    One indel, one record: reads may place it anywhere in a repeat. The second mapping
    has, per cell, the alt reads of an indel placed right of its left-aligned anchor.
    """
    n_cells = len(counts)
    pooled_indel: dict[tuple[int, str, str], np.ndarray] = {}
    shifted: dict[tuple[int, str, str], np.ndarray] = {}
    for ci, c in enumerate(counts):
        for key, fr in c.indels.items():
            norm = left_align(key, ref_seq, chunk.start)
            arr = pooled_indel.setdefault(norm, np.zeros((n_cells, 2), dtype=np.int64))
            arr[ci] += fr
            if norm != key:
                shifted.setdefault(norm, np.zeros(n_cells, dtype=np.int64))[ci] += sum(fr)
    return pooled_indel, shifted


def _indel_candidates(
    rows: list[dict],
    cols: tuple[list, list, list],
    counts: list[ChunkCounts],
    bases: np.ndarray,
    depth: np.ndarray,
    ref_seq: str,
    chunk: Chunk,
    forced_keys: dict[tuple[int, str, str], str],
    params: CandidateParams,
) -> None:
    """Append the indels with pooled support, and the forced indel alleles, to ``rows``."""
    n_cells = len(counts)
    length = chunk.end - chunk.start
    pooled_indel, shifted = _pooled_indels(counts, ref_seq, chunk)
    for key in forced_keys:
        if len(key[1]) != len(key[2]) and key not in pooled_indel:
            pooled_indel[key] = np.zeros((n_cells, 2), dtype=np.int64)
    for key, arr in sorted(pooled_indel.items()):
        anchor, ref, alt = key
        i = anchor - chunk.start
        # anchored in the window, with a base after it (none after a contig's last base)
        if i < 0 or i >= length or i + 1 >= depth.shape[1]:
            continue
        # Reference support: reads with a base right after the anchor (reads with the
        # deletion placed there have none; placed further right in a repeat, they do)
        # minus reads with an insertion there (any placement of this one, others at the
        # anchor).
        n_ins_reads = np.array([c.insertion_reads.get(anchor, 0) for c in counts])
        cell_alt = arr.sum(axis=1)
        moved = shifted.get(key, np.zeros(n_cells, dtype=np.int64))
        ref_n = np.clip(depth[:, i + 1] - n_ins_reads - moved, 0, None)
        tot_alt = int(cell_alt.sum())
        pooled_dp = int(ref_n.sum() + tot_alt)
        forced = key in forced_keys
        if not forced and not (
            tot_alt >= params.min_alt_reads
            and tot_alt >= params.min_pooled_vaf * max(pooled_dp, 1)
            and cell_alt.max() >= params.min_cell_alt_reads
        ):
            continue
        ref_strand = bases[:, i + 1, :, :].sum(axis=(0, 1))
        rows.append(
            {
                "chrom": chunk.contig,
                "pos": anchor + 1,
                "ref": ref,
                "alt": alt,
                "kind": "indel",
                "forced": forced_keys.get(key, ""),
                "pooled_ref_fwd": int(ref_strand[0]),
                "pooled_ref_rev": int(ref_strand[1]),
                "pooled_alt_fwd": int(arr[:, 0].sum()),
                "pooled_alt_rev": int(arr[:, 1].sum()),
            }
        )
        cols[0].append(ref_n)
        cols[1].append(cell_alt)
        cols[2].append(ref_n + cell_alt)


def _window_batches(chunks: list[Chunk], n: int) -> list[list[Chunk]]:
    """Split windows into at most ``n`` contiguous runs of about equal length in bp."""
    sizes = np.array([c.end - c.start for c in chunks], dtype=np.float64)
    edges = np.searchsorted(np.cumsum(sizes), sizes.sum() * np.arange(1, n) / n, side="right")
    bounds = [0, *sorted(set(int(e) for e in edges) - {0, len(chunks)}), len(chunks)]
    return [chunks[a:b] for a, b in pairwise(bounds) if b > a]


def _count_windows(
    chunks: list[Chunk],
    paths: list[str],
    reference: str,
    fa: pd.DataFrame,
    fr: pd.DataFrame,
    count_params: CountParams,
    candidate_params: CandidateParams,
    ctc_mask: np.ndarray,
    *,
    report: bool = False,
) -> tuple[list[dict], list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Count candidate rows, per-cell alleles, errors and depth histograms of some windows.

    Depth histograms are per cell and of the deepest CTC. With ``report``, progress is
    shown (a bar on a terminal, log lines otherwise).
    """
    rows: list[dict] = []
    mats: list[np.ndarray] = []
    err_stats = np.zeros((len(paths), 2), dtype=np.int64)
    depth_hist = np.zeros((len(paths), MAX_HIST_DEPTH + 1), dtype=np.int64)
    ctc_hist = np.zeros(MAX_HIST_DEPTH + 1, dtype=np.int64)
    fasta = pysam.FastaFile(reference)
    forced_index = _ForcedIndex(fa)
    handles = [pysam.AlignmentFile(p) for p in paths]
    windows = (
        progress(chunks, desc=f"pileup of {len(paths)} cells", logger=log, unit="window")
        if report
        else chunks
    )
    try:
        for chunk in windows:
            # One base past the window: an indel anchored at its last base takes its
            # reference support from the next base (the next window owns that base).
            ref_seq = fasta.fetch(chunk.contig, chunk.start, chunk.end + 1).upper()
            counts = [count_chunk(h, chunk, ref_seq, count_params, fasta=fasta) for h in handles]
            freg = np.zeros(chunk.end - chunk.start, dtype=bool)
            for rec in fr.itertuples(index=False):
                if rec.contig == chunk.contig:
                    s = max(int(rec.start), chunk.start) - chunk.start
                    e = min(int(rec.end), chunk.end) - chunk.start
                    if e > s:
                        freg[s:e] = True
            r, m, st, dh, ch = _chunk_candidates(
                counts,
                ref_seq,
                chunk,
                forced_index.in_chunk(chunk),
                freg,
                candidate_params,
                ctc_mask,
            )
            rows.extend(r)
            mats.append(m)
            err_stats += st
            depth_hist += dh
            ctc_hist += ch
    finally:
        for h in handles:
            h.close()
        fasta.close()
    return rows, mats, err_stats, depth_hist, ctc_hist


def count_alleles(
    bams: Mapping[str, str | os.PathLike[str]],
    reference: str | os.PathLike[str],
    *,
    targets: pd.DataFrame | None = None,
    forced_alleles: pd.DataFrame | None = None,
    forced_regions: pd.DataFrame | None = None,
    count_params: CountParams | None = None,
    candidate_params: CandidateParams | None = None,
    obs: pd.DataFrame | None = None,
    threads: int = 1,
) -> ad.AnnData:
    """Find candidate variants in the pooled pileup and count alleles in every cell.

    Each BAM is read once, sequentially, window by window (all cells of a window are
    counted before moving on, so evidence is pooled across cells without holding the
    genome in memory). A position becomes a candidate when the pooled reads of all
    cells support an alternative allele (``CandidateParams``); forced alleles (hotspots,
    user VCF) are always reported, and in forced regions (user BED) any alternative
    allele seen is reported.

    Parameters
    ----------
    bams
        Cell ID -> indexed BAM (missing indexes are created).
    reference
        FASTA the BAMs were aligned to (faidx-indexed; bgzipped is fine).
    targets
        Target regions (``contig, start, end``, 0-based); ``None`` for whole genome.
    forced_alleles
        ``contig, pos, ref, alt, source`` always genotyped.
    forced_regions
        ``contig, start, end`` regions where every alternative allele is reported.
    count_params, candidate_params
        Read/base filters and candidate thresholds.
    obs
        Per-cell annotations (index = cell IDs) copied into ``adata.obs``.
    threads
        Processes counting windows in parallel; the result does not depend on it.

    Returns
    -------
    anndata.AnnData
        Cells x candidate alleles. ``layers["ref"]``, ``layers["alt"]`` (reads with
        each allele) and ``layers["depth"]`` (all reads); ``var`` has ``chrom, pos, ref,
        alt, kind (snv|indel), forced`` and pooled strand counts; ``obs`` has
        ``n_bases`` and ``mismatch_rate`` (at non-candidate positions).
    """
    count_params = count_params or CountParams()
    candidate_params = candidate_params or CandidateParams()
    cells, paths, ref_lengths = _open_inputs(bams, reference)
    fa = _forced_alleles_in(forced_alleles, targets, ref_lengths)
    fr = (
        forced_regions
        if forced_regions is not None
        else pd.DataFrame(columns=["contig", "start", "end"])
    )
    chunks = _windows(ref_lengths, targets, fa, fr, candidate_params)
    log.info(
        "counting %d cells over %d windows (%d bp)",
        len(cells),
        len(chunks),
        sum(c.end - c.start for c in chunks),
    )
    roles = (
        obs.reindex(cells)["role"].astype(str).str.lower().to_numpy()
        if obs is not None and "role" in obs
        else np.array(["ctc"] * len(cells))
    )
    ctc_mask = roles == "ctc"
    window_args = (paths, str(reference), fa, fr, count_params, candidate_params, ctc_mask)
    rows, mats, err_stats, depth_hist, ctc_hist = _count_all_windows(
        chunks, window_args, threads, len(cells)
    )
    mat = np.concatenate(mats, axis=2) if mats else np.zeros((3, len(cells), 0), dtype=np.int64)
    _normalise_indels(rows, reference)
    var, mat = _candidate_table(rows, mat)
    obs_df = _cell_table(cells, paths, obs, err_stats)
    import anndata as ad

    adata = ad.AnnData(
        X=mat[1].astype(np.float32),
        obs=obs_df,
        var=var,
        layers={
            "ref": mat[0].astype(np.int32),
            "alt": mat[1].astype(np.int32),
            "depth": mat[2].astype(np.int32),
        },
        obsm={"depth_histogram": depth_hist.astype(np.int64)},
        uns={"snv_counts": {"ctc_depth_histogram": ctc_hist, "max_hist_depth": MAX_HIST_DEPTH}},
    )
    log.info("%d candidate alleles", adata.n_vars)
    return adata


def _open_inputs(
    bams: Mapping[str, str | os.PathLike[str]], reference: str | os.PathLike[str]
) -> tuple[list[str], list[str], dict[str, int]]:
    """Check the cell IDs, index the BAMs and check their contigs against the reference.

    Returns the cell IDs, their BAM paths and the reference's contig lengths.
    """
    cells = [validate_id(c, what="cell") for c in bams]
    paths = [str(bams[c]) for c in cells]
    for p in paths:
        ensure_index(p)
    fasta = pysam.FastaFile(str(reference))
    ref_lengths = dict(zip(fasta.references, fasta.lengths, strict=True))
    fasta.close()
    _check_contigs(ref_lengths, dict(zip(cells, paths, strict=True)))
    return cells, paths, ref_lengths


def _forced_alleles_in(
    forced_alleles: pd.DataFrame | None,
    targets: pd.DataFrame | None,
    ref_lengths: dict[str, int],
) -> pd.DataFrame:
    """Keep the forced alleles on the reference's contigs; hotspots only inside the targets."""
    empty_alleles = pd.DataFrame(columns=["contig", "pos", "ref", "alt", "source"])
    fa = empty_alleles if forced_alleles is None else forced_alleles
    fa = fa[fa["contig"].isin(ref_lengths)].copy()
    if not fa.empty:
        fa = fa[fa["pos"] <= fa["contig"].map(ref_lengths)]
    if targets is not None and not fa.empty:
        # Hotspots only inside targets; user alleles (source "user") everywhere.
        inside = np.zeros(len(fa), dtype=bool)
        for rec in targets.itertuples(index=False):
            inside |= (
                (fa["contig"] == rec.contig) & (fa["pos"] > rec.start) & (fa["pos"] <= rec.end)
            ).to_numpy()
        fa = fa[inside | (fa["source"] == "user").to_numpy()]
    return fa


def _windows(
    ref_lengths: dict[str, int],
    targets: pd.DataFrame | None,
    fa: pd.DataFrame,
    fr: pd.DataFrame,
    candidate_params: CandidateParams,
) -> list[Chunk]:
    """Windows to count: the targets (or the genome) plus forced alleles and regions."""
    forced_all = pd.concat(
        [
            fa.assign(start=np.nan, end=np.nan)[["contig", "pos", "ref", "start", "end"]],
            fr.assign(pos=np.nan, ref="")[["contig", "pos", "ref", "start", "end"]],
        ],
        ignore_index=True,
    )
    return make_chunks(
        ref_lengths,
        targets=targets,
        forced=forced_all,
        pad=candidate_params.pad,
        max_chunk=candidate_params.max_chunk,
    )


def _count_all_windows(
    chunks: list[Chunk], window_args: tuple, threads: int, n_cells: int
) -> tuple[list[dict], list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Count every window, in ``threads`` processes; results in window order."""
    if threads <= 1 or len(chunks) < 2:
        return _count_windows(chunks, *window_args, report=True)
    # Windows are independent: workers take contiguous runs of them and the results
    # are joined in window order, so the output does not depend on `threads`.
    batches = _window_batches(chunks, 4 * threads)
    rows, mats = [], []
    err_stats = np.zeros((n_cells, 2), dtype=np.int64)
    depth_hist = np.zeros((n_cells, MAX_HIST_DEPTH + 1), dtype=np.int64)
    ctc_hist = np.zeros(MAX_HIST_DEPTH + 1, dtype=np.int64)
    with ProcessPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(_count_windows, b, *window_args) for b in batches]
        # Load anndata and scipy.special (about half of `ctcg snv`'s start-up) while the
        # workers count.
        import anndata  # noqa: F401

        from ctcgenomics.snv._model import special

        special.gammaln  # noqa: B018 (reading an attribute loads the lazy module)

        desc = f"pileup of {n_cells} cells in {threads} processes"
        for future in progress(futures, desc=desc, logger=log, unit="batch"):
            r, m, st, dh, ch = future.result()
            rows.extend(r)
            mats.extend(m)
            err_stats += st
            depth_hist += dh
            ctc_hist += ch
    return rows, mats, err_stats, depth_hist, ctc_hist


def _candidate_table(rows: list[dict], mat: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Candidate alleles as ``var`` (one row per allele, named ``chrom:pos:ref>alt``).

    Returns the table and the counts of its alleles (duplicates after indel
    normalisation dropped).
    """
    var = pd.DataFrame(
        rows,
        columns=[
            "chrom",
            "pos",
            "ref",
            "alt",
            "kind",
            "forced",
            "pooled_ref_fwd",
            "pooled_ref_rev",
            "pooled_alt_fwd",
            "pooled_alt_rev",
        ],
    )
    var = var.drop_duplicates(["chrom", "pos", "ref", "alt"])
    keep = var.index.to_numpy()
    mat = mat[:, :, keep]
    var = var.reset_index(drop=True)
    var.index = [f"{r.chrom}:{r.pos}:{r.ref}>{r.alt}" for r in var.itertuples()]
    return var, mat


def _cell_table(
    cells: list[str], paths: list[str], obs: pd.DataFrame | None, err_stats: np.ndarray
) -> pd.DataFrame:
    """``obs``: the given annotations, bases examined, mismatch rate and BAM of each cell."""
    obs_df = pd.DataFrame(index=pd.Index(cells, name="cell"))
    if obs is not None:
        obs_df = obs_df.join(obs.drop(columns=[c for c in obs.columns if c in obs_df]))
    obs_df["n_bases"] = err_stats[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        obs_df["mismatch_rate"] = np.where(
            err_stats[:, 0] > 0, err_stats[:, 1] / np.maximum(err_stats[:, 0], 1), np.nan
        )
    obs_df["bam"] = paths
    return obs_df
