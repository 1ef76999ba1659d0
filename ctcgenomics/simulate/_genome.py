"""Genomes of the simulated cells: allele-specific copy number, variants, dropout.

Coordinates here are *global*: positions in the concatenation of all contigs
(``Reference.offsets[contig] + local position``), which lets every per-cell step run
as one vectorised numpy operation over the whole genome.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ctcgenomics.simulate._reference import Reference
from ctcgenomics.simulate._spec import CellSpec, SimulationSpec, VariantSpec

ORIGINS = ("germline", "somatic", "amplification_error")
_BASES = np.frombuffer(b"ACGT", np.uint8)


def stream(seed: int, *key: str | int) -> np.random.Generator:
    """Return a random generator seeded from ``seed`` and a key (cell ID, purpose).

    Keys are hashed (SHA-256, stable across Python runs, unlike ``hash``) so each cell
    has its own stream: simulating a cell alone gives the same output as in a cohort.
    """
    words = [seed]
    for k in key:
        digest = hashlib.sha256(str(k).encode()).digest()
        words.append(int.from_bytes(digest[:8], "little"))
    return np.random.default_rng(np.random.SeedSequence(words))


@dataclass
class Karyotype:
    """Piecewise-constant allele-specific copy number of one clone.

    Attributes
    ----------
    bounds
        Global breakpoints, sorted, from 0 to the genome length; includes contig ends.
    cn
        ``(2, len(bounds) - 1)`` integer copy numbers of haplotypes a and b.
    somatic
        Somatic variants of the clone and the number of copies carrying each.
    """

    bounds: np.ndarray
    cn: np.ndarray
    somatic: dict[VariantSpec, int]

    def at(self, gpos: np.ndarray) -> np.ndarray:
        """Copy numbers ``(2, n)`` at global positions ``gpos``."""
        idx = np.searchsorted(self.bounds, gpos, side="right") - 1
        return self.cn[:, idx]

    def overlay(self, start: int, end: int, cn_a: int, cn_b: int) -> None:
        """Set the copy number over ``[start, end)`` (global)."""
        pts = np.unique(np.concatenate([self.bounds, [start, end]]))
        idx = np.searchsorted(self.bounds, pts[:-1], side="right") - 1
        cn = self.cn[:, idx].copy()
        inside = (pts[:-1] >= start) & (pts[1:] <= end)
        cn[0, inside], cn[1, inside] = cn_a, cn_b
        self.bounds, self.cn = pts, cn


def clone_karyotypes(spec: SimulationSpec, ref: Reference) -> dict[str, Karyotype]:
    """Resolve every clone's copy number and somatic variants through its ancestry.

    A clone starts from its parent (or diploid 1/1); whole-genome doubling doubles the
    inherited copy numbers and the copies carrying inherited variants; then the clone's
    own segments (absolute copy numbers, later ones win) and variants are applied.
    """
    bounds = np.concatenate([ref.offsets, [ref.total_length]]).astype(np.int64)
    out: dict[str, Karyotype] = {}

    def build(name: str) -> Karyotype:
        if name in out:
            return out[name]
        clone = spec.clones[name]
        if clone.parent is None:
            k = Karyotype(bounds.copy(), np.ones((2, len(bounds) - 1), np.int64), {})
        else:
            p = build(clone.parent)
            k = Karyotype(p.bounds.copy(), p.cn.copy(), dict(p.somatic))
        if clone.whole_genome_doubling:
            k.cn = k.cn * 2
            k.somatic = {v: 2 * c for v, c in k.somatic.items()}
        for s in clone.segments:
            off = int(ref.offsets[ref.contig_index(s.chrom)])
            k.overlay(off + s.start, off + s.end, s.cn_a, s.cn_b)
        for v in clone.variants:
            k.somatic[v] = v.copies
        out[name] = k
        return k

    for name in spec.clones:
        build(name)
    return out


def _frame(rows: list[dict]) -> pd.DataFrame:
    cols = ["gpos", "chrom", "pos", "ref", "alt", "origin", "name", "allele"]
    return pd.DataFrame(rows, columns=cols).astype({"gpos": np.int64, "pos": np.int64})


def variant_catalogue(spec: SimulationSpec, ref: Reference) -> pd.DataFrame:
    """Germline SNPs (explicit and random) and all somatic variants of the spec.

    Random germline SNPs are drawn from the spec seed alone, so every cell of the spec
    (one individual) shares them, whichever cells are simulated. They avoid N bases and
    the positions of explicit variants.

    Returns
    -------
    pandas.DataFrame
        One row per variant, sorted by global position: ``gpos`` (global 0-based),
        ``chrom``, ``pos`` (1-based), ``ref``, ``alt``, ``origin``, ``name``, ``allele``
        (0 = haplotype a, 1 = b).
    """
    rows: list[dict] = []
    somatic: dict[VariantSpec, None] = {}
    for clone in spec.clones.values():
        somatic.update(dict.fromkeys(clone.variants))
    somatic.update(dict.fromkeys(spec.variants))
    for v in somatic:
        rows.append(_row(ref, v, "somatic", 0 if v.allele == "a" else 1))
    rng = stream(spec.seed, "germline")
    for v in spec.germline.snps:
        allele = {"a": 0, "b": 1}.get(v.allele) if v.allele else int(rng.integers(2))
        rows.append(_row(ref, v, "germline", allele))
    taken = np.array(sorted({r["gpos"] + d for r in rows for d in range(-1, len(r["ref"]) + 1)}))
    n = spec.germline.n_het_snps
    if n is None:
        n = int(rng.binomial(ref.total_length, spec.germline.het_snp_rate))
    if n:
        gpos = np.unique(rng.integers(0, ref.total_length, size=int(n * 1.2) + 10))
        gpos = gpos[(ref.seq[gpos] != ord("N")) & ~np.isin(gpos, taken)]
        gpos = np.sort(rng.permutation(gpos)[:n])
        refb = ref.seq[gpos]
        alt = _other_base(refb, rng)
        allele = rng.integers(0, 2, size=len(gpos))
        rows.extend(_snv_rows(ref, gpos, refb, alt, allele, origin="germline"))
    return _frame(rows).sort_values(["gpos", "alt"], kind="stable").reset_index(drop=True)


def _snv_rows(
    ref: Reference,
    gpos: np.ndarray,
    refb: np.ndarray,
    alt: np.ndarray,
    allele: np.ndarray,
    *,
    origin: str,
    name_prefix: str = "",
) -> list[dict]:
    """Catalogue rows of random SNVs at global positions ``gpos`` (bases as bytes)."""
    contig = np.searchsorted(ref.offsets, gpos, side="right") - 1
    rows = []
    for g, c, r, a, h in zip(gpos, contig, refb, alt, allele, strict=True):
        chrom, pos = ref.contigs[c], int(g - ref.offsets[c]) + 1
        rows.append(
            dict(
                gpos=int(g),
                chrom=chrom,
                pos=pos,
                ref=chr(r),
                alt=chr(a),
                origin=origin,
                name=f"{name_prefix}{chrom}:{pos}",
                allele=int(h),
            )
        )
    return rows


def _row(ref: Reference, v: VariantSpec, origin: str, allele: int) -> dict:
    off = int(ref.offsets[ref.contig_index(v.chrom)])
    return dict(
        gpos=off + v.pos - 1,
        chrom=v.chrom,
        pos=v.pos,
        ref=v.ref,
        alt=v.alt,
        origin=origin,
        name=v.name,
        allele=allele,
    )


def _other_base(refb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw a random base different from each reference base (ACGT)."""
    idx = np.searchsorted(_BASES, refb)  # refb is ACGT here
    return _BASES[(idx + rng.integers(1, 4, size=len(refb))) % 4]


