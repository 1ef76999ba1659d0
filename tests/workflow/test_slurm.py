"""The workflow on a real SLURM: a single-node cluster started for these tests.

`snakemake --executor slurm` with the project's profile (workflow/profiles/slurm) and the
pinned snakemake-executor-plugin-slurm; scripts/local_slurm.sh starts munged, slurmctld,
slurmd and accounting (MariaDB, slurmdbd) with their state in a temporary directory and
stops them afterwards. Job states come from squeue (the profile's choice) and, in the
example run, from sacct.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time

import pandas as pd
import pysam
import pytest
import yaml

from tests.conftest import REPO, run_snakemake
from tests.workflow.conftest import PATIENTS, simulate_two_cells, write_config
from tests.workflow.slurm_cluster import (
    ACCOUNT,
    run_on_slurm,
    snakemake_cmd,
    start,
    stop,
    submitted_jobs,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    cluster = start(tmp_path_factory.mktemp("slurm"), accounting=True)
    try:
        yield cluster
    finally:
        stop(cluster)


# --- results: what must not depend on where the workflow ran ---


def vcf_records(path) -> list[str]:
    with pysam.VariantFile(str(path)) as vcf:
        return [str(rec) for rec in vcf]


def report_without_timestamp(path) -> dict:
    report = json.loads(path.read_text())
    report.pop("generated")
    return report


def html_without_timestamp(path) -> str:
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", "<time>", path.read_text())


def assert_same_results(run, reference, patient="P01"):
    """Alterations, therapies, QC, VCF records and the report agree between two runs."""
    for name in (
        f"results/{patient}/alterations.tsv",
        f"results/{patient}/actionability.tsv",
        f"results/{patient}/actionability.json",
        "results/qc/qc.tsv",
    ):
        assert (run / name).read_bytes() == (reference / name).read_bytes(), name
    vcf = f"results/snv/{patient}/snv.vcf.gz"
    records = vcf_records(run / vcf)
    assert records and records == vcf_records(reference / vcf)
    report = f"results/{patient}/report.json"
    assert report_without_timestamp(run / report) == report_without_timestamp(reference / report)
    html = f"results/{patient}/report.html"
    assert html_without_timestamp(run / html) == html_without_timestamp(reference / html)


def test_example_on_slurm_matches_the_local_run(slurm, demo_workdir, tmp_path):
    """The bundled example on SLURM gives the local run's results, in a few grouped jobs.

    The simulated reads, the indexed reference and the RNA arm (one job, no per-cell
    steps) are copied from the local run to save two minutes; every other step (per-cell
    alignment, QC and bin counts, copy number, SNVs, therapy matching, the report) runs
    again through the SLURM executor.
    """
    work = tmp_path
    for name in ("config", "ctcgenomics", "example"):
        (work / name).symlink_to(REPO / name)
    shutil.copytree(demo_workdir / "resources", work / "resources")
    shutil.copytree(demo_workdir / "results/rna", work / "results/rna")
    jobs_before = {job["id"] for job in slurm.jobs()}
    proc = run_on_slurm(
        work,
        slurm,
        "--default-resources",
        f"slurm_account={ACCOUNT}",
        # The plugin's default: right for jobs that end by themselves (the profile's
        # squeue is for cancelled ones, see docs/cluster.md).
        status_command="sacct",
    )
    assert_same_results(work, demo_workdir)
    # Every job ran under the account named in the resources (the cluster enforces
    # accounts, see test_unknown_account_is_a_clear_error).
    new_jobs = [job["id"] for job in slurm.jobs() if job["id"] not in jobs_before]
    accounts = slurm.run("sacct", "-n", "-X", "-P", "-o", "Account", "-j", ",".join(new_jobs))
    assert accounts.stdout.split() == [ACCOUNT] * len(new_jobs)

    # 28 cells in one group of 20 and one of 8; allele counting, copy number and SNV
    # calling are one job each; QC merging, lists, therapy matching and the report run on
    # the submit host.
    rule_jobs = int(re.search(r"^total\s+(\d+)", proc.stderr, re.MULTILINE).group(1))
    assert submitted_jobs(proc.stderr) == 5
    assert submitted_jobs(proc.stderr) <= rule_jobs / 10
    # A group job runs its steps one after another (plugin issue #469): the profile's
    # cell_slots makes it ask for one alignment's CPUs and the sum of its steps' times.
    groups = re.findall(r"submitted with SLURM jobid (\d+) \(log: \S*group_per_cell", proc.stderr)
    requests = slurm.requests(groups)
    step_minutes = re.findall(
        r"^\s+rule (?:align|qc_cell|cnv_count):$.*?^\s+resources: [^\n]*runtime=(\d+)",
        proc.stderr,
        re.MULTILINE | re.DOTALL,
    )
    sheet = pd.read_csv(REPO / "config/cells.tsv", sep="\t")
    # align and QC for every cell, bin counts for the low-pass WGS cells
    assert len(step_minutes) == 2 * len(sheet) + (sheet["assay"] == "wgs").sum()
    assert sum(minutes for _, minutes in requests.values()) == sum(map(int, step_minutes))
    align_threads = yaml.safe_load((REPO / "config/config.yaml").read_text())["align"]["threads"]
    assert {cpus for cpus, _ in requests.values()} == {align_threads}
    # Per-cell intermediates were deleted once read (temp), the BAMs are kept.
    assert not list(work.glob("results/qc/cells/*.tsv"))
    assert not list(work.glob("results/cnv/counts/*.tsv"))
    assert len(list((work / "results/bam").glob("*.bam"))) == 28


# --- a tiny cohort for the failure tests ---


@pytest.fixture(scope="module")
def longer_reads(tmp_path_factory):
    """Two cells with enough reads (30,000 pairs) that alignment lasts a few seconds."""
    return simulate_two_cells(tmp_path_factory.mktemp("longer"), seed=11, n_read_pairs=30_000)


@pytest.fixture
def tiny_cohort(longer_reads, tmp_path):
    """Two low-pass cells of one patient, QC and copy number only."""
    fq = longer_reads / "fastq"
    rows = [
        ("T1", "D1", f"T1_D1_{c}", "wgs", r, "MDA", fq / f"T1_D1_{c}_R1.fastq.gz",
         fq / f"T1_D1_{c}_R2.fastq.gz")
        for c, r in (("CTC1", "ctc"), ("WBC1", "wbc"))
    ]  # fmt: skip
    (tmp_path / "cells.tsv").write_text(
        "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\n"
        + "".join("\t".join(map(str, r)) + "\n" for r in rows)
    )
    (tmp_path / "patients.tsv").write_text(PATIENTS)
    stages = {k: k == "cnv" for k in ("cnv", "snv", "rna", "actionability", "report")}
    config = write_config(tmp_path, stages=stages, cnv={"min_ploidy": 1.0})
    return tmp_path, config


def _wait_for(predicate, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _aligning(work) -> bool:
    logs = (work / "logs/align").glob("*.log")
    return any(not (work / "results/bam" / f"{log.stem}.bam").exists() for log in logs)


def _running_job(slurm, comment_prefix: str) -> str | None:
    for job in slurm.jobs():
        if job["state"] == "RUNNING" and job["comment"].startswith(comment_prefix):
            return job["id"]
    return None


def test_scancel_during_alignment_and_copy_number_is_retried(slurm, tiny_cohort, tmp_path):
    """Cancelled jobs are noticed and retried; the result equals an uninterrupted run."""
    work, config = tiny_cohort
    reference = tmp_path / "uninterrupted"
    reference.mkdir()
    for name in ("cells.tsv", "patients.tsv"):
        shutil.copy(work / name, reference / name)
    run_snakemake(reference, "--configfile", str(config))

    cmd = snakemake_cmd(work, slurm, "--configfile", str(config))
    with subprocess.Popen(
        cmd, env=slurm.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            # Cancel the per-cell job while a cell is being aligned (its log exists, its
            # BAM does not yet) ...
            align_job = _wait_for(
                lambda: _running_job(slurm, "rule_per_cell") if _aligning(work) else None,
                180,
                "a running alignment",
            )
            slurm.run("scancel", align_job)
            # ... and the copy-number call once its command has started.
            call_job = _wait_for(
                lambda: (
                    _running_job(slurm, "rule_cnv_call")
                    if (work / "logs/cnv_call/T1.log").exists()
                    else None
                ),
                300,
                "a running copy-number call",
            )
            slurm.run("scancel", call_job)
            _, stderr = proc.communicate(timeout=600)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, stderr[-8000:]
    cancelled = {j["id"]: j for j in slurm.jobs() if j["id"] in (align_job, call_job)}
    assert {j["state"] for j in cancelled.values()} == {"CANCELLED"}, cancelled
    # A grouped job's failure names the group and its SLURM log; others name the state.
    assert "Error in group per_cell" in stderr
    assert f"slurm_logs/group_per_cell_align_cnv_count_qc_cell/{align_job}.log" in stderr
    assert f"SLURM-job '{call_job}' failed, SLURM status is: 'CANCELLED'" in stderr
    assert stderr.count("Trying to restart job") == 2
    for name in ("genes.tsv", "segments.tsv", "alterations.tsv", "cells.tsv"):
        pd.testing.assert_frame_equal(
            pd.read_csv(work / "results/cnv/T1" / name, sep="\t"),
            pd.read_csv(reference / "results/cnv/T1" / name, sep="\t"),
        )
    pd.testing.assert_frame_equal(
        pd.read_csv(work / "results/qc/qc.tsv", sep="\t"),
        pd.read_csv(reference / "results/qc/qc.tsv", sep="\t"),
    )

    # Without retries a cancelled job fails the run cleanly; the next run resumes.
    shutil.rmtree(work / "results/cnv/T1")
    proc = subprocess.Popen(
        snakemake_cmd(work, slurm, "--configfile", str(config), "--retries", "0"),
        env=slurm.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        call_job = _wait_for(
            lambda: (
                _running_job(slurm, "rule_cnv_call")
                if (work / "logs/cnv_call/T1.log").exists()
                else None
            ),
            300,
            "a running copy-number call",
        )
        slurm.run("scancel", call_job)
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "Error in rule cnv_call" in stderr and "CANCELLED" in stderr
    assert not (work / "results/cnv/T1/cnv.h5ad").exists()
    run_on_slurm(work, slurm, "--configfile", str(config))
    pd.testing.assert_frame_equal(
        pd.read_csv(work / "results/cnv/T1/genes.tsv", sep="\t"),
        pd.read_csv(reference / "results/cnv/T1/genes.tsv", sep="\t"),
    )


# --- bad input: a clear error from the first submission, no hang ---


@pytest.fixture
def one_cell(tiny_reads, tmp_path):
    fq = tiny_reads / "fastq"
    (tmp_path / "cells.tsv").write_text(
        "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\n"
        f"T1\tD1\tT1_D1_CTC1\twgs\tctc\tMDA\t{fq / 'T1_D1_CTC1_R1.fastq.gz'}"
        f"\t{fq / 'T1_D1_CTC1_R2.fastq.gz'}\n"
    )
    (tmp_path / "patients.tsv").write_text(PATIENTS)
    return tmp_path, write_config(tmp_path)


def assert_fails_at_first_submission(slurm, one_cell, resource: str, message: str):
    """With the default resource ``resource``, the run fails at its first job with
    ``message``, within two minutes and before any job is submitted."""
    work, config = one_cell
    start_time = time.monotonic()
    proc = run_on_slurm(
        work,
        slurm,
        "--configfile",
        str(config),
        "--default-resources",
        resource,
        check=False,
        timeout=300,
    )
    assert proc.returncode != 0
    assert time.monotonic() - start_time < 120
    assert "Error in rule prepare_reference" in proc.stderr
    assert message in proc.stderr
    assert submitted_jobs(proc.stderr) == 0


def test_unknown_partition_is_a_clear_error(slurm, one_cell):
    assert_fails_at_first_submission(
        slurm,
        one_cell,
        "slurm_partition=no_such_partition",
        "invalid partition specified: no_such_partition",
    )


def test_unknown_account_is_a_clear_error(slurm, one_cell):
    """SLURM refuses an account the user has no association with (the cluster enforces
    associations); the plugin checks the account with sacctmgr before its first sbatch
    and fails the rule, naming the account, without waiting. The cluster's account runs
    the whole example (test_example_on_slurm_matches_the_local_run)."""
    sbatch = ("sbatch", "--output=/dev/null", "--wrap=true")
    accepted = slurm.run(*sbatch, f"--account={ACCOUNT}", check=False)
    assert accepted.returncode == 0, accepted.stderr
    refused = slurm.run(*sbatch, "--account=no_such_account", check=False)
    assert refused.returncode != 0
    assert "Invalid account or account/partition combination specified" in refused.stderr

    assert_fails_at_first_submission(
        slurm,
        one_cell,
        "slurm_account=no_such_account",
        "The given account no_such_account appears to be invalid",
    )


def test_memory_beyond_the_node_is_a_clear_error(slurm, one_cell):
    work, config = one_cell
    too_much = 4 * slurm.node_memory_mb
    proc = run_on_slurm(
        work,
        slurm,
        "--configfile",
        str(config),
        "--set-resources",
        f"prepare_reference:mem_mb={too_much}",
        # The most one job may ask for (the profile's resources: mem_mb); Snakemake caps
        # every request to it, so it has to be above the node for the request to be.
        "--resources",
        f"mem_mb={too_much}",
        check=False,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "Error in rule prepare_reference" in proc.stderr
    assert "Memory specification can not be satisfied" in proc.stderr
    assert f"--mem {too_much}" in proc.stderr
    assert submitted_jobs(proc.stderr) == 0


def test_local_slurm_script_stops_what_it_started(tmp_path):
    """start (with accounting), status and stop: no daemon of the cluster is left behind."""
    script = REPO / "scripts/local_slurm.sh"
    state = tmp_path / "cluster"
    out = subprocess.run(
        ["bash", str(script), "start", "--accounting", str(state)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"export SLURM_CONF={state}/slurm.conf" in out
    daemons = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd")
    pids = [int((state / "run" / f"{d}.pid").read_text()) for d in daemons]
    assert subprocess.run(["bash", str(script), "status", str(state)]).returncode == 0
    subprocess.run(["bash", str(script), "stop", str(state)], check=True)
    assert subprocess.run(["bash", str(script), "status", str(state)]).returncode != 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
