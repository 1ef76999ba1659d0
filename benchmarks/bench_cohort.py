"""Plan and run the workflow at cohort scale, on one machine and on a local SLURM cluster.

For each cohort size (patients x cells per patient) a cohort is written whose cells
reuse the reads of a few simulated cells (small reads per cell: planning and scheduling
are measured, not alignment), and the benchmark reports:

- planning: wall time and peak memory of `snakemake --dry-run` with the SLURM profile,
  and, as the ratio's reference, the same for a bare Snakefile with as many jobs
  (three chained rules per cell and one merge: Snakemake's own cost per job);
- jobs: rule jobs of the plan and SLURM submissions (grouped jobs plus ungrouped rules
  that are not localrules), and their ratio (target <= 1/10);
- for the sizes in --execute: wall time of the run on the local SLURM
  (scripts/local_slurm.sh, one node with this machine's cores) and of the same run on
  one machine (`--cores`), and their ratio, with the sbatch submissions counted.

    python benchmarks/bench_cohort.py                           # plans 10x20, 50x40, 500x100
    python benchmarks/bench_cohort.py --execute 10x20           # ... and runs 10x20 both ways
    python benchmarks/bench_cohort.py --cells-per-job 1         # one job per cell and step

The cohorts use the workflow's default `execution.cells_per_job: auto` (one job per cell
up to 1,000 cells, batch jobs of 20 cells above) unless --cells-per-job says otherwise.

Running needs root and the SLURM packages (bash scripts/ensure_tools.sh --slurm).
Targets (issue 17): the 500 x 100 plan in < 2 minutes and < 4 GB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PROFILE = REPO / "workflow/profiles/slurm"
REFERENCE = REPO / "ctcgenomics/data/reference/hg38_chr17_1-7843138.fa.gz"
GROUPED_RULES = {"align", "qc_cell", "cnv_count"}
LOCAL_RULES = {
    "all", "default", "path_list", "qc_merge", "cnv_export", "merge_alterations", "match",
    "report",
}  # fmt: skip
PATIENT_HEADER = (
    "patient\ttumour_type\tprimary_er\tprimary_pr\tprimary_her2\tdraw\tdraw_date"
    "\tblood_volume_ml\tctc_count\ttherapy\n"
)

FLOOR_SNAKEFILE = """
IDS = [line.strip() for line in open(config["ids"]) if line.strip()]
rule all:
    input: "merged.txt"
rule first:
    output: "a/{id}.txt"
    shell: "touch {output}"
rule second:
    input: "a/{id}.txt"
    output: "b/{id}.txt"
    shell: "touch {output}"
rule third:
    input: "b/{id}.txt"
    output: "c/{id}.txt"
    shell: "touch {output}"
rule merge:
    input: expand("c/{id}.txt", id=IDS)
    output: "merged.txt"
    shell: "touch {output}"
