"""Read-level properties checked against the configured truth."""

from __future__ import annotations

import numpy as np
import pytest

from ctcgenomics.simulate import load_spec, simulate_cell

from .conftest import Pileup, cell, forward_reverse, other, pileup, ref_base

RL = 100


def test_reads_match_their_haplotype_and_orientation(make_spec):
    """Without variants or errors, R1/R2 are the fragment ends (FR), in the right strand."""
    spec = load_spec(make_spec(germline={"n_het_snps": 0}))
    _genome, reads = simulate_cell(spec, "C1")
    ref = spec.load_reference()
    fwd, rev = forward_reverse(reads)
    for i in range(0, len(reads), 97):
        s, e = reads.start[i], reads.end[i]
        assert fwd[i].tobytes() == ref.seq[s : s + RL].tobytes()
        assert rev[i].tobytes() == ref.seq[e - RL : e].tobytes()
    assert 0.45 < reads.reverse.mean() < 0.55  # both orientations


def test_insert_size_distribution(make_spec):
    spec = load_spec(make_spec(cells=[cell("C1", n_read_pairs=20000)]))
    _, reads = simulate_cell(spec, "C1")
    ins = reads.end - reads.start
    # SE of the mean is 40/sqrt(20000) = 0.3; of the SD about 0.2.
    assert abs(ins.mean() - 300) < 2
    assert abs(ins.std() - 40) < 2
    short = load_spec(make_spec(insert_size={"mean": 110, "sd": 40}))
    _, sreads = simulate_cell(short, "C1")
    assert (sreads.end - sreads.start).min() >= RL  # truncated at the read length


def test_depth_ratio_follows_copy_number(make_spec):
    """A CN=4 segment gets twice the reads of a CN=2 segment (no amplification bias)."""
    seg = {"chrom": "chrA", "start": 200_000, "end": 600_000, "cn_a": 3, "cn_b": 1}
    spec = load_spec(
        make_spec(
            clones={"normal": {}, "T": {"segments": [seg]}},
            cells=[cell("C1", clone="T", n_read_pairs=40000)],
        )
    )
    _, reads = simulate_cell(spec, "C1")
    mid = (reads.start + reads.end) // 2
    in_gain = ((mid >= 200_000) & (mid < 600_000)).sum() / 400_000
    in_chrb = (mid >= 1_000_000).sum() / 400_000
    ratio = in_gain / in_chrb
    # ~10k fragments per region: Poisson SD of the ratio ~ 2 * sqrt(2/10000) = 0.03.
    assert ratio == pytest.approx(2.0, abs=0.12)
    # Haplotype a carries 3 of the 4 copies in the gain.
    hap_a = (reads.haplotype[(mid >= 200_000) & (mid < 600_000)] == 0).mean()
    assert hap_a == pytest.approx(0.75, abs=0.02)


