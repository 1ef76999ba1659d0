"""Shared fixtures: the packaged real chr17 reference, prepared once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGED_REFERENCE = REPO / "ctcgenomics" / "data" / "reference" / "hg38_chr17_1-7843138.fa.gz"


# `make test` runs the suite in two pytest-xdist workers (--dist loadgroup). Tests that
# share an expensive session fixture go to one worker, so the fixture is built once. The
# SLURM tests share one local cluster; they are the longest chain of the suite, so they
# are collected first and start at once on one worker (building their own demo run)
# while the other worker takes the rest.
SHARED_FIXTURE_GROUPS = {
    "demo_workdir": "demo",
    "e2e": "cnv_e2e",
    "panel_data": "snv_panel",
    "resume_reads": "resume",
    "uninterrupted": "resume",
}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    # Missing external tools must fail loudly in CI rather than skip silently.
    for tool in ("bwa", "samtools", "bcftools"):
        if shutil.which(tool) is None:
            raise pytest.UsageError(f"{tool} is not installed; run 'make test' (it installs it)")
    for item in items:
        if item.path.name == "test_slurm.py":
            group = "slurm"
        else:
            names = getattr(item, "fixturenames", ())
            group = next((g for f, g in SHARED_FIXTURE_GROUPS.items() if f in names), None)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: item.path.name != "test_slurm.py")  # stable: order kept


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory) -> Path:
    """The real GRCh38 chr17:1-7,843,138 segment with faidx, .dict and bwa index."""
    from ctcgenomics.align import prepare_reference

    out = tmp_path_factory.mktemp("reference")
    prepare_reference(PACKAGED_REFERENCE, out)
    return out


@pytest.fixture(scope="session")
def genome(reference_dir) -> Path:
    return reference_dir / "genome.fa"


def snakemake_env() -> dict[str, str]:
    """Environment in which the workflow's ``ctcg`` calls find this interpreter's package."""
    import os
    import sys

    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_snakemake(workdir: Path, *args: str, check: bool = True):
    """Run the repository's workflow in ``workdir``; return the completed process."""
    import subprocess
    import sys

    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        "2",
        "--quiet",
        "rules",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=snakemake_env())
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stderr[-6000:]}")
    return proc


@pytest.fixture(scope="session")
def demo_workdir(tmp_path_factory) -> Path:
    """The whole workflow run once on the bundled example (as `make demo` does)."""
    work = tmp_path_factory.mktemp("demo")
    for name in ("config", "ctcgenomics", "example"):
        (work / name).symlink_to(REPO / name)
    run_snakemake(work)
    return work
