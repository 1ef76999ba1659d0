"""Cohort shapes a CTC lab really has: every patient gets a report that says what ran.

One simulated cohort holds one patient per shape (issue 13): WGS only, panel only, RNA
only, no WBCs, only WBCs, one CTC, every CTC failing QC, every cell failing, and a
patient whose RNA matrix is corrupt (its RNA stage fails). Each shape is planned alone
(dry run), and the whole cohort runs once for real without ``--keep-going``: every
patient gets a report stating what ran, what did not and why, and one patient's
failure leaves the others' results untouched.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

import ctcgenomics as ctc
from tests.conftest import PACKAGED_REFERENCE, REPO, run_snakemake

TARGETS = REPO / "config" / "example_targets.bed"
EXAMPLE_RNA = REPO / "example" / "breast_ctc_wbc.h5ad"
PATIENT_HEADER = (
    "patient\ttumour_type\tprimary_er\tprimary_pr\tprimary_her2\tdraw\tdraw_date"
    "\tblood_volume_ml\tctc_count\ttherapy\n"
)
CELL_HEADER = "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\n"
# (patient, cell suffix, role, assay, reads): "empty" cells get empty FASTQs (fail QC).
SHAPES: dict[str, list[tuple[str, str, str, str]]] = {
    "WGSONLY": [("CTC1", "ctc", "wgs", "sim"), ("CTC2", "ctc", "wgs", "sim"),
                ("WBC1", "wbc", "wgs", "sim")],
    "PANELONLY": [("CTC1p", "ctc", "panel", "sim"), ("CTC2p", "ctc", "panel", "sim"),
                  ("WBC1p", "wbc", "panel", "sim")],
    "RNAONLY": [],
    "NOWBC": [("CTC1", "ctc", "wgs", "sim"), ("CTC2", "ctc", "wgs", "sim")],
    "ONLYWBC": [("WBC1", "wbc", "wgs", "sim"), ("WBC2", "wbc", "wgs", "sim")],
    "ONECTC": [("CTC1", "ctc", "wgs", "sim"), ("WBC1", "wbc", "wgs", "sim")],
    "CTCFAIL": [("CTC1", "ctc", "wgs", "empty"), ("CTC2", "ctc", "wgs", "empty"),
                ("WBC1", "wbc", "wgs", "sim")],
    "ALLFAIL": [("CTC1", "ctc", "wgs", "empty"), ("WBC1", "wbc", "wgs", "empty")],
    "RNABROKEN": [("CTC1", "ctc", "wgs", "sim"), ("WBC1", "wbc", "wgs", "sim")],
}  # fmt: skip
RNA_OF = {"RNAONLY": EXAMPLE_RNA, "RNABROKEN": "broken.h5ad"}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    """Simulated reads of every shape's cells, the sheets and a config, in one folder."""
    work = tmp_path_factory.mktemp("shapes")
    sim = [(p, f"{p}_{c}", role, assay) for p, cells in SHAPES.items()
           for c, role, assay, reads in cells if reads == "sim"]  # fmt: skip
    spec = {
        "seed": 5,
        "reference": str(PACKAGED_REFERENCE),
        "targets": str(TARGETS),
        "clones": {
            "normal": {},
            "A": {
                "segments": [
                    {"chrom": "chr17", "start": 3_500_000, "end": 7_843_138, "cn_a": 1, "cn_b": 0}
                ]
            },
        },
        "cells": [
            {
                "id": cid,
                "patient": p,
                "draw": "D1",
                "role": role,
                "assay": assay,
                "clone": "A" if role == "ctc" else "normal",
                **({"n_read_pairs": 2500} if assay == "wgs" else {"mean_depth": 30}),
            }
            for p, cid, role, assay in sim
        ],
    }
    ctc.simulate.simulate(ctc.simulate.load_spec(spec), work / "sim")
    for mate in ("R1", "R2"):
        with gzip.open(work / f"empty_{mate}.fq.gz", "wt"):
            pass
    (work / "broken.h5ad").write_bytes(b"not an h5ad file\n")
    fq = work / "sim" / "fastq"
    rows = {p: [] for p in SHAPES}
    for p, cells in SHAPES.items():
        for c, role, assay, reads in cells:
            cid = f"{p}_{c}"
            r1, r2 = (
                (fq / f"{cid}_R1.fastq.gz", fq / f"{cid}_R2.fastq.gz")
                if reads == "sim"
                else (work / "empty_R1.fq.gz", work / "empty_R2.fq.gz")
            )
            rows[p].append(f"{p}\tD1\t{cid}\t{assay}\t{role}\tMDA\t{r1}\t{r2}\n")
    (work / "rows.json").write_text(json.dumps(rows))
    return work


