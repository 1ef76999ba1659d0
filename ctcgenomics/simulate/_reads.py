"""Fragment sampling and paired-end read synthesis for one cell (vectorised numpy)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ctcgenomics.simulate._genome import CellGenome, overlaps, target_intervals
from ctcgenomics.simulate._reference import Reference
from ctcgenomics.simulate._spec import SimulationSpec

log = logging.getLogger(__name__)

_COMP = np.arange(256, dtype=np.uint8)
for _a, _b in zip(b"ACGTN", b"TGCAN", strict=True):
    _COMP[_a] = _b
_BASE_INDEX = np.full(256, 4, dtype=np.int8)
for _i, _b in enumerate(b"ACGT"):
    _BASE_INDEX[_b] = _i
_BASES = np.frombuffer(b"ACGT", np.uint8)


@dataclass
class CellReads:
    """Simulated read pairs of one cell, in output order, with their origin.

    The origin arrays are for tests and debugging; they are never written to the
    FASTQ (read names carry only the cell and a serial number).

    Attributes
    ----------
    r1, r2
        ``(n, read_length)`` ASCII bases of read 1 and read 2.
    quality
        The per-base quality character (constant, Phred of the sequencing error rate).
    start, end
        Global fragment coordinates ``[start, end)``.
    haplotype, copy
        Haplotype (0 = a, 1 = b) and copy index the fragment was drawn from.
    reverse
        True where read 1 is the reverse-strand read (R1 starts at ``end``).
    duplicate
        True for the second emission of a PCR-duplicated fragment.
    """

    r1: np.ndarray
    r2: np.ndarray
    quality: str
    start: np.ndarray
    end: np.ndarray
    haplotype: np.ndarray
    copy: np.ndarray
    reverse: np.ndarray
    duplicate: np.ndarray

    def __len__(self) -> int:
        return len(self.start)


def bias_field(
    ref: Reference, bin_size: int, sd: float, length: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Smooth Gaussian log-coverage field per contig at ``bin_size`` resolution.

    White noise on a coarse grid (``length / 8``) is smoothed with a Gaussian kernel of
    SD ``length`` and rescaled to SD ``sd`` (using the variance of filtered white noise,
    ``1 / (2 sqrt(pi) sigma)``, so short contigs keep the intended spread), then
    interpolated to the bins. The coarse grid keeps this cheap on whole genomes.
    """
    out = []
    step = max(bin_size, length // 8)
    sigma = length / step
    for n in ref.lengths:
        n_bins = math.ceil(n / bin_size)
        n_coarse = math.ceil(n / step) + 2
        noise = rng.standard_normal(n_coarse)
        if sd == 0:
            out.append(np.zeros(n_bins))
            continue
        smooth = gaussian_filter1d(noise, sigma, mode="reflect")
        smooth *= sd * math.sqrt(2 * math.sqrt(math.pi) * sigma)
        centres = (np.arange(n_bins) + 0.5) * bin_size
        out.append(np.interp(centres, np.arange(n_coarse) * step, smooth))
    return out


class _Sampler:
    """Draws fragments with density copy number x amplification bias, honouring dropout."""

    def __init__(self, spec: SimulationSpec, ref: Reference, genome: CellGenome) -> None:
        cell, amp = genome.cell, genome.cell.amplification
        self.spec, self.ref, self.genome = spec, ref, genome
        rng = _rng(spec, cell.id, "bias")
        bin_size = amp.cluster_length
        field = bias_field(ref, bin_size, amp.bias_sd, amp.bias_length, rng)
        self.max_insert = int(spec.insert_mean + 6 * spec.insert_sd) + spec.read_length
        self.targets = None
        eligible_pts: list[np.ndarray] = []
        if cell.panel:
            self.targets = target_intervals(spec, ref, padding=spec.target_padding)
            ts, te = self.targets
            # Fragment starts that can reach a padded target.
            self.eligible = (np.maximum(ts - self.max_insert, 0), te)
            eligible_pts = [self.eligible[0], self.eligible[1]]
        pieces_s, pieces_bin, pieces_block = [], [], []
        kb = genome.karyotype.bounds
        bin_offset = block_offset = 0
        block_len = amp.block_length
        for c, n in enumerate(ref.lengths):
            off = int(ref.offsets[c])
            grid = off + np.arange(0, n, bin_size)
            extra = [
                kb[(kb > off) & (kb < off + n)],
                *(p[(p > off) & (p < off + n)] for p in eligible_pts),
            ]
            if amp.block_sd > 0:
                extra.append(off + np.arange(0, n, block_len))
            pts = np.unique(np.concatenate([grid, *extra]))
            pieces_s.append(pts)
            pieces_bin.append(bin_offset + (pts - off) // bin_size)
            pieces_block.append(block_offset + (pts - off) // block_len)
            bin_offset += len(field[c])
            block_offset += math.ceil(n / block_len)
        self.istart = np.concatenate(pieces_s)
        self.iend = np.concatenate([self.istart[1:], [ref.total_length]])
        ibin = np.concatenate(pieces_bin)
        bias = np.exp(np.concatenate(field))[ibin]
        if amp.block_sd > 0:
            # Locus-to-locus amplification efficiency, shared by both haplotypes; its own
            # stream, so switching it on leaves the other draws of the cell unchanged.
            z = _rng(spec, cell.id, "blocks").standard_normal(block_offset)
            block = np.exp(amp.block_sd * z - amp.block_sd**2 / 2)
            bias = bias * block[np.concatenate(pieces_block)]
        cn = genome.karyotype.at(self.istart).astype(float)
        grng = _rng(spec, cell.id, "overdispersion")
        if amp.dispersion > 0:
            k = 1.0 / amp.dispersion
            gamma = grng.gamma(k, 1.0 / k, size=(2, bin_offset))[:, ibin]
        else:
            gamma = np.ones((2, len(ibin)))
        w = (self.iend - self.istart) * cn * bias * gamma
        if cell.panel:
            w[:, ~overlaps(self.istart, self.iend, self.eligible)] = 0.0
        self.cn = cn.astype(np.int64)
        self.cum = np.cumsum(w.ravel())
        if self.cum[-1] <= 0:
            raise ValueError(
                f"cell {cell.id}: no DNA to sample reads from (copy number 0 everywhere "
                "reads could fall); check the clone's segments and the targets"
            )
        self.n_int = len(self.istart)
        self.contig_end = np.concatenate([ref.offsets + ref.lengths])
        self.rng = _rng(spec, cell.id, "fragments")

    def draw(self, m: int) -> dict[str, np.ndarray]:
        """Draw up to ``m`` fragments (fewer survive the rejection steps)."""
        rng, spec, rl = self.rng, self.spec, self.spec.read_length
        k = np.searchsorted(self.cum, rng.random(m) * self.cum[-1], side="right")
        k = np.minimum(k, len(self.cum) - 1)
        hap, i = k // self.n_int, k % self.n_int
        start = self.istart[i] + np.floor(rng.random(m) * (self.iend[i] - self.istart[i])).astype(
            np.int64
        )
        length = np.rint(rng.normal(spec.insert_mean, spec.insert_sd, m)).astype(np.int64)
        short = length < rl
        while short.any():  # truncated normal: redraw what falls below the read length
            length[short] = np.rint(rng.normal(spec.insert_mean, spec.insert_sd, short.sum()))
            short = length < rl
        u_copy, u_amp, reverse = rng.random(m), rng.random(m), rng.random(m) < 0.5
        end = start + length
        contig = np.searchsorted(self.ref.offsets, start, side="right") - 1
        keep = end <= self.contig_end[contig]
        for h in (0, 1):
            sel = hap == h
            keep[sel] &= ~overlaps(start[sel], end[sel], self.genome.dropout[h])
        if self.targets is not None:
            keep &= overlaps(start, end, self.targets)
        cn = self.cn[hap, i]
        copy = np.minimum((u_copy * cn).astype(np.int64), np.maximum(cn - 1, 0))
        out = dict(start=start, end=end, haplotype=hap, copy=copy, u_amp=u_amp, reverse=reverse)
        return {key: val[keep] for key, val in out.items()}


def _rng(spec: SimulationSpec, cell_id: str, purpose: str) -> np.random.Generator:
    from ctcgenomics.simulate._genome import stream

    return stream(spec.seed, cell_id, purpose)


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def sample_fragments(
    spec: SimulationSpec, ref: Reference, genome: CellGenome
) -> dict[str, np.ndarray]:
    """Draw the unique fragments of a cell, as many as its ``n_read_pairs`` or ``mean_depth`` needs.

    ``n_read_pairs`` counts all pairs written, duplicates included; ``mean_depth`` is
    the mean read depth of the unique pairs over the genome (``wgs``) or over the
    (unpadded) targets (``panel``/``exome``).
    """
    cell = genome.cell
    sampler = _Sampler(spec, ref, genome)
    rl = spec.read_length
    parts: list[dict[str, np.ndarray]] = []
    if cell.n_read_pairs is not None or not cell.panel:
        if cell.n_read_pairs is not None:
            need = round(cell.n_read_pairs * (1 - spec.duplicate_rate))
        else:
            need = math.ceil(cell.mean_depth * ref.total_length / (2 * rl))
        got = 0
        while got < need:
            part = sampler.draw(int((need - got) * 1.1) + 100)
            parts.append(part)
            got += len(part["start"])
        frags = _concat(parts)
        return {k: v[:need] for k, v in frags.items()}
    # Panel depth: draw until the read bases on targets reach mean_depth x target length.
    ts, te = target_intervals(spec, ref)
    cum_cov = np.concatenate([[0], np.cumsum(te - ts)])
    budget = cell.mean_depth * cum_cov[-1]

    def on_target(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _covered(a, b, ts, te, cum_cov)

    got_bases, batch = 0.0, 2000
    while got_bases < budget:
        part = sampler.draw(batch)
        bases = on_target(part["start"], part["start"] + rl) + on_target(
            part["end"] - rl, part["end"]
        )
        part["bases"] = bases
        parts.append(part)
        got_bases += bases.sum()
        batch = min(batch * 2, 200_000)
    frags = _concat(parts)
    n = int(np.searchsorted(np.cumsum(frags.pop("bases")), budget)) + 1
    return {k: v[:n] for k, v in frags.items()}


def _covered(
    a: np.ndarray, b: np.ndarray, ts: np.ndarray, te: np.ndarray, cum: np.ndarray
) -> np.ndarray:
    """Count the bases of ``[a, b)`` inside the merged intervals ``(ts, te)``."""

    def upto(x: np.ndarray) -> np.ndarray:  # target bases before x
        k = np.searchsorted(ts, x, side="right")  # intervals starting at or before x
        prev = np.maximum(k - 1, 0)
        inside = np.where(k > 0, np.clip(x - ts[prev], 0, te[prev] - ts[prev]), 0)
        return cum[np.maximum(k - 1, 0)] * (k > 0) + inside

    return upto(b) - upto(a)


def simulate_reads(spec: SimulationSpec, ref: Reference, genome: CellGenome) -> CellReads:
    """Simulate one cell's read pairs (see ``docs/simulator.md`` for the model).

    Parameters
    ----------
    spec
        The simulation spec.
    ref
        The reference genome.
    genome
        The cell's genome (:func:`~ctcgenomics.simulate._genome.build_cell_genome`).

    Returns
    -------
    CellReads
        Reads in output order with the origin of each pair.
    """
    cell, rl = genome.cell, spec.read_length
    frags = sample_fragments(spec, ref, genome)
    n_unique = len(frags["start"])
    rng = _rng(spec, cell.id, "reads")
    if cell.n_read_pairs is not None:
        n_dup = cell.n_read_pairs - n_unique
    else:
        n_dup = round(n_unique * spec.duplicate_rate / (1 - spec.duplicate_rate))
    n_dup = int(min(max(n_dup, 0), n_unique))
    dup_of = np.sort(rng.choice(n_unique, size=n_dup, replace=False))
    src = np.concatenate([np.arange(n_unique), dup_of])
    order = rng.permutation(len(src))
    src = src[order]
    duplicate = (np.arange(len(order)) >= n_unique)[order]
    f = {k: v[src] for k, v in frags.items()}

    fwd = _read_bases(ref, genome, f, f["start"], anchor_end=False, rl=rl)
    rev = _read_bases(ref, genome, f, f["end"] - rl, anchor_end=True, rl=rl)
    rev = _COMP[rev[:, ::-1]]
    rv = f["reverse"][:, None]
    r1, r2 = np.where(rv, rev, fwd), np.where(rv, fwd, rev)
    err = spec.sequencing_error_rate
    for mat in (r1, r2):
        _sequencing_errors(mat, err, rng)
    q = 41 if err <= 0 else min(41, max(2, round(-10 * math.log10(err))))
    log.debug("cell %s: %d unique pairs, %d duplicates", cell.id, n_unique, n_dup)
    return CellReads(
        r1=r1,
        r2=r2,
        quality=chr(33 + q),
        start=f["start"],
        end=f["end"],
        haplotype=f["haplotype"],
        copy=f["copy"],
        reverse=f["reverse"],
        duplicate=duplicate,
    )


def _applies(
    genome: CellGenome, f: dict[str, np.ndarray], fi: np.ndarray, vi: np.ndarray
) -> np.ndarray:
    """Whether variant ``vi`` is on the haplotype copy fragment ``fi`` comes from."""
    v = genome.variants
    allele = v["allele"].to_numpy()[vi]
    carriers = v["carriers"].to_numpy()[vi]
    af, phi = v["af"].to_numpy()[vi], v["phi"].to_numpy()[vi]
    # Amplification errors: a fragment carries one with probability af; the per-fragment
    # uniform shifted by a per-error phase keeps both mates (and duplicates) consistent.
    amp = ((f["u_amp"][fi] + phi) % 1.0) < af
    real = (allele == f["haplotype"][fi]) & (f["copy"][fi] < carriers)
    return np.where(allele < 0, amp, real)


def _read_bases(
    ref: Reference,
    genome: CellGenome,
    f: dict[str, np.ndarray],
    rs: np.ndarray,
    *,
    anchor_end: bool,
    rl: int,
) -> np.ndarray:
    """Bases of reads covering ``[rs, rs + rl)`` on each fragment's haplotype copy."""
    seq = ref.seq[rs[:, None] + np.arange(rl)]
    v = genome.variants
    if len(v) == 0:
        return seq
    gpos = v["gpos"].to_numpy()
    is_indel = (v["ref"].str.len() != 1).to_numpy() | (v["alt"].str.len() != 1).to_numpy()
    snv = np.flatnonzero(~is_indel)
    if len(snv):
        g = gpos[snv]
        lo, hi = np.searchsorted(g, rs), np.searchsorted(g, rs + rl)
        cnt = hi - lo
        fi = np.repeat(np.arange(len(rs)), cnt)
        vi = snv[lo[fi] + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))]
        ok = _applies(genome, f, fi, vi)
        alt = np.frombuffer("".join(v["alt"].to_numpy()[vi[ok]]).encode(), np.uint8)
        seq[fi[ok], gpos[vi[ok]] - rs[fi[ok]]] = alt
    indel = np.flatnonzero(is_indel)
    if len(indel):
        # Reads near an indel carried by their copy are rebuilt from the local haplotype;
        # indels are rare, so a per-read loop here costs little.
        span = int(max(v["ref"].str.len().max(), v["alt"].str.len().max()))
        g = gpos[indel]
        lo, hi = np.searchsorted(g, rs - span - 1), np.searchsorted(g, rs + rl + span + 1)
        cnt = hi - lo
        fi = np.repeat(np.arange(len(rs)), cnt)
        vi = indel[lo[fi] + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))]
        ok = _applies(genome, f, fi, vi)
        for r in np.unique(fi[ok]):
            seq[r] = _haplotype_read(ref, genome, f, int(r), int(rs[r]), anchor_end, rl, span)
    return seq