"""


def simulate_cells(out: Path, n_read_pairs: int) -> dict[str, tuple[Path, Path]]:
    """Four small simulated cells (two CTCs with a 17p loss, two normal) to reuse."""
    import ctcgenomics as ctc

    kinds = [("ctc", "A"), ("ctc", "A"), ("wbc", "normal"), ("wbc", "normal")]
    spec = ctc.simulate.load_spec(
        {
            "seed": 17,
            "reference": str(REFERENCE),
            "clones": {
                "normal": {},
                "A": {"segments": [{"chrom": "chr17", "start": 3_500_000, "end": 7_843_138,
                                    "cn_a": 1, "cn_b": 0}]},
            },
            "cells": [
                {"id": f"S{i}", "patient": "S", "draw": "D1", "role": role, "clone": clone,
                 "assay": "wgs", "n_read_pairs": n_read_pairs}
                for i, (role, clone) in enumerate(kinds)
            ],
        }
    )  # fmt: skip
    ctc.simulate.simulate(spec, out)
    fq = out / "fastq"
    return {
        role + str(i): (fq / f"S{i}_R1.fastq.gz", fq / f"S{i}_R2.fastq.gz")
        for i, (role, _) in enumerate(kinds)
    }


def write_cohort(
    work: Path, n_patients: int, n_cells: int, reads: dict, cells_per_job: str = "auto"
) -> int:
    """Cell and patient sheets and a config: per patient 80 % CTCs, 20 % WBCs, low-pass WGS."""
    work.mkdir(parents=True, exist_ok=True)
    sources = list(reads.items())
    rows = ["patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\n"]
    for p in range(n_patients):
        patient = f"P{p:04d}"
        for c in range(n_cells):
            role = "wbc" if c >= int(n_cells * 0.8) else "ctc"
            candidates = [s for s in sources if s[0].startswith(role)]
            _, (fq1, fq2) = candidates[c % len(candidates)]
            rows.append(f"{patient}\tD1\t{patient}_C{c:03d}\twgs\t{role}\tMDA\t{fq1}\t{fq2}\n")
    (work / "cells.tsv").write_text("".join(rows))
    (work / "patients.tsv").write_text(
        PATIENT_HEADER
        + "".join(
            f"P{p:04d}\tBRCA\tpositive\tnegative\tnegative\tD1\t2026-01-05\t7.5\t\t\n"
            for p in range(n_patients)
        )
    )
    config = {
        "cells": "cells.tsv",
        "patients": "patients.tsv",
        "reference": {"fasta": str(REFERENCE)},
        "bins": {"size": 500_000},
        "qc": {"wgs": {"min_reads": 1000}},
        "cnv": {"min_ploidy": 1.0},
        "stages": {"snv": False, "rna": False},
        "execution": {"cells_per_job": "auto" if cells_per_job == "auto" else int(cells_per_job)},
    }
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    return n_patients * n_cells


def timed(
    cmd: list[str],
    cwd: Path,
    env: dict | None = None,
    log: Path | None = None,
    timeout: float | None = None,
):
    """Wall seconds, peak RSS (MB) and CPU seconds of the command's own process, its log.

    CPU time is what the command used, whatever else runs on the machine (wall time
    grows with the load). With ``timeout``, a command still running then is killed and
    its times are None.
    """
    log = log or cwd / "run.log"
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        while True:  # os.wait4 (not Popen.wait): it also returns the child's peak RSS
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - start > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                return None, None, None, log
            time.sleep(0.2)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text()[-4000:]
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{tail}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, log


def count_lines(log: Path, pattern: str) -> int:
    with open(log) as lines:
        return sum(1 for line in lines if pattern in line)


def job_stats(log: Path) -> dict[str, int]:
    """Rule -> jobs from the first "Job stats" table of a Snakemake log."""
    counts: dict[str, int] = {}
    with open(log) as lines:
        for line in lines:
            if line.startswith("Job stats:"):
                break
        next(lines, None), next(lines, None)  # the table's header and rule
        for line in lines:
            parts = line.split()
            if len(parts) != 2 or not parts[1].isdigit():
                break
            counts[parts[0]] = int(parts[1])
    return counts


def snakemake(*args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), *args]


def plan(work: Path) -> dict:
    # Not --quiet: the group jobs are counted from the plan's printout.
    wall, rss, cpu, log = timed(
        snakemake(
            "--configfile", "config.yaml", "--workflow-profile", str(PROFILE), "--dry-run",
            "--slurm-status-command", "squeue",
        ),
        work,
        log=work / "plan.log",
    )  # fmt: skip
    counts = job_stats(log)
    groups = count_lines(log, "Group job per_cell")
    submitted = groups + sum(
        n for rule, n in counts.items() if rule not in GROUPED_RULES | LOCAL_RULES | {"total"}
    )
    return {"wall": wall, "rss": rss, "cpu": cpu, "jobs": counts["total"], "submitted": submitted}


def floor(work: Path, n_cells: int, timeout: float) -> tuple[float | None, float | None]:
    """Snakemake's own planning cost: a bare workflow of 3 x n_cells + 2 jobs (one per
    cell and per-cell step, as without batches); None past ``timeout`` seconds."""
    base = work / "floor"
    base.mkdir(exist_ok=True)
    (base / "Snakefile").write_text(FLOOR_SNAKEFILE)
    (base / "ids.txt").write_text("".join(f"c{i}\n" for i in range(n_cells)))
    wall, rss, _, _ = timed(
        [sys.executable, "-m", "snakemake", "--dry-run", "--config", "ids=ids.txt"],
        base, timeout=timeout,
    )  # fmt: skip
    return wall, rss


def execute(work: Path, cores: int) -> dict:
    """The cohort run on one machine, then again on a fresh local SLURM."""
    from tests.workflow import slurm_cluster

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    local_dir = work / "local"
    slurm_dir = work / "slurm"
    for d in (local_dir, slurm_dir):
        d.mkdir()
        for name in ("cells.tsv", "patients.tsv", "config.yaml"):
            shutil.copy(work / name, d / name)
    local_wall, _, _, _ = timed(
        snakemake("--configfile", "config.yaml", "--cores", str(cores)), local_dir, env
    )
    cluster = slurm_cluster.start(Path(tempfile.mkdtemp(prefix="bench-slurm-")))
    try:
        cmd = slurm_cluster.snakemake_cmd(slurm_dir, cluster, "--configfile", "config.yaml")
        slurm_wall, _, _, log = timed(cmd, slurm_dir, cluster.env)
    finally:
        slurm_cluster.stop(cluster)
    return {
        "local": local_wall,
        "slurm": slurm_wall,
        "sbatch": count_lines(log, "has been submitted with SLURM jobid"),
        "jobs": job_stats(log)["total"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10x20,50x40,500x100", help="patients x cells")
    parser.add_argument("--execute", default="", help="sizes to run as well, e.g. 10x20")
    parser.add_argument("--read-pairs", type=int, default=2000, help="reads of each cell")
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--workdir", type=Path, help="keep the cohorts here")
    parser.add_argument(
        "--cells-per-job", default="auto", help="execution.cells_per_job of the cohorts"
    )
    parser.add_argument(
        "--floor-timeout", type=float, default=900, help="stop the bare Snakemake plan after"
    )
    args = parser.parse_args()
    sizes = [tuple(map(int, s.split("x"))) for s in args.sizes.split(",") if s]
    executed = {tuple(map(int, s.split("x"))) for s in args.execute.split(",") if s}
    root = args.workdir or Path(tempfile.mkdtemp(prefix="bench-cohort-"))
    root.mkdir(parents=True, exist_ok=True)
    reads = simulate_cells(root / "reads", args.read_pairs)
    print(
        f"# cohorts in {root}; {args.read_pairs} read pairs per cell; {args.cores} cores;"
        f" cells_per_job {args.cells_per_job}"
    )
    print(
        "patients x cells | cells | rule jobs | SLURM jobs | jobs/submission | plan s"
        " | plan CPU s | plan MB"
        " | bare Snakemake s | RATIO plan/bare | run local s | run SLURM s | RATIO SLURM/local"
    )
    for n_patients, n_cells in sizes:
        work = root / f"{n_patients}x{n_cells}"
        total = write_cohort(work, n_patients, n_cells, reads, args.cells_per_job)
        p = plan(work)
        floor_wall, _ = floor(work, total, args.floor_timeout)
        if floor_wall is None:  # Snakemake alone did not finish: the ratio is an upper bound
            bare = f"> {args.floor_timeout:.0f} | < {p['wall'] / args.floor_timeout:.2f}"
        else:
            bare = f"{floor_wall:.1f} | {p['wall'] / floor_wall:.2f}"
        row = (
            f"{n_patients} x {n_cells} | {total} | {p['jobs']} | {p['submitted']}"
            f" | {p['jobs'] / max(p['submitted'], 1):.1f} | {p['wall']:.1f} | {p['cpu']:.1f}"
            f" | {p['rss']:.0f}"
            f" | {bare}"
        )
        if (n_patients, n_cells) in executed:
            r = execute(work, args.cores)
            row += f" | {r['local']:.0f} | {r['slurm']:.0f} | {r['slurm'] / r['local']:.2f}"
            row += f" ({r['sbatch']} sbatch for {r['jobs']} rule jobs)"
        else:
            row += " | - | - | -"
        print(row, flush=True)


if __name__ == "__main__":
    main()
