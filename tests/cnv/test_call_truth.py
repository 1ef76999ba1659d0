"""Copy-number calling on count matrices simulated around known integer profiles."""

import numpy as np
import pandas as pd
import pytest
from cnv_sim import simulate_counts

import ctcgenomics as ctc
from ctcgenomics.cnv._call import SEGMENT_COLUMNS

SCENARIOS = [dict(seed=s, bias_sd=0.05, bias_length=2.0) for s in (6, 7, 8)]


def _called(**kw):
    sim = simulate_counts(**kw)
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells)
    ctc.cnv.call_copy_number(adata)
    return sim, adata


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: f"seed{p['seed']}")
def called(request):
    return _called(**request.param)


@pytest.fixture(scope="module")
def pooled():
    """Per-cell truth metrics over all scenarios."""
    rows = []
    for kw in SCENARIOS:
        sim, adata = _called(**kw)
        chrom = sim.bins["chrom"].to_numpy()
        segs = adata.uns["ctc_cnv"]["segments"]
        for i, cell in enumerate(adata.obs_names):
            t = sim.truth[i]
            true_bp = np.flatnonzero((t[1:] != t[:-1]) & (chrom[1:] == chrom[:-1])) + 1
            s = segs[segs["cell"] == cell]
            same = s["chrom"].to_numpy()[1:] == s["chrom"].to_numpy()[:-1]
            called_bp = s["start_bin"].to_numpy()[1:][same]
            dist = [np.min(np.abs(called_bp - b)) if len(called_bp) else 99 for b in true_bp]
            # Step size relative to the cell's mean copy number: 0.25 for one copy on a
            # base of four (doubled cells), about 0.5 for one copy on a base of two.
            contrast = [abs(int(t[b]) - int(t[b - 1])) / t.mean() for b in true_bp]
            rows.append(
                {
                    "seed": kw["seed"],
                    "cell": cell,
                    "clone": sim.cells["true_clone"].iloc[i],
                    "qc_pass": bool(adata.obs["qc_pass"].iloc[i]),
                    "acc": float((adata.layers["copy_number"][i] == t).mean()),
                    "ploidy_err": abs(
                        adata.obs["ploidy"].iloc[i] - sim.cells["true_ploidy"].iloc[i]
                    ),
                    "bp_dist": dist,
                    "bp_contrast": contrast,
                    "n_called_bp": len(called_bp),
                }
            )
    return pd.DataFrame(rows)


def test_diploid_based_cells_meet_acceptance(pooled):
    """WBCs and the aneuploid near-diploid clone: >= 95% bins, ploidy +-0.25."""
    cells = pooled[(pooled["clone"] != "A_wgd") & pooled["qc_pass"]]
    assert len(cells) >= 0.9 * (pooled["clone"] != "A_wgd").sum()
    assert (cells["acc"] >= 0.95).all(), cells
    assert (cells["ploidy_err"] <= 0.25).all(), cells


def test_whole_genome_doubled_cells_come_out_tetraploid(pooled):
    wgd = pooled[pooled["clone"] == "A_wgd"]
    assert wgd["qc_pass"].all(), wgd
    assert (wgd["ploidy_err"] <= 0.25).all(), wgd
    assert (wgd["acc"] >= 0.95).all(), wgd


def test_breakpoints_within_one_bin(pooled):
    ok = pooled[pooled["qc_pass"] & (pooled["ploidy_err"] <= 0.25)]
    dist = np.concatenate([np.asarray(d, dtype=float) for d in ok["bp_dist"]])
    contrast = np.concatenate([np.asarray(c, dtype=float) for c in ok["bp_contrast"]])
    # Steps of at least one copy on a base of two: the acceptance target.
    strong = contrast >= 0.4
    assert (dist[strong] <= 1).mean() >= 0.9, dist[strong]
    assert dist[strong].max() <= 5, dist[strong]
    # One copy on a base of four is half the contrast, at the scale of amplification
    # waves: placed near, not always within one bin (documented limit, docs/cnv.md).
    weak = ~strong
    assert weak.any()
    assert (dist[weak] <= 5).mean() >= 0.75, dist[weak]
    assert dist[weak].max() <= 15, dist[weak]
    n_true = ok["bp_dist"].apply(len)
    assert (ok["n_called_bp"] == n_true).mean() >= 0.9


