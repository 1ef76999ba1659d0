import json

import anndata as ad
import pytest

import ctcgenomics as ctc
from ctcgenomics.cli import main
from ctcgenomics.io.alterations import read_alterations

from .conftest import EXAMPLE

D1 = 'patient == "P7" or (cell_type == "WBC" and index < "C1-022-C50")'
D2 = 'patient == "P9" or (cell_type == "WBC" and index >= "C1-022-C50")'


def run(args):
    with pytest.raises(SystemExit) as exit_:
        main(["rna", *args])
    return exit_.value.code


def test_ctcg_rna_demo_sheet(tmp_path):
    sheet = tmp_path / "rna.tsv"
    sheet.write_text(
        "patient\tdraw\tpath\tformat\tobs_filter\tvalues\n"
        f"P01\tD1\t{EXAMPLE}\th5ad\t{D1}\tcounts\nP01\tD2\t{EXAMPLE}\th5ad\t{D2}\t\n"
    )
    patients = tmp_path / "patients.tsv"
    patients.write_text("patient\tdraw\ttumour_type\nP01\tD1\tBRCA\nP01\tD2\tBRCA\n")
    out = tmp_path / "out"
    args = ["--sheet", str(sheet), "--patients", str(patients), "--patient", "P01"]
    assert run([*args, "--outdir", str(out)]) == 0
    for name in (
        "rna.h5ad",
        "cells.tsv",
        "alterations.tsv",
        "emt_stemness.png",
        "markers_dotplot.png",
        "umap.png",
    ):
        assert (out / name).stat().st_size > 0
    stamp = ad.read_h5ad(out / "rna.h5ad").uns["ctcgenomics"]
    assert stamp["version"] == ctc.__version__ and stamp["stage"] == "rna"
    assert json.loads(stamp["params"])["values"] == "counts"
    alt = read_alterations(out / "alterations.tsv")
    assert set(alt["draw"]) == {"D1", "D2"} and set(alt["kind"]) == {"expression"}
    assert set(alt["alteration"]) <= {"EXPRESSION_HIGH", "EXPRESSION_LOW", "AR-V7_POSITIVE"}
    assert {"ERBB2", "ESR1", "PGR", "AR"} <= set(alt["gene"])


def test_ctcg_rna_unknown_patient_and_tumour_type(tmp_path):
    sheet = tmp_path / "rna.tsv"
    sheet.write_text(f"patient\tdraw\tpath\nP01\tD1\t{EXAMPLE}\n")
    out = tmp_path / "out"
    base = ["--sheet", str(sheet), "--outdir", str(out)]
    assert run([*base, "--patient", "P02", "--tumour-type", "BRCA"]) == 1
    assert run([*base, "--patient", "P01", "--tumour-type", "GBM"]) == 1
    assert not out.exists()


def test_ctcg_rna_no_marker_genes_writes_nothing(tmp_path):
    matrix = tmp_path / "m.csv"
    matrix.write_text("cell,ACTB,GAPDH,B2M\nc1,5,3,2\nc2,4,1,7\n")
    sheet = tmp_path / "rna.tsv"
    sheet.write_text(f"patient\tdraw\tpath\nP01\tD1\t{matrix}\n")
    out = tmp_path / "out"
    code = run(["--sheet", str(sheet), "--tumour-type", "PRAD", "--patient", "P01",
                "--outdir", str(out)])  # fmt: skip
    assert code == 1 and not out.exists()


