"""Copy number from the CNV step: linked cells, draw distributions, cells not in the run."""

import dataclasses
import logging

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from synthetic import make_reference, ref_reads, snv_reads, write_bam

import ctcgenomics as ctc
from ctcgenomics.snv._genotype import NOT_EVALUABLE

POS0 = 1000


def _cnv(cells, cn, *, roles=None, draws=None, length=3000):
    """A cnv.h5ad-like AnnData: 3 bins on contig syn, copy number per cell for bin 1."""
    var = pd.DataFrame(
        {"chrom": "syn", "start": [0, 900, 1100], "end": [900, 1100, length]},
        index=["b0", "b1", "b2"],
    )
    layer = np.full((len(cells), 3), 2.0)
    layer[:, 1] = cn
    obs = pd.DataFrame(
        {
            "role": roles or ["ctc"] * len(cells),
            "draw": draws or ["D1"] * len(cells),
            "qc_pass": True,
        },
        index=cells,
    )
    return ad.AnnData(np.zeros((len(cells), 3)), obs=obs, var=var, layers={"copy_number": layer})


@pytest.fixture
def hemizygous(tmp_path):
    """17p-loss-like: 3 CTCs all-alt (one copy left, mutated), 1 CTC reference-only, 2 WBCs."""
    fa, seq = make_reference(tmp_path)
    alt = "A" if seq[POS0] != "A" else "C"
    bams = {}
    for i in range(3):
        reads = snv_reads(seq, POS0 - 25, POS0, alt, 30)
        bams[f"CTC{i}"] = write_bam(tmp_path / f"CTC{i}.bam", seq, reads, cell=f"CTC{i}")
    bams["CTC3"] = write_bam(tmp_path / "CTC3.bam", seq, ref_reads(seq, POS0 - 25, 30), cell="CTC3")
    for i in range(4):
        w = f"WBC{i}"
        bams[w] = write_bam(tmp_path / f"{w}.bam", seq, ref_reads(seq, POS0 - 25, 40), cell=w)
    cells = pd.DataFrame({"role": ["ctc"] * 4 + ["wbc"] * 4, "draw": "D1"}, index=list(bams))
    return fa, seq, alt, bams, cells


def _loh_params(independence):
    """SNV parameters with the allelic state (LOH) drawn per cell (1) or per clone (0)."""
    params = ctc.snv.SNVParams.from_mapping({})
    model = dataclasses.replace(params.genotype.model, loh_cell_independence=independence)
    return dataclasses.replace(params, genotype=dataclasses.replace(params.genotype, model=model))


def test_linked_copy_number_makes_a_reference_only_cell_evaluable(hemizygous, caplog):
    fa, seq, alt, bams, cells = hemizygous
    key = f"syn:{POS0 + 1}:{seq[POS0]}>{alt}"
    # LOH drawn per cell, so the other CTCs say nothing about this cell's copies
    plain = ctc.snv.call(bams, fa, cells=cells, hotspots=None, params=_loh_params(1.0))
    j = list(plain.var_names).index(key)
    # diploid assumption: the reference-only cell may have lost the allele: not evaluable
    assert plain.layers["genotype"][3, j] == NOT_EVALUABLE
    # the CNV step saw one copy in every CTC (the low-pass libraries have other IDs)
    cnv = _cnv(["L0", "L1", "L2", "L3", "LX"], [1, 1, 1, 1, 1])
    link = {f"CTC{i}": f"L{i}" for i in range(4)}
    with caplog.at_level(logging.WARNING):
        aware = ctc.snv.call(bams, fa, cells=cells, hotspots=None, copy_number=cnv, cn_link=link)
    assert "LX" in caplog.text and "ignored" in caplog.text
    assert list(aware.obs["copy_number_source"][:4]) == ["cell"] * 4
    assert aware.layers["copy_number"][0, j] == 1
    # hemizygous: reference reads mean no carrier (the CNV call may be wrong: 5 %)
    assert aware.layers["posterior"][3, j] < plain.layers["posterior"][3, j] / 4
    assert aware.layers["genotype"][3, j] == 0
    assert (aware.layers["genotype"][:3, j] == 2).all()


def test_clonal_loh_makes_a_reference_only_ctc_a_non_carrier(hemizygous):
    """Without copy number, the clone's LOH read from three all-alternative CTCs: a
    carrier of that clone shows only the allele, so the reference-only CTC (truly one
    reference copy here) is a non-carrier unless it drew its own state (5 %) and then
    dropped the allele; with LOH drawn per cell it stays not evaluable."""
    fa, seq, alt, bams, cells = hemizygous
    key = f"syn:{POS0 + 1}:{seq[POS0]}>{alt}"
    got = {}
    for e in (0.05, 1.0):
        adata = ctc.snv.call(bams, fa, cells=cells, hotspots=None, params=_loh_params(e))
        j = list(adata.var_names).index(key)
        got[e] = (adata.layers["genotype"][3, j], adata.layers["posterior"][3, j])
    assert got[0.05][0] == 0 and got[0.05][1] < 0.1
    assert got[1.0][0] == NOT_EVALUABLE and got[1.0][1] > 0.1


def test_draw_distribution_for_unlinked_ctcs(hemizygous):
    """CTCs without their own CNV library take their draw's copy-number distribution."""
    fa, seq, alt, bams, cells = hemizygous
    cnv = _cnv(["L0", "L1", "L2", "W0"], [1, 1, 1, 2], roles=["ctc", "ctc", "ctc", "wbc"])
    adata = ctc.snv.call(bams, fa, cells=cells, hotspots=None, copy_number=cnv)
    src = adata.obs["copy_number_source"].astype(str)
    assert (src[:4] == "draw").all() and (src[4:] == "none").all()
    dist = adata.uns["snv_copy_number"]["draw_distributions"]["D1"]
    j = list(adata.var_names).index(f"syn:{POS0 + 1}:{seq[POS0]}>{alt}")
    # three CNV CTCs with one copy, one diploid pseudo-cell
    assert dist[j, 1] == pytest.approx(0.75) and dist[j, 2] == pytest.approx(0.25)


def test_copy_number_input_is_checked(hemizygous, tmp_path):
    fa, _, _, bams, cells = hemizygous
    bad = _cnv(["L0"], [1])
    del bad.layers["copy_number"]
    with pytest.raises(KeyError, match="no layer 'copy_number'"):
        ctc.snv.call(bams, fa, cells=cells, hotspots=None, copy_number=bad)
    with pytest.raises(OSError, match=r"cnv\.h5ad"):
        ctc.snv.call(bams, fa, cells=cells, hotspots=None, copy_number=tmp_path / "none.h5ad")


def test_failed_cnv_stage_placeholder_is_ignored(hemizygous, caplog):
    """The guarded workflow writes an empty cnv.h5ad when the CNV stage fails: the SNV
    step goes on with two copies everywhere and says why."""
    from ctcgenomics.io.stage_status import STATUS_KEY

    fa, _, _, bams, cells = hemizygous
    failed = ad.AnnData(uns={STATUS_KEY: {"stage": "cnv", "reason": "no counts"}})
    with caplog.at_level(logging.WARNING):
        adata = ctc.snv.call(bams, fa, cells=cells, hotspots=None, copy_number=failed)
    assert "copy_number" not in adata.layers
    assert "CNV stage failed" in caplog.text
