"""Count matrices simulated around known integer copy-number profiles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest


@dataclass
class SimulatedCounts:
    counts: np.ndarray
    bins: pd.DataFrame
    cells: pd.DataFrame
    truth: np.ndarray  # cells x bins integer copy number
    arms: pd.DataFrame
    focal: slice  # bins of the focal amplification


def _smooth_noise(rng: np.random.Generator, n: int, sd: float, length: float) -> np.ndarray:
    """AR(1) log-bias with the given marginal SD and correlation length (in bins)."""
    rho = np.exp(-1.0 / length)
    eps = rng.normal(0, sd * np.sqrt(1 - rho**2), n)
    out = np.empty(n)
    out[0] = rng.normal(0, sd)
    for i in range(1, n):
        out[i] = rho * out[i - 1] + eps[i]
    return out


def simulate_counts(
    *,
    seed: int = 0,
    n_contigs: int = 6,
    bins_per_contig: int = 100,
    n_wbc: int = 5,
    n_ctc: int = 6,
    n_wgd: int = 2,
    reads_per_bin: float = 150.0,
    bias_sd: float = 0.08,
    bias_length: float = 8.0,
    dispersion: float = 0.005,
    n_low: int = 0,
) -> SimulatedCounts:
    """NB counts around known profiles with a GC effect and smooth MDA-like bias.

    Clone A (CTCs): whole-arm loss of c1p (CN 1), whole-arm gain of c2q (CN 3), focal
    amplification of 4 bins at CN 8 on c3q. WGD cells: clone A doubled, then a
    post-doubling loss on c4p (CN 3) and gain on c5q (CN 5). WBCs diploid.
    """
    rng = np.random.default_rng(seed)
    n_bins = n_contigs * bins_per_contig
    chrom = np.repeat([f"c{i + 1}" for i in range(n_contigs)], bins_per_contig)
    start = np.tile(np.arange(bins_per_contig) * 100_000, n_contigs)
    gc = np.clip(0.45 + _smooth_noise(rng, n_bins, 0.06, 5.0), 0.3, 0.65)
    bins = pd.DataFrame(
        {"chrom": chrom, "start": start, "end": start + 100_000, "gc": gc, "n_fraction": 0.0}
    )
    half = bins_per_contig // 2
    arms = pd.DataFrame(
        [(c, 0, half * 100_000, "p") for c in dict.fromkeys(chrom)]
        + [(c, half * 100_000, bins_per_contig * 100_000, "q") for c in dict.fromkeys(chrom)],
        columns=["chrom", "start", "end", "arm"],
    )

    def idx(c: int, lo: int, hi: int) -> slice:
        return slice((c - 1) * bins_per_contig + lo, (c - 1) * bins_per_contig + hi)

    clone_a = np.full(n_bins, 2)
    clone_a[idx(1, 0, half)] = 1
    clone_a[idx(2, half, bins_per_contig)] = 3
    focal = idx(3, half + 20, half + 24)
    clone_a[focal] = 8
    wgd = clone_a * 2
    wgd[idx(4, 0, half)] = 3
    wgd[idx(5, half, bins_per_contig)] = 5
    profiles = [np.full(n_bins, 2)] * n_wbc + [clone_a] * n_ctc + [wgd] * n_wgd
    roles = ["wbc"] * n_wbc + ["ctc"] * (n_ctc + n_wgd)
    clones = ["normal"] * n_wbc + ["A"] * n_ctc + ["A_wgd"] * n_wgd
    truth = np.vstack(profiles)
    gc_effect = np.exp(-12 * (gc - 0.45) ** 2 + 1.5 * (gc - 0.45))
    counts = np.empty_like(truth)
    for i, prof in enumerate(truth):
        bias = np.exp(_smooth_noise(rng, n_bins, bias_sd, bias_length))
        depth = reads_per_bin * (0.1 if i < n_low else 1.0)
        mu = depth * prof / prof.mean() * gc_effect * bias
        # Negative binomial as a gamma-Poisson mixture.
        lam = rng.gamma(1 / dispersion, mu * dispersion)
        counts[i] = rng.poisson(lam)
    cells = pd.DataFrame(
        {
            "patient": "P1",
            "draw": ["D1" if i % 2 == 0 else "D2" for i in range(len(roles))],
            "role": roles,
            "true_clone": clones,
        },
        index=[f"cell{i:02d}" for i in range(len(roles))],
    )
    cells["true_ploidy"] = truth.mean(axis=1)
    return SimulatedCounts(counts, bins, cells, truth, arms, focal)


@pytest.fixture(scope="session")
def sim() -> SimulatedCounts:
    return simulate_counts()
