"""Simulated single-cell panel data with known truth, for the SNV tests and benchmarks.

Builds a simulator spec on the packaged real chr17 segment: targets around planted
clonal and subclonal somatic SNVs (and two indels), germline SNPs, 8+ CTCs with allelic
dropout (constant per cell, or varying along the genome) and amplification errors, 2+
WBCs (optionally shallow ones too); then simulates and aligns every cell.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pysam

import ctcgenomics as ctc

REFERENCE = Path(ctc.__file__).parent / "data" / "reference" / "hg38_chr17_1-7843138.fa.gz"
R175H = {"name": "TP53_R175H", "chrom": "chr17", "pos": 7675088, "ref": "C", "alt": "T"}


def _random_sites(rng, fasta, n, taken, *, lo=200_000, hi=7_600_000, min_gap=5_000):
    sites = []
    while len(sites) < n:
        pos = int(rng.integers(lo, hi))
        if any(abs(pos - t) < min_gap for t in taken):
            continue
        ctx = fasta.fetch("chr17", pos - 30, pos + 30).upper()
        base = ctx[29]
        # avoid Ns and homopolymers, where aligners shift indels
        if set(ctx) - set("ACGT") or base * 4 in ctx:
            continue
        taken.append(pos)
        sites.append((pos, base))
    return sites


def panel_spec(
    workdir: Path,
    *,
    n_ctc: int = 10,
    n_wbc: int = 2,
    n_clonal: int = 12,
    n_subclonal: int = 12,
    n_germline: int = 10,
    seed: int = 11,
    depth: tuple[float, float] = (30, 80),
    dropout: tuple[float, float] = (0.1, 0.3),
    dropout_varies: bool = False,
    amp_error_rate: float = 3e-4,
    n_background: int = 0,
    het_snp_rate: float = 0.0,
    n_shallow_wbc: int = 0,
    shallow_depth: float = 6.0,
) -> dict:
    """A panel simulation spec with planted variants and targets around them.

    ``dropout`` is the range of the per-cell rates, or with ``dropout_varies`` the range
    every cell's rate spans along the genome. ``n_background`` extra 400-bp targets
    without planted variants make the panel more like a real one (a few somatic variants
    among many germline heterozygous sites at ``het_snp_rate`` per base). Shallow WBCs
    (``shallow_depth`` mean depth) are named ``P1_sWBC{i}``.
    """
    rng = np.random.default_rng(seed)
    fasta = pysam.FastaFile(str(REFERENCE))
    taken = [R175H["pos"]]
    bases = "ACGT"

    def other(b):
        return bases[(bases.index(b) + 1 + int(rng.integers(0, 3))) % 4]

    ctcs = [f"P1_CTC{i + 1}" for i in range(n_ctc)]
    wbcs = [f"P1_WBC{i + 1}" for i in range(n_wbc)]
    clonal = [
        {"name": f"clonal_{i}", "chrom": "chr17", "pos": p, "ref": b, "alt": other(b)}
        for i, (p, b) in enumerate(_random_sites(rng, fasta, n_clonal, taken))
    ]
    clonal.append(dict(R175H))
    # Two clonal indels (1-bp deletion, 2-bp insertion)
    (p1, _), (p2, b2) = _random_sites(rng, fasta, 2, taken)
    ref_del = fasta.fetch("chr17", p1 - 1, p1 + 1).upper()
    clonal.append(
        {"name": "clonal_del", "chrom": "chr17", "pos": p1, "ref": ref_del, "alt": ref_del[0]}
    )
    clonal.append({"name": "clonal_ins", "chrom": "chr17", "pos": p2, "ref": b2, "alt": b2 + "TG"})
    subclonal = []
    for i, (p, b) in enumerate(_random_sites(rng, fasta, n_subclonal, taken)):
        k = int(rng.integers(3, max(4, n_ctc // 2 + 1)))
        cells = sorted(rng.choice(ctcs, size=k, replace=False).tolist())
        subclonal.append(
            {
                "name": f"sub_{i}",
                "chrom": "chr17",
                "pos": p,
                "ref": b,
                "alt": other(b),
                "cells": cells,
            }
        )
    germ = [
        {"name": f"germ_{i}", "chrom": "chr17", "pos": p, "ref": b, "alt": other(b)}
        for i, (p, b) in enumerate(_random_sites(rng, fasta, n_germline, taken))
    ]
    centres = list(taken)
    background = _random_sites(rng, fasta, n_background, list(taken), min_gap=2_000)
    centres += [p for p, _ in background]
    targets = workdir / "targets.bed"
    with open(targets, "w") as fh:
        for p in sorted(centres):
            fh.write(f"chr17\t{p - 200}\t{p + 200}\n")

    def cell_dropout() -> float | list[float]:
        if dropout_varies:
            return [float(dropout[0]), float(dropout[1])]
        return float(rng.uniform(*dropout))

    cells = []
    for cid in ctcs:
        cells.append(
            {
                "id": cid,
                "role": "ctc",
                "clone": "A",
                "mean_depth": float(rng.uniform(*depth)),
                "dropout_rate": cell_dropout(),
            }
        )
    for cid in wbcs:
        cells.append(
            {
                "id": cid,
                "role": "wbc",
                "clone": "normal",
                "mean_depth": float(rng.uniform(*depth)),
                "dropout_rate": cell_dropout(),
            }
        )
    for i in range(n_shallow_wbc):
        cells.append(
            {
                "id": f"P1_sWBC{i + 1}",
                "role": "wbc",
                "clone": "normal",
                "mean_depth": float(shallow_depth),
                "dropout_rate": cell_dropout(),
            }
        )
    return {
        "seed": seed,
        "reference": str(REFERENCE),
        "read_length": 100,
        "insert_size": {"mean": 250, "sd": 30},
        "sequencing_error_rate": 0.001,
        "duplicate_rate": 0.05,
        "dropout_window": 2000,
        "targets": str(targets),
        "target_padding": 50,
        "germline": {"het_snp_rate": het_snp_rate, "snps": germ},
        "clones": {"normal": {}, "A": {"variants": clonal}},
        "variants": subclonal,
        "cell_defaults": {
            "patient": "P1",
            "draw": "D1",
            "wga": "MDA",
            "assay": "panel",
            "amplification": {
                "bias_sd": 0.3,
                "bias_length": 1_000_000,
                "error_rate": amp_error_rate,
            },
        },
        "cells": cells,
    }


def simulate_and_align(spec: dict, workdir: Path) -> dict:
    """Simulate ``spec`` into ``workdir`` and align every cell; return paths."""
    workdir = Path(workdir)
    sim = workdir / "sim"
    ctc.simulate.simulate(spec, sim)
    genome = ctc.align.prepare_reference(REFERENCE, workdir / "ref")
    bams = {}
    for cell in spec["cells"]:
        cid = cell["id"]
        out = workdir / "bam" / f"{cid}.bam"
        out.parent.mkdir(parents=True, exist_ok=True)
        ctc.align.align_cell(
            sim / "fastq" / f"{cid}_R1.fastq.gz",
            sim / "fastq" / f"{cid}_R2.fastq.gz",
            genome,
            out,
            cell=cid,
        )
        bams[cid] = out
    return {
        "bams": bams,
        "reference": genome,
        "targets": Path(spec["targets"]),
        "truth": sim / "truth" / "variants.vcf.gz",
        "sim": sim,
    }


def bcftools_baseline(
    bams: dict,
    reference: Path,
    targets: Path,
    out_vcf: Path,
    wbcs: list[str],
    *,
    min_qual: float = 20.0,
) -> pd.DataFrame:
    """bcftools ``mpileup | call -m`` multi-sample on the same BAMs and targets.

    A site is reported somatic when some CTC has a non-reference genotype and no WBC has
    (the natural way to use a germline caller on tumour/normal single cells).
    """
    import subprocess

    cmd = (
        f"bcftools mpileup -f {reference} -R {targets} -a AD,DP -Ou "
        + " ".join(str(bams[c]) for c in bams)
        + f" 2>/dev/null | bcftools call -mv -Oz -o {out_vcf}"
    )
    subprocess.run(cmd, shell=True, check=True, stderr=subprocess.DEVNULL)
    rows = []
    with pysam.VariantFile(str(out_vcf)) as vf:
        for rec in vf:
            if rec.qual is not None and rec.qual < min_qual:
                continue
            for ai, alt in enumerate(rec.alts or (), start=1):
                carriers = {
                    s
                    for s in rec.samples
                    if ai in [g for g in (rec.samples[s]["GT"] or ()) if g is not None]
                }
                if carriers and not carriers & set(wbcs):
                    rows.append((rec.chrom, rec.pos, rec.ref, alt))
    return pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"])


def population_vcf(truth: Path, out: Path, seed: int, novel: float = 0.02) -> Path:
    """A gnomAD-like sites VCF: the individual's germline SNPs with population frequencies.

    As in real data, about ``novel`` of a person's germline variants are absent from it.
    """
    rng = np.random.default_rng(seed)
    lines = [
        "##fileformat=VCFv4.2",
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
    ]
    with pysam.VariantFile(str(truth)) as vf:
        for name in vf.header.contigs:
            lines.append(f"##contig=<ID={name},length={vf.header.contigs[name].length}>")
        lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
        for rec in vf:
            if rec.info.get("ORIGIN") != "germline" or rng.random() < novel:
                continue
            af = float(np.clip(rng.beta(0.6, 1.5), 0.005, 0.95))
            lines.append(f"{rec.chrom}\t{rec.pos}\t.\t{rec.ref}\t{rec.alts[0]}\t.\t.\tAF={af:.4f}")
    out.write_text("\n".join(lines) + "\n")
    return out
