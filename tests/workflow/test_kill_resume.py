"""A run killed with SIGKILL (alignment, then copy-number calling) resumes to the same results.

The whole Snakemake process group is killed, as a power cut or an out-of-memory killer
would; the README's recovery (``--unlock``, then ``--rerun-incomplete``) must finish the
run with alterations, therapy matches and VCF records identical to an uninterrupted run,
and leave no temporary file behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pysam
import pytest
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


@pytest.fixture(scope="module")
def reads(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kill_reads")
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


def _workdir(path: Path, fastq: Path) -> Path:
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


def _results(work: Path) -> dict[str, object]:
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


def _run_until_killed(work: Path, ready) -> None:
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


def _resume(work: Path) -> None:
    config = ("--configfile", str(work / "config.yaml"))
    run_snakemake(work, *config, "--unlock")
    run_snakemake(work, *config, "--rerun-incomplete")


@pytest.mark.slow
def test_sigkill_in_alignment_and_in_cnv_calling_resumes_identically(reads, tmp_path):
    reference = _workdir(tmp_path / "uninterrupted", reads)
    run_snakemake(reference, "--configfile", str(reference / "config.yaml"))
    want = _results(reference)
    assert any("p.R175H" in line for line in want["alterations"])  # the run found the truth

    work = _workdir(tmp_path / "killed", reads)
    bam = work / "results" / "bam"
    # During alignment: a cell's BAM is being written in its scratch folder.
    _run_until_killed(work, lambda: bam.is_dir() and any(bam.glob(".*.bam.tmp")))
    assert not (work / "results/K1/report.json").exists()
    _resume(work)
    # During copy-number calling: force it to run again, and kill it mid-way.
    os.remove(work / "results/cnv/K1/status.json")
    cnv_log = work / "logs" / "cnv_call" / "K1.log"
    cnv_log.unlink()
    _run_until_killed(work, lambda: cnv_log.is_file() and cnv_log.stat().st_size > 0)
    _resume(work)

    assert _results(work) == want
    leftovers = [p for p in (work / "results").rglob("*") if ".tmp" in p.name]
    assert leftovers == []