def write_shape(cohort: Path, work: Path, patients: list[str]) -> Path:
    """Sheets and config for ``patients`` of the cohort in ``work``; return the config."""
    rows = json.loads((cohort / "rows.json").read_text())
    work.mkdir(parents=True, exist_ok=True)
    (work / "cells.tsv").write_text(CELL_HEADER + "".join(r for p in patients for r in rows[p]))
    (work / "patients.tsv").write_text(
        PATIENT_HEADER
        + "".join(
            f"{p}\tBRCA\tpositive\tnegative\tnegative\tD1\t2026-01-05\t7.5\t4\t\n" for p in patients
        )
    )
    rna = [p for p in patients if p in RNA_OF]
    rna_sheet = None
    if rna:
        (work / "rna.tsv").write_text(
            "patient\tdraw\tpath\tformat\tobs_filter\n"
            + "".join(
                f"{p}\tD1\t{cohort / RNA_OF[p]}\th5ad\t"
                + (
                    'patient == "P3" or (cell_type == "WBC" and index < "C1-022-C50")\n'
                    if RNA_OF[p] == EXAMPLE_RNA
                    else "\n"
                )
                for p in rna
            )
        )
        rna_sheet = "rna.tsv"
    cfg = {
        "cells": "cells.tsv",
        "patients": "patients.tsv",
        "rna_sheet": rna_sheet,
        "reference": {"fasta": str(PACKAGED_REFERENCE)},
        "bins": {"size": 500_000},
        "qc": {"wgs": {"min_reads": 2000}, "targeted": {"min_reads": 500}},
        "cnv": {"min_ploidy": 1.0},
        "snv": {"targets": str(TARGETS)},
    }
    path = work / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def planned_jobs(output: str) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table of a dry run."""
    counts: dict[str, int] = {}
    rows = output.split("Job stats:", 1)[-1].splitlines()
    for line in rows:
        parts = line.split()
        if parts[:1] == ["total"]:
            break
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


# Stage jobs each shape alone must plan: (cnv_call, snv, rna).
PLANS = {
    "WGSONLY": (1, 0, 0), "PANELONLY": (0, 1, 0), "RNAONLY": (0, 0, 1), "NOWBC": (1, 0, 0),
    "ONLYWBC": (0, 0, 0), "ONECTC": (1, 0, 0), "CTCFAIL": (1, 0, 0), "ALLFAIL": (1, 0, 0),
    "RNABROKEN": (1, 0, 1),
}  # fmt: skip


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_shape_plans(cohort, tmp_path, shape):
    config = write_shape(cohort, tmp_path, [shape])
    proc = run_snakemake(tmp_path, "--configfile", str(config), "-n")
    jobs = planned_jobs(proc.stdout + proc.stderr)
    got = tuple(jobs.get(rule, 0) for rule in ("cnv_call", "snv", "rna"))
    assert got == PLANS[shape], jobs
    assert jobs.get("report") == 1 and jobs.get("match") == 1


@pytest.mark.slow
def test_whole_cohort_runs_and_every_patient_is_reported(cohort, tmp_path):
    config = write_shape(cohort, tmp_path, list(SHAPES))
    run_snakemake(tmp_path, "--configfile", str(config))  # no --keep-going

    def report(p: str) -> dict:
        return json.loads((tmp_path / "results" / p / "report.json").read_text())["sections"]

    status = {p: {k: v["status"] for k, v in report(p).items()} for p in SHAPES}
    for p in SHAPES:
        assert (tmp_path / "results" / p / "report.html").is_file()
    # What ran: every stage that applies ran, except the broken RNA matrix.
    assert status["WGSONLY"]["copy_number"] == "ok"
    assert status["PANELONLY"]["mutations"] == "ok"
    assert status["RNAONLY"]["cell_states"] == "ok"
    assert status["NOWBC"]["copy_number"] == "ok"
    assert status["ONECTC"]["copy_number"] == "ok"
    assert status["RNABROKEN"]["cell_states"] == "failed"
    assert status["RNABROKEN"]["copy_number"] == "ok"  # its other stage is unaffected
    # What did not run, and why, in the patient's words.
    wgs_only = report("WGSONLY")
    assert "panel or an exome" in wgs_only["mutations"]["reason"]
    assert "no single-cell RNA data" in wgs_only["cell_states"]["reason"]
    assert "low-pass WGS" in report("PANELONLY")["copy_number"]["reason"]
    broken = report("RNABROKEN")
    assert "broken.h5ad" in broken["cell_states"]["reason"]
    assert "rna" in broken["summary"]["failed"]
    # Honest headlines: no evaluable CTC is said in the summary and the therapy section.
    for p, why in (("ONLYWBC", "only white blood cells"), ("CTCFAIL", "failed QC"),
                   ("ALLFAIL", "failed QC")):  # fmt: skip
        s = report(p)
        assert s["summary"]["headline"].startswith("No evaluable CTC"), p
        assert why in s["summary"]["headline"], (p, s["summary"]["headline"])
        assert s["summary"]["evaluable_ctcs"]["total"] == 0
        assert s["therapies"]["note"].startswith("No evaluable CTC"), p
        assert s["summary"]["discordance"] == []
        html = (tmp_path / "results" / p / "report.html").read_text()
        assert "No evaluable CTC" in html and "No therapy matched" not in html
    for p in ("WGSONLY", "PANELONLY", "NOWBC", "ONECTC", "RNABROKEN"):
        assert report(p)["summary"]["headline"] == "", p
    # The example RNA matrix's gene labels do not match its values, so the RNA arm
    # classifies none of its cells (docs/rna.md) and the report says so.
    assert "RNA arm classified none" in report("RNAONLY")["summary"]["headline"]
