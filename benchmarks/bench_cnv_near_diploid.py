"""Diploid cells next to near-diploid CTCs in runs without WBCs (docs/cnv.md, issue 14).

Each run: 3 contigs (40, 30, 30 Mb) in 500 kb bins (``genome_bins``), 2, 4 or 6 diploid
cells and 12 CTCs whose only changes are a 3-bin homozygous deletion (bins 20-22) and a
3-bin amplicon at 8 copies (bins 100-102), all labelled CTC (no WBCs, no normal);
``genome_bins`` and ``simulate_counts`` take the same seed. Called with
``cnv.in_run_reference`` off and on. Printed per run: diploid cells whose ploidy is off
2 +- 0.1 and their ploidies, and the share of carrier bins with the deletion called 0 and
the amplicon called >= 6; then totals per setting.

Run: .venv/bin/python benchmarks/bench_cnv_near_diploid.py [--seeds 0 8]
(seeds 0-3 were the tuning seeds of 2026-12-02, 4-7 held out)
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd

import ctcgenomics as ctc
from ctcgenomics.cnv._config import CNVConfig
from ctcgenomics.simulate import genome_bins, germline_cn, simulate_counts

DELETED, AMPLIFIED = np.arange(20, 23), np.arange(100, 103)


def run(seed: int, n_normal: int, in_run: bool) -> tuple[np.ndarray, float, float]:
    """Diploid cells' ploidies, deletion and amplicon share kept in the 12 carriers."""
    contigs = {"chr1": 40_000_000, "chr2": 30_000_000, "chr3": 30_000_000}
    bins = genome_bins(contigs, bin_size=500_000, seed=seed)
    ga, gb = germline_cn(bins, "female")
    a, b = ga.copy(), gb.copy()
    a[DELETED], b[DELETED] = 0, 0
    a[AMPLIFIED], b[AMPLIFIED] = 4, 4
    cells = pd.DataFrame({"clone": ["normal"] * n_normal + ["T"] * 12, "sex": "female"})
    cells.index = [f"C{i:02d}" for i in range(len(cells))]
    sim = simulate_counts(bins, {"normal": (ga, gb), "T": (a, b)}, cells, seed=seed)
    tumour = (cells["clone"] == "T").to_numpy()
    meta = pd.DataFrame({"patient": "P1", "draw": "D1", "role": "ctc"}, index=sim.cells.index)
    adata = ctc.cnv.counts_anndata(sim.counts, bins[["chrom", "start", "end", "gc"]], meta)
    ctc.cnv.call_copy_number(adata, config=CNVConfig(in_run_reference=in_run))
    cn = np.asarray(adata.layers["copy_number"])
    deletion = float((cn[np.ix_(tumour, DELETED)] == 0).mean())
    amplicon = float((cn[np.ix_(tumour, AMPLIFIED)] >= 6).mean())
    return adata.obs["ploidy"].to_numpy()[~tumour], deletion, amplicon


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", nargs=2, type=int, default=[0, 8], metavar=("FIRST", "STOP"))
    args = ap.parse_args()
    logging.getLogger("ctcgenomics").setLevel(logging.ERROR)  # "no reference" per run
    for in_run in (False, True):
        n_cells = n_runs = 0
        for seed in range(*args.seeds):
            for n_normal in (2, 4, 6):
                ploidy, deletion, amplicon = run(seed, n_normal, in_run)
                off = int((np.abs(ploidy - 2.0) > 0.1).sum())
                n_cells, n_runs = n_cells + off, n_runs + (off > 0)
                print(
                    f"in-run {'on ' if in_run else 'off'} seed {seed} normals {n_normal}: "
                    f"off 2 {off}, deletion {deletion:.2f}, amplicon {amplicon:.2f}, "
                    f"ploidy {np.round(ploidy, 2).tolist()}"
                )
        setting = "on" if in_run else "off"
        print(f"== in-run {setting}: {n_cells} diploid cells in {n_runs} runs off ploidy 2 +- 0.1")


if __name__ == "__main__":
    main()
