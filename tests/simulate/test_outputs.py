"""Files written by ``simulate``: determinism, truth tables, VCF, cell sheet, CLI, panel."""

from __future__ import annotations

import gzip
import shutil
import subprocess

import numpy as np
import pandas as pd
import pysam
import pytest

from ctcgenomics.cli import main
from ctcgenomics.simulate import load_spec, simulate

from .conftest import CONTIGS, cell, other, ref_base

MDA = {"bias_sd": 0.3, "bias_length": 50_000, "error_rate": 1e-4}


@pytest.fixture
def cohort(make_spec, reference, tmp_path):
    bed = tmp_path / "targets.bed"
    bed.write_text(
        "".join(f"chrA\t{s}\t{s + 400}\n" for s in range(50_000, 950_000, 60_000))
        + "chrB\t100000\t100400\n"
    )
    pos = 50_201
    alt = other(ref_base(reference, "chrA", pos))
    snv = {"name": "SNV1", "chrom": "chrA", "pos": pos, "ref": ref_base(reference, "chrA", pos),
           "alt": alt}  # fmt: skip
    clones = {
        "normal": {},
        "T": {
            "segments": [
                {"chrom": "chrA", "start": 0, "end": 500_000, "cn_a": 1, "cn_b": 0},
                {"chrom": "chrB", "start": 300_000, "end": 320_000, "cn_a": 0, "cn_b": 0},
            ],
            "variants": [snv],
        },
        "TW": {"parent": "T", "whole_genome_doubling": True},
    }
    raw = make_spec(
        targets=str(bed),
        target_padding=50,
        duplicate_rate=0.05,
        sequencing_error_rate=0.001,
        germline={
            "het_snp_rate": 0.001,
            "snps": [
                {
                    "chrom": "chrB",
                    "pos": 310_000,
                    "alt": other(ref_base(reference, "chrB", 310_000)),
                }
            ],
        },
        clones=clones,
        cells=[
            cell("T1", clone="T", wga="MDA", amplification=MDA, dropout_rate=0.2),
            cell("T2", clone="TW", wga="MDA", amplification=MDA, dropout_rate=0.2),
            cell("W1", role="wbc", wga="MDA", amplification=MDA, dropout_rate=0.1),
            cell(
                "T1p",
                clone="T",
                assay="panel",
                mean_depth=60,
                wga="MDA",
                amplification=MDA,
                dropout_rate=0.2,
            ),
        ],
    )
    return load_spec(raw)


def _bytes(path):
    return path.read_bytes()


def test_deterministic_and_cell_independent(cohort, tmp_path):
    a = simulate(cohort, tmp_path / "a")
    b = simulate(cohort, tmp_path / "b")
    for cid, (r1, r2) in a.fastq.items():
        assert _bytes(r1) == _bytes(b.fastq[cid][0]) and _bytes(r2) == _bytes(b.fastq[cid][1])
    for name in ("copy_number", "variants", "cells"):
        assert _bytes(getattr(a, name)) == _bytes(getattr(b, name))
    alone = simulate(cohort, tmp_path / "alone", cells=["T1p"])
    assert _bytes(alone.fastq["T1p"][0]) == _bytes(a.fastq["T1p"][0])
    assert _bytes(alone.fastq["T1p"][1]) == _bytes(a.fastq["T1p"][1])
    reseeded = load_spec({**cohort.raw, "seed": cohort.seed + 1})
    other_seed = simulate(reseeded, tmp_path / "c", cells=["T1"])
    assert _bytes(other_seed.fastq["T1"][0]) != _bytes(a.fastq["T1"][0])


