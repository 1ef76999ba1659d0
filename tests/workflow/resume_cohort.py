"""A small patient (K1) killed and resumed: its reads, work folders, results and the kill.

Shared by the SIGKILL tests of per-cell jobs (test_kill_resume) and of batch jobs
(test_cell_batches); the session fixtures in conftest.py simulate the reads and run the
uninterrupted reference once for both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pysam
import yaml

import ctcgenomics as ctc
from tests.conftest import PACKAGED_REFERENCE, REPO, run_snakemake, snakemake_env

TARGETS = REPO / "config" / "example_targets.bed"
PATIENTS = (
    "patient\ttumour_type\tprimary_er\tprimary_pr\tprimary_her2\tdraw\tdraw_date"
    "\tblood_volume_ml\tctc_count\ttherapy\n"
    "K1\tBRCA\tpositive\tnegative\tnegative\tD1\t2026-01-05\t7.5\t6\t\n"
)
CELLS = [("CTC1", "ctc", "wgs"), ("CTC2", "ctc", "wgs"), ("WBC1", "wbc", "wgs"),
         ("CTC1p", "ctc", "panel"), ("CTC2p", "ctc", "panel"), ("CTC3p", "ctc", "panel"),
         ("WBC1p", "wbc", "panel")]  # fmt: skip


def simulate_resume_cohort(out: Path) -> Path:
    """Seven cells of patient K1 (WGS and panel; CTCs carry TP53 R175H); returns fastq/."""
    spec = {
        "seed": 13,
        "reference": str(PACKAGED_REFERENCE),
        "targets": str(TARGETS),
        "clones": {
            "normal": {},
            "A": {
                "segments": [
                    {"chrom": "chr17", "start": 3_500_000, "end": 7_843_138, "cn_a": 1, "cn_b": 0}
                ],
                "variants": [
                    {
                        "name": "TP53_R175H",
                        "chrom": "chr17",
                        "pos": 7675088,
                        "ref": "C",
                        "alt": "T",
                        "allele": "a",
                    }
                ],
            },
        },
        "cells": [
            {
                "id": f"K1_{c}",
                "patient": "K1",
                "draw": "D1",
                "role": role,
                "assay": assay,
                "clone": "A" if role == "ctc" else "normal",
                **({"n_read_pairs": 4000} if assay == "wgs" else {"mean_depth": 40}),
                "dropout_rate": 0.1,
            }
            for c, role, assay in CELLS
        ],
    }
    ctc.simulate.simulate(ctc.simulate.load_spec(spec), out)
    return out / "fastq"


def workdir(path: Path, fastq: Path) -> Path:
    path.mkdir()
    (path / "cells.tsv").write_text(
        "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\n"
        + "".join(
            f"K1\tD1\tK1_{c}\t{assay}\t{role}\tMDA\t{fastq}/K1_{c}_R1.fastq.gz"
            f"\t{fastq}/K1_{c}_R2.fastq.gz\n"
            for c, role, assay in CELLS
        )
    )
    (path / "patients.tsv").write_text(PATIENTS)
    cfg = {
        "cells": "cells.tsv",
        "patients": "patients.tsv",
        "reference": {"fasta": str(PACKAGED_REFERENCE)},
        "bins": {"size": 500_000},
        "qc": {"wgs": {"min_reads": 2000}, "targeted": {"min_reads": 500}},
        "cnv": {"min_ploidy": 1.0},
        "snv": {"targets": str(TARGETS)},
        "stages": {"rna": False},
    }
    (path / "config.yaml").write_text(yaml.safe_dump(cfg))
    return path


def results(work: Path) -> dict[str, object]:
    """What must not change: alterations, therapy matches and VCF records."""

    def table(name: str) -> list[str]:
        text = (work / "results" / "K1" / name).read_text().splitlines()
        return [line for line in text if not line.startswith("#")]  # generator/date lines

    with pysam.VariantFile(str(work / "results/snv/K1/snv.vcf.gz")) as vcf:
        records = [str(rec) for rec in vcf]
    return {
        "alterations": table("alterations.tsv"),
        "actionability": table("actionability.tsv"),
        "vcf": records,
    }


def run_until_killed(work: Path, ready) -> None:
    """Start the workflow; SIGKILL its whole process group once ``ready()`` is true."""
    snakefile, config = str(REPO / "Snakefile"), str(work / "config.yaml")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", snakefile,
           "--directory", str(work), "--cores", "2", "--configfile", config]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        env=snakemake_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600
    try:
        while not ready():
            assert proc.poll() is None, "the run ended before the moment to kill it"
            assert time.monotonic() < deadline, "the moment to kill the run never came"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def resume(work: Path) -> None:
    config = ("--configfile", str(work / "config.yaml"))
    run_snakemake(work, *config, "--unlock")
    run_snakemake(work, *config, "--rerun-incomplete")
