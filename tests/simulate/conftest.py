"""Fixtures for the simulator tests: a small random reference and spec builders."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from ctcgenomics.simulate._reads import CellReads

CONTIGS = {"chrA": 1_000_000, "chrB": 400_000}
_COMP = bytes.maketrans(b"ACGTN", b"TGCAN")


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random ACGT reference (plain FASTA, no index: the simulator builds the .fai)."""
    rng = np.random.default_rng(2024)
    path = tmp_path_factory.mktemp("ref") / "ref.fa"
    with open(path, "w") as fh:
        for name, n in CONTIGS.items():
            seq = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, n)].tobytes().decode()
            fh.write(f">{name}\n")
            fh.write("\n".join(seq[i : i + 60] for i in range(0, n, 60)) + "\n")
    return path


def cell(cid: str, **kw) -> dict:
    """A cell entry without amplification artefacts unless asked for."""
    base = {
        "id": cid,
        "patient": "P1",
        "draw": "D1",
        "role": "ctc",
        "clone": "normal",
        "assay": "wgs",
        "wga": "none",
        "n_read_pairs": 5000,
        "dropout_rate": 0.0,
    }
    if "mean_depth" in kw:
        base.pop("n_read_pairs")
    base.update(kw)
    return base


@pytest.fixture
def make_spec(reference: Path):
    """Build a spec mapping on the random reference; keyword arguments override fields."""

    def build(**kw) -> dict:
        spec = {
            "seed": 11,
            "reference": str(reference),
            "read_length": 100,
            "insert_size": {"mean": 300, "sd": 40},
            "sequencing_error_rate": 0.0,
            "duplicate_rate": 0.0,
            "clones": {"normal": {}},
            "cells": [cell("C1")],
        }
        spec.update(copy.deepcopy(kw))
        return spec

    return build


def ref_base(reference: Path, chrom: str, pos1: int) -> str:
    """The reference base at a 1-based position (read straight from the FASTA)."""
    import pysam

    with pysam.FastaFile(str(reference)) as fa:
        return fa.fetch(chrom, pos1 - 1, pos1)


def other(base: str) -> str:
    return {"A": "C", "C": "G", "G": "T", "T": "A"}[base]


def forward_reverse(reads: CellReads) -> tuple[np.ndarray, np.ndarray]:
    """Forward-strand read bases and reverse-strand read bases in reference orientation."""
    rv = reads.reverse[:, None]
    fwd = np.where(rv, reads.r2, reads.r1)
    rev_rc = np.where(rv, reads.r1, reads.r2)
    rev = np.frombuffer(rev_rc[:, ::-1].tobytes().translate(_COMP), np.uint8).reshape(rev_rc.shape)
    return fwd, rev


class Pileup:
    """Bases of the reads covering a position, and the haplotype they come from.

    Uses the test-only origin arrays of :class:`CellReads` (fragment start/end/strand) to
    locate reads, then reads the base from the read sequence itself. Both mates count;
    duplicates are left out unless ``unique=False``.
    """

    def __init__(self, reads: CellReads, rl: int, *, unique: bool = True) -> None:
        keep = ~reads.duplicate if unique else np.ones(len(reads), bool)
        fwd, rev = forward_reverse(reads)
        self.rl = rl
        self.parts = []
        for seq, s in ((fwd, reads.start), (rev, reads.end - rl)):
            order = np.argsort(s[keep], kind="stable")
            self.parts.append((seq[keep][order], s[keep][order], reads.haplotype[keep][order]))

    def __call__(self, gpos: int) -> dict[str, np.ndarray]:
        bases, haps = [], []
        for seq, s, hap in self.parts:
            lo, hi = np.searchsorted(s, gpos - self.rl + 1), np.searchsorted(s, gpos + 1)
            bases.append(seq[np.arange(lo, hi), gpos - s[lo:hi]])
            haps.append(hap[lo:hi])
        return {"base": np.concatenate(bases), "haplotype": np.concatenate(haps)}


def pileup(reads: CellReads, gpos: int, rl: int, *, unique: bool = True) -> dict[str, np.ndarray]:
    """One-off :class:`Pileup` at ``gpos``."""
    return Pileup(reads, rl, unique=unique)(gpos)