def test_truth_tables(cohort, tmp_path):
    res = simulate(cohort, tmp_path / "out")
    cn = pd.read_csv(res.copy_number, sep="\t")
    assert list(cn.columns) == ["cell", "chrom", "start", "end", "cn_a", "cn_b", "cn"]
    for _cid, seg in cn.groupby("cell"):
        for chrom, n in CONTIGS.items():
            s = seg[seg["chrom"] == chrom].sort_values("start")
            # Segments tile each contig: start at 0, abut, end at the contig length.
            assert s["start"].iloc[0] == 0 and s["end"].iloc[-1] == n
            assert (s["start"].to_numpy()[1:] == s["end"].to_numpy()[:-1]).all()
    t1 = cn[cn["cell"] == "T1"].set_index(["chrom", "start"])
    assert t1.loc[("chrA", 0), ["cn_a", "cn_b", "end"]].tolist() == [1, 0, 500_000]
    assert t1.loc[("chrB", 300_000), "cn"] == 0
    cells = pd.read_csv(res.cells, sep="\t").set_index("cell")
    assert cells.loc["T2", "ploidy"] == pytest.approx(2 * cells.loc["T1", "ploidy"])
    assert cells.loc["W1", "ploidy"] == 2.0
    assert cells.loc["T1", "n_read_pairs"] == 5000
    sheet = pd.read_csv(res.sheet, sep="\t", keep_default_na=False)
    assert list(sheet.columns) == [
        "patient",
        "draw",
        "cell",
        "assay",
        "role",
        "wga",
        "fq1",
        "fq2",
        "bam",
    ]
    assert sheet.set_index("cell").loc["T1p", "assay"] == "panel"
    assert (sheet["bam"] == "").all()
    with gzip.open(sheet["fq1"].iloc[0], "rt") as fh:
        head = [next(fh) for _ in range(4)]
    assert head[0] == "@T1:1\n" and len(head[1]) == 101 and len(head[3]) == 101


def test_truth_vcf(cohort, tmp_path):
    res = simulate(cohort, tmp_path / "out")
    subprocess.run(["bcftools", "view", "-H", str(res.variants)], check=True, capture_output=True)
    with pysam.VariantFile(str(res.variants)) as vcf:
        assert list(vcf.header.samples) == ["T1", "T2", "W1", "T1p"]
        recs = list(vcf.fetch("chrA", 50_199, 50_201))  # tabix index works
        assert [r.info["NAME"] for r in recs] == ["SNV1"]
        snv = recs[0]
        assert snv.info["ORIGIN"] == "somatic"
        # Clone T has chrA:0-500k at 1/0 and the SNV on haplotype a: homozygous alt.
        assert snv.samples["T1"]["GT"] == (1, 1) and snv.samples["W1"]["GT"] == (0, 0)
        # WGD (TW): 2 copies of a, 1 of them carries the inherited SNV -> doubled too.
        assert snv.samples["T2"]["GT"] == (1, 1)
    origins = {}
    with pysam.VariantFile(str(res.variants)) as vcf:
        for rec in vcf:
            origins.setdefault(rec.info["ORIGIN"], []).append(rec)
    assert set(origins) == {"germline", "somatic", "amplification_error"}
    deleted = next(r for r in origins["germline"] if r.chrom == "chrB" and r.pos == 310_000)
    assert deleted.samples["T1"]["GT"] == (None, None) and deleted.samples["W1"]["GT"] == (0, 1)
    # Germline SNPs are 0/1 in the normal cell unless dropped out (EAF then 0 or 1).
    for r in origins["germline"]:
        s = r.samples["W1"]
        eaf = s["EAF"] if "EAF" in r.format else None  # '.' in every cell: no FORMAT key
        assert s["GT"] == (0, 1)
        assert eaf == 0.5 if s["DO"] == 0 else eaf in (0.0, 1.0, None)
    # W1 drops out each het locus with p = 0.1, masking 2 kb around it: a locus is flagged
    # if any het locus within 1 kb (itself included, k of them) dropped: 1 - 0.9^k.
    germ = origins["germline"]
    pos = {c: np.array([r.pos for r in germ if r.chrom == c]) for c in CONTIGS}
    k = [(abs(pos[r.chrom] - r.pos) <= 1000).sum() for r in germ]
    expected = np.mean(1 - 0.9 ** np.array(k))
    dropped = np.mean([r.samples["W1"]["DO"] for r in germ])
    assert dropped == pytest.approx(expected, abs=0.05)
    # Amplification errors: true genotype ref, EAF in (0.05, 0.35) only in their cell.
    for r in origins["amplification_error"]:
        owner = r.info["NAME"].split("_amp_")[0]
        eafs = {c: r.samples[c]["EAF"] if "EAF" in r.format else None for c in r.samples}
        assert all(r.samples[c]["GT"] in ((0, 0), (None, None)) for c in eafs)
        if eafs[owner] is None:  # no reads at all: both haplotypes dropped out there
            assert r.samples[owner]["DO"] == 1
        else:
            assert 0.05 <= eafs[owner] <= 0.35
        assert all(v in (0.0, None) for c, v in eafs.items() if c != owner)


