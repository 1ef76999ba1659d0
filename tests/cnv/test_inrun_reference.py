"""In-run reference: a run without WBCs or a normal uses its own flat diploid cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcgenomics as ctc
from ctcgenomics.cnv._config import CNVConfig
from ctcgenomics.cnv._inrun_reference import is_flat
from ctcgenomics.simulate._arm_patient import ArmPatient, arm_change_patient

ON = CNVConfig(in_run_reference=True)  # opt-in (docs/cnv.md, In-run reference)


def _call(patient: ArmPatient, config: CNVConfig | None = ON):
    bins, sim = patient.bins, patient.sim
    meta = pd.DataFrame({"patient": "P1", "draw": "D1", "role": "ctc"}, index=sim.cells.index)
    adata = ctc.cnv.counts_anndata(sim.counts, bins[["chrom", "start", "end", "gc"]], meta)
    ctc.cnv.call_copy_number(adata, config=config)
    auto = adata.var["used"].to_numpy() & ~adata.var["chrom"].isin(["chrX", "chrY"]).to_numpy()
    return adata, np.asarray(adata.layers["copy_number"]), auto


def _biased(seed: int, n_normal: int | None = None) -> ArmPatient:
    # Count tables of real runs: a per-bin bias every cell shares (log SD 0.15) and 20
    # low-mappability stretches of 1-12 bins (500 kb) at 50-80 % of the reads.
    return arm_change_patient(
        seed, 20, "female", shared_bias_sd=0.15, low_map_stretches=20, max_stretch_bins=12,
        n_normal=n_normal,
    )  # fmt: skip


def test_flat_profile_allows_short_changes_only():
    autosome = np.ones(100, dtype=bool)
    cn = np.full(100, 2.0)
    seg_id = np.zeros(100, dtype=int)
    assert is_flat(cn, seg_id, autosome, min_event_bins=25, max_off_fraction=0.05)
    cn[40:43], seg_id[40:43], seg_id[43:] = 1.0, 1, 2
    assert is_flat(cn, seg_id, autosome, min_event_bins=25, max_off_fraction=0.05)
    cn[60:90], seg_id[60:90], seg_id[90:] = 3.0, 3, 4  # an arm-sized gain
    assert not is_flat(cn, seg_id, autosome, min_event_bins=25, max_off_fraction=0.5)


def test_shared_low_mappability_is_not_called_in_diploid_cells():
    # Without a reference every cell, diploid ones included, showed the shared
    # low-mappability stretches as losses (without the in-run reference: 12-33 false
    # bins per diploid cell of this run, 102 planted stretch bins).
    patient = _biased(1)
    adata, cn, auto = _call(patient)
    assert adata.uns["ctc_cnv"]["reference"] == "in_run_diploid"
    truth, clone = patient.sim.truth, patient.sim.cells["clone"].to_numpy()
    assert patient.low_map is not None
    planted = int((patient.low_map & auto).sum())
    normal = clone == "normal"
    false_bins = (cn[normal][:, auto] != truth[normal][:, auto]).sum(axis=1)
    assert false_bins.mean() < 0.1 * planted, (false_bins, planted)
    # Clonal changes (shared by every tumour cell) stay called.
    event = auto & (truth[~normal] != 2).all(axis=0)
    assert event.any()
    assert (cn[~normal][:, event] == truth[~normal][:, event]).mean() > 0.95


def test_run_without_diploid_cells_takes_no_tumour_cell_as_reference():
    patient = _biased(1, n_normal=0)
    adata, cn, auto = _call(patient)
    assert adata.uns["ctc_cnv"]["reference"] == "none"
    truth = patient.sim.truth
    event = auto & (truth != 2).all(axis=0)
    assert event.any()
    assert (cn[:, event] == truth[:, event]).mean() > 0.95


def _near_diploid_run() -> tuple[ArmPatient, np.ndarray, np.ndarray, np.ndarray]:
    # 4 diploid cells and 12 near-diploid CTCs whose only changes are a 3-bin homozygous
    # deletion and a 3-bin amplicon (CN 8): the CTCs pass as flat and make the panel.
    from ctcgenomics.simulate import genome_bins, germline_cn, simulate_counts

    contigs = {"chr1": 40_000_000, "chr2": 30_000_000, "chr3": 30_000_000}
    bins = genome_bins(contigs, bin_size=500_000, seed=3)
    ga, gb = germline_cn(bins, "female")
    a, b = ga.copy(), gb.copy()
    deleted, amplified = np.arange(20, 23), np.arange(100, 103)
    a[deleted], b[deleted] = 0, 0
    a[amplified], b[amplified] = 4, 4
    cells = pd.DataFrame({"clone": ["normal"] * 4 + ["T"] * 12, "sex": "female"})
    cells.index = [f"C{i:02d}" for i in range(len(cells))]
    sim = simulate_counts(bins, {"normal": (ga, gb), "T": (a, b)}, cells, seed=3)
    tumour = (cells["clone"] == "T").to_numpy()
    return ArmPatient(bins, sim), tumour, deleted, amplified


def test_focal_events_of_near_diploid_tumour_cells_are_not_divided_out():
    # The CTCs' deletion and amplicon must not be divided out of every cell.
    patient, tumour, deleted, amplified = _near_diploid_run()
    _, cn, _ = _call(patient)
    assert (cn[np.ix_(tumour, deleted)] == 0).mean() >= 0.9
    assert (cn[np.ix_(tumour, amplified)] >= 6).mean() >= 0.9


@pytest.mark.xfail(
    strict=True,
    reason="known bug (docs/cnv.md, In-run reference): C01 carries a 15 Mb coverage step "
    "(x1.3) on chr3; with the panel the 2-cell normal group's consensus cuts there and "
    "C01's own depth-only scale fit reads 0.93/1.22 as CN 3/4 (ploidy 3.18)",
)
def test_diploid_cells_stay_diploid_next_to_near_diploid_tumour_cells():
    patient, tumour, _, _ = _near_diploid_run()
    adata, cn, auto = _call(patient)
    assert (cn[np.ix_(~tumour, auto)] == 2).mean() >= 0.95
    assert np.allclose(adata.obs["ploidy"].to_numpy()[~tumour], 2.0, atol=0.1)


def test_in_run_reference_is_off_by_default():
    assert not CNVConfig().in_run_reference
    patient = _biased(1)
    adata, _, _ = _call(patient, None)
    assert adata.uns["ctc_cnv"]["reference"] == "none"