def test_focal_amplification_in_every_carrier_and_none_in_wbcs(called):
    sim, adata = called
    focal = sim.bins.iloc[sim.focal]
    genes = pd.DataFrame(
        {
            "chrom": [focal["chrom"].iloc[0], "c4", "c1"],
            "start": [int(focal["start"].iloc[1]) + 10, 1_000_000, 200_000],
            "end": [int(focal["start"].iloc[1]) + 5000, 1_010_000, 210_000],
            "gene": ["AMPGENE", "NEUTRALGENE", "LOSSGENE"],
        }
    )
    calls = ctc.cnv.gene_calls(adata, gene_table=genes, arms=sim.arms)
    amp = calls[calls["gene"] == "AMPGENE"].set_index("cell")
    carriers = sim.cells.index[sim.cells["role"] == "ctc"]
    assert (amp.loc[carriers, "call"] == "AMPLIFICATION").all()
    assert (amp.loc[carriers, "extent"] == "focal").all()
    wbc = calls[calls["cell"].isin(sim.cells.index[sim.cells["role"] == "wbc"])]
    assert not wbc["call"].isin(["AMPLIFICATION", "DELETION"]).any()
    loss = calls[(calls["gene"] == "LOSSGENE") & calls["cell"].isin(carriers)]
    diploid_ctc = sim.cells.index[sim.cells["true_clone"] == "A"]
    loss = loss[loss["cell"].isin(diploid_ctc)]
    assert (loss["call"] == "LOSS").all() and (loss["extent"] == "arm").all()


def test_alterations_rows_carry_prevalence_per_draw(called):
    sim, adata = called
    focal = sim.bins.iloc[sim.focal]
    genes = pd.DataFrame(
        {
            "chrom": [focal["chrom"].iloc[0]],
            "start": [int(focal["start"].iloc[1])],
            "end": [int(focal["start"].iloc[1]) + 1000],
            "gene": ["AMPGENE"],
        }
    )
    calls = ctc.cnv.gene_calls(adata, gene_table=genes, arms=sim.arms)
    rows = ctc.cnv.cnv_alterations(calls, adata.obs, patient="P1")
    amp = rows[rows["alteration"] == "AMPLIFICATION"].set_index("draw")
    ctc_pass = adata.obs[(adata.obs["role"] == "ctc") & adata.obs["qc_pass"]]
    for draw, n in ctc_pass.groupby("draw").size().items():
        assert amp.loc[draw, "n_cells_altered"] == n
        assert amp.loc[draw, "n_cells_evaluable"] == n
        assert amp.loc[draw, "prevalence"] == 1.0 and amp.loc[draw, "ci_low"] < 1.0


def test_low_read_cell_is_reported_not_dropped():
    sim = simulate_counts(seed=1, bias_sd=0.05, bias_length=2.0, n_low=1, reads_per_bin=150)
    counts = sim.counts.copy()
    counts[0] = np.random.default_rng(0).poisson(0.5, counts.shape[1])
    adata = ctc.cnv.counts_anndata(counts, sim.bins, sim.cells)
    ctc.cnv.call_copy_number(adata)
    assert adata.n_obs == len(sim.cells)
    assert adata.obs["qc_reason"].iloc[0] == "too_few_reads"
    assert not adata.obs["qc_pass"].iloc[0]
    assert np.isnan(adata.layers["copy_number"][0]).all()
    assert adata.obs["qc_pass"].iloc[1:].sum() >= len(sim.cells) - 2


