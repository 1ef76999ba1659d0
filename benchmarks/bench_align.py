"""Wall time of the workflow's alignment step versus the bare bwa/samtools chain.

Both run on the same simulated cell (paired-end, gzipped FASTQ) against the same
bwa-indexed reference, alternately, in one run; the script prints the median wall time
of each and their ratio (target: ctcg align / bare chain <= 1.15).

    python benchmarks/bench_align.py [--pairs 400000] [--threads 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ctcgenomics as ctc

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "ctcgenomics" / "data" / "reference" / "hg38_chr17_1-7843138.fa.gz"


def _simulate(outdir: Path, pairs: int) -> tuple[Path, Path]:
    spec = ctc.simulate.load_spec(
        {
            "seed": 11,
            "reference": str(REFERENCE),
            "clones": {"normal": {}},
            "cells": [
                {
                    "id": "bench",
                    "patient": "B",
                    "draw": "D1",
                    "role": "ctc",
                    "clone": "normal",
                    "assay": "wgs",
                    "n_read_pairs": pairs,
                }
            ],
        }
    )
    ctc.simulate.simulate(spec, outdir)
    return outdir / "fastq" / "bench_R1.fastq.gz", outdir / "fastq" / "bench_R2.fastq.gz"


def _time(cmd: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=400_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_align_"))
    try:
        genome = ctc.align.prepare_reference(REFERENCE, work / "ref")
        r1, r2 = _simulate(work / "sim", args.pairs)
        t = args.threads
        ctcg = shutil.which("ctcg") or f"{sys.executable} -m ctcgenomics"
        ours = (
            f"{ctcg} align --cell bench --reference {genome} --fq1 {r1} --fq2 {r2}"
            f" --out {work}/ours.bam --threads {t}"
        )
        rg = r"'@RG\tID:bench\tSM:bench\tLB:bench\tPL:ILLUMINA'"
        bare = (
            f"bwa mem -t {t} -R {rg} {genome} {r1} {r2} | samtools fixmate -m -u - - | "
            f"samtools sort -u -@ {t} -m 512M -T {work}/bare.sort - | "
            f"samtools markdup -@ {t} - {work}/bare.bam && samtools index {work}/bare.bam"
        )
        times: dict[str, list[float]] = {"ctcg align": [], "bwa|samtools": []}
        for _ in range(args.repeats):
            times["ctcg align"].append(_time(ours))
            times["bwa|samtools"].append(_time(bare))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"cell: {args.pairs:,} read pairs, {t} threads, {args.repeats} repeats (median)")
        for name, value in med.items():
            print(
                f"  {name:<14} {value:7.2f} s   runs: {', '.join(f'{x:.2f}' for x in times[name])}"
            )
        print(
            f"ratio ctcg align / bare chain: {med['ctcg align'] / med['bwa|samtools']:.3f}"
            "  (target <= 1.15)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
