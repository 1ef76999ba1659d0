"""Depth-only count tables without GC: cells whose GC bias is strongest are not doubled."""

from __future__ import annotations

import numpy as np
import pandas as pd

import ctcgenomics as ctc
from ctcgenomics.simulate._arm_patient import arm_change_patient


def test_cells_with_strong_gc_bias_are_not_fitted_at_twice_their_ploidy():
    # benchmarks/bench_cnv_tables.py run 16:40:female without a gc column: 500 kb hg19
    # bins, 40 cells (8 diploid, two clones with arm changes), no WBCs, normal or allele
    # counts. Cells with the strongest GC bias formed a group of their own whose consensus
    # kept that bias; with the level error borrowed from the largest clone the consensus
    # fitted a finer scale, and four of its members were read at a wrong scale (bins
    # right 0.009-0.040; the benchmark's CLI run: two at twice their ploidy).
    patient = arm_change_patient(16, 40, "female")
    bins, sim = patient.bins, patient.sim
    cells = sim.cells
    meta = pd.DataFrame({"patient": "P1", "draw": "D1", "role": "ctc"}, index=cells.index)
    adata = ctc.cnv.counts_anndata(sim.counts, bins[["chrom", "start", "end"]], meta)
    ctc.cnv.call_copy_number(adata)
    ratio = adata.obs["ploidy"].to_numpy() / sim.cells["true_ploidy"].to_numpy()
    assert not np.any(np.abs(ratio - 2) < 0.3), np.round(ratio, 2)
    used = adata.var["used"].to_numpy() & ~adata.var["chrom"].isin(["chrX", "chrY"]).to_numpy()
    right = (np.asarray(adata.layers["copy_number"])[:, used] == sim.truth[:, used]).mean(axis=1)
    assert right.min() > 0.9, np.round(right, 3)
