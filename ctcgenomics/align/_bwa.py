"""Per-cell alignment: ``bwa mem`` piped into samtools fixmate, sort and markdup.

The standard tools do the work; this module builds the pipeline, checks the input
first, and makes a failed input a failed cell (not a failed cohort).
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pysam

from ctcgenomics._ids import validate_id
from ctcgenomics.align._fastq import FastqError, check_fastq
from ctcgenomics.align._reference import reference_contigs, require_tool
from ctcgenomics.io._atomic import atomic_path

log = logging.getLogger(__name__)

FAILED_TAG = "ctcgenomics:input_failed:"
"""Prefix of the ``@CO`` header line that marks a cell whose input could not be used."""


@dataclass(frozen=True)
class AlignResult:
    """Outcome of aligning one cell."""

    bam: Path
    n_reads: int
    paired: bool
    failed_reason: str | None = None


def _read_group(cell: str, platform: str, wga: str | None) -> str:
    fields = [f"ID:{cell}", f"SM:{cell}", f"LB:{cell}", f"PL:{platform}"]
    if wga:
        fields.append(f"DS:WGA={wga}")
    return "@RG\\t" + "\\t".join(fields)


def _run_pipeline(cmds: list[list[str]], log_path: Path | None) -> None:
    """Run commands connected by pipes; raise with the failing command's stderr."""
    err_file = tempfile.TemporaryFile()
    procs: list[subprocess.Popen] = []
    prev = None
    for i, cmd in enumerate(cmds):
        stdout = subprocess.PIPE if i < len(cmds) - 1 else subprocess.DEVNULL
        proc = subprocess.Popen(cmd, stdin=prev, stdout=stdout, stderr=err_file)
        if prev is not None:
            prev.close()  # let SIGPIPE reach the upstream process
        prev = proc.stdout
        procs.append(proc)
    codes = [p.wait() for p in procs]
    err_file.seek(0)
    stderr = err_file.read().decode(errors="replace")
    if log_path is not None:
        with open(log_path, "a", encoding="utf-8") as handle:
            handle.write(stderr)
    for cmd, code in zip(cmds, codes, strict=True):
        if code != 0:
            raise RuntimeError(f"{' '.join(cmd[:2])} exited with {code}:\n{stderr[-3000:]}")


def write_failed_bam(
    out_bam: str | os.PathLike[str], reference: str | os.PathLike[str], *, cell: str, reason: str
) -> Path:
    """Write a header-only, indexed BAM that records why the cell has no alignments.

    Downstream steps see a valid BAM with zero reads; QC reads the ``@CO`` line and
    reports the cell as failed with ``reason``.
    """
    contigs = reference_contigs(reference)
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": n, "LN": ln} for n, ln in contigs.items()],
        "RG": [{"ID": cell, "SM": cell}],
        "CO": [FAILED_TAG + " ".join(reason.split())],
    }
    out = Path(out_bam)
    with atomic_path(out) as tmp:
        with pysam.AlignmentFile(str(tmp), "wb", header=header):
            pass
        pysam.index(str(tmp), str(out) + ".bai")
    return out


def failed_reason(bam: str | os.PathLike[str]) -> str | None:
    """Return the failure reason recorded by :func:`write_failed_bam`, if any."""
    with pysam.AlignmentFile(os.fspath(bam), "rb") as handle:
        for line in handle.header.to_dict().get("CO", []):
            if line.startswith(FAILED_TAG):
                return line[len(FAILED_TAG) :]
    return None


def align_cell(
    fq1: str | os.PathLike[str],
    fq2: str | os.PathLike[str] | None,
    reference: str | os.PathLike[str],
    out_bam: str | os.PathLike[str],
    *,
    cell: str,
    threads: int = 1,
    platform: str = "ILLUMINA",
    wga: str | None = None,
    sort_memory: str = "512M",
    check_input: bool = True,
    on_input_error: str = "fail_cell",
    log_path: str | os.PathLike[str] | None = None,
) -> AlignResult:
    """Align one cell's reads: ``bwa mem | samtools fixmate -m | sort | markdup``, then index.

    Parameters
    ----------
    fq1, fq2
        FASTQ of read 1 and (paired-end) read 2, gzipped or plain; ``fq2`` may be None.
    reference
        ``bwa index``-ed FASTA (see :func:`prepare_reference`).
    out_bam
        Output BAM; its index is written beside it as ``.bai``.
    cell
        Cell ID: read group ID and sample name.
    threads
        Threads for bwa and samtools sort/markdup.
    platform, wga
        Read-group platform and WGA chemistry (recorded in ``DS``).
    sort_memory
        Memory per samtools sort thread.
    check_input
        Check FASTQ integrity and R1/R2 agreement first.
    on_input_error
        ``"fail_cell"``: a FASTQ that is empty, truncated or out of step yields a
        header-only BAM that records the reason (the cohort run goes on and QC reports
        the cell as failed); ``"raise"``: raise :class:`FastqError`.
    log_path
        File that receives the tools' stderr.

    Returns
    -------
    AlignResult
    """
    cell = validate_id(cell, what="cell")
    out = Path(out_bam)
    n_reads, paired = -1, fq2 is not None
    if check_input:
        try:
            summary = check_fastq(fq1, fq2)
            n_reads, paired = summary.n_reads, summary.paired
            if n_reads == 0:
                raise FastqError(f"{fq1} contains no reads")
        except FastqError as err:
            if on_input_error != "fail_cell" or not Path(fq1).exists():
                raise
            log.error("cell %s: %s; writing an empty BAM and marking the cell failed", cell, err)
            write_failed_bam(out, reference, cell=cell, reason=str(err))
            return AlignResult(out, max(n_reads, 0), paired, failed_reason=str(err))
    bwa, samtools = require_tool("bwa"), require_tool("samtools")
    t = str(max(1, threads))
    bwa_cmd = [
        bwa,
        "mem",
        "-t",
        t,
        "-R",
        _read_group(cell, platform, wga),
        str(reference),
        str(fq1),
    ] + ([str(fq2)] if fq2 else [])
    with atomic_path(out) as tmp:
        cmds = [bwa_cmd]
        if paired:
            cmds.append([samtools, "fixmate", "-m", "-u", "-", "-"])
        cmds.append(
            [samtools, "sort", "-u", "-@", t, "-m", sort_memory, "-T", str(tmp) + ".sort", "-"]
        )
        cmds.append([samtools, "markdup", "-@", t, "-", str(tmp)])
        log.info("cell %s: aligning %s reads", cell, n_reads if n_reads >= 0 else "?")
        _run_pipeline(cmds, Path(log_path) if log_path else None)
        pysam.index(str(tmp), str(out) + ".bai")
    return AlignResult(out, n_reads, paired)
