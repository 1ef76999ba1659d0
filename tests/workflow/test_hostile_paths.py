"""File paths that a shell would misread must reach every step as plain paths.

A FASTQ named ``c1_$(touch INJECTED).fq.gz`` once ran the command in its name, and a
path with a space split into two arguments (issue 13). Every value the rules put on a
command line is now quoted, and paths starting with ``-`` are made option-safe.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from tests.conftest import PACKAGED_REFERENCE, run_snakemake
from tests.workflow.conftest import PATIENTS, write_config

# One hostile name per cell: command substitution, backticks, quotes, a space, a
# leading dash (relative path), a semicolon and a glob.
HOSTILE = {
    "T1_D1_SUBST": "c1_$(touch INJECTED_SUBST)",
    "T1_D1_TICKS": "c2_`touch INJECTED_TICKS`",
    "T1_D1_QUOTE": 'c3_it\'s "quoted"',
    "T1_D1_SPACE": "c4 with spaces",
    "T1_D1_DASH": "-c5",
    "T1_D1_SEMI": "c6;touch INJECTED_SEMI;*",
}


@pytest.mark.slow
def test_hostile_paths_end_to_end(tiny_reads, tmp_path):
    work = tmp_path / "work dir $(touch INJECTED_DIR)"
    work.mkdir()
    fq = tiny_reads / "fastq"
    rows = []
    for i, (cell, name) in enumerate(HOSTILE.items()):
        src = "T1_D1_CTC1" if i % 2 == 0 else "T1_D1_WBC1"
        for mate in ("R1", "R2"):
            shutil.copy(fq / f"{src}_{mate}.fastq.gz", work / f"{name}_{mate}.fq.gz")
        role = "ctc" if i % 2 == 0 else "wbc"
        rows.append(f"T1\tD1\t{cell}\twgs\t{role}\tMDA\t{name}_R1.fq.gz\t{name}_R2.fq.gz\n")
    sheets = work / "sheets; $(touch INJECTED_SHEET)"
    sheets.mkdir()
    (sheets / "cells 'v1'.tsv").write_text(
        "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\n" + "".join(rows)
    )
    (sheets / "-patients.tsv").write_text(PATIENTS)
    ref = work / "ref `x` dir"
    ref.mkdir()
    shutil.copy(PACKAGED_REFERENCE, ref / "genome $(touch INJECTED_REF).fa.gz")
    config = write_config(
        work,
        cells=f"{sheets.name}/cells 'v1'.tsv",
        patients=f"{sheets.name}/-patients.tsv",
        reference={"fasta": f"{ref.name}/genome $(touch INJECTED_REF).fa.gz"},
        stages={"cnv": True, "snv": False, "rna": False, "actionability": True, "report": True},
    )
    run_snakemake(work, "--configfile", str(config))

    injected = sorted(p.name for p in tmp_path.rglob("INJECTED*"))
    assert injected == [], f"a path was run as a command: {injected}"
    qc = pd.read_csv(work / "results/qc/qc.tsv", sep="\t").set_index("cell")
    assert sorted(qc.index) == sorted(HOSTILE)
    # every cell was read in full from its hostile path (3,000 simulated pairs each)
    assert (qc["total_reads"] == 6000).all()
    assert (work / "results/T1/report.html").is_file()
