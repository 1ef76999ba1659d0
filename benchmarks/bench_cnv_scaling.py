"""Scaling of copy-number calling: time and peak memory for N cells x 6,000 bins.

Each size is simulated in one process and called in another, so the peak RSS is that
of calling (counts loaded, calls made), not of the simulator. Counts are negative
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
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _simulate(n_cells: int, path: Path) -> None:
    """Simulate ``n_cells`` and save them, so the timed process holds no simulator state."""
    sys.path.insert(0, str(ROOT / "tests" / "cnv"))
    import numpy as np
    from cnv_sim import simulate_counts

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
    sim.bins.to_pickle(path.with_suffix(".bins.pkl"))
    sim.cells.to_pickle(path.with_suffix(".cells.pkl"))
    np.savez(path, counts=sim.counts, truth=sim.truth.astype(np.int8))


def _one(path: Path) -> dict:
    import numpy as np
    import pandas as pd

    import ctcgenomics as ctc

    with np.load(path) as data:
        counts, truth = data["counts"], data["truth"]
    adata = ctc.cnv.counts_anndata(
        counts,
        pd.read_pickle(path.with_suffix(".bins.pkl")),
        pd.read_pickle(path.with_suffix(".cells.pkl")),
    )
    del counts
    loaded_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    ctc.cnv.call_copy_number(adata)
    t1 = time.perf_counter()
    ctc.cnv.call_clones(adata)
    t2 = time.perf_counter()
    acc = (adata.layers["copy_number"] == truth).mean(axis=1)
    return {
        "cells": adata.n_obs,
        "bins": adata.n_vars,
        "seconds": t2 - t0,
        "call_seconds": t1 - t0,
        "clone_seconds": t2 - t1,
        "ms_per_cell": 1000 * (t2 - t0) / adata.n_obs,
        "loaded_rss_mb": loaded_mb,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "median_bin_accuracy": float(np.median(acc)),
        "cells_ge_95pct": float((acc >= 0.95).mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--simulate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.simulate:
        _simulate(args.simulate, args.one)
        return
    if args.one:
        print(json.dumps(_one(args.one)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"cells{n}.npz"
            subprocess.run(
                [sys.executable, __file__, "--simulate", str(n), "--one", str(path)], check=True
            )
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(path)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
            r = rows[-1]
            print(
                f"{r['cells']:>6} cells x {r['bins']} bins: {r['seconds']:8.1f} s "
                f"({r['ms_per_cell']:.1f} ms/cell; calling {r['call_seconds']:.1f} s, "
                f"clones {r['clone_seconds']:.1f} s), peak RSS {r['peak_rss_mb']:.0f} MB "
                f"({r['loaded_rss_mb']:.0f} MB with the counts loaded), "
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
