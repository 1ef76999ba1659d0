import pytest

from ctcgenomics.cli import main
from ctcgenomics.io.alterations import read_alterations

from .conftest import EXAMPLE


def test_ctcg_rna_demo_sheet(tmp_path):
    sheet = tmp_path / "rna.tsv"
    d1 = 'patient == "P7" or (cell_type == "WBC" and index < "C1-022-C50")'
    d2 = 'patient == "P9" or (cell_type == "WBC" and index >= "C1-022-C50")'
    sheet.write_text(
        "patient\tdraw\tpath\tformat\tobs_filter\n"
        f"P01\tD1\t{EXAMPLE}\th5ad\t{d1}\nP01\tD2\t{EXAMPLE}\th5ad\t{d2}\n"
    )
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["rna", "--sheet", str(sheet), "--patient", "P01", "--outdir", str(out)])
    assert exit_.value.code == 0
    for name in (
        "rna.h5ad",
        "cells.tsv",
        "alterations.tsv",
        "emt_stemness.png",
        "markers_dotplot.png",
        "umap.png",
    ):
        assert (out / name).stat().st_size > 0
    alt = read_alterations(out / "alterations.tsv")
    assert set(alt["draw"]) == {"D1", "D2"} and set(alt["kind"]) == {"expression"}
    assert {"ERBB2", "ESR1", "PGR", "AR"} <= set(alt["gene"])


def test_ctcg_rna_unknown_patient(tmp_path):
    sheet = tmp_path / "rna.tsv"
    sheet.write_text(f"patient\tdraw\tpath\nP01\tD1\t{EXAMPLE}\n")
    with pytest.raises(SystemExit) as exit_:
        main(["rna", "--sheet", str(sheet), "--patient", "P02", "--outdir", str(tmp_path)])
    assert exit_.value.code == 1