@dataclass
class CellGenome:
    """What one cell's reads are drawn from.

    Attributes
    ----------
    cell
        The cell's spec.
    karyotype
        Copy number of the cell's clone.
    variants
        Variants carried by the cell (germline, its somatic variants, its amplification
        errors), sorted by ``gpos``; columns of :func:`variant_catalogue` plus
        ``carriers`` (copies of ``allele`` carrying it; for amplification errors 0),
        ``af`` (amplification errors: fraction of fragments carrying it) and ``phi``
        (a per-variant offset used to draw amplification errors per fragment).
    dropout
        Per haplotype, merged ``(starts, ends)`` global windows yielding no reads.
    amp_errors
        The cell's amplification errors (rows like :func:`variant_catalogue`, plus ``af``).
    """

    cell: CellSpec
    karyotype: Karyotype
    variants: pd.DataFrame
    dropout: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    amp_errors: pd.DataFrame


def _carriers(
    catalogue: pd.DataFrame, karyo: Karyotype, cell: CellSpec, cell_somatic: dict
) -> np.ndarray:
    """Count the copies of each variant's haplotype that carry it in this cell."""
    cn = karyo.at(catalogue["gpos"].to_numpy())
    allele = catalogue["allele"].to_numpy().astype(int)
    own = cn[allele, np.arange(len(catalogue))]
    carriers = np.zeros(len(catalogue), np.int64)
    germ = (catalogue["origin"] == "germline").to_numpy()
    carriers[germ] = own[germ]
    keys = list(zip(catalogue["gpos"], catalogue["ref"], catalogue["alt"], strict=True))
    for i, key in enumerate(keys):
        if key in cell_somatic:
            carriers[i] = min(cell_somatic[key], own[i])
    return carriers


