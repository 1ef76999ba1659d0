"""One cell, same BAM and bins: ctcgenomics (count + call) vs CNVkit (coverage + fix + segment).

Cells are simulated (tests/cnv/cnv_sim.py: real hg38 sequence cut into pseudo-
chromosomes, MDA-like bias, ~150 reads per 25 kb bin) and aligned with bwa; the bench
cell is a near-diploid CTC with an arm loss, an arm gain and a focal amplification.
CNVkit runs with a flat reference and ``haar`` segmentation (``cbs`` needs R and
``hmm`` needs pomegranate, neither installed here). Both tools are timed as command-line
runs in the same process tree; accuracy is the fraction of bins whose integer copy
number equals the truth (CNVkit: ``round(2 * 2**segment_log2)``).

Run: .venv/bin/python benchmarks/bench_cnv_vs_cnvkit.py [--workdir DIR] [--cell A_ctc1]
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cnv"))
BIN = Path(sys.executable).parent


def _run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", default="/tmp/ctcg_bench_cnv")
    parser.add_argument("--cell", default="A_ctc1")
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "e2e.pkl"
    if cache.exists():
        data = pickle.loads(cache.read_bytes())
    else:
        from cnv_sim import E2E_AMPLIFICATION, build_e2e

        print("simulating and aligning cells (one-off)...", flush=True)
        data = build_e2e(work / "data", E2E_AMPLIFICATION)
        cache.write_bytes(pickle.dumps(data))
    cell = args.cell
    bam = data["bams"][cell]
    bins = data["bins"]
    truth = data["truth"][list(data["cells"].index).index(cell)]
    run = work / "run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir()
    bins_tsv = run / "bins.tsv"
    bins.to_csv(bins_tsv, sep="\t", index=False)
    bed = run / "bins.bed"
    bins.loc[:, ["chrom", "start", "end"]].assign(name="-").to_csv(
        bed, sep="\t", header=False, index=False
    )
    empty = run / "empty.bed"
    empty.write_text("")
    sheet = run / "cells.tsv"
    pd.DataFrame(
        {"patient": ["P1"], "draw": ["D1"], "cell": [cell], "role": ["ctc"], "assay": ["wgs"]}
    ).to_csv(sheet, sep="\t", index=False)

    # ctcgenomics: ctcg cnv count + ctcg cnv call (one cell, no panel of normals).
    ctcg = str(BIN / "ctcg")
    t_count = _run(
        [
            ctcg,
            "cnv",
            "count",
            "--bam",
            str(bam),
            "--bins",
            str(bins_tsv),
            "--cell",
            cell,
            "--out",
            str(run / f"{cell}.tsv"),
        ]
    )
    t_call = _run(
        [
            ctcg,
            "cnv",
            "call",
            "--counts",
            str(run / f"{cell}.tsv"),
            "--bins",
            str(bins_tsv),
            "--sheet",
            str(sheet),
            "--patient",
            "P1",
            "--outdir",
            str(run / "ours"),
        ]
    )
    ours = pd.read_csv(run / "ours" / "segments.tsv", sep="\t")
    ours_cn = np.full(len(bins), np.nan)
    for s in ours.itertuples():
        ours_cn[s.start_bin : s.end_bin] = s.copy_number

    # CNVkit: flat reference once (not timed), then coverage + fix + segment.
    cnvkit = str(BIN / "cnvkit.py")
    _run(
        [
            cnvkit,
            "reference",
            "-o",
            str(run / "flat.cnn"),
            "-f",
            str(data["genome"]),
            "-t",
            str(bed),
            "-a",
            str(empty),
        ]
    )
    t_cov = _run(
        [
            cnvkit,
            "coverage",
            str(bam),
            str(bed),
            "-q",
            "20",
            "-o",
            str(run / "c.targetcoverage.cnn"),
        ]
    )
    t_cov += _run(
        [
            cnvkit,
            "coverage",
            str(bam),
            str(empty),
            "-q",
            "20",
            "-o",
            str(run / "c.antitargetcoverage.cnn"),
        ]
    )
    t_fix = _run(
        [
            cnvkit,
            "fix",
            str(run / "c.targetcoverage.cnn"),
            str(run / "c.antitargetcoverage.cnn"),
            str(run / "flat.cnn"),
            "-o",
            str(run / "c.cnr"),
        ]
    )
    t_seg = _run([cnvkit, "segment", str(run / "c.cnr"), "-m", "haar", "-o", str(run / "c.cns")])
    cns = pd.read_csv(run / "c.cns", sep="\t")
    kit_cn = np.full(len(bins), np.nan)
    for s in cns.itertuples():
        hit = (
            (bins["chrom"] == s.chromosome) & (bins["start"] >= s.start) & (bins["end"] <= s.end)
        ).to_numpy()
        kit_cn[hit] = np.rint(2 * 2.0**s.log2)

    # In-process: library calls only (no interpreter start-up, imports or figures).
    import cnvlib
    from cnvlib import coverage, fix, segmentation

    import ctcgenomics as ctc

    ctc.cnv.call_copy_number  # noqa: B018 - load the modules before timing
    t0 = time.perf_counter()
    counts, _ = ctc.cnv.count_cell(bam, bins, min_mapq=20)
    adata = ctc.cnv.counts_anndata(
        counts[None, :], bins, pd.DataFrame({"role": ["ctc"]}, index=[cell])
    )
    ctc.cnv.call_copy_number(adata)
    ours_lib = time.perf_counter() - t0
    ref = cnvlib.read(str(run / "flat.cnn"))
    t0 = time.perf_counter()
    tcov = coverage.do_coverage(str(bed), str(bam), min_mapq=20)
    acov = coverage.do_coverage(str(empty), str(bam), min_mapq=20)
    segmentation.do_segmentation(fix.do_fix(tcov, acov, ref), "haar")
    kit_lib = time.perf_counter() - t0

    ours_t, kit_t = t_count + t_call, t_cov + t_fix + t_seg
    ok = truth >= 0
    print(f"cell {cell}: {len(bins)} bins of {bins['end'].iloc[0] - bins['start'].iloc[0]} bp")
    print(
        f"ctcgenomics  count {t_count:.2f} s + call {t_call:.2f} s = {ours_t:.2f} s; "
        f"bins correct {np.mean(ours_cn[ok] == truth[ok]):.3f}"
    )
    print(
        f"CNVkit       coverage {t_cov:.2f} s + fix {t_fix:.2f} s + segment(haar) "
        f"{t_seg:.2f} s = {kit_t:.2f} s; bins correct {np.mean(kit_cn[ok] == truth[ok]):.3f}"
    )
    print(
        f"wall-time ratio CNVkit / ctcgenomics, command lines (incl. start-up, imports; "
        f"ours also draws the heatmap and profiles): {kit_t / ours_t:.2f}x"
    )
    print(
        f"in-process library calls: ctcgenomics {ours_lib:.3f} s, CNVkit {kit_lib:.3f} s; "
        f"ratio {kit_lib / ours_lib:.2f}x"
    )


if __name__ == "__main__":
    main()
