"""Stage status files and the failed-state outputs of a stage that failed."""

from __future__ import annotations

import json

import anndata as ad
import pysam
import pytest

from ctcgenomics.io import read_alterations
from ctcgenomics.io.stage_status import (
    STATUS_KEY,
    StageStatus,
    StageStatusError,
    read_status,
    write_failed_outputs,
    write_status,
)


def test_status_round_trip_and_describe(tmp_path):
    st = StageStatus("cnv", "P1", "failed", reason="no bins left", log="logs/cnv_call/P1.log")
    write_status(st, tmp_path / "status.json")
    back = read_status(tmp_path / "status.json")
    assert back == st and back.failed
    assert back.describe() == "failed: no bins left (full error in logs/cnv_call/P1.log)"
    assert StageStatus("cnv", "P1", "ok").describe() == "ok"


def test_bad_status_values_and_files(tmp_path):
    with pytest.raises(StageStatusError, match="'broken' is not one of"):
        StageStatus("cnv", "P1", "broken")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(StageStatusError, match=r"x\.json is not a stage status file"):
        read_status(tmp_path / "x.json")


def test_failed_outputs_are_valid_empty_and_say_why(tmp_path):
    st = StageStatus("snv", "P1", "failed", reason='KeyError: "chrom"')
    names = ["snv.vcf.gz", "snv.vcf.gz.tbi", "snv.h5ad", "alterations.tsv", "genes.tsv",
             "genotypes.png", "profiles.pdf", "actionability.json"]  # fmt: skip
    write_failed_outputs([tmp_path / n for n in names], st)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no scratch left
    with pysam.VariantFile(str(tmp_path / "snv.vcf.gz")) as vcf:
        assert list(vcf) == []
        assert f"##{STATUS_KEY}=failed" in str(vcf.header)
        assert "chrom" in str(vcf.header)
    adata = ad.read_h5ad(tmp_path / "snv.h5ad")
    assert adata.n_obs == 0 and adata.uns[STATUS_KEY]["status"] == "failed"
    assert read_alterations(tmp_path / "alterations.tsv").empty
    assert "stage snv failed" in (tmp_path / "genes.tsv").read_text()
    assert (tmp_path / "genotypes.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "profiles.pdf").read_bytes().startswith(b"%PDF")
    doc = json.loads((tmp_path / "actionability.json").read_text())
    assert doc[STATUS_KEY]["reason"] == 'KeyError: "chrom"'
