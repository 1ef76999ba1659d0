"""Acceptance on simulated panel cells with known truth, beside the bcftools baseline.

The session fixture (conftest.py) simulates 10 CTCs, 2 deep and 2 shallow WBCs with
allelic dropout varying along the genome (10-40 %) and MDA amplification errors. The
thresholds below are reduced versions of the sweep in benchmarks/bench_snv_fewcells.py
(figures in docs/snv.md), with margin for a single seed.
"""

import subprocess

import numpy as np
import pandas as pd
import pysam
from conftest import DEEP_WBCS, SHALLOW_WBCS, call_subset
from simdata import bcftools_baseline

import ctcgenomics as ctc

KEY = ["chrom", "pos", "ref", "alt"]


def _ctcs(data):
    return [c for c, r in data["cells"]["role"].items() if r == "ctc"]


def _truth(data, ctcs=None):
    return ctc.snv.read_truth(data["truth"], ctcs or _ctcs(data), reference=data["reference"])


def _keys(frame):
    return set(_key_list(frame))


def _key_list(frame):
    return [(r.chrom, int(r.pos), r.ref, r.alt) for r in frame[KEY].itertuples(index=False)]


def _clonal_snvs(truth, ctcs):
    som = truth["origin"] == "somatic"
    snv = truth["ref"].str.len() == truth["alt"].str.len()
    return _keys(truth[som & snv & truth[[f"gt:{c}" for c in ctcs]].all(axis=1)])


def test_ten_ctcs_precision_and_recall(panel_data, panel_calls):
    truth = _truth(panel_data)
    called = panel_calls.var[panel_calls.var["somatic"]]
    m = ctc.snv.site_metrics(called, truth)
    print(f"\nours: {m}")
    assert m["precision"] >= 0.95
    assert m["recall_ge3"] >= 0.7  # without population VCF (sweep: 0.87 clonal, seeds 1-3)
    clonal = _clonal_snvs(truth, _ctcs(panel_data))
    var = panel_calls.var
    is_clonal = np.array([k in clonal for k in _key_list(var)])
    assert (var["somatic"].to_numpy() & is_clonal).sum() >= 0.75 * len(clonal)
    # clonal variants that fail are held back by the germline alternative (two amplified
    # WBCs cannot exclude it), not missed: somatic or germline explains them
    missed = var[is_clonal & ~var["somatic"].to_numpy()]
    assert (missed["p_variant"] + missed["p_germline"] >= 0.9).all()
    assert (missed["filter"].str.contains("PossibleGermline")).all()


def test_few_ctcs_with_a_population_vcf(panel_data):
    """1 and 3 CTCs with 2 WBCs and gnomAD-like germline frequencies, and 3 CTCs without
    (reduced version of the few-cell sweep; clonal recall with 3 CTCs and no population
    VCF 0.80 on seeds 1-3)."""
    ctcs = _ctcs(panel_data)
    for k, min_recall, pop in ((1, 0.2, True), (3, 0.8, True), (3, 0.5, False)):
        use = ctcs[:k]
        adata = call_subset(
            panel_data, use + DEEP_WBCS, population_vcf=panel_data["population"] if pop else None
        )
        truth = _truth(panel_data, use)
        called = adata.var[adata.var["somatic"]]
        true = _keys(truth[(truth["origin"] == "somatic") & truth["n_carriers"].gt(0)])
        got = _keys(called)
        precision = len(got & true) / max(len(got), 1)
        clonal = _clonal_snvs(truth, use)
        recall = len(got & clonal) / len(clonal)
        print(
            f"\n{k} CTC(s), population VCF {pop}: precision {precision:.3f}, "
            f"clonal recall {recall:.3f}"
        )
        # Held-out seeds 101-105 (docs/snv.md): precision 0.94-0.98 with 1-10 CTCs (the
        # issue's 0.95 is missed at 1 and 3 CTCs), the false calls being germline sites
        # both amplified WBCs dropped; more than 10 % false calls here is a regression.
        assert len(got - true) <= max(1, round(0.1 * len(got))), sorted(got - true)
        assert recall >= min_recall
        if k == 1:
            assert called["single_cell"].all()


