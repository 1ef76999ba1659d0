"""Fast count-level simulation: cells x bins read counts and allele counts with known truth.

The read simulator (:func:`ctcgenomics.simulate.simulate`) makes FASTQ files; sweeps over
hundreds of cells and many seeds need the counts only. This module draws per-bin read
counts from the same amplification model (the read simulator's ``Amplification`` parameters),
aggregated to bins analytically:

- smooth log-coverage waves (``bias_sd`` over ``bias_length`` bp);
- locus blocks (``block_sd`` per ``block_length`` bp, log-normal, shared by both
  haplotypes): blocks shorter than a bin are averaged (a log-normal of matched variance),
  longer ones span several bins;
- clusters (gamma, variance ``dispersion`` per ``cluster_length`` bp, per copy: each
  template copy amplifies on its own): the sum over a bin's clusters and a haplotype's
  copies is gamma again (exact), and the clusters make the allelic imbalance of the
  allele counts (per copy, so the expected allele fraction stays ``cn_b / cn``);
- a per-cell GC curve and a per-bin efficiency shared by every cell and the bulk normal
  (mappability-like, what a panel of normals or a matched normal divides out);
- Poisson sampling of reads.

Allele counts: each bin holds a fixed number of germline heterozygous SNPs; the reads over
them are split between the haplotypes in proportion to ``cn_a * g_a : cn_b * g_b`` per
cluster (binomial per cluster), and each bin's two counts are reported in a random
orientation (phase unknown between bins, as after per-bin phasing).

See ``docs/simulator.md`` (count level) for the model and its limits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter1d

from ctcgenomics.simulate._spec import WGA_DEFAULTS, Amplification

#: Pseudo-autosomal region 1 of hg38 (chrX:10,001-2,781,479; the same span on chrY, where
#: the GRCh38 analysis set masks it with N so its reads map to chrX).
PAR1 = (10_000, 2_781_479)


@dataclass
class CountSimulation:
    """Counts of simulated cells and their truth (see :func:`simulate_counts`).

    Attributes
    ----------
    counts
        Reads per bin, cells x bins (int64).
    bins
        ``chrom, start, end, gc, n_fraction`` (0-based half-open).
    cells
        Index = cell IDs; ``patient, draw, role, clone, sex, true_ploidy`` (autosomal
        bin-weighted mean copy number), ``reads_per_bin``.
    cn_a, cn_b
        Allele-specific copy number per cell and bin (truth).
    alleles
        Long table ``cell, chrom, start, end, a_count, b_count`` of reads at germline
        heterozygous SNPs per bin (bins without reads are left out), or ``None``.
    normal
        Reads per bin of a matched bulk normal (no amplification noise), or ``None``.
    events
        Planted events (``clone, kind, chrom, start_bin, end_bin, cn_a, cn_b``; bins are
        global indices, end exclusive), when made by :func:`random_patient`.
    genes
        Gene table (``chrom, start, end, gene``) of the planted events, when made by
        :func:`random_patient`.
    """

    counts: np.ndarray
    bins: pd.DataFrame
    cells: pd.DataFrame
    cn_a: np.ndarray
    cn_b: np.ndarray
    alleles: pd.DataFrame | None = None
    normal: np.ndarray | None = None
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    genes: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def truth(self) -> np.ndarray:
        """Total copy number per cell and bin."""
        return self.cn_a + self.cn_b


def genome_bins(
    contigs: Mapping[str, int],
    *,
    bin_size: int = 100_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Make a bin table for contigs of the given lengths, with a smooth GC track.

    GC follows isochore-like runs (an AR(1) process of about 5 bins around 0.42); the
    chrY pseudo-autosomal region, when a ``chrY`` is present, is N-masked (``n_fraction``
    1), as in the GRCh38 analysis set.

    Parameters
    ----------
    contigs
        Contig name -> length (bp), in genome order.
    bin_size
        Bin length; the last bin of a contig may be shorter.
    seed
        Seed of the GC track.

    Returns
    -------
    pandas.DataFrame
        ``chrom, start, end, gc, n_fraction``.
    """
    rng = np.random.default_rng([seed, 101])
    rows = []
    for chrom, length in contigs.items():
        starts = np.arange(0, int(length), bin_size)
        ends = np.minimum(starts + bin_size, int(length))
        rows.append(pd.DataFrame({"chrom": chrom, "start": starts, "end": ends}))
    bins = pd.concat(rows, ignore_index=True)
    n = len(bins)
    rho = math.exp(-1 / 5)
    ar = np.empty(n)
    ar[0] = rng.normal()
    eps = rng.normal(0, math.sqrt(1 - rho**2), n)
    for i in range(1, n):
        ar[i] = rho * ar[i - 1] + eps[i]
    bins["gc"] = np.clip(0.42 + 0.05 * ar, 0.3, 0.62)
    n_frac = np.zeros(n)
    is_ypar = (bins["chrom"] == "chrY").to_numpy() & (bins["start"].to_numpy() < PAR1[1])
    n_frac[is_ypar] = 1.0
    bins["n_fraction"] = n_frac
    return bins


