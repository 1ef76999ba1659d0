"""Real reads of different people: one plays the CTC, another the WBC.

tests/data/snv_1000g (provenance in its README and DATA_LICENSES.md): 1000 Genomes
reads of three unrelated people (HG00100 ~13x, HG00101 and HG00102 ~5x) over the same
4.2 kb of chromosome 17, old-style alignments (bwa 0.5.9, GATK 1.2 realignment and
recalibration; no MC tags; contig "17"). Each person's bulk germline genotypes were
called independently with bcftools (``expected.tsv``, ``make_expected.sh``). With one
person as the CTC and another as the WBC, an allele the "WBC" carries (both carry it, or
the WBC alone) must never be called somatic; the expected differences are the alleles
the CTC carries where the WBC is called reference with >= 10 reads.

Also a germline-difference pair at the level of read counts (two people drawn from the
same allele frequencies over 100 kb, an MDA CTC and a bulk WBC at 25x), with enough
differences to measure recall.
"""

from itertools import permutations
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import ctcgenomics as ctc
from ctcgenomics.cli import main

DATA = Path(__file__).parents[1] / "data" / "snv_1000g"
PEOPLE = ("HG00100", "HG00101", "HG00102")


def _genotypes() -> pd.DataFrame:
    return pd.read_csv(DATA / "expected.tsv", sep="\t", dtype={"alt": str})


def _truth(ctc_id: str, wbc_id: str) -> tuple[set, set]:
    """Expected differences (CTC carries, WBC reference with >= 10 reads) and the alleles
    the WBC carries (never somatic), as ``(pos, ref, alt)``."""
    g = _genotypes()
    c = g[g["sample"] == ctc_id].set_index("pos")
    w = g[g["sample"] == wbc_id].set_index("pos")
    diff, wbc_has = set(), set()
    for pos, row in w.iterrows():
        if row["gt"] != "0/0":
            wbc_has.add((pos, row["ref"], row["alt"]))
        elif c.loc[pos, "gt"] != "0/0" and row["ref_reads"] >= 10:
            diff.add((pos, c.loc[pos, "ref"], c.loc[pos, "alt"]))
    return diff, wbc_has


def _call(ctc_id: str, wbc_id: str, wbc_wga: str) -> ad.AnnData:
    cells = pd.DataFrame(
        {"role": ["ctc", "wbc"], "draw": "D1", "wga": ["MDA", wbc_wga]}, index=["CTC", "WBC"]
    )
    return ctc.snv.call(
        {"CTC": DATA / f"{ctc_id}.bam", "WBC": DATA / f"{wbc_id}.bam"},
        DATA / "ref.fa",
        cells=cells,
        hotspots=None,
    )


def test_truth_of_the_real_pairs():
    """The independent bulk calls: 11 variant positions; one difference at >= 10 WBC
    reads (HG00102 het at 3104 with 2 of 5 reads, HG00100 16 reference reads); HG00102
    is homozygous where HG00100 and HG00101 are het at 8 positions (both carry)."""
    g = _genotypes()
    assert g["pos"].nunique() == 11
    diffs = {p: _truth(*p)[0] for p in permutations(PEOPLE, 2)}
    assert diffs[("HG00102", "HG00100")] == {(3104, "C", "T")}
    assert sum(len(d) for d in diffs.values()) == 1
    both = _truth("HG00102", "HG00100")[1]
    hom = set(g[(g["sample"] == "HG00102") & (g["gt"] == "1/1")]["pos"])
    assert len({p for p, _, _ in both} & hom) == 9


def test_alleles_the_wbc_carries_are_never_somatic():
    """Every ordered pair, WBC amplified or bulk: no allele of the WBC is PASS, and no
    PASS call falls outside the expected differences."""
    n_checked = 0
    for ctc_id, wbc_id in permutations(PEOPLE, 2):
        diff, wbc_has = _truth(ctc_id, wbc_id)
        for wga in ("MDA", "none"):
            v = _call(ctc_id, wbc_id, wga).var
            called = {(int(r.pos), r.ref, r.alt) for r in v[v["somatic"]].itertuples()}
            assert not called - diff, (ctc_id, wbc_id, wga)
            seen = v[[(int(r.pos), r.ref, r.alt) in wbc_has for r in v.itertuples()]]
            assert not seen["somatic"].any()
            n_checked += len(seen)
    assert n_checked >= 60


def test_bulk_wbc_keeps_its_unamplified_dropout_rate():
    """HG00100 as the CTC, HG00102 as a bulk WBC: HG00102 is homozygous where HG00100 is
    het, which the dropout fit took for the WBC losing an allele (fitted 0.28; 0.19 with
    HG00101 as the CTC). A library without amplification has no dropout: its rate stays
    at the prior (0.001), whatever the other person's genotypes."""
    for ctc_id in ("HG00100", "HG00101"):
        adata = _call(ctc_id, "HG00102", "none")
        assert adata.obs.loc["WBC", "dropout_rate"] == 1e-3
        assert (adata.layers["dropout"][1] == 1e-3).all()
        assert adata.obs.loc["CTC", "dropout_rate"] > 0.05  # the CTC's is fitted