def test_failure_leaves_no_partial_output(cohort, tmp_path, monkeypatch):
    import ctcgenomics.simulate._simulate as sim

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sim, "write_truth_vcf", boom)
    with pytest.raises(RuntimeError):
        simulate(cohort, tmp_path / "out", cells=["T1"])
    truth = tmp_path / "out" / "truth"
    assert not truth.exists() or not any(truth.iterdir())
    leftovers = [p.name for p in (tmp_path / "out").rglob(".*tmp*")]
    assert leftovers == []


def test_cli(cohort, tmp_path, capsys):
    spec_file = tmp_path / "spec.yaml"
    import yaml

    spec_file.write_text(yaml.safe_dump(cohort.raw))
    with pytest.raises(SystemExit) as code:
        main(
            ["simulate", "--spec", str(spec_file), "--outdir", str(tmp_path / "o"), "--cells", "W1"]
        )
    assert code.value.code == 0
    assert (tmp_path / "o" / "fastq" / "W1_R1.fastq.gz").is_file()
    assert pd.read_csv(tmp_path / "o" / "cells.tsv", sep="\t")["cell"].tolist() == ["W1"]
    with pytest.raises(SystemExit) as code:
        main(
            ["simulate", "--spec", str(spec_file), "--outdir", str(tmp_path / "o"), "--cells", "X"]
        )
    assert code.value.code == 1


@pytest.fixture(scope="module")
def bwa_reference(reference, tmp_path_factory):
    d = tmp_path_factory.mktemp("bwa")
    ref = d / "ref.fa"
    shutil.copy(reference, ref)
    subprocess.run(["bwa", "index", str(ref)], check=True, capture_output=True)
    return ref


def _align(ref, r1, r2, bam):
    bwa = subprocess.Popen(["bwa", "mem", "-t", "2", str(ref), str(r1), str(r2)],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
    subprocess.run(["samtools", "sort", "-o", str(bam), "-"], stdin=bwa.stdout, check=True)
    bwa.wait()
    subprocess.run(["samtools", "index", str(bam)], check=True)


def test_panel_reads_on_target_at_depth(make_spec, bwa_reference, tmp_path):
    """Aligned with bwa: pairs fall on the (padded) targets, which reach the mean depth."""
    bed = tmp_path / "targets.bed"
    targets = [("chrA", s, s + 400) for s in range(20_000, 980_000, 80_000)]
    bed.write_text("".join(f"{c}\t{s}\t{e}\n" for c, s, e in targets))
    spec = load_spec(
        make_spec(
            targets=str(bed),
            target_padding=50,
            sequencing_error_rate=0.001,
            cells=[cell("P1", assay="panel", mean_depth=60, wga="MDA", amplification=MDA)],
        )
    )
    res = simulate(spec, tmp_path / "out")
    bam = tmp_path / "p.bam"
    _align(bwa_reference, *res.fastq["P1"], bam)
    depth = subprocess.run(["samtools", "depth", "-a", "-b", str(bed), str(bam)],
                           check=True, capture_output=True, text=True).stdout  # fmt: skip
    d = np.array([int(line.split("\t")[2]) for line in depth.splitlines()])
    assert len(d) == sum(e - s for _, s, e in targets)
    # The simulator stops at exactly mean_depth x target length of read bases; alignment
    # clips little, so the measured mean is within a few percent.
    assert d.mean() == pytest.approx(60, rel=0.08)
    on, total = 0, 0
    with pysam.AlignmentFile(str(bam)) as fh:
        for read in fh:
            if not read.is_read1 or not read.is_proper_pair:
                continue
            total += 1
            lo = min(read.reference_start, read.next_reference_start)
            hi = lo + abs(read.template_length)
            on += any(
                c == read.reference_name and lo < e + 50 and hi > s - 50 for c, s, e in targets
            )
    assert total > 0.98 * sum(1 for _ in pysam.FastxFile(str(res.fastq["P1"][0])))
    assert on == total


def test_wgs_mean_depth_gives_read_count(make_spec):
    spec = load_spec(make_spec(cells=[cell("C1", mean_depth=0.5)], duplicate_rate=0.1))
    from ctcgenomics.simulate import simulate_cell

    _, reads = simulate_cell(spec, "C1")
    unique = (~reads.duplicate).sum()
    assert unique == int(np.ceil(0.5 * sum(CONTIGS.values()) / 200))
    assert reads.duplicate.sum() == round(unique * 0.1 / 0.9)
