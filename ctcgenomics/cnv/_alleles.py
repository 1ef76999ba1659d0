"""Allelic evidence: B-allele counts at germline heterozygous SNPs, per segment and clone.

Counts come per bin (``a_count``/``b_count`` of the two haplotypes in each bin, e.g. from
CHISEL) or per SNP (``ref_count``/``alt_count`` at ``pos``). The orientation of a site
(which count is which haplotype) is unknown, so each site contributes a *mirrored*
beta-binomial likelihood: ``0.5 BB(b | n, f) + 0.5 BB(b | n, 1 - f)`` for a minor-allele
fraction ``f``. A segment with total copy number ``c`` and minor copy number ``m`` has
``f = m / c``: 1|1 and 2|2 give 0.5, 2|1 gives 1/3, 3|1 gives 1/4, LOH gives 0 (read
as the error fraction ``eps``). Summed over a segment's sites, and over the cells of a
clone (the CHISEL/Alleloscope idea), this tells a doubled genome with odd or imbalanced
states from a diploid one, and calls LOH. Overdispersion (MDA's allelic imbalance) is
estimated on the data (:func:`estimate_overdispersion`).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln

from ctcgenomics.cnv._errors import CNVInputError

#: Minor-allele fraction standing in for 0 (LOH): sequencing error and mis-mapped reads.
LOH_FRACTION = 0.02

#: Overdispersion used when neither WBCs nor clones of >= 3 cells measure it. Not a
#: fitted value: it is the order of what is measured where it can be (diploid cells of
#: Kim 2018 P2 through their clone: 0.005-0.05; the simulator's WBCs, docs/cnv.md), and
#: it errs on the side of allelic evidence weighing less.
OVERDISPERSION_PRIOR = 0.05


@dataclass
class AlleleCounts:
    """Allele counts of the cells of a run, one row per (cell, site).

    Attributes
    ----------
    cell
        Row index of the cell in the AnnData (int).
    bin
        Index of the site's bin in the bin table (int).
    site
        Site ID: the same SNP (or bin) in every cell has the same ID, so counts can be
        pooled across cells.
    a, b
        Counts of the two alleles (orientation arbitrary but the same for a site in
        every cell).
    """

    cell: np.ndarray
    bin: np.ndarray
    site: np.ndarray
    a: np.ndarray
    b: np.ndarray
    per_bin: bool = False
    """Whether a site is a bin (per-bin counts, possibly summed over phased blocks)."""

    def __len__(self) -> int:
        return len(self.cell)

    def of_cells(self, rows: np.ndarray) -> AlleleCounts:
        """Return the counts of the cells with these row indices."""
        keep = np.isin(self.cell, rows)
        fields = (self.cell, self.bin, self.site, self.a, self.b)
        return AlleleCounts(*(v[keep] for v in fields), per_bin=self.per_bin)

    def pooled(self, rows: np.ndarray) -> AlleleCounts:
        """Return the counts of these cells summed per site (a clone's pooled evidence)."""
        sub = self.of_cells(rows)
        if len(sub) == 0:
            return sub
        sites, inv = np.unique(sub.site, return_inverse=True)
        a = np.bincount(inv, weights=sub.a).astype(np.int64)
        b = np.bincount(inv, weights=sub.b).astype(np.int64)
        first = np.zeros(len(sites), dtype=np.int64)
        first[inv[::-1]] = np.arange(len(inv))[::-1]
        return AlleleCounts(
            np.full(len(sites), -1), sub.bin[first], sites, a, b, per_bin=self.per_bin
        )


def read_allele_counts(
    path: str | os.PathLike[str] | pd.DataFrame,
    bins: pd.DataFrame,
    cells: list[str] | np.ndarray,
) -> AlleleCounts:
    """Read allele counts (TSV or DataFrame) and map them to bins and cells.

    Accepted columns: ``cell, chrom`` and either ``start, end`` (per-bin counts; the
    interval must be a bin of ``bins``) or ``pos`` (1-based SNP position), with counts as
    ``a_count, b_count`` or ``ref_count, alt_count`` (``A_COUNT``/``B_COUNT`` and ``#CHR``,
    ``START``, ``END``, ``CELL`` of CHISEL tables are accepted too).

    Parameters
    ----------
    path
        TSV path or a DataFrame with those columns.
    bins
        Bin table of the run (``chrom, start, end``).
    cells
        Cell IDs of the count table, in row order.

    Raises
    ------
    CNVInputError
        On missing columns, cells not in the count table (naming them and the fix), or
        per-bin counts whose interval is not a bin.
    """
    where = "allele counts" if isinstance(path, pd.DataFrame) else str(path)
    frame = (
        path.copy()
        if isinstance(path, pd.DataFrame)
        else pd.read_csv(
            path, sep="\t", dtype={"chrom": str, "#CHR": str, "CELL": str, "cell": str}
        )
    )
    renames = {
        "#CHR": "chrom", "CHR": "chrom", "START": "start", "END": "end", "CELL": "cell",
        "A_COUNT": "a_count", "B_COUNT": "b_count", "ref_count": "a_count",
        "alt_count": "b_count", "#chrom": "chrom",
    }  # fmt: skip
    frame = frame.rename(columns=renames)
    per_bin = {"start", "end"} <= set(frame.columns)
    need = {"cell", "chrom", "a_count", "b_count"} | (set() if per_bin else {"pos"})
    missing = sorted(need - set(frame.columns))
    if missing:
        raise CNVInputError(
            f"{where}: missing column(s) {missing}; allele counts need cell, chrom, start, end "
            "(per bin) or pos (per SNP), and a_count, b_count (or ref_count, alt_count)"
        )
    frame["cell"] = frame["cell"].astype(str)
    cell_index = {str(c): i for i, c in enumerate(cells)}
    unknown = sorted(set(frame["cell"]) - set(cell_index))
    if unknown:
        raise CNVInputError(
            f"{where}: {len(unknown)} cell(s) with allele counts are not in the count table "
            f"(first: {', '.join(unknown[:5])}); give allele counts of the counted cells only, "
            "or add those cells' counts"
        )
    chrom = bins["chrom"].astype(str).to_numpy()
    b_start = bins["start"].to_numpy()
    b_end = bins["end"].to_numpy()
    bin_of = np.full(len(frame), -1, dtype=np.int64)
    f_chrom = frame["chrom"].astype(str).to_numpy()
    for c in np.unique(f_chrom):
        in_bins = np.flatnonzero(chrom == c)
        rows = np.flatnonzero(f_chrom == c)
        if len(in_bins) == 0:
            continue
        if per_bin:
            s = frame["start"].to_numpy()[rows]
            k = np.searchsorted(b_start[in_bins], s)
            k = np.minimum(k, len(in_bins) - 1)
            ok = (b_start[in_bins][k] == s) & (b_end[in_bins][k] == frame["end"].to_numpy()[rows])
            if not ok.all():
                bad = frame.iloc[rows[np.flatnonzero(~ok)[0]]]
                raise CNVInputError(
                    f"{where}: interval {bad['chrom']}:{bad['start']}-{bad['end']} of cell "
                    f"{bad['cell']} is not a bin of the count table; per-bin allele counts must "
                    "use the same bins (or give per-SNP counts with a pos column)"
                )
            bin_of[rows] = in_bins[k]
        else:
            p = frame["pos"].to_numpy()[rows] - 1
            k = np.searchsorted(b_start[in_bins], p, side="right") - 1
            ok = (k >= 0) & (p < b_end[in_bins][np.maximum(k, 0)])
            bin_of[rows[ok]] = in_bins[k[ok]]
    keep = bin_of >= 0
    frame, bin_of = frame[keep], bin_of[keep]
    a = frame["a_count"].to_numpy().astype(np.int64)
    b = frame["b_count"].to_numpy().astype(np.int64)
    if (a < 0).any() or (b < 0).any():
        raise CNVInputError(f"{where}: allele counts must be >= 0")
    if per_bin:
        site = bin_of
    else:
        key = frame["chrom"].astype(str) + ":" + frame["pos"].astype(str)
        site = pd.factorize(key)[0].astype(np.int64)
    cell = frame["cell"].map(cell_index).to_numpy().astype(np.int64)
    nz = (a + b) > 0
    return AlleleCounts(cell[nz], bin_of[nz], site[nz], a[nz], b[nz], per_bin=per_bin)


def _bb_logpmf(k: np.ndarray, n: np.ndarray, p: np.ndarray, rho: float) -> np.ndarray:
    """Beta-binomial log-pmf with mean ``p`` and intra-class correlation ``rho``."""
    if rho <= 0:
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return (
            gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
            + k * np.log(p) + (n - k) * np.log1p(-p)
        )  # fmt: skip
    s = (1 - rho) / rho
    alpha, beta = p * s, (1 - p) * s
    return (
        gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
        + betaln(k + alpha, n - k + beta) - betaln(alpha, beta)
    )  # fmt: skip


def mirrored_loglik(
    a: np.ndarray, b: np.ndarray, f: np.ndarray, rho: float, switch: float = 0.0
) -> np.ndarray:
    """Log-likelihood of each site (rows) at each minor fraction ``f`` (columns).

    ``0.5 BB(b | n, f') + 0.5 BB(b | n, 1 - f')``: the site's orientation is unknown.
    ``f' = f + switch (1 - 2 f)``: per-bin counts summed over phased haplotype blocks
    carry the share ``switch`` of their reads on the wrong side (phase switches between
    blocks), so an LOH bin reads ``switch``, not 0, and 1/3 reads a little higher.
    """
    n = (a + b).astype(float)[:, None]
    k = b.astype(float)[:, None]
    f = np.asarray(f, dtype=float)[None, :]
    f = np.clip(f + switch * (1 - 2 * f), max(LOH_FRACTION, switch), 0.5)
    one = _bb_logpmf(k, n, f, rho)
    two = _bb_logpmf(k, n, 1 - f, rho)
    return np.logaddexp(one, two) + np.log(0.5)


def minor_fractions(max_cn: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Distinct minor fractions ``m / c`` (``c`` 1..max_cn, ``m`` 0..c//2) and their states."""
    states = [(c, m) for c in range(1, max_cn + 1) for m in range(c // 2 + 1)]
    fr = np.array([m / c for c, m in states])
    return fr, states


def overdispersion_from_groups(
    counts: AlleleCounts,
    group: np.ndarray,
    *,
    min_cells: int = 3,
    default: float = OVERDISPERSION_PRIOR,
) -> float:
    """Beta-binomial overdispersion from the spread of a site across the cells of a clone.

    The cells of a clone share each site's allele fraction (orientation included: a site
    is read the same way in every cell), so the spread of their fractions beyond binomial
    sampling is the per-cell amplification imbalance, whatever the (unknown) allelic
    state: ``sum((b - n p)^2 - n p (1 - p)) / sum(n (n - 1) p (1 - p))`` over sites and
    cells, ``p`` the site's pooled fraction in the clone (method of moments, clipped to
    [0.001, 0.5]). Groups (``group`` per cell row; -1 none) with fewer than
    ``min_cells`` cells are not used.
    """
    g = group[counts.cell]
    num = den = 0.0
    for lab in np.unique(g[g >= 0]):
        sel = g == lab
        if len(np.unique(counts.cell[sel])) < min_cells:
            continue
        site, a, b = counts.site[sel], counts.a[sel].astype(float), counts.b[sel].astype(float)
        _, inv = np.unique(site, return_inverse=True)
        n = a + b
        p = np.bincount(inv, weights=b) / np.maximum(np.bincount(inv, weights=n), 1)
        cells_per_site = np.bincount(inv)
        ok = (cells_per_site[inv] >= 2) & (n >= 2)
        pi = p[inv][ok]
        num += float(np.sum((b[ok] - n[ok] * pi) ** 2 - n[ok] * pi * (1 - pi)))
        den += float(np.sum(n[ok] * (n[ok] - 1) * pi * (1 - pi)))
    return float(np.clip(num / den, 0.001, 0.5)) if den > 0 else default


def overdispersion_from_normals(
    counts: AlleleCounts,
    rows: np.ndarray,
    *,
    site_mask: np.ndarray | None = None,
    min_informative: int = 200,
) -> tuple[float, int] | None:
    """Beta-binomial overdispersion of diploid normal cells, by maximum likelihood.

    In normal cells (WBCs) every autosomal germline heterozygous site is 1|1, so its
    B-allele count is beta-binomial with mean 1/2 and the only unknown is ``rho``:
    ``b ~ BB(n, 1/2, rho)``. The cells' (cell, site) counts are pooled (each cell is
    amplified on its own, so its draws are independent) and ``rho`` maximises their
    summed log-likelihood (``scipy.optimize.minimize_scalar``, bounded to
    [1e-4, 0.5]). Whatever makes a balanced site look imbalanced in a normal cell
    (MDA's per-molecule and regional haplotype imbalance, mis-called het sites) is thus
    measured where the state is known, and applies equally to the tumour cells of the
    run. Unlike a clone's spread (:func:`overdispersion_from_groups`) this needs no
    second read of a site in another cell of the same clone, so it holds at ~1 read per
    site. Sites with one read carry no information on ``rho`` and are skipped.

    Parameters
    ----------
    counts
        Allele counts of the run.
    rows
        Row indices of the normal cells.
    site_mask
        Per row of ``counts``: whether the site is usable (e.g. autosomal, in a used bin).
    min_informative
        Fewest (cell, site) counts with >= 2 reads; with fewer, ``None`` is returned.

    Returns
    -------
    (rho, n_informative) or None
    """
    keep = np.isin(counts.cell, rows) & ((counts.a + counts.b) >= 2)
    if site_mask is not None:
        keep &= site_mask
    n_inf = int(keep.sum())
    if n_inf < min_informative:
        return None
    # Likelihood over distinct (n, b) pairs, weighted by how often each occurs.
    n_all = (counts.a[keep] + counts.b[keep]).astype(np.int64)
    width = int(n_all.max()) + 1
    pairs, weight = np.unique(n_all * width + counts.b[keep], return_counts=True)
    n, k = (pairs // width).astype(float), (pairs % width).astype(float)
    half = np.full(len(n), 0.5)

    def nll(log_rho: float) -> float:
        return -float(np.sum(weight * _bb_logpmf(k, n, half, float(np.exp(log_rho)))))

    # Imported here: scipy.optimize costs ~0.4 s of every `ctcg cnv call` start-up and
    # only runs with allele counts.
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(nll, bounds=(np.log(1e-4), np.log(0.5)), method="bounded")
    return float(np.exp(res.x)), n_inf


def estimate_allelic_noise(
    counts: AlleleCounts,
    *,
    per_bin: bool,
    rho: float | None = None,
    min_reads: int = 20,
    max_sites: int = 20_000,
) -> tuple[float, float]:
    """Overdispersion and phase-switch share of allele counts, by maximum likelihood.

    With ``rho`` given (e.g. :func:`overdispersion_from_normals`), only the switch share
    is fitted and ``rho`` is returned as given. Every site with at least ``min_reads``
    reads takes its best state among the minor fractions of totals up to 4 (0, 1/4, 1/3,
    1/2); over a grid, the beta-binomial overdispersion ``rho`` and (for per-bin counts,
    ``per_bin``) the phase-switch share ``switch`` that maximise the summed site
    log-likelihood are returned (ties go to the smallest). Data without LOH leave
    ``switch`` unidentified; it then stays 0. At most ``max_sites`` sites are used (a
    seeded sample). With fewer than 20 such sites (low depth per cell), ``switch`` is 0
    and ``rho`` the one given, else :data:`OVERDISPERSION_PRIOR`.

    Returns
    -------
    rho : float
    switch : float
    """
    n = counts.a + counts.b
    keep = np.flatnonzero(n >= min_reads)
    if len(keep) < 20:
        return (OVERDISPERSION_PRIOR if rho is None else float(rho)), 0.0
    if len(keep) > max_sites:
        keep = np.sort(np.random.default_rng(0).choice(keep, max_sites, replace=False))
    a, b = counts.a[keep], counts.b[keep]
    fr = np.array([0.0, 0.25, 1 / 3, 0.5])
    best = (-np.inf, 0.05, 0.0)
    switches = np.arange(0.0, 0.31, 0.02) if per_bin else np.array([0.0])
    rhos = (0.001, 0.003, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2) if rho is None else (rho,)
    for r in rhos:
        for sw in switches:
            ll = float(mirrored_loglik(a, b, fr, r, sw).max(axis=1).sum())
            if ll > best[0] + 1e-6:
                best = (ll, r, float(sw))
    return best[1], best[2]


def estimate_overdispersion(a: np.ndarray, b: np.ndarray, *, default: float = 0.05) -> float:
    """Beta-binomial intra-class correlation of sites expected balanced (method of moments).

    Uses sites with at least 4 reads; the squared deviation of ``b`` from ``n / 2`` beyond
    binomial variance, ``sum((b - n/2)^2 - n/4) / sum(n (n - 1) / 4)``, clipped to
    [0.001, 0.5]. Sites in LOH inflate it: call it on cells or segments believed to be
    heterozygous (WBCs, or segments at minor fraction 0.5).
    """
    n = (a + b).astype(float)
    ok = n >= 4
    if ok.sum() < 20:
        return default
    n, b = n[ok], b[ok].astype(float)
    num = float(np.sum((b - n / 2) ** 2 - n / 4))
    den = float(np.sum(n * (n - 1) / 4))
    return float(np.clip(num / den, 0.001, 0.5)) if den > 0 else default


@dataclass
class SiteLikelihood:
    """Log-likelihood of every allele site at every distinct minor fraction.

    Attributes
    ----------
    bin
        Bin index (in the table the segments are made on) of each site.
    ll
        Sites x fractions log-likelihood (:func:`mirrored_loglik`).
    reads
        Reads per site.
    """

    bin: np.ndarray
    ll: np.ndarray
    reads: np.ndarray


def site_likelihood(
    counts: AlleleCounts,
    *,
    rho: float,
    max_cn: int,
    bin_map: np.ndarray | None = None,
    switch: float = 0.0,
) -> SiteLikelihood:
    """Precompute site log-likelihoods once per cell (segments change, sites do not).

    ``bin_map`` maps bin-table indices to the indices segments are made on (e.g. used
    bins only; -1 drops a site).
    """
    fr = _fractions(max_cn)[0]
    b = counts.bin if bin_map is None else bin_map[counts.bin]
    keep = b >= 0
    ll = (
        mirrored_loglik(counts.a[keep], counts.b[keep], fr, rho, switch)
        if keep.any()
        else np.zeros((0, len(fr)))
    )
    # Stored in single precision (half the memory: ~0.5 MB per cell at 6,000 bins with
    # ~6,000 allele sites); every sum over sites is taken in double precision.
    return SiteLikelihood(
        b[keep], ll.astype(np.float32), (counts.a + counts.b)[keep].astype(np.float32)
    )


#: Totals above this are not told apart by allele fractions (8 copies: steps of 1/8);
#: their allelic likelihood is the best fraction's, which also keeps the site
#: likelihoods cheap (23 distinct fractions instead of ~130 up to 20 copies).
ALLELIC_MAX_CN = 8


def _fractions(max_cn: int) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Distinct minor fractions, the index of each state's fraction, and the states."""
    fr, states = minor_fractions(min(max_cn, ALLELIC_MAX_CN))
    uniq, inv = np.unique(np.round(fr, 10), return_inverse=True)
    return uniq, inv, states


@dataclass
class SegmentAlleles:
    """Allelic log-likelihood of segments at every total copy number.

    Attributes
    ----------
    by_cn
        Segments x (max_cn + 1): the best log-likelihood over minor copy numbers at that
        total, relative to the best over all fractions (so 0 is a perfect fit and values
        are comparable between segments). Column 0 (no copies) takes the worst
        fraction's value: allele reads rule out a homozygous deletion.
    minor
        Segments x (max_cn + 1): the minor copy number achieving it.
    n_reads
        Allele reads per segment.
    """

    by_cn: np.ndarray
    minor: np.ndarray
    n_reads: np.ndarray


def segment_alleles(
    sites: SiteLikelihood, seg_of_bin: np.ndarray, n_segments: int, *, max_cn: int
) -> SegmentAlleles:
    """Sum site log-likelihoods per segment for every (total, minor) state.

    Parameters
    ----------
    sites
        :func:`site_likelihood` of one cell (or of a clone's pooled counts).
    seg_of_bin
        Segment index of every bin (-1 for bins outside segments).
    n_segments
        Number of segments.
    max_cn
        Largest total copy number considered.
    """
    uniq, inv, states = _fractions(max_cn)
    seg = seg_of_bin[sites.bin] if len(sites.bin) else np.zeros(0, dtype=np.int64)
    keep = seg >= 0
    by_frac = np.zeros((n_segments, len(uniq)))
    n_reads = np.zeros(n_segments)
    if keep.any():
        for j in range(len(uniq)):
            by_frac[:, j] = np.bincount(seg[keep], weights=sites.ll[keep, j], minlength=n_segments)
        n_reads = np.bincount(seg[keep], weights=sites.reads[keep], minlength=n_segments)
    by_frac -= by_frac.max(axis=1, keepdims=True)
    by_cn = np.zeros((n_segments, max_cn + 1))
    # No copies left cannot explain allele reads at heterozygous SNPs: it takes the
    # worst fraction's fit (0 where the segment has no reads).
    by_cn[:, 0] = by_frac.min(axis=1) if by_frac.shape[1] else 0.0
    minor = np.zeros((n_segments, max_cn + 1), dtype=np.int64)
    top = min(max_cn, ALLELIC_MAX_CN)
    for c in range(1, top + 1):
        cols = [k for k, (cc, _m) in enumerate(states) if cc == c]
        vals = by_frac[:, inv[cols]]
        best = vals.argmax(axis=1)
        by_cn[:, c] = vals[np.arange(n_segments), best]
        minor[:, c] = np.array([states[cols[j]][1] for j in best], dtype=np.int64)
    if max_cn > top:
        best_fraction = uniq[by_frac.argmax(axis=1)] if len(uniq) else np.zeros(n_segments)
        for c in range(top + 1, max_cn + 1):
            minor[:, c] = np.rint(best_fraction * c).astype(np.int64)
    return SegmentAlleles(by_cn, minor, n_reads)


def bin_emissions(sites: SiteLikelihood, n_bins: int, *, max_cn: int) -> np.ndarray:
    """Per bin, the summed site log-likelihood at each distinct minor fraction.

    Bins without sites get 0 everywhere (no evidence). Used to segment by B-allele
    fraction, which finds copy-neutral LOH (no change in depth at all).
    """
    n_frac = sites.ll.shape[1] if sites.ll.ndim == 2 else len(_fractions(max_cn)[0])
    out = np.zeros((n_bins, n_frac))
    if len(sites.bin):
        for j in range(n_frac):
            out[:, j] = np.bincount(sites.bin, weights=sites.ll[:, j], minlength=n_bins)
    return out


def baf_boundaries(
    emission: np.ndarray, contig_lengths: np.ndarray, *, transition_prob: float
) -> np.ndarray:
    """Segment starts where the minor-allele fraction changes (Viterbi over fractions).

    States are the distinct minor fractions; every change costs the same
    (``transition_prob``), as in the depth HMM. Bins without allele reads carry no
    evidence and follow their neighbours.
    """
    from ctcgenomics.cnv._segment import viterbi_uniform_jumps

    if not emission.any():
        return np.zeros(0, dtype=np.int64)
    states = viterbi_uniform_jumps(emission, np.asarray(contig_lengths), transition_prob)
    change = np.flatnonzero(states[1:] != states[:-1]) + 1
    contig_starts = np.cumsum(np.asarray(contig_lengths))[:-1]
    return np.setdiff1d(change, contig_starts)


def minor_fraction_profile(
    counts: AlleleCounts,
    cell: int,
    bin_map: np.ndarray,
    n_bins: int,
    contig_starts: np.ndarray,
    *,
    window: int = 20,
) -> np.ndarray:
    """Smoothed minor-allele fraction of one cell over bins (0.5 where there are no reads).

    Per bin, ``min(a, b)`` and ``a + b`` summed over the bin's sites (the minor count
    of a site is read as it comes: orientation is unknown), then summed over a running
    window of ``window`` bins within contigs, then divided. Shallow bins read high (the
    minimum of two counts is biased up), the same in every cell, so profiles of
    different cells compare; amplification waves of depth do not touch it, which makes
    it a clean feature for grouping cells.
    """
    sub = counts.of_cells(np.array([cell]))
    b = bin_map[sub.bin] if len(sub) else np.zeros(0, dtype=np.int64)
    keep = b >= 0
    minor = np.bincount(b[keep], weights=np.minimum(sub.a, sub.b)[keep], minlength=n_bins)
    total = np.bincount(b[keep], weights=(sub.a + sub.b)[keep], minlength=n_bins)
    out = np.full(n_bins, 0.5)
    bounds = [*np.asarray(contig_starts, dtype=int).tolist(), n_bins]
    half = window // 2
    for lo, hi in itertools.pairwise(bounds):
        idx = np.arange(hi - lo)
        a, b = np.maximum(idx - half, 0), np.minimum(idx + half + 1, hi - lo)
        cm = np.r_[0.0, np.cumsum(minor[lo:hi])]
        ct = np.r_[0.0, np.cumsum(total[lo:hi])]
        m, t = cm[b] - cm[a], ct[b] - ct[a]
        out[lo:hi] = np.divide(m, t, out=np.full(hi - lo, 0.5), where=t > 0)
    return out


def allelic_difference(
    first: AlleleCounts,
    second: AlleleCounts,
    *,
    rho: float,
    n_first: int,
    n_second: int,
    n_bins: int,
    bin_map: np.ndarray,
    window: int = 20,
    inflation: float = 1.0,
    return_ratio: bool = False,
    return_effect: bool = False,
) -> float:
    """Largest windowed chi-square of B-allele fraction differences between two clones.

    ``first`` and ``second`` are the pooled counts of two groups of cells (``n_first``,
    ``n_second`` cells). Per site present in both, the oriented fractions are compared
    (a site is read the same way in every cell), with a variance of ``p (1 - p)`` times
    ``1 / n + rho / cells`` per group (sampling plus the cells' amplification imbalance,
    which averages over cells); z squared is summed over the sites of ``window``
    consecutive bins. Returns the largest window's statistic divided by its degrees of
    freedom minus one, in standard-normal units (Wilson-Hilferty), so it compares across
    windows with different site counts; -inf without shared sites. ``inflation``
    divides the chi-squares (allelic noise the model misses, measured on two halves of
    one clone); ``return_ratio`` returns the median chi-square per degree of freedom
    instead (to measure it).
    """
    a = pd.DataFrame({"site": first.site, "bin": first.bin, "a1": first.a, "b1": first.b})
    b = pd.DataFrame({"site": second.site, "a2": second.a, "b2": second.b})
    m = a.merge(b, on="site")
    m = m[(m["a1"] + m["b1"] > 0) & (m["a2"] + m["b2"] > 0)]
    if m.empty:
        return float("-inf")
    n1 = (m["a1"] + m["b1"]).to_numpy(float)
    n2 = (m["a2"] + m["b2"]).to_numpy(float)
    p1 = m["b1"].to_numpy(float) / n1
    p2 = m["b2"].to_numpy(float) / n2
    p = (m["b1"].to_numpy(float) + m["b2"].to_numpy(float)) / (n1 + n2)
    var = np.maximum(p * (1 - p), 0.01) * (1 / n1 + 1 / n2 + rho / n_first + rho / n_second)
    z2 = (p1 - p2) ** 2 / var
    used_bin = bin_map[m["bin"].to_numpy()]
    keep = used_bin >= 0
    w = used_bin[keep] // window
    chi = np.bincount(w, weights=z2[keep], minlength=n_bins // window + 1)
    dof = np.bincount(w, minlength=n_bins // window + 1)
    ok = dof > 0
    if not ok.any():
        return float("-inf")
    # Wilson-Hilferty: chi2/k to a standard normal.
    k = dof[ok].astype(float)
    if return_ratio:
        return float(np.median(chi[ok] / k))
    if return_effect:
        # Read-weighted mean absolute difference of fractions per window.
        wts = (n1 * n2 / (n1 + n2))[keep]
        num = np.bincount(w, weights=(np.abs(p1 - p2)[keep] * wts), minlength=len(chi))
        den = np.bincount(w, weights=wts, minlength=len(chi))
        eff = np.divide(num, den, out=np.zeros(len(chi)), where=den > 0)
        sig = np.zeros(len(chi), dtype=bool)
        sig[np.flatnonzero(ok)] = (
            ((chi[ok] / inflation / k) ** (1 / 3) - (1 - 2 / (9 * k))) / np.sqrt(2 / (9 * k))
        ) > 5
        return float(eff[sig].max()) if sig.any() else 0.0
    zs = ((chi[ok] / inflation / k) ** (1 / 3) - (1 - 2 / (9 * k))) / np.sqrt(2 / (9 * k))
    return float(zs.max())