def test_depth_ratio_survives_mda_bias(make_spec):
    """With MDA-like bias, the CN signal holds on average over a large segment."""
    seg = {"chrom": "chrA", "start": 0, "end": 1_000_000, "cn_a": 2, "cn_b": 2}
    amp = {"bias_sd": 0.3, "bias_length": 5_000, "dispersion": 0.5, "error_rate": 0.0}
    spec = load_spec(
        make_spec(
            clones={"normal": {}, "T": {"segments": [seg]}},
            cells=[cell("C1", clone="T", wga="MDA", amplification=amp, n_read_pairs=40000)],
        )
    )
    _, reads = simulate_cell(spec, "C1")
    per_bp_a = (reads.start < 1_000_000).sum() / 1_000_000
    per_bp_b = (reads.start >= 1_000_000).sum() / 400_000
    # Log-field SD 0.3, 5 kb correlation: ~20 independent blocks on chrB, ~57 on chrA,
    # plus gamma noise per 2 kb cluster: SD of the log ratio ~0.09. Allow ~3 SD, which
    # still tells a ratio of 2 from 1.5 or 3 (log distance >= 0.29).
    assert np.log(per_bp_a / per_bp_b / 2.0) == pytest.approx(0.0, abs=0.25)
    # ...but coverage is overdispersed: 10-kb bin counts vary far beyond Poisson.
    counts = np.bincount(reads.start[reads.start < 1_000_000] // 10_000, minlength=100)
    assert counts.var() / counts.mean() > 5


def test_sequencing_errors_and_quality(make_spec):
    rate = 0.01
    spec = load_spec(
        make_spec(sequencing_error_rate=rate, germline={"n_het_snps": 0}, duplicate_rate=0.0)
    )
    _, reads = simulate_cell(spec, "C1")
    ref = spec.load_reference()
    fwd, _ = forward_reverse(reads)
    truth = ref.seq[reads.start[:, None] + np.arange(RL)]
    observed = (fwd != truth).mean()
    # 500k bases: SE of the rate is 1.4e-4.
    assert observed == pytest.approx(rate, abs=8e-4)
    assert reads.quality == chr(33 + 20)  # Phred 20 == 1% error


def test_germline_het_snps_seen_on_one_haplotype(make_spec, reference):
    pos = 300_000
    alt = other(ref_base(reference, "chrA", pos))
    spec = load_spec(
        make_spec(
            germline={"snps": [{"chrom": "chrA", "pos": pos, "alt": alt, "allele": "b"}]},
            cells=[cell("C1", n_read_pairs=100_000)],
        )
    )
    _, reads = simulate_cell(spec, "C1")
    p = pileup(reads, pos - 1, RL)
    is_alt = p["base"] == ord(alt)
    assert is_alt[p["haplotype"] == 1].all() and not is_alt[p["haplotype"] == 0].any()
    assert 0.3 < is_alt.mean() < 0.7


def test_somatic_variant_only_in_intended_cells(make_spec, reference):
    pos_clone, pos_cells = 100_000, 150_000
    alt1 = other(ref_base(reference, "chrA", pos_clone))
    alt2 = other(ref_base(reference, "chrA", pos_cells))
    v1 = {"chrom": "chrA", "pos": pos_clone, "ref": ref_base(reference, "chrA", pos_clone),
          "alt": alt1, "allele": "a", "copies": 1}  # fmt: skip
    v2 = {"chrom": "chrA", "pos": pos_cells, "ref": ref_base(reference, "chrA", pos_cells),
          "alt": alt2, "allele": "b", "cells": ["N2"]}  # fmt: skip
    seg = {"chrom": "chrA", "start": 0, "end": 200_000, "cn_a": 2, "cn_b": 2}
    spec = load_spec(
        make_spec(
            clones={
                "normal": {},
                "T": {"segments": [seg], "variants": [v1]},
                "T2": {"parent": "T"},
            },
            variants=[v2],
            cells=[
                cell("T1", clone="T", n_read_pairs=60000),
                cell("T2a", clone="T2", n_read_pairs=60000),
                cell("N1", n_read_pairs=60000),
                cell("N2", n_read_pairs=60000),
            ],
        )
    )
    frac = {}
    for cid in ("T1", "T2a", "N1", "N2"):
        _, reads = simulate_cell(spec, cid)
        a = pileup(reads, pos_clone - 1, RL)
        b = pileup(reads, pos_cells - 1, RL)
        frac[cid] = ((a["base"] == ord(alt1)).mean(), (b["base"] == ord(alt2)).mean())
    # Clone T (and descendant T2): 1 of 4 copies -> alt fraction 0.25 (~170 reads, SE 0.035).
    assert frac["T1"][0] == pytest.approx(0.25, abs=0.11)
    assert frac["T2a"][0] == pytest.approx(0.25, abs=0.11)
    assert frac["N1"][0] == 0 and frac["N2"][0] == 0
    # The cells-listed variant: only N2, diploid -> 0.5.
    assert frac["N2"][1] == pytest.approx(0.5, abs=0.15)
    assert frac["T1"][1] == frac["T2a"][1] == frac["N1"][1] == 0


def test_dropout_fraction_matches_rate(make_spec):
    rate = 0.3
    spec = load_spec(
        make_spec(
            germline={"n_het_snps": 300},
            dropout_window=500,
            cells=[cell("C1", dropout_rate=rate, mean_depth=25)],
        )
    )
    genome, reads = simulate_cell(spec, "C1")
    ref_alt = genome.variants[genome.variants["origin"] == "germline"]
    dropped, seen, truth_do = 0, 0, 0
    from ctcgenomics.simulate._genome import cell_truth

    truth = cell_truth(genome, ref_alt)
    pile = Pileup(reads, RL)
    for (_, v), do in zip(ref_alt.iterrows(), truth["DO"], strict=True):
        p = pile(int(v["gpos"]))
        n_alt = (p["base"] == ord(v["alt"])).sum()
        n_ref = (p["base"] == ord(v["ref"])).sum()
        if n_alt + n_ref < 10:
            continue
        seen += 1
        one_sided = n_alt == 0 or n_ref == 0
        dropped += one_sided
        truth_do += do
        assert one_sided == bool(do)  # reads agree with the truth flag, locus by locus
    # Windows of neighbours can overlap, so the observed fraction is at least the rate;
    # with ~300 loci the binomial SD is ~0.027.
    assert seen > 250
    assert dropped / seen == pytest.approx(rate, abs=0.09)


def test_amplification_errors_low_af_and_private(make_spec):
    amp = {
        "bias_sd": 0.0, "dispersion": 0.0, "block_sd": 0.0, "error_rate": 3e-5,
        "error_af": [0.1, 0.3],
    }  # fmt: skip
    spec = load_spec(
        make_spec(
            germline={"n_het_snps": 0},
            cells=[
                cell("C1", amplification=amp, wga="MDA", mean_depth=20),
                cell("C2", amplification=amp, wga="MDA", mean_depth=20),
            ],
        )
    )
    g1, r1 = simulate_cell(spec, "C1")
    g2, r2 = simulate_cell(spec, "C2")
    e1, e2 = g1.amp_errors, g2.amp_errors
    assert 20 < len(e1) < 65  # Poisson(42)
    assert not set(e1["gpos"]) & set(e2["gpos"])
    afs = []
    p1, p2 = Pileup(r1, RL), Pileup(r2, RL)
    for _, e in e1.iterrows():
        mine = p1(int(e["gpos"]))
        theirs = p2(int(e["gpos"]))
        assert (theirs["base"] == ord(e["alt"])).sum() == 0  # private to C1
        afs.append((mine["base"] == ord(e["alt"])).mean())
        assert 0.1 <= e["af"] <= 0.3
    afs = np.array(afs)
    # ~20 reads per locus: P(>= 15 alt | af <= 0.3) ~ 1e-5 per locus.
    assert afs.max() < 0.75 and afs.mean() == pytest.approx(e1["af"].mean(), abs=0.05)


def test_duplicates(make_spec):
    spec = load_spec(make_spec(duplicate_rate=0.1, cells=[cell("C1", n_read_pairs=20000)]))
    _, reads = simulate_cell(spec, "C1")
    assert len(reads) == 20000 and reads.duplicate.sum() == 2000
    pairs = {(a.tobytes(), b.tobytes()) for a, b in zip(reads.r1, reads.r2, strict=True)}
    # Identical pairs collapse: 20000 - 2000 duplicates (+ rare chance coincidences).
    assert 20000 - len(pairs) == pytest.approx(2000, abs=20)


def test_indels_in_reads(make_spec, reference, tmp_path):
    import pysam

    with pysam.FastaFile(str(reference)) as fa:
        ctx = fa.fetch("chrA", 399_950, 400_060)
    pos = 400_001  # 1-based; 0-based 400000 is ctx[50]
    deletion = {"chrom": "chrA", "pos": pos, "ref": ctx[50:54], "alt": ctx[50], "allele": "a"}
    ins_pos = 400_041
    insertion = {"chrom": "chrA", "pos": ins_pos, "ref": ctx[90], "alt": ctx[90] + "GATTACA",
                 "allele": "b"}  # fmt: skip
    bed = tmp_path / "t.bed"
    bed.write_text("chrA\t399900\t400200\n")
    spec = load_spec(
        make_spec(
            targets=str(bed),
            clones={"normal": {}, "T": {"variants": [deletion, insertion]}},
            cells=[cell("C1", clone="T", assay="panel", mean_depth=200)],
        )
    )
    _, reads = simulate_cell(spec, "C1")
    seqs = [r.tobytes().decode() for r in (*forward_reverse(reads)[0], *forward_reverse(reads)[1])]
    hap_del = ctx[30:51] + ctx[54:75]  # 3 bases deleted after the anchor
    ref_del = ctx[30:51] + ctx[51:72]
    hap_ins = ctx[70:91] + "GATTACA" + ctx[91:110]
    ref_ins = ctx[70:91] + ctx[91:110]
    n = {k: sum(k in s for s in seqs) for k in (hap_del, ref_del, hap_ins, ref_ins)}
    assert n[hap_del] > 10 and n[ref_del] > 10  # heterozygous deletion
    assert n[hap_ins] > 10 and n[ref_ins] > 10  # heterozygous insertion
    assert n[hap_del] / (n[hap_del] + n[ref_del]) == pytest.approx(0.5, abs=0.2)
