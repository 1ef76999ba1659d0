"""Versions of the programs and packages a report's results depend on."""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib import metadata

PYTHON_PACKAGES: tuple[str, ...] = (
    "ctcgenomics", "pysam", "scanpy", "anndata", "numpy", "pandas", "scipy", "statsmodels",
    "matplotlib", "jinja2", "snakemake",
)  # fmt: skip
"""Python packages listed in the methods section."""


def _program_version(argv: list[str], pattern: str) -> str:
    """Ask a program for its version; ``not found`` if it is not on PATH."""
    if shutil.which(argv[0]) is None:
        return "not found"
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, errors="replace", timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"unknown ({err.__class__.__name__})"
    m = re.search(pattern, done.stdout + "\n" + done.stderr, flags=re.MULTILINE)
    return m.group(1).strip() if m else "unknown"


def tool_versions() -> dict[str, str]:
    """Versions of bwa, samtools, bcftools and the Python packages used.

    ``bwa`` prints its version on stderr when run without arguments; ``samtools`` and
    ``bcftools`` answer ``--version``; Python packages come from their installed metadata.
    """
    versions = {
        "bwa": _program_version(["bwa"], r"^Version:\s*(\S+)"),
        "samtools": _program_version(["samtools", "--version"], r"^samtools\s+(\S+)"),
        "bcftools": _program_version(["bcftools", "--version"], r"^bcftools\s+(\S+)"),
    }
    for name in PYTHON_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
