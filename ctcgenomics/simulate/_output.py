"""Writers for the simulator's FASTQ and truth files (all atomic)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from ctcgenomics.io._atomic import atomic_open, atomic_path
from ctcgenomics.simulate._genome import Karyotype
from ctcgenomics.simulate._reads import CellReads
from ctcgenomics.simulate._reference import Reference


def write_fastq_pair(
    reads: CellReads, cell_id: str, r1_path: Path, r2_path: Path, *, level: int = 1
) -> None:
    """Write both mates as gzipped FASTQ; names are ``{cell}:{n}`` (n from 1).

    The gzip header carries no file name or time stamp, so the same reads always give
    the same bytes.
    """
    n, rl = reads.r1.shape
    qual = (reads.quality * rl).encode()
    names = [f"@{cell_id}:{i}".encode() for i in range(1, n + 1)]
    for mat, path in ((reads.r1, r1_path), (reads.r2, r2_path)):
        rows = mat.tobytes()
        body = b"".join(
            b"%s\n%s\n+\n%s\n" % (name, rows[i * rl : (i + 1) * rl], qual)
            for i, name in enumerate(names)
        )
        with (
            atomic_open(path, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=level, mtime=0) as gz,
        ):
            gz.write(body)


def copy_number_rows(cell_id: str, karyo: Karyotype, ref: Reference) -> pd.DataFrame:
    """Segments of constant allele-specific copy number tiling the reference for one cell."""
    b, cn = karyo.bounds, karyo.cn
    starts, ends = b[:-1], b[1:]
    contig = np.searchsorted(ref.offsets, starts, side="right") - 1
    # Merge neighbours with equal copy number on the same contig.
    same = np.concatenate(
        [[False], (contig[1:] == contig[:-1]) & (cn[:, 1:] == cn[:, :-1]).all(axis=0)]
    )
    keep = np.flatnonzero(~same)
    seg_end = np.concatenate([keep[1:], [len(starts)]]) - 1
    off = ref.offsets[contig[keep]]
    return pd.DataFrame(
        {
            "cell": cell_id,
            "chrom": [ref.contigs[c] for c in contig[keep]],
            "start": starts[keep] - off,
            "end": ends[seg_end] - off,
            "cn_a": cn[0, keep],
            "cn_b": cn[1, keep],
            "cn": cn[0, keep] + cn[1, keep],
        }
    )


def write_tsv(frame: pd.DataFrame, path: Path) -> None:
    """Write a tab-separated table atomically."""
    with atomic_open(path, "w", newline="") as fh:
        frame.to_csv(fh, sep="\t", index=False, lineterminator="\n")


def write_truth_vcf(
    path: Path,
    ref: Reference,
    table: pd.DataFrame,
    cells: Sequence[str],
    fmt: dict[str, pd.DataFrame],
) -> None:
    """Write the truth VCF (bgzipped) and its tabix index, both atomically.

    Parameters
    ----------
    path
        Output ``.vcf.gz``.
    ref
        The reference (contig header lines).
    table
        One row per variant: ``chrom``, ``pos``, ``ref``, ``alt``, ``origin``, ``name``.
    cells
        Sample columns, in order.
    fmt
        Per cell, a frame aligned with ``table`` with ``GT``, ``DO``, ``EAF``.
    """
    header = pysam.VariantHeader()
    for name, length in zip(ref.contigs, ref.lengths, strict=True):
        header.contigs.add(name, length=int(length))
    header.add_meta("source", "ctcgenomics.simulate")
    header.add_meta(
        "INFO",
        items=[
            ("ID", "ORIGIN"),
            ("Number", "1"),
            ("Type", "String"),
            ("Description", "germline, somatic or amplification_error"),
        ],
    )
    header.add_meta(
        "INFO",
        items=[
            ("ID", "NAME"),
            ("Number", "1"),
            ("Type", "String"),
            ("Description", "Variant name"),
        ],
    )
    header.add_meta(
        "FORMAT",
        items=[("ID", "GT"), ("Number", "1"), ("Type", "String"), ("Description", "True genotype")],
    )
    header.add_meta(
        "FORMAT",
        items=[
            ("ID", "DO"),
            ("Number", "1"),
            ("Type", "Integer"),
            ("Description", "1 if a haplotype present at the locus dropped out in this cell"),
        ],
    )
    header.add_meta(
        "FORMAT",
        items=[
            ("ID", "EAF"),
            ("Number", "1"),
            ("Type", "Float"),
            ("Description", "Expected alt allele fraction of the cell's reads"),
        ],
    )
    for c in cells:
        header.add_sample(c)
    gt_alleles = {"0/0": (0, 0), "0/1": (0, 1), "1/1": (1, 1), "./.": (None, None)}
    cols = {
        c: (f["GT"].to_numpy(), f["DO"].to_numpy(), f["EAF"].to_numpy()) for c, f in fmt.items()
    }
    with atomic_path(path) as tmp, atomic_path(f"{path}.tbi") as tmp_tbi:
        with pysam.VariantFile(str(tmp), "wz", header=header) as out:
            for i, row in enumerate(table.itertuples(index=False)):
                rec = out.new_record(
                    contig=row.chrom,
                    start=int(row.pos) - 1,
                    alleles=(row.ref, row.alt),
                    info={"ORIGIN": row.origin, "NAME": row.name},
                )
                for c in cells:
                    gt, do, eaf = cols[c]
                    sample = rec.samples[c]
                    sample["GT"] = gt_alleles[gt[i]]
                    sample["DO"] = int(do[i])
                    if not np.isnan(eaf[i]):
                        sample["EAF"] = round(float(eaf[i]), 4)
                out.write(rec)
        pysam.tabix_index(str(tmp), preset="vcf", force=True)
        os.replace(f"{tmp}.tbi", tmp_tbi)
