"""FASTQ checks before alignment: readable, complete, and R1/R2 in step."""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path


class FastqError(ValueError):
    """A FASTQ file is missing, truncated, malformed, or out of step with its mate."""


@dataclass(frozen=True)
class FastqSummary:
    """What a FASTQ check found."""

    n_reads: int
    paired: bool


def _open(path: Path):
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")


def _records(path: Path):
    """Yield read names (without /1, /2 or comment) of a FASTQ, checking its structure."""
    with _open(path) as handle:
        lineno = 0
        while True:
            header = handle.readline()
            if not header:
                return
            seq, plus, qual = handle.readline(), handle.readline(), handle.readline()
            lineno += 4
            if not header.startswith(b"@") or not plus.startswith(b"+") or not qual:
                raise FastqError(
                    f"{path}: malformed FASTQ record ending at line {lineno} (expected "
                    "'@name', sequence, '+', qualities); the file may be truncated or not FASTQ"
                )
            if len(seq.rstrip(b"\r\n")) != len(qual.rstrip(b"\r\n")):
                raise FastqError(
                    f"{path}: line {lineno}: sequence and quality lengths differ in read "
                    f"{header[1:].split()[0].decode(errors='replace')}"
                )
            name = header[1:].split(maxsplit=1)[0] if len(header) > 2 else b""
            if name.endswith((b"/1", b"/2")):
                name = name[:-2]
            yield name


def check_fastq(
    fq1: str | os.PathLike[str], fq2: str | os.PathLike[str] | None = None
) -> FastqSummary:
    """Check that FASTQ files exist, decompress fully and (if paired) have matching reads.

    Parameters
    ----------
    fq1, fq2
        Read 1 and optional read 2 files, gzipped or plain.

    Returns
    -------
    FastqSummary
        Number of reads (pairs) and whether the input is paired.

    Raises
    ------
    FastqError
        Naming the file and record: missing file, truncated gzip, malformed record,
        R1/R2 with different read counts or names.
    """
    paths = [Path(fq1)] + ([Path(fq2)] if fq2 else [])
    for path in paths:
        if not path.is_file():
            raise FastqError(
                f"FASTQ file {path} does not exist; fix the fq1/fq2 path in the cell sheet"
            )
    try:
        if len(paths) == 1:
            return FastqSummary(sum(1 for _ in _records(paths[0])), paired=False)
        n = 0
        it1, it2 = _records(paths[0]), _records(paths[1])
        sentinel = object()
        while True:
            a, b = next(it1, sentinel), next(it2, sentinel)
            if a is sentinel and b is sentinel:
                return FastqSummary(n, paired=True)
            if a is sentinel or b is sentinel:
                short = paths[0] if a is sentinel else paths[1]
                raise FastqError(
                    f"{paths[0]} and {paths[1]} have different read counts: {short} ends after "
                    f"{n} reads; re-export the pair or check for truncation"
                )
            n += 1
            if a != b:
                raise FastqError(
                    f"read {n} is named {a.decode(errors='replace')!r} in {paths[0]} but "
                    f"{b.decode(errors='replace')!r} in {paths[1]}; R1 and R2 must list mates "
                    "in the same order"
                )
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise FastqError(
            f"{paths[0] if len(paths) == 1 else ' / '.join(map(str, paths))}: gzip stream is "
            f"truncated or corrupt ({err}); re-copy or re-compress the file"
        ) from err