def test_cli_on_old_style_bams_without_index_or_read_groups(tmp_path):
    """As a user runs it: BAMs copied without index and with their read groups stripped
    (cell ID from the file name), the cell sheet with the WBC as bulk DNA."""
    import pysam

    bams = []
    for cell, person in (("CTC", "HG00102"), ("WBC", "HG00100")):
        out = tmp_path / f"{cell}.bam"
        with pysam.AlignmentFile(str(DATA / f"{person}.bam")) as src:
            header = src.header.to_dict()
            header.pop("RG", None)
            with pysam.AlignmentFile(str(out), "wb", header=header) as dst:
                for read in src:
                    read.set_tag("RG", None)
                    dst.write(read)
        bams.append(str(out))
    sheet = tmp_path / "cells.tsv"
    sheet.write_text("cell\trole\tdraw\twga\nCTC\tctc\tD1\tMDA\nWBC\twbc\tD1\tnone\n")
    with pytest.raises(SystemExit) as exc:
        main(
            [
                *("snv", "--bams", *bams, "--reference", str(DATA / "ref.fa")),
                *("--cells", str(sheet), "--patient", "P", "--hotspots", "none"),
                *("--vcf", str(tmp_path / "o.vcf.gz"), "--h5ad", str(tmp_path / "o.h5ad")),
                *("--alterations", str(tmp_path / "a.tsv")),
            ]
        )
    assert exc.value.code == 0
    assert (tmp_path / "CTC.bam.bai").exists()
    v = ad.read_h5ad(tmp_path / "o.h5ad").var
    assert len(v) == 9 and not v["somatic"].any()
    assert v["germline"].all()  # HG00102 hom-alt where HG00100 is het: both carry
    with pysam.VariantFile(str(tmp_path / "o.vcf.gz")) as vcf:
        lines = [str(r) for r in vcf.header.records if r.key == "ctcgenomicsLibrary"]
    # 4.2 kb: too few het sites to test the libraries, each keeps its declaration
    assert len(lines) == 2
    assert 'ID=CTC,Declared="mda",Used="mda"' in lines[0]
    assert 'ID=WBC,Declared="none",Used="none"' in lines[1]


def _pair_counts(
    seed: int,
    wbc_wga: str,
    *,
    length: int = 100_000,
    declared: tuple[str, str] | None = None,
    ctc_amplified: bool = True,
    same_person: bool = False,
) -> tuple[ad.AnnData, np.ndarray]:
    """Read counts of two people over ``length`` bp: germline SNVs at 1.5 per kb with
    allele frequencies uniform on 0.05-0.95, genotypes in Hardy-Weinberg proportions, each
    person's independent. The CTC (MDA, unless ``ctc_amplified`` is false: bulk) loses a
    het allele 1 time in 10 and spreads het fractions as Beta(8, 8); the WBC is bulk
    (binomial, ``wbc_wga`` none) or amplified like the CTC. ``declared`` overrides the
    ``wga`` written for the two cells (default MDA and ``wbc_wga``); ``same_person``
    gives the WBC the CTC's genotypes."""
    rng = np.random.default_rng(seed)
    pos = np.sort(rng.choice(np.arange(100, length - 100), int(length * 1.5e-3), replace=False))
    af = rng.uniform(0.05, 0.95, len(pos))
    g = rng.binomial(2, af, size=(2, len(pos)))
    if same_person:
        g[1] = g[0]
    keep = g.any(axis=0)
    pos, g = pos[keep], g[:, keep]
    n = rng.poisson(25, g.shape)
    f = g / 2.0
    for c, amplified in enumerate((ctc_amplified, wbc_wga != "none")):
        if amplified:
            het, drop = g[c] == 1, rng.random(len(pos)) < 0.1
            f[c] = np.where(het & drop, rng.integers(0, 2, len(pos)), f[c])
            f[c] = np.where(het & ~drop, rng.beta(8, 8, len(pos)), f[c])
    k = rng.binomial(n, np.clip(f, 0.002, 0.998))
    ok = k.sum(axis=0) >= 3  # a candidate needs 3 alternative reads
    pos, g, n, k = pos[ok], g[:, ok], n[:, ok], k[:, ok]
    var = pd.DataFrame(
        {"chrom": "c", "pos": pos, "ref": "A", "alt": "G", "kind": "snv", "forced": ""},
        index=[f"c:{p}:A>G" for p in pos],
    )
    for strand, half in (("fwd", 0), ("rev", 1)):
        var[f"pooled_ref_{strand}"] = ((n - k).sum(0) + half) // 2
        var[f"pooled_alt_{strand}"] = (k.sum(0) + half) // 2
    obs = pd.DataFrame(
        {
            "role": ["ctc", "wbc"],
            "draw": "D1",
            "wga": list(declared or ("MDA", wbc_wga)),
            "n_bases": length,
        },
        index=["CTC", "WBC"],
    )
    obs["mismatch_rate"] = 5e-4
    hist = np.stack([np.bincount(rng.poisson(25, length), minlength=501)[:501]] * 2)
    adata = ad.AnnData(
        np.zeros(k.shape), obs=obs, var=var, layers={"ref": n - k, "alt": k, "depth": n}
    )
    adata.obsm["depth_histogram"] = hist
    adata.uns["snv_counts"] = {"ctc_depth_histogram": hist[0], "max_hist_depth": 500}
    return adata, g


def test_germline_difference_pair_with_a_bulk_wbc_is_found():
    """Differences (CTC het or hom-alt, bulk WBC reference at 25x): 0/25 and 0/23 PASS
    before (the WBC's dropout fitted ~0.3 from the CTC person's het sites where the WBC
    person is hom-alt), now >= 85 %; nothing the WBC carries is PASS."""
    for seed in (1, 2):
        adata, g = _pair_counts(seed, "none")
        ctc.snv.genotype(adata)
        ctc.snv.apply_filters(adata)
        diff = (g[1] == 0) & (g[0] > 0)
        passed = adata.var["filter"].to_numpy() == "PASS"
        assert diff.sum() >= 20
        assert passed[diff].mean() >= 0.85
        assert passed[diff & (g[0] == 2)].all()  # hom-alt differences
        assert not passed[g[1] > 0].any()
        assert adata.var.loc[passed, "single_cell"].all()  # one CTC: flagged SingleCell
        assert adata.obs.loc["WBC", "dropout_rate"] == 1e-3
