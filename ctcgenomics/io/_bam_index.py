"""The index of a cell's BAM, made beside it when missing (light: per-cell jobs use it)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pysam

log = logging.getLogger(__name__)


class BamIndexError(FileNotFoundError):
    """A BAM has no index and could not be indexed."""


def ensure_index(path: str | os.PathLike[str]) -> None:
    """Make sure a BAM/CRAM has an index, creating one next to it when missing.

    Raises
    ------
    FileNotFoundError
        If the BAM does not exist.
    BamIndexError
        If there is no index and indexing fails (e.g. the BAM is not coordinate-sorted).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: BAM not found")
    candidates = [
        Path(f"{path}.bai"),
        path.with_suffix(".bai"),
        Path(f"{path}.csi"),
        Path(f"{path}.crai"),
    ]
    if any(c.exists() for c in candidates):
        return
    if not os.access(path.parent, os.W_OK):
        raise BamIndexError(
            f"{path}: no index (.bai/.csi) and its folder {path.parent} is not writable, so "
            "none can be made beside it; index it where it can be written (samtools index "
            "BAM, or copy the BAM to a writable folder first)"
        )
    log.warning("%s has no index; creating %s.bai", path, path)
    try:
        pysam.index(str(path))
    except pysam.utils.SamtoolsError as err:
        raise BamIndexError(
            f"{path}: no index (.bai/.csi) and `samtools index` failed ({str(err).strip()}); "
            "sort it by coordinate (samtools sort) and index it (samtools index)"
        ) from err
