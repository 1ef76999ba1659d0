"""`ctcg snv` end to end on synthetic cells (seconds), and its error path."""

import json

import anndata as ad
import pysam
import pytest
from synthetic import make_reference, ref_reads, snv_reads, write_bam

import ctcgenomics as ctc
from ctcgenomics.cli import main
from ctcgenomics.io import read_alterations


def _bams(tmp, seq, n_ctc=4, n_wbc=4):
    """A subclonal variant: half the CTCs carry it, no WBC (so it is hardly germline)."""
    bams = []
    alt = "A" if seq[1000] != "A" else "C"
    for i in range(n_ctc):
        n_alt = 12 if i < n_ctc // 2 else 0
        reads = ref_reads(seq, 975, 24 - n_alt) + snv_reads(seq, 975, 1000, alt, n_alt)
        bams.append(write_bam(tmp / f"CTC{i}.bam", seq, reads, cell=f"CTC{i}"))
    for i in range(n_wbc):
        bams.append(write_bam(tmp / f"WBC{i}.bam", seq, ref_reads(seq, 975, 24), cell=f"WBC{i}"))
    sheet = tmp / "cells.tsv"
    rows = ["patient\tdraw\tcell\trole"]
    rows += [f"P1\tD1\tCTC{i}\tctc" for i in range(n_ctc)]
    rows += [f"P1\tD1\tWBC{i}\twbc" for i in range(n_wbc)]
    sheet.write_text("\n".join(rows) + "\n")
    return bams, sheet, alt


def test_cli_writes_all_outputs(tmp_path):
    fa, seq = make_reference(tmp_path)
    bams, sheet, alt = _bams(tmp_path, seq)
    out = tmp_path / "out"
    args = [
        "snv",
        "--bams",
        *map(str, bams),
        "--reference",
        str(fa),
        "--cells",
        str(sheet),
        "--patient",
        "P1",
        "--hotspots",
        "none",
        "--vcf",
        str(out / "snv.vcf.gz"),
        "--h5ad",
        str(out / "snv.h5ad"),
        "--alterations",
        str(out / "alterations.tsv"),
        "--figure",
        str(out / "genotypes.png"),
    ]
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 0
    with pysam.VariantFile(str(out / "snv.vcf.gz")) as vf:
        recs = [r for r in vf.fetch("syn", 1000, 1001)]
    assert [(r.ref, r.alts[0]) for r in recs] == [(seq[1000], alt)]
    assert "PASS" in recs[0].filter.keys()
    with pysam.VariantFile(str(out / "snv.vcf.gz")) as vf:
        meta = {r.key: r.value for r in vf.header.records if r.value is not None}
        assert "CSQ" not in vf.header.info  # VEP's tag is not reused for another layout
    assert meta["source"] == f"ctcgenomics-{ctc.__version__} snv"
    assert json.loads(meta["ctcgenomicsParams"])["min_base_quality"] == 20
    stamp = ad.read_h5ad(out / "snv.h5ad").uns["ctcgenomics"]
    assert stamp["version"] == ctc.__version__ and stamp["stage"] == "snv"
    assert recs[0].samples["CTC0"]["GT"] == (0, 1) and recs[0].samples["WBC0"]["GT"] == (0, 0)
    # a CTC with reference reads only: most likely not a carrier (its allele may have
    # dropped out, so it may stay not evaluable)
    assert recs[0].samples["CTC3"]["CP"] < 0.5
    assert recs[0].samples["CTC3"]["GT"] in ((0, 0), (None, None))
    alts = read_alterations(out / "alterations.tsv")
    assert list(alts["alteration"]) == [f"syn:g.1001{seq[1000]}>{alt}"]
    assert alts["n_cells_altered"].iloc[0] == 2 and alts["n_cells_evaluable"].iloc[0] >= 2
    # posterior carrier fraction with a credible interval around it
    row = alts.iloc[0]
    assert row["ci_low"] < row["prevalence"] < row["ci_high"]
    assert 0.2 < row["prevalence"] < 0.8
    assert (out / "genotypes.png").stat().st_size > 0


def test_cli_unknown_cell_is_a_clear_error(tmp_path, caplog):
    fa, seq = make_reference(tmp_path)
    bams, sheet, _ = _bams(tmp_path, seq)
    sheet.write_text("cell\trole\tdraw\nCTC0\tctc\tD1\n")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "snv",
                "--bams",
                *map(str, bams),
                "--reference",
                str(fa),
                "--cells",
                str(sheet),
                "--patient",
                "P1",
                "--vcf",
                str(out / "a.vcf.gz"),
                "--h5ad",
                str(out / "a.h5ad"),
                "--alterations",
                str(out / "a.tsv"),
            ]
        )
    assert exc.value.code == 1
    assert "no row for cell(s)" in caplog.text
    assert not (out / "a.vcf.gz").exists()
