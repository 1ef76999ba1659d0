"""A run killed with SIGKILL (alignment, then copy-number calling) resumes to the same results.

The whole Snakemake process group is killed, as a power cut or an out-of-memory killer
would; the README's recovery (``--unlock``, then ``--rerun-incomplete``) must finish the
run with alterations, therapy matches and VCF records identical to an uninterrupted run,
and leave no temporary file behind.
"""

from __future__ import annotations

import os

import pytest

from tests.workflow.resume_cohort import results, resume, run_until_killed, workdir


@pytest.mark.slow
def test_sigkill_in_alignment_and_in_cnv_calling_resumes_identically(
    resume_reads, uninterrupted, tmp_path
):
    want = uninterrupted
    assert any("p.R175H" in line for line in want["alterations"])  # the run found the truth

    work = workdir(tmp_path / "killed", resume_reads)
    bam = work / "results" / "bam"
    # During alignment: a cell's BAM is being written in its scratch folder.
    run_until_killed(work, lambda: bam.is_dir() and any(bam.glob(".*.bam.tmp")))
    assert not (work / "results/K1/report.json").exists()
    resume(work)
    # During copy-number calling: force it to run again, and kill it mid-way.
    os.remove(work / "results/cnv/K1/status.json")
    cnv_log = work / "logs" / "cnv_call" / "K1.log"
    cnv_log.unlink()
    run_until_killed(work, lambda: cnv_log.is_file() and cnv_log.stat().st_size > 0)
    resume(work)

    assert results(work) == want
    leftovers = [p for p in (work / "results").rglob("*") if ".tmp" in p.name]
    assert leftovers == []