def test_ctcg_rna_sheet_gene_symbols_column(tmp_path):
    # An .h5ad of full-length TPM with Ensembl IDs of another release as var_names and
    # symbols in var["symbol"]: the sheet's gene_symbols column names the genes (old
    # code: the column was ignored and no programme gene was found).
    import numpy as np

    from ctcgenomics.rna._simulate import simulate_draw

    draw = simulate_draw(10, 40, n_genes=4000, depth=1e6, length_bias=True, seed=2)
    a = ad.AnnData(X=draw.X.multiply(1e3 / draw.var["length"].to_numpy()).tocsr(), obs=draw.obs)
    a.X = a.X.multiply(1e6 / np.asarray(a.X.sum(axis=1))).tocsr()
    a.var_names = [f"ENSG9{i:010d}.2" for i in range(a.n_vars)]
    a.var["symbol"] = draw.var_names.to_numpy()
    a.write_h5ad(tmp_path / "tpm.h5ad")
    sheet = tmp_path / "rna.tsv"
    sheet.write_text(
        "patient\tdraw\tpath\tvalues\tgene_symbols\n"
        f"P01\tD1\t{tmp_path / 'tpm.h5ad'}\tnormalised\tsymbol\n"
    )
    out = tmp_path / "out"
    args = ["--sheet", str(sheet), "--tumour-type", "BRCA", "--patient", "P01"]
    assert run([*args, "--outdir", str(out)]) == 0
    got = ad.read_h5ad(out / "rna.h5ad")
    truth = got.obs["truth"].eq("CTC").to_numpy()
    assert (got.obs["cell_class"][~truth] != "CTC").all()
    assert (got.obs["cell_class"][truth] == "CTC").mean() >= 0.6


def test_ctcg_rna_panel_without_a_signature_still_classifies(tmp_path, caplog):
    # A sparse panel that measures no mesenchymal EMT gene: old code aborted the whole
    # run (GeneSetOverlapError from score_emt) after classifying, and wrote nothing.
    import logging

    import pandas as pd

    from ctcgenomics.rna import load_gene_sets
    from ctcgenomics.rna._signatures import SIGNATURE_SETS
    from ctcgenomics.rna._simulate import simulate_draw

    sets = load_gene_sets()
    mesenchymal = {g for name in SIGNATURE_SETS["emt_mesenchymal"] for g in sets[name]}
    draw = simulate_draw(10, 40, n_genes=4000, seed=2)
    draw = draw[:, ~draw.var_names.isin(mesenchymal)].copy()
    draw.write_h5ad(tmp_path / "m.h5ad")
    sheet = tmp_path / "rna.tsv"
    sheet.write_text(f"patient\tdraw\tpath\nP01\tD1\t{tmp_path / 'm.h5ad'}\n")
    out = tmp_path / "out"
    args = ["--sheet", str(sheet), "--tumour-type", "BRCA", "--patient", "P01"]
    with caplog.at_level(logging.WARNING, logger="ctcgenomics.rna._pipeline"):
        assert run([*args, "--outdir", str(out)]) == 0
    assert "emt not scored (its columns are NaN)" in caplog.text
    cells = pd.read_csv(out / "cells.tsv", sep="\t")
    assert cells["emt_score"].isna().all() and cells["stemness"].notna().all()
    assert set(cells["cell_class"]) >= {"CTC", "WBC"}
    assert "emt" in ad.read_h5ad(out / "rna.h5ad").uns["rna_params"]["signatures_not_scored"]


def test_ctcg_rna_undeclared_tpm_names_the_sheet_record_and_the_fix(tmp_path, caplog):
    # TPM left at the sheet's default values (counts): refused, and the message names
    # the sheet, the patient and draw, the file and the declaration to use (old code
    # named the file only).
    import numpy as np

    from ctcgenomics.rna._simulate import simulate_draw

    draw = simulate_draw(5, 20, n_genes=500, seed=2)
    x = draw.X.multiply(1e6 / np.asarray(draw.X.sum(axis=1))).tocsr()
    ad.AnnData(X=x, obs=draw.obs, var=draw.var).write_h5ad(tmp_path / "tpm.h5ad")
    sheet = tmp_path / "rna.tsv"
    sheet.write_text(f"patient\tdraw\tpath\nP01\tD7\t{tmp_path / 'tpm.h5ad'}\n")
    args = ["--sheet", str(sheet), "--tumour-type", "BRCA", "--patient", "P01"]
    assert run([*args, "--outdir", str(tmp_path / "out")]) == 1
    assert f"{sheet}, patient P01, draw D7: {tmp_path / 'tpm.h5ad'}: declared values: counts" in (
        caplog.text
    )
    assert "Set values: normalised" in caplog.text
