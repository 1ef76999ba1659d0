"""Reads sampled from the real reference at known positions, for alignment tests."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pysam

_COMP = str.maketrans("ACGTN", "TGCAN")


def write_pairs(genome: Path, out_dir: Path, n: int, *, seed: int = 1, prefix: str = "r"):
    """Write n read pairs sampled from the reference (FR, insert 300); return paths and starts."""
    seq = pysam.FastaFile(str(genome)).fetch("chr17").upper()
    rnd = random.Random(seed)
    r1, r2 = out_dir / f"{prefix}_R1.fastq.gz", out_dir / f"{prefix}_R2.fastq.gz"
    starts = []
    with gzip.open(r1, "wt") as f1, gzip.open(r2, "wt") as f2:
        while len(starts) < n:
            pos = rnd.randrange(200_000, 7_500_000)
            a, b = seq[pos : pos + 100], seq[pos + 200 : pos + 300].translate(_COMP)[::-1]
            if "N" in a or "N" in b:
                continue
            i = len(starts)
            f1.write(f"@{prefix}{i}/1\n{a}\n+\n{'I' * 100}\n")
            f2.write(f"@{prefix}{i}/2\n{b}\n+\n{'I' * 100}\n")
            starts.append(pos)
    return r1, r2, starts
