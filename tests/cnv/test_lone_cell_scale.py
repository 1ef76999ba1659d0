"""A cell read at its own scale is vouched for only when the run measures level errors.

Called alone (no WBC, no normal), each CTC of ``random_patient`` seeds 0-2 with its
allele counts: 16 of 60 came out at another scale (near-diploid cells at 4.1-6.0), 10
of them flagged identifiable. One diploid WBC beside the CTC measures the level error.
"""

import logging

import numpy as np

import ctcgenomics as ctc


def _call(sim, names):
    idx = [list(sim.cells.index).index(n) for n in names]
    adata = ctc.cnv.counts_anndata(
        sim.counts[idx], sim.bins, sim.cells[["patient", "draw", "role"]].iloc[idx]
    )
    ctc.cnv.call_copy_number(adata, alleles=sim.alleles[sim.alleles["cell"].isin(names)])
    return adata, idx


def test_a_lone_ctc_without_wbcs_is_not_vouched_for(caplog):
    caplog.set_level(logging.ERROR)
    sim = ctc.simulate.random_patient(0)
    for cell in ("A_CTC6", "A1_CTC4"):  # read at 5.9 and 4.6 alone (truth 2.0)
        adata, idx = _call(sim, [cell])
        obs = adata.obs.iloc[0]
        if abs(obs["ploidy"] - sim.truth[idx[0]].mean()) > 0.25:
            assert not obs["ploidy_identifiable"], (cell, obs["ploidy"])
        assert "level error not measured" in obs["ploidy_evidence"]


def test_one_wbc_beside_a_lone_ctc_measures_its_level_error(caplog):
    caplog.set_level(logging.ERROR)
    sim = ctc.simulate.random_patient(0)
    adata, idx = _call(sim, ["WBC1", "A2_CTC1"])  # doubled, odd post-doubling states
    obs = adata.obs.iloc[1]
    assert abs(obs["ploidy"] - sim.truth[idx[1]].mean()) <= 0.25
    assert obs["ploidy_identifiable"]
    assert "level error" not in obs["ploidy_evidence"]
    assert np.isfinite(adata.obs["ploidy"]).all()
