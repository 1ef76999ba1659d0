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
import pytest

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


@pytest.mark.parametrize(("wbc_wga", "min_recall"), [("none", 0.9), ("MDA", 0.8)])
def test_one_ctc_one_wbc_finds_the_known_differences(wbc_wga, min_recall):
    """Bulk normal DNA as the control (wga none: no dropout), or a single amplified WBC
    (whose allele may have dropped out, so germline cannot be fully excluded)."""
    truth = _truth()
    assert len(truth) == 32
    adata, var, called = _run(wbc_wga)
    recall = len(called & truth) / len(truth)
    precision = len(called & truth) / max(len(called), 1)
    print(
        f"\nWBC wga={wbc_wga}: {len(called)} PASS, recall {recall:.3f}, precision {precision:.3f}"
    )
    assert recall >= min_recall
    assert precision >= 0.95
    # single-cell evidence, flagged as such, with a posterior per variant
    assert var["single_cell"].all()
    assert (var["p_variant"] >= 0.95).all()
    # the CTC carries them; the WBC does not
    j = [list(adata.var_names).index(i) for i in var.index]
    assert (adata.layers["genotype"][0, j] > 0).all()
    assert (adata.layers["genotype"][1, j] <= 0).all()