def germline_cn(bins: pd.DataFrame, sex: str) -> tuple[np.ndarray, np.ndarray]:
    """Germline allele-specific copy number of each bin for a ``female`` or ``male`` cell.

    Autosomes 1|1; female chrX 1|1 and chrY 0|0; male chrX 1|0 outside PAR1 and 1|1 in it
    (the chrY copy of PAR1 maps to chrX), chrY 1|0 outside PAR1 and 0|0 in it (masked).
    """
    if sex not in {"female", "male"}:
        raise ValueError(f"sex must be 'female' or 'male', got {sex!r}")
    chrom = bins["chrom"].astype(str).to_numpy()
    in_par = bins["start"].to_numpy() < PAR1[1]
    a = np.ones(len(bins), dtype=np.int64)
    b = np.ones(len(bins), dtype=np.int64)
    x, y = chrom == "chrX", chrom == "chrY"
    if sex == "male":
        b[x & ~in_par] = 0
        b[y] = 0
        a[y & in_par] = 0
    else:
        a[y] = 0
        b[y] = 0
    return a, b


def _waves(rng: np.random.Generator, bins: pd.DataFrame, sd: float, length: float) -> np.ndarray:
    """Smooth Gaussian log field per contig with SD ``sd`` and kernel SD ``length`` bp."""
    out = np.zeros(len(bins))
    if sd <= 0:
        return out
    width = float(np.median(bins["end"] - bins["start"]))
    sigma = max(length / width, 0.5)
    for _, idx in bins.groupby("chrom", sort=False).indices.items():
        pad = int(4 * sigma) + 1
        noise = rng.standard_normal(len(idx) + 2 * pad)
        smooth = gaussian_filter1d(noise, sigma, mode="reflect")[pad : pad + len(idx)]
        out[idx] = smooth * sd * math.sqrt(2 * math.sqrt(math.pi) * sigma)
    return out