def test_shallow_wbcs_never_make_a_germline_site_somatic(panel_data):
    """2 WBCs at 6x (<= 8 reads at germline sites): no germline het site is PASS somatic."""
    adata = call_subset(panel_data, _ctcs(panel_data) + SHALLOW_WBCS)
    truth = _truth(panel_data)
    germ = _keys(truth[truth["origin"] == "germline"])
    var = adata.var
    depth = np.asarray(adata.layers["depth"])[
        [list(adata.obs_names).index(c) for c in SHALLOW_WBCS]
    ]
    seen = [k in germ for k in _key_list(var)]
    assert sum(seen) >= 20
    assert np.median(depth[:, seen]) <= 8
    assert not (var["somatic"].to_numpy() & np.array(seen)).any()


def test_germline_snps_and_amplification_errors_not_somatic(panel_data, panel_calls):
    truth = _truth(panel_data)
    var = panel_calls.var
    som = _keys(var[var["somatic"]])
    germ = truth[truth["origin"] == "germline"]
    germ_keys = _keys(germ)
    seen = var[[k in germ_keys for k in _key_list(var)]]
    assert len(seen) >= 20
    # a germline site whose allele dropped out in both amplified WBCs looks clonal
    # somatic; PASS at a somatic posterior >= 0.9 lets about 1 in 100 of them through
    # (seeds 1-3: 4 of 745 germline candidates in the deep-WBC runs)
    print(f"\ngermline sites called somatic: {len(som & germ_keys)} of {len(seen)} seen")
    assert len(som & germ_keys) <= max(1, 0.03 * len(seen))
    assert seen["germline"].mean() >= 0.9
    amp = _keys(truth[truth["origin"] == "amplification_error"])
    assert len(amp) > 10  # the scenario really has amplification errors
    assert not som & amp


def test_local_dropout_tracks_where_alleles_were_lost(panel_data, panel_calls):
    """At germline het sites, the local dropout estimate of a cell (from the other het
    sites near it) is higher where the simulator dropped an allele than where it did not."""
    truth = _truth(panel_data)
    germ = truth[truth["origin"] == "germline"].set_index(KEY)
    var = panel_calls.var
    d = np.asarray(panel_calls.layers["dropout"])
    lost, kept = [], []
    for j, k in enumerate(_key_list(var)):
        if k not in germ.index:
            continue
        for i, cell in enumerate(panel_calls.obs_names):
            if f"do:{cell}" in germ.columns:
                (lost if germ.loc[k, f"do:{cell}"] else kept).append(d[i, j])
    lost, kept = np.array(lost), np.array(kept)
    assert len(lost) > 20 and len(kept) > 100
    # probability that a random lost cell-site has a higher estimate than a kept one
    auc = (lost[:, None] > kept[None, :]).mean() + 0.5 * (lost[:, None] == kept[None, :]).mean()
    print(f"\nlocal dropout AUC {auc:.2f}, mean {lost.mean():.2f} vs {kept.mean():.2f}")
    assert auc > 0.6


def test_per_cell_genotype_accuracy(panel_data, panel_calls):
    g = ctc.snv.genotype_metrics(panel_calls, _truth(panel_data))
    print(f"\ngenotypes: {g}")
    assert g["genotype_accuracy"] >= 0.95
    assert g["call_rate"] >= 0.7


def test_prevalence_interval_covers_the_carrier_fraction(panel_data, panel_calls):
    truth = _truth(panel_data).set_index(KEY)
    rows = ctc.snv.alteration_rows(panel_calls, patient="P1")
    som = panel_calls.var[panel_calls.var["somatic"]]
    assert len(rows[rows["origin"] == "somatic"]) == len(som)
    inside = []
    for (_, rec), (_, row) in zip(som.iterrows(), rows.iterrows(), strict=False):
        k = (rec["chrom"], int(rec["pos"]), rec["ref"], rec["alt"])
        if k in truth.index:
            frac = truth.loc[k, "n_carriers"] / 10
            inside.append(row["ci_low"] - 1e-9 <= frac <= row["ci_high"] + 1e-9)
    assert len(inside) >= 10
    assert np.mean(inside) >= 0.8


