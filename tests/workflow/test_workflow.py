"""Integration tests: the Snakemake workflow on tiny data."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys

import pandas as pd
import pysam
import pytest

import ctcgenomics as ctc
from tests.conftest import PACKAGED_REFERENCE, REPO, run_snakemake, snakemake_env
from tests.workflow.conftest import PATIENTS, write_config


def test_small_cohort_with_an_empty_cell(tiny_reads, tmp_path):
    work = tmp_path
    fq = tiny_reads / "fastq"
    with gzip.open(work / "empty_R1.fq.gz", "wt"), gzip.open(work / "empty_R2.fq.gz", "wt"):
        pass
    rows = [
        (
            "T1",
            "D1",
            "T1_D1_CTC1",
            "wgs",
            "ctc",
            "MDA",
            fq / "T1_D1_CTC1_R1.fastq.gz",
            fq / "T1_D1_CTC1_R2.fastq.gz",
        ),
        (
            "T1",
            "D1",
            "T1_D1_WBC1",
            "wgs",
            "wbc",
            "MDA",
            fq / "T1_D1_WBC1_R1.fastq.gz",
            fq / "T1_D1_WBC1_R2.fastq.gz",
        ),
        (
            "T1",
            "D1",
            "T1_D1_EMPTY",
            "wgs",
            "ctc",
            "MDA",
            work / "empty_R1.fq.gz",
            work / "empty_R2.fq.gz",
        ),
    ]
    (work / "cells.tsv").write_text(
        "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\n"
        + "".join("\t".join(map(str, r)) + "\n" for r in rows)
    )
    (work / "patients.tsv").write_text(PATIENTS)
    run_snakemake(work, "--configfile", str(write_config(work)))
    qc = pd.read_csv(work / "results/qc/qc.tsv", sep="\t").set_index("cell")
    assert list(qc.index) == ["T1_D1_CTC1", "T1_D1_WBC1", "T1_D1_EMPTY"]
    assert qc.loc["T1_D1_CTC1", "qc_pass"] and qc.loc["T1_D1_WBC1", "qc_pass"]
    assert qc.loc["T1_D1_CTC1", "total_reads"] == 6000
    assert not qc.loc["T1_D1_EMPTY", "qc_pass"]
    assert "no reads" in qc.loc["T1_D1_EMPTY", "qc_reason"]
    bam = pysam.AlignmentFile(str(work / "results/bam/T1_D1_CTC1.bam"))
    assert bam.header["RG"][0]["SM"] == "T1_D1_CTC1"
    for rule in ("align", "qc_cell"):
        assert (work / f"logs/{rule}/T1_D1_CTC1.log").exists()
        assert (work / f"results/benchmarks/{rule}/T1_D1_CTC1.tsv").exists()
    assert (work / "results/qc/ctcgenomics_qc_mqc.tsv").read_text().startswith("# id:")
    # MultiQC's samtools module finds these by content (its search patterns)
    stats = (work / "results/qc/samtools/T1_D1_CTC1.stats").read_text()
    assert "This file was produced by samtools stats" in stats
    flagstat = (work / "results/qc/samtools/T1_D1_CTC1.flagstat").read_text()
    assert flagstat.startswith("6000 + 0 in total (QC-passed reads + QC-failed reads)")


def test_given_bam_is_used_and_checked(tiny_reads, tmp_path):
    """A BAM in the sheet skips alignment; a BAM from another reference is a clear error."""
    work = tmp_path
    genome = ctc.align.prepare_reference(PACKAGED_REFERENCE, work / "ref")
    fq = tiny_reads / "fastq"
    bam = ctc.align.align_cell(
        fq / "T1_D1_CTC1_R1.fastq.gz",
        fq / "T1_D1_CTC1_R2.fastq.gz",
        genome,
        work / "given.bam",
        cell="T1_D1_CTC1",
    ).bam
    (work / "cells.tsv").write_text(
        f"patient\tdraw\tcell\tassay\trole\twga\tbam\nT1\tD1\tT1_D1_CTC1\twgs\tctc\tMDA\t{bam}\n"
    )
    (work / "patients.tsv").write_text(PATIENTS)
    run_snakemake(work, "--configfile", str(write_config(work)))
    qc = pd.read_csv(work / "results/qc/qc.tsv", sep="\t")
    assert qc.loc[0, "total_reads"] == 6000
    assert not (work / "logs/align/T1_D1_CTC1.log").read_text().count("bwa")

    header = pysam.AlignmentFile(str(bam)).header.to_dict()
    header["SQ"] = [{"SN": "17", "LN": 83_257_441}]
    with pysam.AlignmentFile(str(work / "other.bam"), "wb", header=header):
        pass
    (work / "cells.tsv").write_text(
        "patient\tdraw\tcell\tassay\trole\twga\tbam\n"
        f"T1\tD1\tT1_D1_CTC2\twgs\tctc\tMDA\t{work / 'other.bam'}\n"
    )
    proc = run_snakemake(work, "--configfile", str(write_config(work)), check=False)
    assert proc.returncode != 0
    log = (work / "logs/align/T1_D1_CTC2.log").read_text()
    assert "was not aligned to" in log and "contigs not in the reference: 17" in log
    assert not (work / "results/bam/T1_D1_CTC2.bam").exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("T1\tD1\tbad id\twgs\tctc\tMDA\tx.fq.gz\n", "invalid cell 'bad id'"),
        # an ID read as an option crashed alignment ("expected one argument")
        ("T1\tD1\t-rf\twgs\tctc\tMDA\tx.fq.gz\n", "invalid cell '-rf'"),
        ("T1\tD1\tc1\twgs\tplatelet\tMDA\tx.fq.gz\n", "column role"),
        (
            "T1\tD1\tc1\twgs\tctc\tMDA\tmissing.fq.gz\n",
            "fq1 file 'missing.fq.gz' of cell c1 does not exist",
        ),
    ],
)
def test_bad_sheet_stops_before_any_job(tmp_path, row, message):
    (tmp_path / "cells.tsv").write_text("patient\tdraw\tcell\tassay\trole\twga\tfq1\n" + row)
    (tmp_path / "patients.tsv").write_text(PATIENTS)
    (tmp_path / "x.fq.gz").write_bytes(b"")
    proc = run_snakemake(tmp_path, "--configfile", str(write_config(tmp_path)), check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert not (tmp_path / "results").exists()


def test_bundled_config_dry_run(tmp_path):
    for name in ("config", "ctcgenomics", "example"):
        (tmp_path / name).symlink_to(REPO / name)
    proc = run_snakemake(tmp_path, "-n")
    assert "simulate_example" in proc.stdout + proc.stderr
    assert shutil.which("bwa")


CONDA_LINT = "Specify a conda environment or container for each rule."


def _lints(text: str) -> dict[str, list[str]]:
    """Lint titles per linted item ("rule align (line 5, …)") in `snakemake --lint` text."""
    lints: dict[str, list[str]] = {}
    where = None
    for line in text.splitlines():
        if line.startswith("Lints for "):
            where = line.removeprefix("Lints for ").removesuffix(":")
            lints[where] = []
        elif where is not None and (title := re.fullmatch(r"    \* (.+):", line)):
            lints[where].append(title.group(1))
    return lints


def test_lint_reports_only_the_missing_conda_directives():
    """`snakemake --lint` on the bundled config: no lint but the conda one (see README).

    The text output is parsed: Snakemake 9.27 prints text for `--lint json` too, and its
    JSON writer fails on any lint of a whole snakefile (the path is not serialisable).
    """
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint=text"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=snakemake_env(),
        timeout=300,
    )
    lints = _lints(proc.stderr)
    others = {where: [t for t in titles if t != CONDA_LINT] for where, titles in lints.items()}
    assert {where: titles for where, titles in others.items() if titles} == {}
    # The workflow was parsed and its rules linted (a parse error prints no lints).
    rules = {where.split()[1] for where in lints if where.startswith("rule ")}
    assert {"prepare_reference", "align", "snv", "report"} <= rules, proc.stderr[-6000:]
