"""Reference preparation: a plain FASTA with faidx, sequence dictionary and bwa index."""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import subprocess
from pathlib import Path

import pysam

from ctcgenomics._progress import stream_tool_log
from ctcgenomics.io._atomic import atomic_path

log = logging.getLogger(__name__)


class ReferenceFastaError(ValueError):
    """The reference FASTA cannot be used as given."""


def _copy_checking_names(src: Path, dst: Path) -> list[str]:
    """Copy (decompressing) ``src`` to ``dst``; return contig names, rejecting duplicates."""
    with open(src, "rb") as head:
        opener = gzip.open if head.read(2) == b"\x1f\x8b" else open
    names: list[str] = []
    seen: dict[str, int] = {}
    with opener(src, "rb") as fin, open(dst, "wb") as fout:
        for lineno, line in enumerate(fin, start=1):
            if line.startswith(b">"):
                name = line[1:].split(maxsplit=1)[0].decode()
                if name in seen:
                    raise ReferenceFastaError(
                        f"{src}: contig name {name!r} appears twice (lines {seen[name]} and "
                        f"{lineno}); every contig needs a unique name"
                    )
                seen[name] = lineno
                names.append(name)
                log.info("copying contig %d: %s", len(names), name)
            fout.write(line)
    if not names:
        raise ReferenceFastaError(f"{src}: no FASTA header ('>name') found; is this a FASTA file?")
    return names


def reference_identity(
    fasta: str | os.PathLike[str], cache: str | os.PathLike[str] | None = None
) -> str:
    """Identity of a reference FASTA: its absolute path and the SHA-256 of its bytes.

    The workflow rebuilds the prepared reference when this string changes: another file,
    or the same path with other content. Hashing a whole genome takes seconds, and every
    Snakemake invocation (and every cluster job) asks, so digests are cached in ``cache``
    (JSON) under the file's path, size and modification time.

    Raises
    ------
    FileNotFoundError
        If the FASTA does not exist (naming the config key to fix).
    """
    import hashlib
    import json

    src = Path(fasta).resolve()
    if not src.is_file():
        raise FileNotFoundError(
            f"reference FASTA {fasta} does not exist; fix config key reference.fasta (a "
            "reference prepared earlier is not reused for a file that is gone)"
        )
    stat = src.stat()
    key = f"{src}|{stat.st_size}|{stat.st_mtime_ns}"
    known: dict[str, str] = {}
    if cache is not None and Path(cache).is_file():
        try:
            known = json.loads(Path(cache).read_text(encoding="utf-8"))
        except ValueError:
            known = {}  # a damaged cache is rebuilt
    digest = known.get(key)
    if digest is None:
        sha = hashlib.sha256()
        with open(src, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
        digest = sha.hexdigest()
        if cache is not None:
            from ctcgenomics.io._atomic import atomic_open

            known[key] = digest
            with atomic_open(cache) as handle:
                json.dump(known, handle, indent=1)
    return f"{src} sha256:{digest}"


def require_tool(name: str) -> str:
    """Return the path of an external program or raise with install instructions."""
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(
            f"'{name}' is not on PATH; install it (Debian: apt-get install bwa samtools, "
            "or conda: mamba env create -f workflow/envs/align.yaml) or run 'make setup' as root"
        )
    return path


def prepare_reference(
    fasta: str | os.PathLike[str], outdir: str | os.PathLike[str], *, index_bwa: bool = True
) -> Path:
    """Make an alignment-ready reference: ``outdir/genome.fa`` + ``.fai`` + ``.dict`` + bwa index.

    Parameters
    ----------
    fasta
        Reference FASTA, plain or gzip/bgzip-compressed.
    outdir
        Output folder.
    index_bwa
        Build the bwa index (needs ``bwa`` on PATH).

    Returns
    -------
    pathlib.Path
        Path of ``genome.fa``.

    Raises
    ------
    ReferenceFastaError
        If the FASTA has duplicate contig names or no header.
    """
    src = Path(fasta)
    if not src.is_file():
        raise FileNotFoundError(
            f"reference FASTA {src} does not exist; fix config key reference.fasta"
        )
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    genome = out / "genome.fa"
    with atomic_path(genome) as tmp:
        names = _copy_checking_names(src, tmp)
    log.info("reference %s: %d contig(s) copied to %s", src, len(names), genome)
    pysam.faidx(str(genome))
    with atomic_path(out / "genome.dict") as tmp:
        pysam.samtools.dict("-o", str(tmp), str(genome))
    if index_bwa:
        bwa = require_tool("bwa")
        log.info("building bwa index of %s", genome)
        # Minutes to an hour for a whole genome: relay bwa's own stage messages as it goes.
        with subprocess.Popen(
            [bwa, "index", str(genome)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
            text=True,
        ) as proc:  # fmt: skip
            assert proc.stderr is not None
            lines = stream_tool_log(proc.stderr, desc="bwa index", logger=log)
        if proc.returncode != 0:
            tail = "\n".join(lines[-20:])
            raise RuntimeError(f"bwa index {genome} failed (exit {proc.returncode}):\n{tail}")
    return genome


def reference_contigs(fasta: str | os.PathLike[str]) -> dict[str, int]:
    """Contig names and lengths of an indexed FASTA (the index is built if missing)."""
    with pysam.FastaFile(os.fspath(fasta)) as ref:
        return dict(zip(ref.references, ref.lengths, strict=True))
