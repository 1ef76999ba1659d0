"""Acceptance on simulated panel cells with known truth, beside the bcftools baseline."""

import subprocess

import numpy as np
import pysam
from simdata import bcftools_baseline

import ctcgenomics as ctc


def _ctcs(data):
    return [c for c, r in data["cells"]["role"].items() if r == "ctc"]


def test_site_recall_and_precision_meet_acceptance(panel_data, panel_calls):
    truth = ctc.snv.read_truth(panel_data["truth"], _ctcs(panel_data))
    called = panel_calls.var[panel_calls.var["somatic"]]
    m = ctc.snv.site_metrics(called, truth)
    print(f"\nours: {m}")
    assert m["recall_clonal"] >= 0.95
    assert m["recall_ge3"] >= 0.8
    assert m["precision"] >= 0.95


def test_germline_snps_and_amplification_errors_not_somatic(panel_data, panel_calls):
    truth = ctc.snv.read_truth(panel_data["truth"], _ctcs(panel_data))
    var = panel_calls.var
    som = {(r.chrom, r.pos, r.ref, r.alt) for r in var[var["somatic"]].itertuples()}
    germ = truth[truth["origin"] == "germline"]
    germ_keys = {(r.chrom, r.pos, r.ref, r.alt) for r in germ.itertuples()}
    assert not som & germ_keys
    # germline SNPs seen were labelled germline and informed the dropout fit
    seen = var[[(r.chrom, r.pos, r.ref, r.alt) in germ_keys for r in var.itertuples()]]
    assert len(seen) >= 0.8 * len(germ_keys)
    assert seen["germline"].all()
    amp = truth[truth["origin"] == "amplification_error"]
    amp_keys = {(r.chrom, r.pos, r.ref, r.alt) for r in amp.itertuples()}
    assert len(amp_keys) > 10  # the scenario really has amplification errors
    assert not som & amp_keys


def test_dropout_estimates_track_simulated_rates(panel_data, panel_calls):
    import pandas as pd

    truth = pd.read_csv(panel_data["sim"] / "truth" / "cells.tsv", sep="\t").set_index("cell")
    est = panel_calls.obs["dropout_rate"]
    assert "dropout_rate" in truth
    # ten germline het sites per cell: estimates are coarse, but ordered with the truth
    rho = np.corrcoef(est.loc[truth.index], truth["dropout_rate"])[0, 1]
    print(f"\ndropout estimate vs truth: r = {rho:.2f}")
    assert np.all(np.abs(est.loc[truth.index] - truth["dropout_rate"]) < 0.2)


def test_per_cell_genotype_accuracy(panel_data, panel_calls):
    truth = ctc.snv.read_truth(panel_data["truth"], _ctcs(panel_data))
    g = ctc.snv.genotype_metrics(panel_calls, truth)
    print(f"\ngenotypes: {g}")
    assert g["genotype_accuracy"] >= 0.95
    assert g["call_rate"] >= 0.8


def test_beats_bcftools_on_the_same_bams(panel_data, panel_calls, tmp_path):
    truth = ctc.snv.read_truth(panel_data["truth"], _ctcs(panel_data))
    wbcs = [c for c, r in panel_data["cells"]["role"].items() if r == "wbc"]
    base = bcftools_baseline(
        panel_data["bams"],
        panel_data["reference"],
        panel_data["targets"],
        tmp_path / "bcftools.vcf.gz",
        wbcs,
    )
    mb = ctc.snv.site_metrics(base, truth)
    mo = ctc.snv.site_metrics(panel_calls.var[panel_calls.var["somatic"]], truth)
    print(
        f"\nbcftools: P={mb['precision']:.3f} R={mb['recall']:.3f} F1={mb['f1']:.3f}"
        f"\nctcg snv: P={mo['precision']:.3f} R={mo['recall']:.3f} F1={mo['f1']:.3f}"
    )
    assert mo["f1"] > mb["f1"]


def test_outputs_are_valid_vcf_h5ad_and_alterations(panel_data, panel_calls, tmp_path):
    ref = panel_data["reference"]
    vcf = ctc.snv.write_vcf(panel_calls, tmp_path / "snv.vcf.gz", ref)
    out = subprocess.run(
        ["bcftools", "view", "-H", "-f", "PASS", str(vcf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert len(out) == int(panel_calls.var["somatic"].sum())
    with pysam.VariantFile(str(vcf)) as vf:
        assert list(vf.header.samples) == list(panel_calls.obs_names)
        assert list(vf.header.formats)[:4] == ["GT", "AD", "DP", "GQ"]
        rec = next(r for r in vf.fetch("chr17", 7675087, 7675088) if r.alts == ("T",))
        assert rec.info["HGVSp"] == "p.R175H" and rec.info["GENE"] == "TP53"
        assert "PASS" in rec.filter.keys()
    path = tmp_path / "snv.h5ad"
    panel_calls.write_h5ad(path)
    import anndata as ad

    back = ad.read_h5ad(path)
    for layer in ("ref", "alt", "genotype", "posterior"):
        assert layer in back.layers
    for col in ("chrom", "pos", "ref", "alt", "gene", "HGVSp", "consequence"):
        assert col in back.var
    alts = ctc.snv.alteration_rows(panel_calls, patient="P1")
    tp53 = alts[alts["alteration"] == "p.R175H"]
    assert len(tp53) == 1 and tp53["gene"].iloc[0] == "TP53"
    row = tp53.iloc[0]
    # clonal: every evaluable CTC carries it
    assert row["n_cells_altered"] == row["n_cells_evaluable"] >= 6
    assert row["ci_low"] < row["prevalence"] <= row["ci_high"] + 1e-9