def test_beats_bcftools_on_the_same_bams(panel_data, panel_calls, tmp_path):
    truth = _truth(panel_data)
    bams = {c: panel_data["bams"][c] for c in panel_calls.obs_names}
    base = bcftools_baseline(
        bams, panel_data["reference"], panel_data["targets"], tmp_path / "b.vcf.gz", DEEP_WBCS
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
    # Indels (two planted) are already left-aligned and normalised: bcftools norm,
    # checking REF against the FASTA, realigns nothing.
    assert (panel_calls.var["ref"].str.len() != panel_calls.var["alt"].str.len()).any()
    norm = subprocess.run(
        ["bcftools", "norm", "-c", "e", "-f", str(ref), "-o", "/dev/null", str(vcf)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    total, split, realigned, skipped = (
        norm.split("Lines   total/split/realigned/skipped:")[1].split()[0].split("/")
    )
    assert int(total) == panel_calls.n_vars and (split, realigned, skipped) == ("0", "0", "0")
    with pysam.VariantFile(str(vcf)) as vf:
        assert list(vf.header.samples) == list(panel_calls.obs_names)
        assert list(vf.header.formats)[:4] == ["GT", "AD", "DP", "GQ"]
        assert {"CFL", "CFH", "SingleCell", "PGERM"} <= set(vf.header.info)
        rec = next(r for r in vf.fetch("chr17", 7675087, 7675088) if r.alts == ("T",))
        assert rec.info["HGVSp"] == "p.R175H" and rec.info["GENE"] == "TP53"
        assert rec.info["CFL"] <= rec.info["CF"] <= rec.info["CFH"]
    path = tmp_path / "snv.h5ad"
    panel_calls.write_h5ad(path)
    import anndata as ad

    back = ad.read_h5ad(path)
    for layer in ("ref", "alt", "genotype", "posterior", "dropout"):
        assert layer in back.layers
    for col in ("chrom", "pos", "ref", "alt", "gene", "HGVSp", "consequence", "fraction_low"):
        assert col in back.var
    assert isinstance(back.uns["snv"]["prevalence"], pd.DataFrame)
    alts = ctc.snv.alteration_rows(panel_calls, patient="P1")
    tp53 = alts[alts["alteration"] == "p.R175H"]
    assert len(tp53) <= 1
    for row in alts.itertuples():
        assert row.ci_low <= row.prevalence <= row.ci_high
        assert row.origin in ("somatic", "germline")


def test_key_added_names_every_output_and_the_reference_is_a_parameter(panel_calls):
    # A second genotype + filter run under other keys, with the WBCs marked in another
    # column: every output lands under the keys' prefixes, the default outputs are
    # untouched, and the calls equal the default run's (same reference cells, same model).
    adata = panel_calls.copy()
    adata.obs["kind"] = np.where(adata.obs["role"] == "wbc", "Normal", "tumour")
    ctc.snv.genotype(adata)
    ctc.snv.apply_filters(adata)
    before = adata.var.copy()
    ctc.snv.genotype(adata, key_added="alt", reference_key="kind", reference_cat="normal")
    ctc.snv.apply_filters(
        adata, genotype_key="alt", key_added="alt_f", reference_key="kind", reference_cat="normal"
    )
    for layer in ("genotype", "posterior", "gq", "dropout"):
        np.testing.assert_array_equal(adata.layers[f"alt_{layer}"], adata.layers[layer])
    for col in ("dropout_rate", "error_rate", "artefact_rate", "n_het_sites"):
        np.testing.assert_array_equal(adata.obs[f"alt_{col}"], adata.obs[col])
    for col in ("p_variant", "qual", "germline", "fraction_low", "single_cell", "n_cells_alt"):
        np.testing.assert_array_equal(adata.var[f"alt_{col}"], adata.var[col])
    for col in ("filter", "somatic", "strand_bias_p"):
        np.testing.assert_array_equal(adata.var[f"alt_f_{col}"], adata.var[col])
    pd.testing.assert_frame_equal(adata.var[before.columns], before)
    # the default run reproduces the workflow's call
    np.testing.assert_array_equal(adata.var["filter"], panel_calls.var["filter"])
    assert adata.uns["alt"]["somatic_rate"] == adata.uns["snv"]["somatic_rate"]
