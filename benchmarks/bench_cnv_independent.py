"""Copy number on a second, independent count simulator (not ``ctcgenomics.simulate``).

The caller's defaults were chosen on the project's own simulator; this one is built
differently so the figures do not share its assumptions: per cell, amplification waves
are an AR(1) process in log depth (SD ``--wave-sd``, lag-1 correlation 0.85: a reach of
about 6 bins), plus independent log-normal noise sized to a target MAPD, a random
quadratic GC curve and gamma-Poisson counts (300 reads per 100 kb bin at ratio 1).

Each seed is one patient: 4 diploid WBCs, 6 CTCs of a diploid clone (a 3-bin homozygous
deletion, an 8-bin gain to 4 copies, a one-bin amplicon at 8 copies, a loss of one copy
over the contig's end) and 4 CTCs of a doubled clone (base 4 with 3, 5 and 6 copies, a
homozygous deletion and a one-bin amplicon at 12). Layouts: ``chr17`` (one 7.8 Mb contig,
the bundled segment's length) or ``genome`` (10 contigs of 15-30 Mb, the events on the
first three). Layout ``aneuploid`` is shaped like high-grade serous or triple-negative
tumours: 12 contigs of 50-125 Mb in 500 kb bins, each arm of each contig at its own copy
number (base -2 to +3, at least 1) plus one 5 Mb focal change per contig, a 3-bin
homozygous deletion and a one-bin amplicon at 12 copies; clone "A" has base 3 (near
triploid), clone "W" base 4. No allele counts (a simulator of reads without germline
SNPs gives none).

Printed per layout and wave setting, over the seeds, per cell kind: integer copy number
right in the bins (doubled cells without allelic evidence are expected to be flagged
unidentifiable), ploidy within 0.25, share flagged unidentifiable, homozygous-deletion
bins called 0, one-bin amplicons called (>= 2.5 x the true base), and bins called >= 2.5 x
base that are not amplicons (in WBCs: false amplifications).

Run: .venv/bin/python benchmarks/bench_cnv_independent.py [--seeds 0 5] [--wave-sd 0.1 0.25]
[--layouts genome chr17 aneuploid] [--no-wbc] (``--no-wbc``: the WBCs are labelled CTCs, a
run without any reference, as in a run of CTCs only)
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

import ctcgenomics as ctc

_KINDS = {
    False: {"WBC": "WBC", "CTCA": "diploid clone", "CTCW": "doubled clone"},
    True: {"WBC": "WBC", "CTCA": "near-triploid clone", "CTCW": "near-tetraploid clone"},
}


def simulate(seed: int, *, layout: str, wave_sd: float, mapd: float = 0.3, reads: float = 300.0):
    """Counts, bins, cell table and true copy number of one patient."""
    rng = np.random.default_rng(seed)
    size = 500_000 if layout == "aneuploid" else 100_000
    if layout == "chr17":
        contigs = {"chr17": 78}
    elif layout == "aneuploid":
        contigs = {f"chr{i}": int(rng.integers(100, 250)) for i in range(1, 13)}
    else:
        contigs = {f"chr{i}": int(rng.integers(150, 300)) for i in range(1, 11)}
    bins = pd.DataFrame(
        [(c, i * size, (i + 1) * size) for c, n in contigs.items() for i in range(n)],
        columns=["chrom", "start", "end"],
    )
    nb = len(bins)
    smooth = np.convolve(rng.normal(0, 1, nb + 20), np.ones(10) / 10, "same")[10 : nb + 10]
    bins["gc"] = 0.42 + 0.03 * smooth / smooth.std()
    diploid = np.full(nb, 2)
    if layout == "aneuploid":
        a, w = (_arm_profile(rng, list(contigs.values()), base) for base in (3, 4))
    else:
        a, w = diploid.copy(), diploid * 2
        a[10:13], a[30:38], a[55], a[60:78] = 0, 4, 8, 1
        w[0:20], w[10:13], w[30:38], w[40:53], w[55] = 3, 0, 6, 5, 12
    if layout == "genome":
        n1, n2 = list(contigs.values())[:2]
        a[n1 : n1 + n2 // 2], w[n1 : n1 + n2 // 2] = 3, 5
        a[n1 + n2 + 20 : n1 + n2 + 28], w[n1 + n2 + 20 : n1 + n2 + 28] = 3, 5
    cells = [(f"WBC{i}", "wbc", diploid) for i in range(4)]
    cells += [(f"CTCA{i}", "ctc", a) for i in range(6)]
    cells += [(f"CTCW{i}", "ctc", w) for i in range(4)]
    phi = 0.85
    counts = np.zeros((len(cells), nb), dtype=np.int64)
    for k, (_, _, cn) in enumerate(cells):
        innov = rng.normal(0, wave_sd * np.sqrt(1 - phi**2), nb)
        wave = np.zeros(nb)
        for j in range(nb):
            wave[j] = (phi * wave[j - 1] if j else 0.0) + innov[j]
        # Independent noise for the target MAPD (log2) after the waves' share.
        sd_diff = mapd * rng.uniform(0.85, 1.15) / 0.6745
        var_wave = 2 * (wave_sd / np.log(2)) ** 2 * (1 - phi)
        var_e = max(sd_diff**2 - var_wave - 2 / reads / np.log(2) ** 2, 0.01) / 2
        eps = rng.normal(0, np.sqrt(var_e) * np.log(2), nb)
        gc = bins["gc"].to_numpy() - 0.42
        gc_curve = rng.normal(0, 3) * gc + rng.normal(-30, 10) * gc**2
        mu = reads * cn / cn.mean() * np.exp(wave + eps + gc_curve)
        mu = np.where(cn == 0, 0.3, mu)
        counts[k] = rng.poisson(rng.gamma(400, mu / 400))
    meta = pd.DataFrame(
        {"role": [c[1] for c in cells], "patient": "P1", "draw": "D1"},
        index=[c[0] for c in cells],
    )
    return counts, bins, meta, np.array([c[2] for c in cells])


def _arm_profile(rng: np.random.Generator, lengths: list[int], base: int) -> np.ndarray:
    """Arm-level copy numbers around ``base``, a focal change per contig, a homozygous
    deletion and a one-bin amplicon at 12 copies (on the first contig)."""
    parts = []
    for n in lengths:
        cn = np.empty(n, dtype=np.int64)
        mid = n // 2
        for lo, hi in ((0, mid), (mid, n)):
            cn[lo:hi] = max(1, base + int(rng.choice([-2, -1, 0, 0, 1, 2, 3])))
        start = int(rng.integers(0, n - 12))
        cn[start : start + 10] = max(1, cn[start] + int(rng.choice([-1, 1, 2])))
        parts.append(cn)
    out = np.concatenate(parts)
    out[20:23], out[60] = 0, 12
    return out


def score(seed: int, *, layout: str, wave_sd: float, no_wbc: bool = False) -> pd.DataFrame:
    counts, bins, meta, truth = simulate(seed, layout=layout, wave_sd=wave_sd)
    if no_wbc:  # a run without WBCs: its diploid WBCs are called as CTCs
        meta = meta.assign(role="ctc")
    adata = ctc.cnv.counts_anndata(counts, bins, meta)
    ctc.cnv.call_copy_number(adata)
    cn = np.asarray(adata.layers["copy_number"])
    used = adata.var["used"].to_numpy()
    rows = []
    for i, cell in enumerate(adata.obs_names):
        t = truth[i]
        base = 2 if t.mean() < 3 else 4
        amp = t >= (12 if layout == "aneuploid" else 8)  # aneuploid arms reach 8-9
        rows.append(
            {
                "kind": _KINDS[layout == "aneuploid"][cell.rstrip("0123456789")],
                "bins_right": float((cn[i][used] == t[used]).mean()),
                "ploidy_ok": abs(float(adata.obs["ploidy"].iloc[i]) - t.mean()) <= 0.25,
                "unidentifiable": not bool(adata.obs["ploidy_identifiable"].iloc[i]),
                "homdel_bins": float(np.mean(cn[i][t == 0] == 0)) if (t == 0).any() else np.nan,
                "amplicon": float(np.all(cn[i][amp] >= 2.5 * base)) if amp.any() else np.nan,
                "false_amp_bins": int(((cn[i] >= 2.5 * base) & ~amp).sum()),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", nargs=2, type=int, default=[0, 5], metavar=("FIRST", "STOP"))
    ap.add_argument("--wave-sd", nargs="+", type=float, default=[0.1, 0.25])
    ap.add_argument("--layouts", nargs="+", default=["genome", "chr17"])
    ap.add_argument("--no-wbc", action="store_true", help="label the WBCs as CTCs (no reference)")
    args = ap.parse_args()
    pd.set_option("display.width", 160)
    for layout in args.layouts:
        for wave_sd in args.wave_sd:
            res = pd.concat(
                [
                    score(s, layout=layout, wave_sd=wave_sd, no_wbc=args.no_wbc)
                    for s in range(*args.seeds)
                ]
            )
            table = res.groupby("kind").agg(
                cells=("bins_right", "size"),
                bins_right=("bins_right", "mean"),
                ploidy_ok=("ploidy_ok", "mean"),
                unidentifiable=("unidentifiable", "mean"),
                homdel_bins=("homdel_bins", "mean"),
                amplicon=("amplicon", "mean"),
                false_amp_bins=("false_amp_bins", "sum"),
            )
            print(f"\n== {layout}, wave SD {wave_sd}, seeds {args.seeds[0]}-{args.seeds[1] - 1}")
            print(table.round(3).to_string())


if __name__ == "__main__":
    main()
