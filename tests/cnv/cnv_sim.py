"""Test data with known truth: count matrices around integer profiles, simulator BAMs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


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
    bin_bp: int = 100_000,
) -> SimulatedCounts:
    """NB counts around known profiles with a GC effect and smooth MDA-like bias.

    Clone A (CTCs): whole-arm loss of c1p (CN 1), whole-arm gain of c2q (CN 3), focal
    amplification of 4 bins at CN 8 on c3q. WGD cells: clone A doubled, then a
    post-doubling loss on c4p (CN 3) and gain on c5q (CN 5). WBCs diploid.
    """
    rng = np.random.default_rng(seed)
    n_bins = n_contigs * bins_per_contig
    chrom = np.repeat([f"c{i + 1}" for i in range(n_contigs)], bins_per_contig)
    start = np.tile(np.arange(bins_per_contig) * bin_bp, n_contigs)
    gc = np.clip(0.45 + _smooth_noise(rng, n_bins, 0.06, 5.0), 0.3, 0.65)
    bins = pd.DataFrame(
        {"chrom": chrom, "start": start, "end": start + bin_bp, "gc": gc, "n_fraction": 0.0}
    )
    half = bins_per_contig // 2
    arms = pd.DataFrame(
        [(c, 0, half * bin_bp, "p") for c in dict.fromkeys(chrom)]
        + [(c, half * bin_bp, bins_per_contig * bin_bp, "q") for c in dict.fromkeys(chrom)],
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


# --- End-to-end: simulator reads -> bwa -> counts, on pseudo-chromosomes of real hg38 ----

E2E_BIN = 25_000
E2E_CONTIGS = {"chr17": (0, 2_600_000), "chrB": (2_600_000, 5_200_000),
               "chrC": (5_200_000, 7_800_000)}  # fmt: skip
E2E_HALF = 1_300_000  # pseudo-centromere of every contig
E2E_FOCAL = (1_100_000, 1_200_000)  # chr17, 4 bins (hg38 coordinates kept)


def e2e_spec(reference: str, amplification: dict, *, n_read_pairs: int = 48_000) -> dict:
    def cell(i: int, role: str, clone: str) -> dict:
        return {
            "id": f"{clone}_{role}{i}",
            "draw": "D1" if i % 2 else "D2",
            "role": role,
            "clone": clone,
        }

    return {
        "seed": 11,
        "reference": reference,
        "read_length": 100,
        "insert_size": {"mean": 300, "sd": 40},
        "duplicate_rate": 0.02,
        "germline": {"het_snp_rate": 0.0},
        "clones": {
            "normal": {},
            "A": {
                "segments": [
                    {"chrom": "chrB", "start": E2E_HALF, "end": 2_600_000, "cn_a": 1, "cn_b": 0},
                    {"chrom": "chrC", "start": 0, "end": E2E_HALF, "cn_a": 2, "cn_b": 1},
                    {
                        "chrom": "chr17",
                        "start": E2E_FOCAL[0],
                        "end": E2E_FOCAL[1],
                        "cn_a": 7,
                        "cn_b": 1,
                    },
                ]
            },
            "A_wgd": {
                "parent": "A",
                "whole_genome_doubling": True,
                "segments": [
                    {"chrom": "chr17", "start": E2E_HALF, "end": 2_600_000, "cn_a": 2, "cn_b": 1},
                    {"chrom": "chrB", "start": 0, "end": E2E_HALF, "cn_a": 3, "cn_b": 2},
                ],
            },
        },
        "cell_defaults": {
            "patient": "P1",
            "assay": "wgs",
            "wga": "MDA",
            "n_read_pairs": n_read_pairs,
            "amplification": amplification,
        },
        "cells": [cell(i, "wbc", "normal") for i in range(1, 5)]
        + [cell(i, "ctc", "A") for i in range(1, 5)]
        + [cell(i, "ctc", "A_wgd") for i in range(1, 3)],
    }


def build_e2e(workdir, amplification: dict, *, bin_size: int = E2E_BIN, n_read_pairs: int = 48_000):
    """Reference of 3 pseudo-chromosomes, simulated cells, BAMs, bins and counts.

    The defaults (25 kb bins, 48,000 pairs: ~150 reads per bin) are what the tests
    use; the benchmark scales both for larger cells at the same depth per bin.
    """
    from pathlib import Path

    import pysam

    from ctcgenomics.align import align_cell, prepare_reference
    from ctcgenomics.cnv._counting import count_cell
    from ctcgenomics.io.bins import make_bin_table
    from ctcgenomics.simulate import simulate

    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    src = Path(__file__).parents[2] / "ctcgenomics/data/reference/hg38_chr17_1-7843138.fa.gz"
    with pysam.FastaFile(str(src)) as ref:
        seq = ref.fetch("chr17")
    fasta = work / "pseudo.fa"
    with open(fasta, "w") as handle:
        for name, (a, b) in E2E_CONTIGS.items():
            handle.write(f">{name}\n")
            chunk = seq[a:b]
            handle.writelines(chunk[i : i + 80] + "\n" for i in range(0, len(chunk), 80))
    genome = prepare_reference(fasta, work / "ref")
    spec = e2e_spec(str(genome), amplification, n_read_pairs=n_read_pairs)
    sim = simulate(spec, work / "sim")
    bins = make_bin_table(genome, bin_size)
    cells = pd.read_csv(sim.cells, sep="\t")
    truth_cn = pd.read_csv(sim.copy_number, sep="\t")
    counts, bams = [], {}
    for c in cells["cell"]:
        fq1, fq2 = sim.fastq[c]
        bam = work / "bam" / f"{c}.bam"
        bam.parent.mkdir(exist_ok=True)
        align_cell(fq1, fq2, genome, bam, cell=c)
        bams[c] = bam
        counts.append(count_cell(bam, bins)[0])
    meta = pd.DataFrame(
        {
            "patient": "P1",
            "draw": cells["draw"].to_numpy(),
            "role": np.where(cells["role"] == "wbc", "wbc", "ctc"),
        },
        index=cells["cell"].to_numpy(),
    )
    truth = np.vstack([_bin_truth(truth_cn[truth_cn["cell"] == c], bins) for c in meta.index])
    return {
        "genome": genome,
        "bins": bins,
        "counts": np.vstack(counts),
        "cells": meta,
        "truth": truth,
        "bams": bams,
        "truth_cells": cells,
    }


def _bin_truth(rows: pd.DataFrame, bins: pd.DataFrame) -> np.ndarray:
    """Copy number of the truth segment covering each bin's midpoint."""
    out = np.full(len(bins), -1)
    mid = ((bins["start"] + bins["end"]) // 2).to_numpy()
    for r in rows.itertuples():
        hit = (bins["chrom"].to_numpy() == r.chrom) & (mid >= r.start) & (mid < r.end)
        out[hit] = r.cn
    return out


E2E_ARMS = pd.DataFrame(
    [(c, 0, E2E_HALF, "p") for c in E2E_CONTIGS]
    + [(c, E2E_HALF, b - a, "q") for c, (a, b) in E2E_CONTIGS.items()],
    columns=["chrom", "start", "end", "arm"],
)

# MDA-like: waves, per-haplotype clusters and locus blocks of 25 kb (log SD 0.2), which
# give MAPD about 0.3 at these 25 kb bins and ~150 reads per bin.
E2E_AMPLIFICATION = {
    "bias_sd": 0.1,
    "bias_length": 200_000,
    "dispersion": 0.1,
    "cluster_length": 2_000,
    "block_sd": 0.2,
    "block_length": 25_000,
}
