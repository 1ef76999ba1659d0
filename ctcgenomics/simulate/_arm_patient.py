"""A whole-genome patient with arm-level changes, as count tables of other tools hold them.

Used by ``benchmarks/bench_cnv_tables.py`` and the tests that reproduce its runs: GRCh37
chromosome lengths, bins over every chromosome, a fifth of the cells diploid and two
nested clones with random arm or whole-chromosome gains and losses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ctcgenomics.simulate._counts import CountSimulation, genome_bins, germline_cn, simulate_counts

GRCH37_LENGTHS = dict(
    zip(
        [f"chr{i}" for i in [*range(1, 23), "X", "Y"]],
        [249250621, 243199373, 198022430, 191154276, 180915260, 171115067, 159138663,
         146364022, 141213431, 135534747, 135006516, 133851895, 115169878, 107349540,
         102531392, 90354753, 81195210, 78077248, 59128983, 63025520, 48129895, 51304566,
         155270560, 59373566],
        strict=True,
    )
)  # fmt: skip
"""GRCh37 (hg19) chromosome lengths, UCSC ``chromInfo``."""


@dataclass
class ArmPatient:
    """Bins and counts of :func:`arm_change_patient`."""

    bins: pd.DataFrame
    sim: CountSimulation
    low_map: np.ndarray | None = None
    """Bins in a shared low-mappability stretch (``None`` without them)."""


def _arm_changes(
    a: np.ndarray, b: np.ndarray, bins: pd.DataFrame, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Return copies of ``a, b`` with ``k`` random arm or whole-chromosome changes."""
    a, b = a.copy(), b.copy()
    chrom, start = bins["chrom"].to_numpy(), bins["start"].to_numpy()
    autosomes = [c for c in GRCH37_LENGTHS if c not in ("chrX", "chrY")]
    for c in rng.choice(autosomes, k, replace=False):
        sel = chrom == c
        if rng.random() < 0.5:
            mid = GRCH37_LENGTHS[c] * rng.uniform(0.35, 0.55)
            sel &= (start < mid) if rng.random() < 0.5 else (start >= mid)
        if rng.random() < 0.5:
            a[sel] += rng.integers(1, 3)
        else:
            b[sel] = 0
    return a, b


def shared_bin_bias(
    bins: pd.DataFrame,
    sd: float,
    n_stretches: int,
    rng: np.random.Generator,
    max_stretch_bins: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Log per-bin bias every cell shares (log-normal plus low-mappability stretches).

    Real count tables (readCounter, QDNAseq, DLP/HMMcopy) carry such biases (repeats,
    bins next to gaps): ``sd`` is the log SD of the per-bin part; each of the
    ``n_stretches`` stretches covers 1 to ``max_stretch_bins`` contiguous bins at 50-80 %
    of the reads. Returns the log bias and the bins in a stretch.
    """
    n = len(bins)
    out = rng.normal(-(sd**2) / 2, sd, n) if sd > 0 else np.zeros(n)
    low = np.zeros(n, dtype=bool)
    for start in rng.choice(n, n_stretches, replace=False):
        stretch = slice(start, start + int(rng.integers(1, max_stretch_bins + 1)))
        out[stretch] += np.log(rng.uniform(0.5, 0.8))
        low[stretch] = True
    return out, low


def arm_change_patient(
    seed: int,
    n_cells: int,
    sex: str,
    *,
    bin_size: int = 500_000,
    reads_per_bin: float = 150,
    shared_bias_sd: float = 0.0,
    low_map_stretches: int = 0,
    max_stretch_bins: int = 4,
    n_normal: int | None = None,
) -> ArmPatient:
    """Simulate one patient's cells on GRCh37 with arm-level changes (MDA counts).

    Parameters
    ----------
    seed
        Random seed (bins, clones and counts).
    n_cells
        Number of cells: ``max(2, n_cells // 5)`` diploid, the rest split between clone
        ``A`` (6 changes) and clone ``B`` (``A`` plus 3 more).
    sex
        ``female`` (no chrY bins) or ``male``.
    bin_size, reads_per_bin
        Bin size in bp and mean reads per bin at copy number 2.
    shared_bias_sd, low_map_stretches, max_stretch_bins
        Extra per-bin bias shared by all cells (:func:`shared_bin_bias`; drawn from its
        own stream, so 0 and 0, the defaults, leave the output unchanged).
    n_normal
        Number of diploid cells instead of ``max(2, n_cells // 5)`` (0 for a run of
        tumour cells only).

    Returns
    -------
    ArmPatient
        Bins (``chrom`` with the ``chr`` prefix, ``start``, ``end``, ``gc`` ...) and the
        simulation (counts, truth, cells named ``cell-000`` ...).
    """
    contigs = {c: n for c, n in GRCH37_LENGTHS.items() if sex == "male" or c != "chrY"}
    bins = genome_bins(contigs, bin_size=bin_size, seed=seed)
    rng = np.random.default_rng(seed)
    ga, gb = germline_cn(bins, sex)
    a1, b1 = _arm_changes(ga, gb, bins, 6, rng)
    a2, b2 = _arm_changes(a1, b1, bins, 3, rng)
    n_normal = max(2, n_cells // 5) if n_normal is None else n_normal
    extra = low = None
    if shared_bias_sd > 0 or low_map_stretches > 0:
        extra, low = shared_bin_bias(
            bins,
            shared_bias_sd,
            low_map_stretches,
            np.random.default_rng([seed, 99]),
            max_stretch_bins,
        )
    n_a = (n_cells - n_normal) // 2
    clones = ["normal"] * n_normal + ["A"] * n_a + ["B"] * (n_cells - n_normal - n_a)
    cells = pd.DataFrame({"clone": clones, "sex": sex})
    cells.index = [f"cell-{i:03d}" for i in range(n_cells)]
    sim = simulate_counts(
        bins, {"normal": (ga, gb), "A": (a1, b1), "B": (a2, b2)}, cells, seed=seed,
        reads_per_bin=reads_per_bin, bin_log_bias=extra,
    )  # fmt: skip
    return ArmPatient(bins, sim, low)
