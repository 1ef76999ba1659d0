"""Scaling of copy-number calling: time and peak memory for N cells x 6,000 bins.

Each size is simulated in one process and called in another, so the peak RSS is that
of calling (counts loaded, calls made), not of the simulator. Counts are negative
binomial around known integer profiles (arm loss/gain, focal amplification, doubled
cells, diploid WBCs) with a GC effect and smooth amplification bias; the accuracy of
the integer calls is printed with the timings.

With ``--alleles`` the cells come from ``ctcgenomics.simulate.random_patient`` instead
(20 contigs of 30 Mb: 6,000 bins of 100 kb; clones A, A1, A2 doubled with odd arms and
Apure in 3:3:2:1, 10 % WBCs; MDA noise at MAPD ~0.36; allele counts at
``--snps-per-bin`` heterozygous SNPs per bin), so the allelic pooling (overdispersion,
per-cell site likelihoods, pooled group B-allele fractions, the allelic merge and join)
is timed too; accuracy is then against the truth at the reported scale.

Run: .venv/bin/python benchmarks/bench_cnv_scaling.py [--sizes 100 1000 5000]
     [--alleles [--snps-per-bin 20] [--reads-per-bin 100]]
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


def _simulate_alleles(n_cells: int, path: Path, snps: float, reads: float) -> None:
    """A patient with allele counts (random_patient), saved for a fresh process."""
    import pickle

    import ctcgenomics as ctc

    n_wbc = max(3, n_cells // 10)
    n_ctc = n_cells - n_wbc
    sizes = {"A": 3 * n_ctc // 9, "A1": 3 * n_ctc // 9, "A2": 2 * n_ctc // 9}
    sizes["Apure"] = n_ctc - sum(sizes.values())
    sim = ctc.simulate.random_patient(
        1,
        contigs={f"c{i + 1}": 30_000_000 for i in range(20)},
        n_wbc=n_wbc,
        cells_per_clone=sizes,
        reads_per_bin=reads,
        het_snps_per_bin=snps,
    )
    import numpy as np

    # Saved lean, so loading them does not inflate the peak RSS of calling: counts and
    # allele columns as arrays (cell and chrom as categorical codes, as a user reading
    # the allele TSV with categorical dtypes holds them); the truth apart, read after.
    al = sim.alleles
    cell = al["cell"].astype("category")
    chrom = al["chrom"].astype("category")
    np.savez(
        path,
        counts=sim.counts,
        cell_codes=cell.cat.codes.to_numpy(),
        cell_names=np.asarray(cell.cat.categories, dtype=str),
        chrom_codes=chrom.cat.codes.to_numpy(),
        chrom_names=np.asarray(chrom.cat.categories, dtype=str),
        start=al["start"].to_numpy(),
        end=al["end"].to_numpy(),
        a_count=al["a_count"].to_numpy(np.int32),
        b_count=al["b_count"].to_numpy(np.int32),
    )
    sim.counts, sim.alleles = None, None
    path.with_suffix(".pkl").write_bytes(pickle.dumps(sim))


def _one_alleles(path: Path) -> dict:
    import pickle

    import numpy as np

    import ctcgenomics as ctc

    sys.path.insert(0, str(ROOT / "tests" / "cnv"))
    import pandas as pd
    from cnv_eval import cell_metrics

    sim = pickle.loads(path.with_suffix(".pkl").read_bytes())
    with np.load(path) as data:
        adata = ctc.cnv.counts_anndata(
            data["counts"], sim.bins, sim.cells[["patient", "draw", "role"]]
        )
        alleles = pd.DataFrame(
            {
                "cell": pd.Categorical.from_codes(data["cell_codes"], data["cell_names"]),
                "chrom": pd.Categorical.from_codes(data["chrom_codes"], data["chrom_names"]),
                "start": data["start"],
                "end": data["end"],
                "a_count": data["a_count"],
                "b_count": data["b_count"],
            }
        )
    n_allele_rows = len(alleles)
    out = _timed_call(adata, alleles=alleles)
    del alleles
    acc = cell_metrics(sim, adata)["acc"].to_numpy()
    return out | _accuracy(acc) | {"allele_rows": n_allele_rows}


def _timed_call(adata, alleles=None) -> dict:
    """Call copy number and clones; time them and read the peak RSS."""
    import ctcgenomics as ctc

    loaded_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    ctc.cnv.call_copy_number(adata, alleles=alleles)
    t1 = time.perf_counter()
    ctc.cnv.call_clones(adata)
    t2 = time.perf_counter()
    return {
        "cells": adata.n_obs,
        "bins": adata.n_vars,
        "seconds": t2 - t0,
        "call_seconds": t1 - t0,
        "clone_seconds": t2 - t1,
        "ms_per_cell": 1000 * (t2 - t0) / adata.n_obs,
        "loaded_rss_mb": loaded_mb,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _accuracy(acc) -> dict:
    import numpy as np

    return {
        "median_bin_accuracy": float(np.median(acc)),
        "cells_ge_95pct": float((acc >= 0.95).mean()),
    }


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
    out = _timed_call(adata)
    return out | _accuracy((adata.layers["copy_number"] == truth).mean(axis=1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--simulate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--alleles", action="store_true", help="allele counts too")
    parser.add_argument("--snps-per-bin", type=float, default=20.0)
    parser.add_argument("--reads-per-bin", type=float, default=100.0)
    args = parser.parse_args()
    if args.simulate:
        if args.alleles:
            _simulate_alleles(args.simulate, args.one, args.snps_per_bin, args.reads_per_bin)
        else:
            _simulate(args.simulate, args.one)
        return
    if args.one:
        print(json.dumps(_one_alleles(args.one) if args.alleles else _one(args.one)))
        return
    extra = (
        ["--alleles", "--snps-per-bin", str(args.snps_per_bin), "--reads-per-bin",
         str(args.reads_per_bin)] if args.alleles else []
    )  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"cells{n}.npz"
            subprocess.run(
                [sys.executable, __file__, "--simulate", str(n), "--one", str(path), *extra],
                check=True,
            )
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(path), *extra],
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
                f"({r['loaded_rss_mb']:.0f} MB with the counts loaded"
                + (f", {r['allele_rows']:,} allele rows" if "allele_rows" in r else "")
                + "), "
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
