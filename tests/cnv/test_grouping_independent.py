"""Grouping on cells of a second, independent simulator (``benchmarks/bench_cnv_independent.py``).

Ten CTCs of two clones on one 78-bin contig (the bundled chr17 segment's length), no
allele counts: the case where a mixture model fitted to a handful of cells split a
clone of six into pairs and lone cells, so each member borrowed one or two votes.
"""

import sys
from pathlib import Path

import numpy as np

import ctcgenomics as ctc

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_cnv_independent import simulate


def test_a_clone_of_six_is_grouped_together_and_clones_do_not_mix():
    # Seeds 0-9 at waves of SD 0.1. Before the merge step the clone of six was split
    # into pairs and lone cells (largest group 2.9 cells on average).
    largest = []
    for seed in range(10):
        counts, bins, meta, _ = simulate(seed, layout="chr17", wave_sd=0.1)
        adata = ctc.cnv.counts_anndata(counts, bins, meta)
        ctc.cnv.call_copy_number(adata)
        group = adata.obs["group"].to_numpy()
        clone = np.array([name.rstrip("0123456789") for name in adata.obs_names])
        for g in set(group[(group >= 0) & (clone != "WBC")]):
            assert len(set(clone[group == g])) == 1, (seed, g, set(clone[group == g]))
        diploid = group[clone == "CTCA"]
        largest.append(np.bincount(diploid[diploid >= 0]).max() if (diploid >= 0).any() else 1)
    assert np.mean(largest) >= 4.0, largest
