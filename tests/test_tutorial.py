"""The tutorial (docs/tutorial.py) runs on the example's results and tells the truth."""

from __future__ import annotations

import runpy
from pathlib import Path

import pandas as pd
import pytest

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.py"

pytestmark = pytest.mark.slow  # shares the session's whole-workflow demo run


def test_tutorial_runs_on_the_example(demo_workdir, tmp_path, capsys):
    tutorial = runpy.run_path(str(TUTORIAL))
    tutorial["main"](["--results", str(demo_workdir / "results"), "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "prevalence 4/6 = 0.67" in printed
    genes = pd.read_csv(tmp_path / "gene_calls.tsv", sep="\t")
    # The example's chr17 segment holds TP53 (lost in every CTC), not ERBB2 (39.7 Mb).
    assert set(genes["gene"]) == {"TP53"}
    ctcs = genes[genes["cell"].str.contains("CTC") & genes["qc_pass"].astype(bool)]
    assert len(ctcs) and set(ctcs["call"]) == {"LOSS"}
    # The example plants TP53 p.R175H in every CTC and in no WBC.
    variants = pd.read_csv(tmp_path / "somatic_variants.tsv", sep="\t", index_col=0)
    r175h = variants[variants["HGVSp"] == "p.R175H"]
    assert len(r175h) == 1
    carriers = r175h["carriers"].iloc[0].split(", ")
    assert carriers and all("CTC" in c for c in carriers)
    states = pd.read_csv(tmp_path / "cell_states.tsv", sep="\t", index_col=0)
    assert {"emt_again_score", "emt_again_state", "stemness"} <= set(states.columns)
    matches = pd.read_csv(tmp_path / "matches.tsv", sep="\t")
    assert matches["sources"].notna().all()
    assert (tmp_path / "heatmap.png").stat().st_size > 0
