"""A local single-node SLURM cluster (scripts/local_slurm.sh) and runs of the workflow on it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO, snakemake_env

SCRIPT = REPO / "scripts" / "local_slurm.sh"
PROFILE = REPO / "workflow" / "profiles" / "slurm"
# The account `local_slurm.sh start --accounting` creates for the current user.
ACCOUNT = "ctcg_lab"


@dataclass
class LocalSlurm:
    """A running local cluster: its state directory and the environment its clients need."""

    directory: Path
    env: dict[str, str]
    accounting: bool = False

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run a SLURM client command (squeue, scancel, ...) against this cluster."""
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, check=check)

    @property
    def node_memory_mb(self) -> int:
        """RealMemory of the single node."""
        text = self.run("scontrol", "show", "node").stdout
        return int(re.search(r"RealMemory=(\d+)", text).group(1))

    @property
    def node_cpus(self) -> int:
        text = self.run("scontrol", "show", "node").stdout
        return int(re.search(r"CPUTot=(\d+)", text).group(1))

    def jobs(self) -> list[dict[str, str]]:
        """Jobs known to the controller (also finished ones): id, state and comment."""
        out = self.run("squeue", "-h", "--states=all", "-o", "%i|%T|%k").stdout
        return [
            dict(zip(("id", "state", "comment"), line.split("|", 2), strict=True))
            for line in out.splitlines()
            if line.strip()
        ]

    def requests(self, job_ids: list[str]) -> dict[str, tuple[int, int]]:
        """CPUs and time limit (minutes) each job asked for."""
        out = self.run("squeue", "-h", "--states=all", "-o", "%i|%C|%l", "-j", ",".join(job_ids))
        limits = {}
        for line in out.stdout.split():
            job, cpus, limit = line.split("|")
            days, _, clock = limit.rpartition("-")
            parts = [int(x) for x in clock.split(":")]
            minutes = parts[-2] + 60 * (parts[-3] if len(parts) > 2 else 0)
            limits[job] = (int(cpus), minutes + 1440 * int(days or 0))
        return limits


def start(directory: Path, *, accounting: bool = False) -> LocalSlurm:
    """Start a cluster with its state in ``directory`` (see scripts/local_slurm.sh).

    With ``accounting``, also MariaDB and slurmdbd: accounts are enforced and ``sacct``
    answers job states (a few seconds more to start and to stop).
    """
    if os.geteuid() != 0:
        raise RuntimeError(
            "the SLURM tests start a local slurmd, which must run as root: "
            "run 'make test' as root (CI does)"
        )
    options = ["--accounting"] if accounting else []
    proc = subprocess.run(
        ["bash", str(SCRIPT), "start", *options, str(directory)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"local SLURM did not start:\n{proc.stderr[-4000:]}")
    env = snakemake_env()
    env["SLURM_CONF"] = str(directory / "slurm.conf")
    env["PATH"] = f"{directory / 'bin'}{os.pathsep}{env['PATH']}"
    return LocalSlurm(directory, env, accounting)


def stop(cluster: LocalSlurm) -> None:
    """Cancel the cluster's jobs and stop its daemons."""
    subprocess.run(["bash", str(SCRIPT), "stop", str(cluster.directory)], check=True)


def snakemake_cmd(
    workdir: Path, cluster: LocalSlurm, *args: str, status_command: str | None = None
) -> list[str]:
    """`snakemake --executor slurm` with the project's profile, fitted to the local node.

    The profile is used as shipped; on the command line only what differs for a one-node
    test cluster: each grouped job gets the node's CPUs and half its memory, and the
    plugin starts polling after a second instead of forty and polls every two seconds
    instead of ten (each polling gap is idle time in a run of a few short jobs). Job
    states come from ``status_command`` (``sacct`` or ``squeue``) if given, else from
    the profile's (squeue, see docs/cluster.md).
    """
    status = ["--slurm-status-command", status_command] if status_command else []
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--workflow-profile",
        str(PROFILE),
        "--cores",
        str(cluster.node_cpus),
        "--resources",
        f"mem_mb={cluster.node_memory_mb // 2}",
        "cell_slots=1",  # --resources replaces the profile's list: keep its cell_slots
        *status,
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--slurm-keep-successful-logs",
        "--seconds-between-status-checks",
        "2",
        "--latency-wait",
        "10",
        *args,
    ]


def run_on_slurm(
    workdir: Path,
    cluster: LocalSlurm,
    *args: str,
    check: bool = True,
    timeout: float = 900,
    status_command: str | None = None,
) -> subprocess.CompletedProcess:
    """Run the workflow in ``workdir`` on the cluster; return the completed process."""
    proc = subprocess.run(
        snakemake_cmd(workdir, cluster, *args, status_command=status_command),
        capture_output=True,
        text=True,
        env=cluster.env,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake on SLURM failed ({proc.returncode}):\n{proc.stderr[-8000:]}"
        )
    return proc


def submitted_jobs(stderr: str) -> int:
    """Number of sbatch submissions a Snakemake run reported."""
    return len(re.findall(r"has been submitted with SLURM jobid", stderr))
