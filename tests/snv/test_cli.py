"""`ctcg snv` end to end on synthetic cells (seconds), and its error path."""

import json

import anndata as ad
import pysam
import pytest
from synthetic import make_reference, snv_cells, snv_command

import ctcgenomics as ctc
from ctcgenomics.cli import main
from ctcgenomics.io import read_alterations
from ctcgenomics.snv._pileup import CandidateParams


def test_cli_writes_all_outputs(tmp_path):
    fa, seq = make_reference(tmp_path)
    bams, sheet, alt = snv_cells(tmp_path, seq)
    out = tmp_path / "out"
    args = snv_command(bams, fa, sheet, out, "--hotspots", "none")
    args += ["--figure", str(out / "genotypes.png")]
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
    bams, sheet, _ = snv_cells(tmp_path, seq)
    sheet.write_text("cell\trole\tdraw\nCTC0\tctc\tD1\n")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(snv_command(bams, fa, sheet, out))
    assert exc.value.code == 1
    assert "no row for cell(s)" in caplog.text
    assert not (out / "snv.vcf.gz").exists()


@pytest.mark.parametrize("threads", [1, 2])
def test_pileup_says_how_far_it_is(tmp_path, caplog, threads):
    # The pileup can run for minutes on a large panel: without a terminal it logs its
    # progress and how long it took (a bar on a terminal, ctcgenomics/_progress.py).
    fa, seq = make_reference(tmp_path)
    bams, _, _ = snv_cells(tmp_path, seq)
    small_windows = CandidateParams(max_chunk=500)  # several windows for two processes
    with caplog.at_level("INFO", logger="ctcgenomics.snv._pileup"):
        ctc.snv.count_alleles(
            {b.stem: b for b in bams}, fa, candidate_params=small_windows, threads=threads
        )
    what = "pileup of 8 cells" + (" in 2 processes" if threads > 1 else "")
    assert f"{what}: done in" in caplog.text


def test_cli_cell_listed_twice_in_the_sheet_is_an_error(tmp_path, caplog):
    # The sheet reader kept the first of the two rows: CTC0, listed again as a WBC, was
    # called as a CTC without a word.
    fa, seq = make_reference(tmp_path)
    bams, sheet, _ = snv_cells(tmp_path, seq)
    sheet.write_text(sheet.read_text() + "P1\tD1\tCTC0\twbc\n")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(snv_command(bams, fa, sheet, out, "--hotspots", "none"))
    assert exc.value.code == 1
    assert "cell ID(s) ['CTC0'] on more than one row" in caplog.text
    assert not (out / "snv.vcf.gz").exists()
