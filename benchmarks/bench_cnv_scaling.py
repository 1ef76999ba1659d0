"""Scaling of copy-number calling: time and peak memory for N cells x 6,000 bins.

Each size runs in its own process (peak RSS is per process). Counts are negative
binomial around known integer profiles (arm loss/gain, focal amplification, doubled
cells, diploid WBCs) with a GC effect and smooth amplification bias; the accuracy of
the integer calls is printed with the timings.

Run: .venv/bin/python benchmarks/bench_cnv_scaling.py [--sizes 100 1000 5000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _one(n_cells: int) -> dict:
    sys.path.insert(0, str(ROOT / "tests" / "cnv"))
    import numpy as np
    from cnv_sim import simulate_counts

    import ctcgenomics as ctc

    n_wbc = max(3, n_cells // 10)
    n_wgd = max(1, n_cells // 10)
    sim = simulate_counts(
        seed=1,
        n_contigs=20,
        bins_per_contig=300,
        n_wbc=n_wbc,
        n_ctc=n_cells - n_wbc - n_wgd,
        n_wgd=n_wgd,
        bias_sd=0.05,
        bias_length=2.0,
    )
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells)
    del sim.counts
    t0 = time.perf_counter()
    ctc.cnv.call_copy_number(adata)
    ctc.cnv.call_clones(adata)
    wall = time.perf_counter() - t0
    acc = (adata.layers["copy_number"] == sim.truth).mean(axis=1)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "cells": n_cells,
        "bins": adata.n_vars,
        "seconds": wall,
        "ms_per_cell": 1000 * wall / n_cells,
        "peak_rss_mb": peak_mb,
        "median_bin_accuracy": float(np.median(acc)),
        "cells_ge_95pct": float((acc >= 0.95).mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one)))
        return
    rows = []
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], check=True, capture_output=True, text=True
        ).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        r = rows[-1]
        print(
            f"{r['cells']:>6} cells x {r['bins']} bins: {r['seconds']:8.1f} s "
            f"({r['ms_per_cell']:.1f} ms/cell), peak RSS {r['peak_rss_mb']:.0f} MB, "
            f"median bin accuracy {r['median_bin_accuracy']:.3f}, "
            f"cells >= 95% {r['cells_ge_95pct']:.2f}",
            flush=True,
        )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(
            f"time ratio {b['cells']}/{a['cells']} cells: {b['seconds'] / a['seconds']:.1f} "
            f"(linear = {b['cells'] / a['cells']:.0f})"
        )


if __name__ == "__main__":
    main()