def _haplotype_read(
    ref: Reference,
    genome: CellGenome,
    f: dict[str, np.ndarray],
    r: int,
    rs: int,
    anchor_end: bool,
    rl: int,
    span: int,
) -> np.ndarray:
    """One read rebuilt from its haplotype copy with every applicable edit (slow path)."""
    contig = int(np.searchsorted(ref.offsets, rs, side="right") - 1)
    c0, c1 = int(ref.offsets[contig]), int(ref.offsets[contig] + ref.lengths[contig])
    margin = 2 * rl + 4 * span + 10
    ws, we = max(c0, rs - margin), min(c1, rs + rl + margin)
    v = genome.variants
    gpos = v["gpos"].to_numpy()
    idx = np.arange(np.searchsorted(gpos, ws), np.searchsorted(gpos, we))
    idx = idx[_applies(genome, f, np.full(len(idx), r), idx)]
    pieces: list[bytes] = []
    hmap = np.empty(we - ws + 1, np.int64)  # reference position -> haplotype index
    cur, hlen = ws, 0
    for i in idx:
        g, rallele, aallele = int(gpos[i]), v["ref"].iat[i], v["alt"].iat[i]
        if g < cur or g + len(rallele) > we:
            continue  # overlaps a previous edit, or runs past the window
        hmap[cur - ws : g - ws] = hlen + np.arange(g - cur)
        pieces.append(ref.seq[cur:g].tobytes())
        hlen += g - cur
        hmap[g - ws] = hlen
        hmap[g + 1 - ws : g + len(rallele) - ws] = hlen + len(aallele)
        pieces.append(aallele.encode())
        hlen += len(aallele)
        cur = g + len(rallele)
    hmap[cur - ws : we - ws + 1] = hlen + np.arange(we - cur + 1)
    pieces.append(ref.seq[cur:we].tobytes())
    hap = np.frombuffer(b"".join(pieces), np.uint8)
    if anchor_end:
        he = int(hmap[rs + rl - ws])
        out = hap[max(he - rl, 0) : he]
        return np.concatenate([np.full(rl - len(out), ord("N"), np.uint8), out])
    hs = int(hmap[rs - ws])
    out = hap[hs : hs + rl]
    return np.concatenate([out, np.full(rl - len(out), ord("N"), np.uint8)])


def _sequencing_errors(mat: np.ndarray, rate: float, rng: np.random.Generator) -> None:
    """Substitute bases in place at ``rate`` per base (uniformly to another base)."""
    if rate <= 0:
        return
    n = rng.binomial(mat.size, rate)
    flat = mat.reshape(-1)
    pos = rng.choice(mat.size, size=n, replace=False) if n else np.zeros(0, np.int64)
    idx = _BASE_INDEX[flat[pos]]
    ok = idx < 4  # leave N as N
    flat[pos[ok]] = _BASES[(idx[ok] + rng.integers(1, 4, size=ok.sum())) % 4]
