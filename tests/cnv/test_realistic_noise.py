"""The caller at MDA-like noise (count-level simulations): the acceptance of issue 14.

Each patient (``ctc.simulate.random_patient``) has 6 WBCs and 20 CTCs in four clones at
MAPD about 0.36 (100 kb bins, 300 reads per bin, default MDA amplification), with allele
counts at heterozygous SNPs. The full sweep (more seeds and noise settings) is
``benchmarks/bench_cnv_accuracy.py``; its figures are in docs/cnv.md.
"""

import numpy as np
import pandas as pd
import pytest
from cnv_eval import cell_metrics, event_metrics

import ctcgenomics as ctc

SEEDS = (5, 6)


@pytest.fixture(scope="module")
def results():
    cells, events, wbc_calls = [], [], 0
    for seed in SEEDS:
        sim = ctc.simulate.random_patient(seed)
        adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells[["patient", "draw", "role"]])
        ctc.cnv.call_copy_number(adata, alleles=sim.alleles)
        genes = ctc.cnv.gene_calls(adata, gene_table=sim.genes)
        wbc = sim.cells.index[sim.cells["role"] == "wbc"]
        deep_or_amp = genes["call"].isin(["AMPLIFICATION", "DELETION"])
        wbc_calls += int((genes["cell"].isin(wbc) & deep_or_amp).sum())
        cells.append(cell_metrics(sim, adata))
        events.append(event_metrics(sim, adata))
    return pd.concat(cells), pd.concat(events), wbc_calls


def test_noise_is_in_the_mda_range(results):
    cells, _, _ = results
    assert 0.30 <= np.median(cells["mapd"]) <= 0.42


def test_integer_copy_number_right_in_95_percent_of_ctc_bins(results):
    cells, _, _ = results
    ctcs = cells[(cells["role"] == "ctc") & cells["qc_pass"]]
    assert len(ctcs) >= 0.9 * (cells["role"] == "ctc").sum()
    assert ctcs["acc"].mean() >= 0.95, ctcs["acc"].describe()
    assert cells.loc[cells["role"] == "wbc", "acc"].min() >= 0.99


def test_homozygous_deletions_and_one_bin_amplicons_found(results):
    _, events, wbc_calls = results
    homdel = events[events["kind"] == "homdel"]
    assert homdel["found"].all(), homdel[~homdel["found"]]
    amp = events[events["kind"] == "focal_amp"]
    assert amp["found"].mean() >= 0.9, amp[~amp["found"]]
    assert wbc_calls == 0


def test_eight_bin_one_copy_changes_found(results):
    _, events, _ = results
    one_copy = events[events["kind"].isin(["gain", "loss"])]
    assert one_copy["found"].mean() >= 0.85, one_copy[~one_copy["found"]]


def test_doubled_cells_at_ploidy_four_and_pure_doubling_unidentifiable(results):
    cells, _, _ = results
    doubled = cells[cells["clone"] == "A2"]
    assert (doubled["ploidy_err"] <= 0.25).mean() >= 0.9, doubled
    assert (doubled["ploidy"] > 3.5).all()
    pure = cells[cells["clone"] == "Apure"]
    assert not pure["identifiable"].any(), pure