def _blocks(rng: np.random.Generator, bins: pd.DataFrame, sd: float, length: int) -> np.ndarray:
    """Log of the locus-block factor per bin (blocks shorter than bins averaged)."""
    if sd <= 0:
        return np.zeros(len(bins))
    width = (bins["end"] - bins["start"]).to_numpy().astype(float)
    per_bin = width / length
    if np.median(per_bin) >= 1:
        # The mean of n log-normal factors (mean 1) has variance (e^{sd^2} - 1) / n; a
        # log-normal of that variance stands in for it.
        var = np.log1p(np.expm1(sd**2) / np.maximum(per_bin, 1.0))
        return rng.standard_normal(len(bins)) * np.sqrt(var) - var / 2
    # Blocks longer than bins: consecutive bins share a block.
    out = np.empty(len(bins))
    for _, idx in bins.groupby("chrom", sort=False).indices.items():
        block = (bins["start"].to_numpy()[idx] // length).astype(int)
        z = rng.standard_normal(block.max() + 1)
        out[idx] = sd * z[block] - sd**2 / 2
    return out


def _gc_curve(rng: np.random.Generator, gc: np.ndarray, strength: float) -> np.ndarray:
    """Draw a per-cell log GC effect: a random quadratic around GC 0.42."""
    if strength <= 0:
        return np.zeros(len(gc))
    slope = rng.normal(0, 1.5 * strength)
    curv = -abs(rng.normal(8 * strength, 3 * strength))
    x = gc - 0.42
    return slope * x + curv * x**2


def simulate_counts(
    bins: pd.DataFrame,
    clones: Mapping[str, tuple[np.ndarray, np.ndarray]],
    cells: pd.DataFrame,
    *,
    seed: int = 0,
    amplification: Amplification | str = "MDA",
    reads_per_bin: float = 300.0,
    het_snps_per_bin: float | None = None,
    read_length: int = 100,
    gc_strength: float = 1.0,
    bin_bias_sd: float = 0.1,
    normal_reads_per_bin: float | None = None,
    bin_log_bias: np.ndarray | None = None,
) -> CountSimulation:
    """Draw read counts (and allele counts) of single cells around known copy number.

    Parameters
    ----------
    bins
        Bin table (:func:`genome_bins`).
    clones
        Clone name -> ``(cn_a, cn_b)`` integer arrays over the bins.
    cells
        One row per cell, index = cell IDs, with ``clone`` (a key of ``clones``) and
        optionally ``role`` (``ctc``/``wbc``), ``patient``, ``draw``, ``sex``
        (``female``/``male``; only for :attr:`CountSimulation.cells`), ``reads_per_bin``
        (overrides the argument) and ``wga`` (a WGA preset: ``MDA``, ``MALBAC``,
        ``Ampli1``, ``PicoPLEX`` or ``none``; overrides ``amplification``).
    seed
        Seed; each cell draws from its own stream (the same cell gives the same counts
        whatever other cells are simulated).
    amplification
        Amplification model or a chemistry name.
    reads_per_bin
        Mean reads per bin (all bins of the cell share its total).
    het_snps_per_bin
        Germline heterozygous SNPs per bin (Poisson, shared by all cells); ``None`` for no
        allele counts. One per kb is about 100 per 100 kb bin.
    read_length
        Read length: a fragment covers a SNP with its two reads of this length.
    gc_strength
        Scale of each cell's random GC curve (0 for none).
    bin_bias_sd
        Log SD of a per-bin efficiency shared by all cells and the normal (mappability).
    normal_reads_per_bin
        Depth of a matched bulk normal (germline copy number of the first cell's sex, no
        amplification noise), or ``None``.
    bin_log_bias
        Extra log efficiency per bin, shared by all cells and the normal (added to the
        ``bin_bias_sd`` draw; e.g. low-mappability stretches), or ``None``.

    Returns
    -------
    CountSimulation
    """
    master = np.random.default_rng([seed, 0])
    n_bins = len(bins)
    width = (bins["end"] - bins["start"]).to_numpy().astype(float)
    eff = master.normal(-(bin_bias_sd**2) / 2, bin_bias_sd, n_bins) if bin_bias_sd > 0 else 0.0
    if bin_log_bias is not None:
        eff = eff + np.asarray(bin_log_bias, dtype=float)
    n_snps = (
        master.poisson(het_snps_per_bin * width / np.median(width), n_bins)
        if het_snps_per_bin
        else None
    )
    orient = master.random(n_bins) < 0.5  # per-bin phase of the reported counts
    gc = bins["gc"].to_numpy()
    usable = bins["n_fraction"].to_numpy() < 0.5
    chrom = bins["chrom"].astype(str).to_numpy()
    autosome = ~np.isin(chrom, ["chrX", "chrY", "X", "Y"])
    cell_ids = [str(c) for c in cells.index]
    counts = np.zeros((len(cells), n_bins), dtype=np.int64)
    cn_a = np.zeros((len(cells), n_bins), dtype=np.int64)
    cn_b = np.zeros_like(cn_a)
    allele_rows = []
    for i, cell in enumerate(cell_ids):
        row = cells.iloc[i]
        a, b = (np.asarray(v, dtype=np.int64) for v in clones[str(row["clone"])])
        cn_a[i], cn_b[i] = a, b
        amp = amplification
        if "wga" in cells.columns and isinstance(row.get("wga"), str) and row["wga"]:
            amp = row["wga"]
        if isinstance(amp, str):
            amp = WGA_DEFAULTS[amp]
        depth = float(row["reads_per_bin"]) if "reads_per_bin" in cells.columns else reads_per_bin
        rng = np.random.default_rng([seed, 1, *cell.encode()])
        log_bias = (
            eff
            + _waves(rng, bins, amp.bias_sd, amp.bias_length)
            + _blocks(rng, bins, amp.block_sd, amp.block_length)
            + _gc_curve(rng, gc, gc_strength)
        )
        # Clusters: every copy of every cluster amplifies with its own gamma(1/d) factor
        # (mean 1), so a haplotype with c copies over a bin of n clusters sums to
        # gamma(c n / d) with mean c: exact, and unbiased for allele fractions.
        n_cl = np.maximum(width / amp.cluster_length, 1.0)
        if amp.dispersion > 0:
            k = n_cl / amp.dispersion
            dna = np.zeros(n_bins)
            for cn in (a, b):
                has = cn > 0
                dna[has] += rng.gamma(cn[has] * k[has], 1 / k[has])
        else:
            dna = (a + b).astype(float)
        mu = dna * np.exp(log_bias) * usable
        total = depth * usable.sum()
        mu *= total / max(mu.sum(), 1e-12)
        counts[i] = rng.poisson(mu)
        if n_snps is not None:
            allele_rows.append(
                _allele_counts(
                    rng, cell, bins, counts[i], n_snps, a, b, amp, width, read_length, orient
                )
            )
    sex = cells["sex"].astype(str) if "sex" in cells.columns else pd.Series("female", cells.index)
    tot = cn_a + cn_b
    weights = width * autosome * usable
    out_cells = pd.DataFrame(index=pd.Index(cell_ids, name=None))
    for col in ("patient", "draw", "role", "clone"):
        default = {"patient": "P1", "draw": "D1", "role": "ctc"}.get(col, "")
        out_cells[col] = cells[col].astype(str).to_numpy() if col in cells.columns else default
    out_cells["sex"] = sex.to_numpy()
    out_cells["true_ploidy"] = (tot * weights).sum(axis=1) / max(weights.sum(), 1)
    out_cells["reads_per_bin"] = counts.sum(axis=1) / max(usable.sum(), 1)
    normal = None
    if normal_reads_per_bin:
        ga, gb = germline_cn(bins, str(sex.iloc[0]) if len(sex) else "female")
        mu = (ga + gb) * np.exp(eff) * usable
        mu *= normal_reads_per_bin * usable.sum() / max(mu.sum(), 1e-12)
        normal = master.poisson(mu)
    alleles = pd.concat(allele_rows, ignore_index=True) if allele_rows else None
    return CountSimulation(
        counts, bins.reset_index(drop=True), out_cells, cn_a, cn_b, alleles, normal
    )


def _allele_counts(
    rng: np.random.Generator,
    cell: str,
    bins: pd.DataFrame,
    counts: np.ndarray,
    n_snps: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    amp: Amplification,
    width: np.ndarray,
    read_length: int,
    orient: np.ndarray,
) -> pd.DataFrame:
    """Draw reads of each haplotype at a bin's het SNPs, split per amplification cluster."""
    # A fragment's two reads cover 2 * read_length bp of the bin.
    reads = rng.poisson(counts * n_snps * 2 * read_length / width)
    groups = 8  # clusters the SNP reads of a bin fall in (each with its own imbalance)
    split = rng.multinomial(reads, np.full(groups, 1 / groups))  # bins x groups
    if amp.dispersion > 0:
        k = 1 / amp.dispersion
        shape_a = np.broadcast_to(a[:, None] * k, split.shape)
        shape_b = np.broadcast_to(b[:, None] * k, split.shape)
        wa = np.where(shape_a > 0, rng.gamma(np.maximum(shape_a, 1e-9), 1 / k), 0.0)
        wb = np.where(shape_b > 0, rng.gamma(np.maximum(shape_b, 1e-9), 1 / k), 0.0)
    else:
        wa = np.broadcast_to(a[:, None], split.shape).astype(float)
        wb = np.broadcast_to(b[:, None], split.shape).astype(float)
    p_b = np.divide(wb, wa + wb, out=np.full(split.shape, 0.5), where=(wa + wb) > 0)
    bcount = rng.binomial(split, p_b).sum(axis=1)
    acount = reads - bcount
    first = np.where(orient, bcount, acount)
    second = np.where(orient, acount, bcount)
    keep = reads > 0
    return pd.DataFrame(
        {
            "cell": cell,
            "chrom": bins["chrom"].to_numpy()[keep],
            "start": bins["start"].to_numpy()[keep],
            "end": bins["end"].to_numpy()[keep],
            "a_count": first[keep],
            "b_count": second[keep],
        }
    )


# --- A random patient: clones with the events a CTC report is read for --------------------


def _contig_slices(bins: pd.DataFrame) -> dict[str, tuple[int, int]]:
    idx = bins.groupby("chrom", sort=False).indices
    return {c: (int(v.min()), int(v.max()) + 1) for c, v in idx.items()}


def random_patient(
    seed: int,
    *,
    contigs: Mapping[str, int] | None = None,
    bin_size: int = 100_000,
    sex: str = "female",
    n_wbc: int = 6,
    cells_per_clone: Mapping[str, int] | None = None,
    reads_per_bin: float = 300.0,
    amplification: Amplification | str = "MDA",
    het_snps_per_bin: float | None = 100.0,
    normal_reads_per_bin: float | None = None,
    gc_strength: float = 1.0,
) -> CountSimulation:
    """Simulate a patient with random clones carrying the events a CTC report is read for.

    Clones (each descends from the one before, except ``Apure``):

    - ``A`` (founder): arm-level gains, losses and a copy-neutral LOH on random
      autosomes; two homozygous deletions (2 and 3 bins); one one-bin amplicon at copy
      number 8-12; an 8-bin gain (+1) and an 8-bin loss (-1).
    - ``A1``: ``A`` plus an 8-bin gain of two copies and another one-bin amplicon.
    - ``A2``: ``A1`` whole-genome doubled, then odd post-doubling changes (3 copies with
      imbalance 2|1 and 5 copies 3|2 on whole arms): identifiable from the odd states
      and the allelic imbalance.
    - ``Apure``: ``A`` doubled with nothing else: its profile also exists undoubled, so its
      ploidy cannot be told from the data.

    Parameters
    ----------
    seed
        Seed of the clone structure and of the counts.
    contigs
        Contig lengths (default: 12 autosomes ``c1..c12`` of 20-40 Mb).
    bin_size
        Bin length.
    sex
        ``female`` or ``male`` (chrX/chrY copy number when those contigs are present).
    n_wbc
        Diploid WBCs.
    cells_per_clone
        Cells per clone (default ``A`` 6, ``A1`` 6, ``A2`` 5, ``Apure`` 3).
    reads_per_bin, amplification, het_snps_per_bin, normal_reads_per_bin, gc_strength
        Passed to :func:`simulate_counts`.

    Returns
    -------
    CountSimulation
        With ``events`` and ``genes`` (one gene inside each focal event, named after it:
        ``HOMDEL1``, ``AMP1``; and ``NEUTRAL1``.. genes in unchanged regions).
    """
    rng = np.random.default_rng([seed, 7])
    if contigs is None:
        contigs = {
            f"c{i + 1}": int(bin_size * round(rng.uniform(20e6, 40e6) / bin_size))
            for i in range(12)
        }
    bins = genome_bins(contigs, bin_size=bin_size, seed=seed)
    slices = _contig_slices(bins)
    autos = [c for c in slices if c not in ("chrX", "chrY", "X", "Y")]
    ga, gb = germline_cn(bins, sex)
    events: list[dict] = []
    taken = np.zeros(len(bins), dtype=bool)

    def place(n: int, avoid_margin: int = 3) -> tuple[str, int]:
        for _ in range(1000):
            c = autos[int(rng.integers(len(autos)))]
            lo, hi = slices[c]
            if hi - lo < n + 2 * avoid_margin + 2:
                continue
            s = int(rng.integers(lo + avoid_margin, hi - n - avoid_margin))
            if not taken[s - avoid_margin : s + n + avoid_margin].any():
                taken[s - avoid_margin : s + n + avoid_margin] = True
                return c, s
        raise RuntimeError("no room for another event; use a larger genome")

    def put(clone_cn, clone, kind, chrom, s, e, cna, cnb):
        clone_cn[0][s:e], clone_cn[1][s:e] = cna, cnb
        events.append(
            dict(clone=clone, kind=kind, chrom=chrom, start_bin=s, end_bin=e, cn_a=cna, cn_b=cnb)
        )

    def arm(chrom: str, which: str) -> tuple[int, int]:
        lo, hi = slices[chrom]
        mid = (lo + hi) // 2
        return (lo, mid) if which == "p" else (mid, hi)

    a_cn = (ga.copy(), gb.copy())
    # Arms first (five distinct contigs), so focal events never fall inside them.
    arm_spans = []
    for c in rng.permutation(autos)[:5]:
        s, e = arm(str(c), "p" if rng.random() < 0.5 else "q")
        taken[s:e] = True
        arm_spans.append((str(c), s, e))
    for kind, (cna, cnb) in (("arm_gain", (2, 1)), ("arm_loss", (1, 0)), ("cnloh", (2, 0))):
        c, s, e = arm_spans.pop(0)
        put(a_cn, "A", kind, c, s, e, cna, cnb)
    for n in (2, 3):
        c, s = place(n)
        put(a_cn, "A", "homdel", c, s, s + n, 0, 0)
    c, s = place(1)
    level = int(rng.integers(8, 13))
    put(a_cn, "A", "focal_amp", c, s, s + 1, level - 1, 1)
    c, s = place(8)
    put(a_cn, "A", "gain", c, s, s + 8, 2, 1)
    c, s = place(8)
    put(a_cn, "A", "loss", c, s, s + 8, 1, 0)
    a1_cn = (a_cn[0].copy(), a_cn[1].copy())
    c, s = place(8)
    put(a1_cn, "A1", "gain2", c, s, s + 8, 3, 1)
    c, s = place(1)
    level = int(rng.integers(8, 13))
    put(a1_cn, "A1", "focal_amp", c, s, s + 1, level - 2, 2)
    a2_cn = (a1_cn[0] * 2, a1_cn[1] * 2)
    for kind, (cna, cnb) in (("post_wgd_loss", (2, 1)), ("post_wgd_gain", (3, 2))):
        c, s, e = arm_spans.pop(0)
        put(a2_cn, "A2", kind, c, s, e, cna, cnb)
    pure_cn = (a_cn[0] * 2, a_cn[1] * 2)
    clones = {"normal": (ga, gb), "A": a_cn, "A1": a1_cn, "A2": a2_cn, "Apure": pure_cn}
    per_clone = dict(cells_per_clone or {"A": 6, "A1": 6, "A2": 5, "Apure": 3})
    rows = [(f"WBC{i + 1}", "normal", "wbc") for i in range(n_wbc)]
    for clone, n in per_clone.items():
        rows += [(f"{clone}_CTC{i + 1}", clone, "ctc") for i in range(n)]
    cells = pd.DataFrame(rows, columns=["cell", "clone", "role"]).set_index("cell")
    cells["draw"] = ["D1" if i % 2 == 0 else "D2" for i in range(len(cells))]
    cells["patient"] = "P1"
    cells["sex"] = sex
    sim = simulate_counts(
        bins,
        clones,
        cells,
        seed=seed,
        amplification=amplification,
        reads_per_bin=reads_per_bin,
        het_snps_per_bin=het_snps_per_bin,
        normal_reads_per_bin=normal_reads_per_bin,
        gc_strength=gc_strength,
    )
    sim.events = pd.DataFrame(events)
    sim.genes = _event_genes(bins, sim.events, taken, rng)
    return sim


def _event_genes(
    bins: pd.DataFrame, events: pd.DataFrame, taken: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """One 20 kb gene in the middle of each focal event, and genes in quiet regions."""
    rows = []
    counter: dict[str, int] = {}
    for ev in events.itertuples():
        if ev.kind not in ("homdel", "focal_amp"):
            continue
        name = "HOMDEL" if ev.kind == "homdel" else "AMP"
        counter[name] = counter.get(name, 0) + 1
        mid = (ev.start_bin + ev.end_bin - 1) // 2
        b = bins.iloc[mid]
        centre = (int(b["start"]) + int(b["end"])) // 2
        rows.append((b["chrom"], centre - 10_000, centre + 10_000, f"{name}{counter[name]}"))
    free = np.flatnonzero(~taken)
    for k, i in enumerate(rng.choice(free, size=min(10, len(free)), replace=False)):
        b = bins.iloc[int(i)]
        centre = (int(b["start"]) + int(b["end"])) // 2
        rows.append((b["chrom"], centre - 10_000, centre + 10_000, f"NEUTRAL{k + 1}"))
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "gene"])
