"""Real reads: one sample plays the CTC, another the WBC, with known differences.

tests/data/snv_dream (provenance in its README and DATA_LICENSES.md): real Illumina reads
of the ICGC-TCGA DREAM somatic-mutation challenge synthetic set (one normal genome's
reads split in two; 32 somatic SNVs spiked into the "tumour" half with BAMSurgeon at
allele fractions of about 0.3-0.4), 32 windows of chr20 moved onto one contig. The
tumour half plays one CTC, the normal half one WBC; the 32 spike-ins are the expected
differences.
"""

from pathlib import Path

import pandas as pd
import pysam

import ctcgenomics as ctc

DATA = Path(__file__).parents[1] / "data" / "snv_dream"


def _truth():
    with pysam.VariantFile(str(DATA / "truth.vcf")) as vf:
        return {(r.chrom, r.pos, r.ref, r.alts[0]) for r in vf}


def _run(wbc_wga: str):
    cells = pd.DataFrame(
        {"role": ["ctc", "wbc"], "draw": "D1", "wga": ["MDA", wbc_wga]}, index=["CTC", "WBC"]
    )
    adata = ctc.snv.call(
        {"CTC": DATA / "CTC.bam", "WBC": DATA / "WBC.bam"},
        DATA / "ref.fa",
        cells=cells,
        hotspots=None,
    )
    var = adata.var[adata.var["somatic"]]
    called = {(r.chrom, int(r.pos), r.ref, r.alt) for r in var.itertuples()}
    return adata, var, called


def test_one_ctc_and_bulk_germline_control_find_the_known_differences():
    """The normal half as bulk germline DNA (wga none: no allelic dropout)."""
    truth = _truth()
    assert len(truth) == 32
    adata, var, called = _run("none")
    recall = len(called & truth) / len(truth)
    precision = len(called & truth) / max(len(called), 1)
    print(f"\nbulk WBC: {len(called)} PASS, recall {recall:.3f}, precision {precision:.3f}")
    assert recall >= 0.9
    assert precision >= 0.95
    # single-cell evidence, flagged as such, with a posterior per variant
    assert var["single_cell"].all()
    assert (var["p_variant"] >= 0.95).all()
    # the CTC carries them; the WBC does not
    j = [list(adata.var_names).index(i) for i in var.index]
    assert (adata.layers["genotype"][0, j] > 0).all()
    assert (adata.layers["genotype"][1, j] <= 0).all()


def test_one_ctc_and_one_amplified_wbc_report_the_differences_honestly():
    """The normal half as one amplified WBC (its allele may have dropped out, about 1 time
    in 13): the spike-ins get a somatic posterior >= 0.9 (germline ~3 %: one WBC cannot
    exclude germline beyond its dropout) and PASS; nothing else looks somatic."""
    truth = _truth()
    adata, _, called = _run("MDA")
    v = adata.var
    spiked = v[[(r.chrom, int(r.pos), r.ref, r.alt) in truth for r in v.itertuples()]]
    print(
        f"\namplified WBC: {len(called)} PASS; spike-ins: somatic posterior median "
        f"{spiked['p_variant'].median():.3f}, germline posterior median "
        f"{spiked['p_germline'].median():.3f}"
    )
    assert len(spiked) == 32
    assert (spiked["p_variant"] >= 0.9).mean() >= 0.9
    assert len(called & truth) / len(truth) >= 0.9
    assert not (called - truth)
    others = v[~v.index.isin(spiked.index)]
    assert (others["p_variant"] < 0.5).all()