def build_cell_genome(
    spec: SimulationSpec,
    ref: Reference,
    cell: CellSpec,
    karyotypes: dict[str, Karyotype],
    catalogue: pd.DataFrame,
) -> CellGenome:
    """Assemble a cell's genome: clone copy number, variants, dropout windows, amp errors.

    Randomness comes from streams keyed by (spec seed, cell ID), so the result does not
    depend on which other cells are simulated.
    """
    karyo = karyotypes[cell.clone]
    cell_somatic: dict[tuple, int] = {}
    for v, copies in karyo.somatic.items():
        cell_somatic[(_gpos(ref, v), v.ref, v.alt)] = copies
    for v in spec.variants:
        if cell.id in (v.cells or ()):
            cell_somatic[(_gpos(ref, v), v.ref, v.alt)] = v.copies
    cat = catalogue.copy()
    cat["carriers"] = _carriers(cat, karyo, cell, cell_somatic)
    cat = cat[(cat["origin"] == "germline") | (cat["carriers"] > 0)].reset_index(drop=True)

    dropout = _dropout_windows(spec, ref, cell, karyo, cat)
    amp = _amplification_errors(spec, ref, cell, catalogue, karyo)
    allv = pd.concat([cat.assign(af=0.0), amp.assign(carriers=0)], ignore_index=True).sort_values(
        "gpos", kind="stable"
    )
    allv = allv[allv["carriers"].gt(0) | allv["origin"].eq("amplification_error")]
    allv = allv.reset_index(drop=True)
    allv["phi"] = stream(spec.seed, cell.id, "amp_phase").random(len(allv))
    return CellGenome(cell, karyo, allv, dropout, amp)


def _gpos(ref: Reference, v: VariantSpec) -> int:
    return int(ref.offsets[ref.contig_index(v.chrom)]) + v.pos - 1


