"""Copy-number exports (IGV .seg, bedGraph, cBioPortal CNA) agree with the calls."""

from __future__ import annotations

import math

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from ctcgenomics.cnv._export import CNA_CODES, to_bedgraph, to_cbioportal_cna, to_seg


@pytest.fixture
def cnv() -> ad.AnnData:
    var = pd.DataFrame({"chrom": ["chr1"] * 4 + ["chr2"] * 2,
                        "start": [0, 100, 200, 300, 0, 100],
                        "end": [100, 200, 300, 400, 100, 200]})  # fmt: skip
    var.index = var.index.astype(str)
    cn = np.array([[2, 2, 4, 4, 2, 2], [1, np.nan, 1, 2, 2, 0]], dtype=float)
    ratio = np.array([[1.0, 1.0, 2.0, 2.2, 1.0, 1.0], [0.5, np.nan, 0.5, 1.0, 1.0, 0.0]])
    return ad.AnnData(obs=pd.DataFrame(index=["c1", "c2"]), var=var,
                      layers={"copy_number": cn, "ratio": ratio})  # fmt: skip


def test_seg_has_one_row_per_run_of_copy_number(cnv):
    seg = to_seg(cnv)
    c1 = seg[seg["ID"] == "c1"]
    assert c1[["chrom", "loc.start", "loc.end", "num.mark"]].values.tolist() == [
        ["chr1", 1, 200, 2], ["chr1", 201, 400, 2], ["chr2", 1, 200, 2]]  # fmt: skip
    assert c1["seg.mean"].iloc[1] == pytest.approx(math.log2(2.1))
    c2 = seg[seg["ID"] == "c2"]  # the uncalled bin joins nothing; ratio 0 has no log2
    assert c2["num.mark"].tolist() == [2, 1, 1, 1]
    assert np.isnan(c2["seg.mean"].iloc[-1])


def test_bedgraph_and_cna(cnv):
    bg = to_bedgraph(cnv, "c2")
    assert bg["start"].tolist() == [0, 200, 300, 0]  # bins without a value left out
    assert bg["value"].iloc[0] == pytest.approx(-1.0)
    calls = pd.DataFrame({"cell": ["c1", "c1", "c2", "c2"], "gene": ["ERBB2", "TP53"] * 2,
                          "call": ["AMPLIFICATION", "NEUTRAL", "GAIN", "DELETION"],
                          "qc_pass": [True, True, True, False]})  # fmt: skip
    cna = to_cbioportal_cna(calls).set_index("Hugo_Symbol")
    assert cna.loc["ERBB2", "c1"] == CNA_CODES["AMPLIFICATION"] == 2
    assert cna.loc["ERBB2", "c2"] == 1 and pd.isna(cna.loc["TP53", "c2"])  # failed QC


def test_exports_name_missing_inputs(cnv):
    with pytest.raises(KeyError, match=r"lacks layers\['ratio'\]"):
        to_seg(
            ad.AnnData(var=cnv.var, obs=cnv.obs, layers={"copy_number": cnv.layers["copy_number"]})
        )
    with pytest.raises(KeyError, match="cell 'c9' is not in"):
        to_bedgraph(cnv, "c9")
    with pytest.raises(KeyError, match=r"lacks \['call'\]"):
        to_cbioportal_cna(pd.DataFrame({"cell": [], "gene": []}))


def test_ctcg_export_cnv_writes_all_three(cnv, tmp_path):
    from ctcgenomics.cli import main

    cnv.write_h5ad(tmp_path / "cnv.h5ad")
    pd.DataFrame({"cell": ["c1"], "gene": ["ERBB2"], "call": ["GAIN"]}).to_csv(
        tmp_path / "genes.tsv", sep="\t", index=False
    )
    out = {k: tmp_path / n for k, n in (("seg", "P1.seg"), ("cna", "cna.txt"),
                                         ("bedgraph", "cells.bedGraph"))}  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main(["export", "cnv", "--h5ad", str(tmp_path / "cnv.h5ad"), "--genes",
              str(tmp_path / "genes.tsv"), "--patient", "P1",
              *[x for k, p in out.items() for x in (f"--{k}", str(p))]])  # fmt: skip
    assert done.value.code == 0
    assert out["seg"].read_text().startswith("ID\tchrom\tloc.start")
    assert out["cna"].read_text().splitlines() == ["Hugo_Symbol\tc1", "ERBB2\t1"]
    tracks = [ln for ln in out["bedgraph"].read_text().splitlines() if ln.startswith("track")]
    assert len(tracks) == 2 and 'name="c1"' in tracks[0]