def test_noisy_cell_flagged_with_reason():
    sim = simulate_counts(seed=2, bias_sd=0.05, bias_length=2.0)
    counts = sim.counts.copy()
    rng = np.random.default_rng(1)
    counts[5] = rng.poisson(counts[5] * rng.lognormal(0, 0.8, counts.shape[1]))
    adata = ctc.cnv.counts_anndata(counts, sim.bins, sim.cells)
    ctc.cnv.call_copy_number(adata)
    assert not adata.obs["qc_pass"].iloc[5]
    assert "high_mapd" in adata.obs["qc_reason"].iloc[5]


def test_scanpy_style_copy_and_params():
    sim = simulate_counts(seed=6, bias_sd=0.05, bias_length=2.0, n_ctc=2, n_wgd=0)
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells)
    out = ctc.cnv.call_copy_number(adata, copy=True, key_added="cnv2")
    assert "copy_number" not in adata.layers
    assert out.uns["cnv2"]["params"]["transition_prob"] == ctc.cnv.CNVConfig().transition_prob
    assert set(SEGMENT_COLUMNS) <= set(out.uns["cnv2"]["segments"].columns)


def test_aneuploid_wbc_is_flagged():
    sim = simulate_counts(seed=6, bias_sd=0.05, bias_length=2.0)
    cells = sim.cells.copy()
    cells.iloc[5, cells.columns.get_loc("role")] = "wbc"  # an aneuploid CTC labelled WBC
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, cells)
    ctc.cnv.call_copy_number(adata)
    assert "wbc_not_diploid" in adata.obs["qc_reason"].iloc[5]
    assert adata.obs["qc_pass"].iloc[:5].all()


def test_strong_waves_do_not_make_near_diploid_cells_doubled():
    """Waves of 8 bins (SD 0.08) cut wave segments that could pass as odd states of a
    doubled cell; the level error calibrated on the WBCs must keep such cells diploid."""
    errors, cvs = [], []
    for seed in (10, 11, 12):
        sim, adata = _called(seed=seed, bias_sd=0.08, bias_length=8.0)
        cvs.append(adata.uns["ctc_cnv"]["level_cv_wbc"])
        near = (sim.cells["true_clone"] != "A_wgd").to_numpy()
        err = (adata.obs["ploidy"] - sim.cells["true_ploidy"]).abs().to_numpy()
        errors.extend(err[near])
    errors = np.asarray(errors)
    assert (errors <= 0.25).mean() >= 0.95, errors
    # The calibration sees the waves (clean runs give about 0, see the pooled scenarios).
    assert min(cvs) > 0.02, cvs


def test_clean_wbcs_give_no_level_error(called):
    _, adata = called
    assert adata.uns["ctc_cnv"]["level_cv_wbc"] < 0.02


def _lone_cells_ploidy_ok(config: dict) -> tuple[int, int]:
    """Near-diploid CTCs called one at a time (no WBCs) on 5 kb bins with 150 kb waves."""
    ok = n = 0
    for seed in range(4):
        sim = simulate_counts(
            seed=seed, bin_bp=5000, bins_per_contig=300, bias_sd=0.08, bias_length=30.0,
            n_wbc=0, n_wgd=0,
        )  # fmt: skip
        for i in range(len(sim.cells)):
            adata = ctc.cnv.counts_anndata(
                sim.counts[i : i + 1], sim.bins, sim.cells.iloc[i : i + 1]
            )
            ctc.cnv.call_copy_number(adata, config=ctc.cnv.CNVConfig(**config))
            err = abs(adata.obs["ploidy"].iloc[0] - sim.cells["true_ploidy"].iloc[i])
            ok += int(err <= 0.25 and adata.obs["qc_pass"].iloc[0])
            n += 1
    return ok, n


def test_small_bins_waves_are_noise_not_segments():
    """At 5 kb, waves span 30 bins: a noise reach in bins (not bp) doubles lone cells."""
    ok, n = _lone_cells_ploidy_ok({})
    assert ok >= 0.9 * n, (ok, n)
    reach_in_bins, _ = _lone_cells_ploidy_ok({"wave_span_bp": 1})
    assert reach_in_bins < 0.5 * n, reach_in_bins
