"""Fixtures of the workflow tests: tiny simulated reads and a minimal configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import ctcgenomics as ctc
from tests.conftest import PACKAGED_REFERENCE

PATIENTS = (
    "patient\ttumour_type\tprimary_er\tprimary_pr\tprimary_her2\tdraw\tdraw_date"
    "\tblood_volume_ml\tctc_count\ttherapy\n"
    "T1\tBRCA\tpositive\tnegative\tnegative\tD1\t2026-01-05\t7.5\t3\t\n"
)


def write_config(work, **extra):
    cfg = {
        "cells": "cells.tsv",
        "patients": "patients.tsv",
        "reference": {"fasta": str(PACKAGED_REFERENCE)},
        "bins": {"size": 500000},
        "qc": {"wgs": {"min_reads": 2000}},
        "stages": {k: False for k in ("cnv", "snv", "rna", "actionability", "report")},
        **extra,
    }
    path = work / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def simulate_two_cells(out: Path, *, seed: int, n_read_pairs: int) -> Path:
    """Simulate one CTC and one WBC of patient T1 (normal karyotype) into ``out``."""
    spec = ctc.simulate.load_spec(
        {
            "seed": seed,
            "reference": str(PACKAGED_REFERENCE),
            "clones": {"normal": {}},
            "cells": [
                {
                    "id": f"T1_D1_{c}",
                    "patient": "T1",
                    "draw": "D1",
                    "role": r,
                    "clone": "normal",
                    "assay": "wgs",
                    "n_read_pairs": n_read_pairs,
                }
                for c, r in (("CTC1", "ctc"), ("WBC1", "wbc"))
            ],
        }
    )
    ctc.simulate.simulate(spec, out)
    return out


@pytest.fixture(scope="session")
def tiny_reads(tmp_path_factory):
    return simulate_two_cells(tmp_path_factory.mktemp("tiny"), seed=3, n_read_pairs=3000)


@pytest.fixture(scope="session")
def resume_reads(tmp_path_factory) -> Path:
    """The reads of the kill-and-resume patient K1 (tests/workflow/resume_cohort.py)."""
    from tests.workflow.resume_cohort import simulate_resume_cohort

    return simulate_resume_cohort(tmp_path_factory.mktemp("kill_reads"))


@pytest.fixture(scope="session")
def uninterrupted(resume_reads, tmp_path_factory) -> dict:
    """Results of K1 run without interruption (one job per cell), run once per session."""
    from tests.conftest import run_snakemake
    from tests.workflow.resume_cohort import results, workdir

    work = workdir(tmp_path_factory.mktemp("uninterrupted") / "work", resume_reads)
    run_snakemake(work, "--configfile", str(work / "config.yaml"))
    return results(work)
