"""HMMcopy ``readCounter`` wig files: one file per cell, read counts per fixed-step bin.

``readCounter -w 500000 cell.bam > cell.wig`` writes, per contig, a line
``fixedStep chrom=1 start=1 step=500000 span=500000`` then one count per line. ``start``
is 1-based (UCSC wiggle), so bin ``k`` covers ``[start - 1 + k * step, start - 1 + k * step
+ span)`` 0-based half-open; the last bin of a contig may reach past the contig's end
(``readCounter`` does not clip it). The cell ID is the file name without ``.wig`` (or
``.wig.gz``). HMMcopy's ``gcCounter``/``mapCounter`` wig files in the same folder (named
with ``gc`` or ``map``, holding fractions) give the bins' GC content and mappability
(GC -1: unknown). ``variableStep`` and ``bedGraph`` tracks are refused with the fix.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ctcgenomics.cnv._errors import CNVInputError
from ctcgenomics.cnv._table_parts import CountTable, counts_matrix, fraction

log = logging.getLogger(__name__)

WIG_SUFFIXES = (".wig", ".wig.gz")


def wig_cell(path: Path) -> str:
    """Return a wig file's cell ID: its name without ``.wig``/``.wig.gz``."""
    name = path.name
    for suffix in WIG_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _header(line: str, where: str, number: int) -> tuple[str, int, int, int]:
    fields = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
    try:
        step = int(fields["step"])
        return fields["chrom"], int(fields["start"]), step, int(fields.get("span", step))
    except (KeyError, ValueError):
        raise CNVInputError(
            f"{where}: line {number}: {line.strip()!r} is not a fixedStep header with chrom=, "
            "start=, step= (and span=); write it with HMMcopy's readCounter"
        ) from None


def read_wig(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Read one ``readCounter`` wig file: its bins (0-based half-open) and counts.

    Raises
    ------
    CNVInputError
        On a track that is not fixedStep or a count that is not a number, naming the line.
    """
    path, where = Path(path), str(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    chroms, starts, ends, values = [], [], [], []
    chrom = None
    with opener(path, "rt") as handle:
        for number, line in enumerate(handle, 1):
            word = line.split(maxsplit=1)[0] if line.strip() else ""
            if not word or word.startswith("#") or word in ("track", "browser"):
                continue
            if word == "fixedStep":
                chrom, start, step, span = _header(line, where, number)
                pos = start - 1
                continue
            if chrom is None:
                raise CNVInputError(
                    f"{where}: line {number}: {line.strip()!r} comes before any fixedStep "
                    "header (variableStep and bedGraph are not read); count with HMMcopy's "
                    "readCounter, or give a wide table (chrom start end <cell>...)"
                )
            try:
                values.append(float(word))
            except ValueError:
                raise CNVInputError(
                    f"{where}: line {number}: {line.strip()!r} is not a read count"
                ) from None
            chroms.append(chrom)
            starts.append(pos)
            ends.append(pos + span)
            pos += step
    if not values:
        raise CNVInputError(f"{where}: no counts; is it a readCounter wig file?")
    bins = pd.DataFrame({"chrom": chroms, "start": starts, "end": ends})
    return bins, np.asarray(values)


def _annotation(path: Path, values: np.ndarray) -> str | None:
    """Return ``gc``/``mappability`` for gcCounter's/mapCounter's wig, else ``None``.

    Such files hold fractions (GC -1 where the bin has none), not read counts, and
    are named with ``gc`` or ``map`` (``hg19.gc.wig``, ``map_500kb.wig``).
    """
    words = set(re.split(r"[._-]", wig_cell(path).lower()))
    kind = "gc" if "gc" in words else "mappability" if words & {"map", "mappability"} else None
    fractions = np.all((values >= -1) & (values <= 1)) and np.any(values != np.rint(values))
    return kind if kind and fractions else None


def read_wig_files(paths: list[Path], where: str) -> CountTable:
    """Read per-cell wig files into one :class:`CountTable` (cell = file name stem).

    Files named with ``gc`` or ``map`` that hold fractions (HMMcopy's ``gcCounter`` and
    ``mapCounter`` output) are the bins' GC content and mappability, not cells.

    Raises
    ------
    CNVInputError
        When two files name the same cell or list different bins (the first is named).
    """
    if not paths:
        raise CNVInputError(
            f"{where}: no .wig or .wig.gz files; give a folder of HMMcopy readCounter wig "
            "files (one per cell) or a count table"
        )
    bins, cells, rows, annotations = None, [], [], {}
    for path in paths:
        own, values = read_wig(path)
        if bins is None:
            bins, first = own, path
        elif not own.equals(bins):
            from ctcgenomics.cnv._tables import check_same_bins

            check_same_bins(own, bins, what=str(path), reference_name=str(first))
        kind = _annotation(path, values)
        if kind in annotations:
            raise CNVInputError(f"{where}: two {kind} wig files ({path.name} and another)")
        if kind:
            annotations[kind] = fraction(values, path.name, where)
            log.info("%s: %s read as the bins' %s, not a cell", where, path.name, kind)
            continue
        if wig_cell(path) in cells:
            raise CNVInputError(f"{where}: two wig files for cell {wig_cell(path)}")
        cells.append(wig_cell(path))
        rows.append(values)
    if not cells:
        raise CNVInputError(f"{where}: only GC/mappability wig files, no cell's read counts")
    for kind, values in annotations.items():
        bins[kind] = values
    matrix = counts_matrix(np.vstack(rows), where, cells, bins)
    return CountTable(bins, matrix, cells, pd.DataFrame(index=pd.Index(cells)))
