"""Per-cell steps as batch jobs (execution.cells_per_job): plan size and one bad cell."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pandas as pd
import pysam
import pytest
import yaml

import ctcgenomics as ctc
from ctcgenomics.align._bwa import failed_reason
from tests.conftest import PACKAGED_REFERENCE, REPO, run_snakemake, snakemake_env
from tests.workflow.conftest import PATIENTS, write_config
from tests.workflow.resume_cohort import results, resume, run_until_killed, workdir

PER_CELL_RULES = ("align", "qc_cell", "cnv_count")
SHEET_HEADER = "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\n"


def _job_counts(work, **execution) -> dict[str, int]:
    """Rule -> jobs of a dry run of the whole workflow (copy number on)."""
    config = write_config(work, execution=execution, stages={"snv": False, "rna": False})
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
         "--directory", str(work), "--configfile", str(config), "--dry-run", "--quiet", "rules"],
        capture_output=True, text=True, env=snakemake_env(), check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", proc.stdout, re.MULTILINE)}


def _sheet(work, cells_per_draw: dict[tuple[str, str], int]) -> int:
    """A cell sheet of empty FASTQs (enough for a plan); returns the number of cells."""
    (work / "r1.fq.gz").write_bytes(b"")
    (work / "r2.fq.gz").write_bytes(b"")
    rows = [
        f"{p}\t{d}\t{p}_{d}_C{i:04d}\twgs\t{'wbc' if i % 5 == 4 else 'ctc'}\tMDA"
        f"\t{work / 'r1.fq.gz'}\t{work / 'r2.fq.gz'}\n"
        for (p, d), n in cells_per_draw.items()
        for i in range(n)
    ]
    (work / "cells.tsv").write_text(SHEET_HEADER + "".join(rows))
    patients = sorted({p for p, _ in cells_per_draw})
    lines = PATIENTS.splitlines(keepends=True)
    draws = [(p, d) for p, d in cells_per_draw]
    (work / "patients.tsv").write_text(
        lines[0]
        + "".join(lines[1].replace("T1", p, 1).replace("\tD1\t", f"\t{d}\t") for p, d in draws)
    )
    assert len(patients) >= 1
    return len(rows)


def test_plan_jobs_scale_as_cells_over_n(tmp_path):
    """Per-cell jobs become ceil(cells of a draw / N) batch jobs; nothing else changes."""
    draws = {("P1", "D1"): 23, ("P1", "D2"): 7, ("P2", "D1"): 30}
    n_cells = _sheet(tmp_path, draws)
    per_cell = _job_counts(tmp_path, cells_per_job=1)
    assert all(per_cell[rule] == n_cells for rule in PER_CELL_RULES)
    assert "cell_batch" not in per_cell
    others = {r: n for r, n in per_cell.items() if r not in (*PER_CELL_RULES, "total")}
    for n in (4, 10, 100):
        batched = _job_counts(tmp_path, cells_per_job=n)
        expected = sum(math.ceil(c / n) for c in draws.values())
        assert batched["cell_batch"] == expected, (n, batched)
        assert not set(PER_CELL_RULES) & set(batched)
        assert {r: j for r, j in batched.items() if r not in ("cell_batch", "total")} == others
        assert batched["total"] == per_cell["total"] - 3 * n_cells + expected
    # The default (auto): one job per cell up to 1,000 cells.
    assert _job_counts(tmp_path)["align"] == n_cells


def test_auto_batches_past_1000_cells(tmp_path):
    _sheet(tmp_path, {("P1", "D1"): 1001})
    counts = _job_counts(tmp_path)
    assert counts["cell_batch"] == math.ceil(1001 / 20)
    assert "align" not in counts


@pytest.mark.slow
def test_one_bad_cell_does_not_sink_its_batch(tiny_reads, tmp_path):
    """A BAM of another reference fails its cell (recorded), not the batch's other cells."""
    work = tmp_path
    genome = ctc.align.prepare_reference(PACKAGED_REFERENCE, work / "ref")
    fq = tiny_reads / "fastq"
    given = ctc.align.align_cell(
        fq / "T1_D1_CTC1_R1.fastq.gz", fq / "T1_D1_CTC1_R2.fastq.gz", genome,
        work / "given.bam", cell="T1_D1_GIVEN",
    ).bam  # fmt: skip
    header = pysam.AlignmentFile(str(given)).header.to_dict()
    header["SQ"] = [{"SN": "17", "LN": 83_257_441}]
    with pysam.AlignmentFile(str(work / "other.bam"), "wb", header=header):
        pass
    (work / "cells.tsv").write_text(
        "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\tbam\n"
        f"T1\tD1\tT1_D1_CTC1\twgs\tctc\tMDA\t{fq / 'T1_D1_CTC1_R1.fastq.gz'}"
        f"\t{fq / 'T1_D1_CTC1_R2.fastq.gz'}\t\n"
        f"T1\tD1\tT1_D1_BAD\twgs\tctc\tMDA\t\t\t{work / 'other.bam'}\n"
        f"T1\tD1\tT1_D1_GIVEN\twgs\tctc\tMDA\t\t\t{given}\n"
        f"T1\tD1\tT1_D1_WBC1\twgs\twbc\tMDA\t{fq / 'T1_D1_WBC1_R1.fastq.gz'}"
        f"\t{fq / 'T1_D1_WBC1_R2.fastq.gz'}\t\n"
    )
    (work / "patients.tsv").write_text(PATIENTS)
    config = write_config(work, execution={"cells_per_job": 4}, stages={"snv": False, "rna": False})
    run_snakemake(work, "--configfile", str(config))

    manifest = pd.read_csv(work / "results/cells/T1/D1/batch0.tsv", sep="\t").set_index("cell")
    assert list(manifest.index) == ["T1_D1_CTC1", "T1_D1_BAD", "T1_D1_GIVEN", "T1_D1_WBC1"]
    assert list(manifest["status"]) == ["ok", "failed", "ok", "ok"]
    reason = manifest.loc["T1_D1_BAD", "reason"]
    assert "align failed" in reason and "was not aligned to" in reason
    qc = pd.read_csv(work / "results/qc/qc.tsv", sep="\t").set_index("cell")
    assert list(qc.index) == list(manifest.index)
    assert qc.loc[["T1_D1_CTC1", "T1_D1_GIVEN", "T1_D1_WBC1"], "qc_pass"].all()
    assert qc.loc["T1_D1_CTC1", "total_reads"] == qc.loc["T1_D1_GIVEN", "total_reads"] == 6000
    assert not qc.loc["T1_D1_BAD", "qc_pass"]
    assert "was not aligned to" in qc.loc["T1_D1_BAD", "qc_reason"]
    # The bad cell's record: a failed BAM carrying the reason, its log saying why.
    assert "was not aligned to" in failed_reason(work / "results/bam/T1_D1_BAD.bam")
    assert "contigs not in the reference: 17" in (work / "logs/align/T1_D1_BAD.log").read_text()
    # The other cells' outputs at their usual paths, per-cell logs as with per-cell jobs.
    for cell in ("T1_D1_CTC1", "T1_D1_GIVEN", "T1_D1_WBC1"):
        with pysam.AlignmentFile(str(work / f"results/bam/{cell}.bam")) as bam:
            assert bam.mapped > 5000 and bam.header["RG"][0]["SM"] == cell
        assert (work / f"results/qc/samtools/{cell}.flagstat").read_text().startswith("6000 + 0")
        counts = pd.read_csv(work / f"results/cnv/counts/{cell}.tsv", sep="\t", comment="#")
        assert counts.iloc[:, -1].sum() > 1000
        for step in PER_CELL_RULES:
            assert (work / f"logs/{step}/{cell}.log").exists()
    cells = pd.read_csv(work / "results/cnv/T1/cells.tsv", sep="\t")
    assert set(cells["cell"]) >= {"T1_D1_CTC1", "T1_D1_GIVEN", "T1_D1_WBC1"}


