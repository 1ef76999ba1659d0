"""Acceptance on simulator reads aligned with bwa (real hg38 sequence, pseudo-chromosomes).

Cells: 4 diploid WBCs; 4 CTCs of clone A (whole-arm loss chrBq CN 1, whole-arm gain
chrCp CN 3, focal amplification of 4 bins at CN 8 on chr17 1.1-1.2 Mb); 2 CTCs of its
whole-genome-doubled descendant with a post-doubling arm loss (CN 3) and gain (CN 5).
About 150 reads per 25 kb bin, MDA-like amplification (MAPD about 0.3), no allele
counts (the BAM path).
"""

import numpy as np
import pytest
from cnv_sim import E2E_ARMS

import ctcgenomics as ctc

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def called(e2e):
    adata = ctc.cnv.counts_anndata(e2e["counts"], e2e["bins"], e2e["cells"])
    ctc.cnv.call_copy_number(adata)
    ctc.cnv.call_clones(adata)
    used = adata.var["used"].to_numpy()
    truth = e2e["truth"]
    acc = np.array(
        [
            (adata.layers["copy_number"][i][used] == truth[i][used]).mean()
            for i in range(adata.n_obs)
        ]
    )
    true_ploidy = np.array([truth[i][used].mean() for i in range(adata.n_obs)])
    return adata, truth, acc, true_ploidy


def test_reads_per_bin_as_specified(called):
    adata, *_ = called
    assert np.all(np.abs(adata.obs["mean_reads_per_bin"] - 150) < 20)


def test_all_cells_pass_qc_and_ploidy_within_a_quarter(called):
    adata, _, _, true_ploidy = called
    assert 0.25 <= np.median(adata.obs["mapd"]) <= 0.45  # MDA-like noise at 25 kb
    assert adata.obs["qc_pass"].all(), adata.obs["qc_reason"]
    err = np.abs(adata.obs["ploidy"].to_numpy() - true_ploidy)
    wgd = adata.obs_names.str.startswith("A_wgd")
    assert (err[~wgd] <= 0.25).all(), err
    # Without allele counts, a doubled cell's odd arms (one copy on a base of four) are
    # at the scale of its waves: it is found doubled (ploidy within 0.4: some one-copy
    # steps on four are missed) or its ploidy is said to be unidentifiable, never a
    # confident wrong call.
    ok = (err[wgd] <= 0.4) | ~adata.obs["ploidy_identifiable"].to_numpy()[wgd]
    assert ok.all(), adata.obs.loc[wgd, ["ploidy", "ploidy_identifiable", "ploidy_alternative"]]


def test_integer_copy_number_per_bin(called):
    adata, _, acc, _ = called
    near_diploid = ~adata.obs_names.str.startswith("A_wgd")
    assert (acc[near_diploid] >= 0.95).all(), acc


def test_breakpoints_within_one_bin_in_near_diploid_cells(called):
    adata, truth, _, _ = called
    chrom = adata.var["chrom"].to_numpy()
    segs = adata.uns["ctc_cnv"]["segments"]
    for i, cell in enumerate(adata.obs_names):
        if cell.startswith("A_wgd"):
            continue
        t = truth[i]
        true_bp = np.flatnonzero((t[1:] != t[:-1]) & (chrom[1:] == chrom[:-1])) + 1
        s = segs[segs["cell"] == cell]
        same = s["chrom"].to_numpy()[1:] == s["chrom"].to_numpy()[:-1]
        called_bp = s["start_bin"].to_numpy()[1:][same]
        assert len(called_bp) == len(true_bp), (cell, called_bp, true_bp)
        assert np.all(np.abs(called_bp - true_bp) <= 1), (cell, called_bp, true_bp)


def test_focal_amplification_called_in_every_carrier_none_in_wbcs(called):
    adata, *_ = called
    # ABR-AS1 (GENCODE v44 chr17:1,181,892-1,185,086) lies inside the amplicon; TP53's
    # region is not on the pseudo-genome's chr17 (2.6 Mb), so every gene called on chr17
    # comes from the packaged hg38 table at its real coordinates.
    calls = ctc.cnv.gene_calls(adata, arms=E2E_ARMS)
    amp = calls[calls["gene"] == "ABR-AS1"].set_index("cell")
    carriers = adata.obs_names[adata.obs["role"] == "ctc"]
    assert (amp.loc[carriers, "call"] == "AMPLIFICATION").all()
    assert (amp.loc[carriers, "extent"] == "focal").all()
    wbc = calls[calls["cell"].isin(adata.obs_names[adata.obs["role"] == "wbc"])]
    assert not wbc["call"].isin(["AMPLIFICATION", "DELETION"]).any()


def test_clones_separate_doubled_cells_and_span_both_draws(called):
    adata, *_ = called
    clone = adata.obs["clone"]
    a = clone[adata.obs_names.str.startswith("A_ctc")]
    wgd = clone[adata.obs_names.str.startswith("A_wgd")]
    assert a.nunique() == 1 and wgd.nunique() == 1 and a.iloc[0] != wgd.iloc[0]
    table = adata.uns["clone"]["table"].set_index("clone")
    assert table.loc[a.iloc[0], "draws"] == "D1,D2"
    assert bool(table.loc[a.iloc[0], "persistent"])