def _dropout_windows(
    spec: SimulationSpec, ref: Reference, cell: CellSpec, karyo: Karyotype, cat: pd.DataFrame
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Draw the cell's allelic dropout: per haplotype, windows that yield no reads.

    Constant rate (``dropout_rate`` a number): at every locus heterozygous in the cell
    (both haplotypes present, alt on some but not all copies), with probability
    ``dropout_rate`` a random haplotype yields no reads in ``dropout_window`` bp centred
    on it (windows of nearby loci can overlap, so dense loci drop more often).

    Varying rate (``dropout_rate`` a ``[low, high]`` range): dropout is regional, as in
    MDA. Each haplotype loses segments of mean length ``dropout_window`` (exponential)
    starting as an inhomogeneous Poisson process, with intensity set so that a fraction
    ``q(x) = 1 - sqrt(1 - d(x))`` of each haplotype is lost around ``x``; a heterozygous
    locus then loses one allele with probability ``d(x)`` (:func:`dropout_rate_at`),
    whatever the density of loci, and nearby loci share their dropout.
    """
    if cell.dropout_range is not None:
        return _regional_dropout(spec, ref, cell)
    rng = stream(spec.seed, cell.id, "dropout")
    gpos = cat["gpos"].to_numpy()
    cn = karyo.at(gpos)
    alt = cat["carriers"].to_numpy()
    het = (cn[0] > 0) & (cn[1] > 0) & (alt > 0) & (alt < cn.sum(axis=0))
    u = rng.random(len(gpos))
    hap = rng.integers(0, 2, size=len(gpos))
    drop = het & (u < cell.dropout_rate)
    w = spec.dropout_window
    contig = np.searchsorted(ref.offsets, gpos, side="right") - 1
    lo = np.maximum(gpos - w // 2, ref.offsets[contig])
    hi = np.minimum(gpos - w // 2 + w, ref.offsets[contig] + ref.lengths[contig])
    out = []
    for h in (0, 1):
        sel = drop & (hap == h)
        out.append(merge_intervals(lo[sel], hi[sel]))
    return out[0], out[1]


def _regional_dropout(
    spec: SimulationSpec, ref: Reference, cell: CellSpec
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Lost segments per haplotype for a dropout rate varying along the genome."""
    w = float(spec.dropout_window)
    total = int(ref.total_length)
    out = []
    for h in (0, 1):
        rng = stream(spec.seed, cell.id, "dropout_regions", h)
        # Union of Poisson-placed segments of mean length w with start intensity lam
        # covers 1 - exp(-lam * w) of the genome: lam = -log(1 - q) / w.
        q_max = 1 - np.sqrt(1 - max(cell.dropout_range))
        lam_max = -np.log1p(-q_max) / w
        starts = np.sort(rng.integers(0, total, size=rng.poisson(lam_max * total)))
        d = dropout_rate_at(spec, ref, cell, starts)
        lam = -np.log(np.sqrt(1 - d)) / w
        keep = rng.random(len(starts)) < lam / lam_max
        lengths = rng.exponential(w, size=len(starts))
        starts = starts[keep]
        ends = np.minimum(starts + np.maximum(lengths[keep], 1).astype(np.int64), total)
        out.append(merge_intervals(starts, ends))
    return out[0], out[1]


def dropout_rate_at(
    spec: SimulationSpec, ref: Reference, cell: CellSpec, gpos: np.ndarray
) -> np.ndarray:
    """Return the cell's dropout rate (per heterozygous locus) at global positions ``gpos``.

    Constant (``cell.dropout_rate``) unless the cell has a ``dropout_range`` ``(low,
    high)``: then the rate is ``low + (high - low) * Phi(z(x))`` where ``z`` is a smooth
    standard-normal field along the genome (white noise on knots every
    ``dropout_length / 4`` bp, smoothed with a Gaussian kernel of SD ``dropout_length /
    2`` and interpolated), so the rate is uniform between ``low`` and ``high`` over the
    genome and similar within ``dropout_length`` bp, as MDA dropout is regional. The
    field has its own random stream, so a constant-rate cell draws exactly as before.
    """
    gpos = np.asarray(gpos)
    if cell.dropout_range is None:
        return np.full(len(gpos), cell.dropout_rate)
    from scipy.ndimage import gaussian_filter1d
    from scipy.special import ndtr

    low, high = cell.dropout_range
    step = max(spec.dropout_length // 4, 1)
    n_knots = int(ref.total_length // step) + 2
    sigma = 2.0  # knots: kernel SD = dropout_length / 2
    pad = int(4 * sigma) + 1
    noise = stream(spec.seed, cell.id, "dropout_field").standard_normal(n_knots + 2 * pad)
    # White noise smoothed by a Gaussian kernel has variance sum(w**2); rescale to SD 1.
    kernel = np.exp(-0.5 * (np.arange(-pad, pad + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    z = gaussian_filter1d(noise, sigma, mode="wrap")[pad:-pad] / np.sqrt((kernel**2).sum())
    zx = np.interp(gpos / step, np.arange(n_knots), z)
    return low + (high - low) * ndtr(zx)


def merge_intervals(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge overlapping half-open intervals; returns sorted disjoint ``(starts, ends)``."""
    if len(starts) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(starts, kind="stable")
    s, e = np.asarray(starts)[order], np.asarray(ends)[order]
    run_end = np.maximum.accumulate(e)
    new = np.concatenate([[True], s[1:] > run_end[:-1]])
    idx = np.flatnonzero(new)
    return s[idx].astype(np.int64), np.maximum.reduceat(run_end, idx).astype(np.int64)


def overlaps(starts: np.ndarray, ends: np.ndarray, iv: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Whether each ``[start, end)`` overlaps any of the merged intervals ``iv``."""
    ivs, ive = iv
    if len(ivs) == 0:
        return np.zeros(len(starts), bool)
    k = np.searchsorted(ive, starts, side="right")  # first interval ending after start
    k_ok = k < len(ivs)
    res = np.zeros(len(starts), bool)
    res[k_ok] = ivs[k[k_ok]] < ends[k_ok]
    return res


def _amplification_errors(
    spec: SimulationSpec,
    ref: Reference,
    cell: CellSpec,
    catalogue: pd.DataFrame,
    karyo: Karyotype,
) -> pd.DataFrame:
    """Cell-private false variants at ``error_rate`` per bp with a low allele fraction.

    They are placed where the cell's reads fall (the padded targets in panel mode, the
    whole genome otherwise, where the cell has DNA), away from true variants.
    """
    rng = stream(spec.seed, cell.id, "amp_errors")
    amp = cell.amplification
    if cell.panel:
        starts, ends = target_intervals(spec, ref, padding=spec.target_padding)
    else:
        starts, ends = ref.offsets.copy(), ref.offsets + ref.lengths
    lengths = ends - starts
    n = int(rng.poisson(amp.error_rate * lengths.sum())) if amp.error_rate > 0 else 0
    if n == 0:
        return _frame([]).assign(af=pd.Series(dtype=float))
    cum = np.cumsum(lengths)
    x = rng.integers(0, cum[-1], size=n)
    k = np.searchsorted(cum, x, side="right")
    gpos = np.unique(starts[k] + (x - (cum[k] - lengths[k])))
    taken = catalogue["gpos"].to_numpy()
    has_dna = karyo.at(gpos).sum(axis=0) > 0
    gpos = gpos[(ref.seq[gpos] != ord("N")) & ~np.isin(gpos, taken) & has_dna]
    refb = ref.seq[gpos]
    alt = _other_base(refb, rng)
    af = rng.uniform(amp.error_af[0], amp.error_af[1], size=len(gpos))
    rows = _snv_rows(
        ref,
        gpos,
        refb,
        alt,
        np.full(len(gpos), -1),
        origin="amplification_error",
        name_prefix=f"{cell.id}_amp_",
    )
    return _frame(rows).assign(af=af)


def target_intervals(
    spec: SimulationSpec, ref: Reference, *, padding: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return the spec's targets as merged global ``(starts, ends)``, padded and clipped."""
    rows = np.array(
        [
            (
                int(ref.offsets[ref.contig_index(c)]),
                int(ref.lengths[ref.contig_index(c)]),
                s,
                e,
            )
            for c, s, e in spec.target_regions
        ],
        dtype=np.int64,
    ).reshape(-1, 4)
    off, length, s, e = rows.T
    return merge_intervals(off + np.maximum(s - padding, 0), off + np.minimum(e + padding, length))


def cell_truth(genome: CellGenome, table: pd.DataFrame) -> pd.DataFrame:
    """Compute one cell's true genotype, dropout flag and expected alt fraction per row.

    Parameters
    ----------
    genome
        The cell's genome.
    table
        Variant rows (``gpos``, ``ref``, ``alt``, ``origin``, ``allele``).

    Returns
    -------
    pandas.DataFrame
        Columns ``GT`` (``0/0``, ``0/1``, ``1/1`` or ``./.`` where the cell has no copy),
        ``DO`` (1 if a present haplotype is inside a dropout window) and ``EAF``
        (expected alt fraction of the cell's reads; NaN without copies).
    """
    gpos = table["gpos"].to_numpy()
    cn = genome.karyotype.at(gpos)
    mine = genome.variants
    key = pd.MultiIndex.from_frame(table[["gpos", "ref", "alt"]])
    mkey = pd.MultiIndex.from_frame(mine[["gpos", "ref", "alt"]])
    pos_in_mine = mkey.get_indexer(key)
    # Look up with a safe index: a cell may carry none of the table's variants.
    found = pos_in_mine >= 0
    carriers = np.zeros(len(table), dtype=int)
    carriers[found] = mine["carriers"].to_numpy()[pos_in_mine[found]]
    allele = table["allele"].to_numpy().astype(int)
    alt_cn = np.zeros_like(cn)
    has = allele >= 0
    alt_cn[allele[has], np.flatnonzero(has)] = carriers[has]
    masked = np.stack([overlaps(gpos, gpos + 1, genome.dropout[h]) for h in (0, 1)])
    present = cn > 0
    do = (masked & present).any(axis=0)
    seen_cn = np.where(masked, 0, cn).sum(axis=0)
    seen_alt = np.where(masked, 0, alt_cn).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        eaf = np.where(seen_cn > 0, seen_alt / np.maximum(seen_cn, 1), np.nan)
    total, alt_total = cn.sum(axis=0), alt_cn.sum(axis=0)
    gt = np.where(
        total == 0,
        "./.",
        np.where(alt_total == 0, "0/0", np.where(alt_total == total, "1/1", "0/1")),
    )
    # Amplification errors: the cell's own show up at their allele fraction.
    amp = genome.amp_errors
    if len(amp):
        akey = pd.MultiIndex.from_frame(amp[["gpos", "ref", "alt"]])
        j = akey.get_indexer(key)
        eaf = np.where((j >= 0) & (seen_cn > 0), amp["af"].to_numpy()[j], eaf)
    return pd.DataFrame({"GT": gt, "DO": do.astype(int), "EAF": eaf}, index=table.index)
