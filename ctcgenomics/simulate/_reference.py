"""Reference FASTA access for the simulator: the whole genome as one byte array."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysam

log = logging.getLogger(__name__)


class ReferenceFileError(FileNotFoundError):
    """The reference FASTA is missing or cannot be indexed."""


@dataclass(frozen=True)
class Reference:
    """A reference genome held in memory as concatenated upper-case ASCII bytes.

    Attributes
    ----------
    path
        The FASTA file (plain or bgzipped).
    contigs
        Contig names in FASTA order.
    lengths
        Contig lengths.
    offsets
        Start of each contig in the concatenated (global) coordinate space.
    seq
        ``uint8`` array of ASCII bases (``A C G T N``) of all contigs, concatenated.
    """

    path: Path
    contigs: tuple[str, ...]
    lengths: np.ndarray
    offsets: np.ndarray
    seq: np.ndarray

    @property
    def total_length(self) -> int:
        """Total number of bases over all contigs."""
        return int(self.lengths.sum())

    def contig_index(self, chrom: str) -> int:
        """Index of ``chrom`` in :attr:`contigs` (``KeyError`` if absent)."""
        return self.contigs.index(chrom)

    def base(self, chrom: str, pos0: int, length: int = 1) -> str:
        """Return the reference bases at 0-based ``pos0`` on ``chrom``."""
        g = int(self.offsets[self.contig_index(chrom)]) + pos0
        return self.seq[g : g + length].tobytes().decode()


_CACHE: dict[Path, Reference] = {}


def load_reference(path: str | Path) -> Reference:
    """Load a FASTA (plain or bgzipped) into memory, building the ``.fai`` if missing.

    Parameters
    ----------
    path
        Path to the FASTA file.

    Returns
    -------
    Reference
        The in-memory reference; cached per resolved path.

    Raises
    ------
    FileNotFoundError
        If the file does not exist or cannot be indexed (e.g. gzip instead of bgzip).
    """
    path = Path(path).resolve()
    if path in _CACHE:
        return _CACHE[path]
    if not path.is_file():
        raise ReferenceFileError(
            f"reference FASTA {path} not found: set 'reference' in the simulation spec to "
            "an existing FASTA (plain or bgzipped)"
        )
    try:
        # pysam builds the .fai (and .gzi for bgzip) when missing.
        fasta = pysam.FastaFile(str(path))
    except (OSError, ValueError) as err:
        raise ReferenceFileError(
            f"cannot open or index reference FASTA {path}: {err}; if it is gzipped, "
            "recompress it with 'bgzip' (plain gzip cannot be indexed)"
        ) from err
    with fasta:
        contigs = tuple(fasta.references)
        lengths = np.array(fasta.lengths, dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        seq = np.empty(int(lengths.sum()), dtype=np.uint8)
        for name, off, n in zip(contigs, offsets, lengths, strict=True):
            log.debug("loading %s (%d bp)", name, n)
            seq[off : off + n] = np.frombuffer(fasta.fetch(name).upper().encode(), np.uint8)
    # Anything that is not ACGT (IUPAC codes) is treated as N.
    seq[~np.isin(seq, np.frombuffer(b"ACGT", np.uint8))] = ord("N")
    ref = Reference(path, contigs, lengths, offsets, seq)
    _CACHE[path] = ref
    return ref