@pytest.mark.slow
def test_killed_batch_resumes_to_the_results_of_per_cell_jobs(
    resume_reads, uninterrupted, tmp_path
):
    """SIGKILL while a batch job is between cells; the resumed run equals per-cell jobs."""
    want = uninterrupted  # 7 cells: auto is one job per cell
    assert any("p.R175H" in line for line in want["alterations"])

    work = workdir(tmp_path / "batched", resume_reads)
    config = yaml.safe_load((work / "config.yaml").read_text())
    (work / "config.yaml").write_text(yaml.safe_dump({**config, "execution": {"cells_per_job": 4}}))
    bam = work / "results" / "bam"
    # A batch has finished a cell and is writing the next one's BAM.
    run_until_killed(
        work, lambda: bam.is_dir() and any(bam.glob("*.bam")) and any(bam.glob(".*.bam.tmp"))
    )
    assert not all((work / f"results/cells/K1/D1/batch{i}.tsv").exists() for i in (0, 1))
    resume(work)
    assert results(work) == want
    manifests = [pd.read_csv(work / f"results/cells/K1/D1/batch{i}.tsv", sep="\t") for i in (0, 1)]
    assert [len(m) for m in manifests] == [4, 3]
    assert all((m["status"] == "ok").all() for m in manifests)
    assert [p for p in (work / "results").rglob("*") if ".tmp" in p.name] == []
