"""Top level: simulate every (or some) cells of a spec and write reads and truth."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ctcgenomics.simulate._genome import (
    CellGenome,
    build_cell_genome,
    cell_truth,
    clone_karyotypes,
    variant_catalogue,
)
from ctcgenomics.simulate._output import (
    copy_number_rows,
    write_fastq_pair,
    write_truth_vcf,
    write_tsv,
)
from ctcgenomics.simulate._reads import CellReads, simulate_reads
from ctcgenomics.simulate._spec import SimulationSpec, SpecError, load_spec

log = logging.getLogger(__name__)

SHEET_COLUMNS = ("patient", "draw", "cell", "assay", "role", "wga", "fq1", "fq2", "bam")


@dataclass
class SimulationResult:
    """Paths written by :func:`simulate`.

    Attributes
    ----------
    outdir
        The output folder.
    fastq
        Per cell, the ``(R1, R2)`` FASTQ paths.
    copy_number, variants, cells, sheet
        ``truth/copy_number.tsv``, ``truth/variants.vcf.gz``, ``truth/cells.tsv`` and the
        workflow cell sheet ``cells.tsv``.
    """

    outdir: Path
    fastq: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    copy_number: Path | None = None
    variants: Path | None = None
    cells: Path | None = None
    sheet: Path | None = None


def simulate_cell(spec: SimulationSpec, cell_id: str) -> tuple[CellGenome, CellReads]:
    """Simulate one cell in memory (no files): its genome and its reads.

    Parameters
    ----------
    spec
        A spec from :func:`load_spec`.
    cell_id
        The cell to simulate.

    Returns
    -------
    tuple of CellGenome, CellReads
        The cell's genome (copy number, variants, dropout) and its reads with origins.
    """
    ref = spec.load_reference()
    cell = spec.cell(cell_id)
    genome = build_cell_genome(
        spec, ref, cell, clone_karyotypes(spec, ref), variant_catalogue(spec, ref)
    )
    return genome, simulate_reads(spec, ref, genome)


def simulate(
    spec: SimulationSpec | str | os.PathLike[str] | dict,
    outdir: str | os.PathLike[str],
    *,
    cells: Sequence[str] | None = None,
) -> SimulationResult:
    """Simulate single-cell WGA paired-end reads and write them with their truth.

    Parameters
    ----------
    spec
        A :class:`SimulationSpec`, or a path/mapping passed to :func:`load_spec`.
    outdir
        Output folder; created if needed.
    cells
        IDs of the cells to simulate (default: all). A cell's reads do not depend on
        which other cells are simulated.

    Returns
    -------
    SimulationResult
        Paths of the FASTQ files and truth tables written.

    Raises
    ------
    SpecError
        If the spec is invalid or ``cells`` names unknown cells.
    """
    if not isinstance(spec, SimulationSpec):
        spec = load_spec(spec)
    chosen = [spec.cell(c) for c in cells] if cells is not None else list(spec.cells)
    if len({c.id for c in chosen}) != len(chosen):
        raise SpecError("simulate: the same cell was requested twice in 'cells'")
    out = Path(outdir)
    ref = spec.load_reference()
    karyotypes = clone_karyotypes(spec, ref)
    catalogue = variant_catalogue(spec, ref)
    result = SimulationResult(outdir=out)
    genomes: list[CellGenome] = []
    sheet_rows, cell_rows, cn_frames = [], [], []
    for n, cell in enumerate(chosen, start=1):
        t0 = time.perf_counter()
        genome = build_cell_genome(spec, ref, cell, karyotypes, catalogue)
        reads = simulate_reads(spec, ref, genome)
        fq1, fq2 = (
            out / "fastq" / f"{cell.id}_R1.fastq.gz",
            out / "fastq" / f"{cell.id}_R2.fastq.gz",
        )
        write_fastq_pair(reads, cell.id, fq1, fq2)
        result.fastq[cell.id] = (fq1, fq2)
        genomes.append(genome)
        cn = copy_number_rows(cell.id, genome.karyotype, ref)
        cn_frames.append(cn)
        ploidy = float(np.average(cn["cn"], weights=cn["end"] - cn["start"]))
        cell_rows.append(
            dict(
                cell=cell.id,
                patient=cell.patient,
                draw=cell.draw,
                role=cell.role,
                clone=cell.clone,
                assay=cell.assay,
                ploidy=round(ploidy, 4),
                dropout_rate=cell.dropout_rate,
                n_read_pairs=len(reads),
            )
        )
        sheet_rows.append(
            dict(
                patient=cell.patient,
                draw=cell.draw,
                cell=cell.id,
                assay=cell.assay,
                role=cell.role,
                wga=cell.wga,
                fq1=str(fq1.resolve()),
                fq2=str(fq2.resolve()),
                bam="",
            )
        )
        log.info(
            "[%d/%d] %s: %d read pairs, %d amplification errors (%.1f s)",
            n,
            len(chosen),
            cell.id,
            len(reads),
            len(genome.amp_errors),
            time.perf_counter() - t0,
        )

    table = pd.concat(
        [catalogue, *(g.amp_errors.drop(columns="af") for g in genomes)], ignore_index=True
    )
    table = table.sort_values(["gpos", "alt"], kind="stable").reset_index(drop=True)
    fmt = {g.cell.id: cell_truth(g, table) for g in genomes}
    result.variants = out / "truth" / "variants.vcf.gz"
    write_truth_vcf(result.variants, ref, table, [g.cell.id for g in genomes], fmt)
    result.copy_number = out / "truth" / "copy_number.tsv"
    write_tsv(pd.concat(cn_frames, ignore_index=True), result.copy_number)
    result.cells = out / "truth" / "cells.tsv"
    write_tsv(pd.DataFrame(cell_rows), result.cells)
    result.sheet = out / "cells.tsv"
    write_tsv(pd.DataFrame(sheet_rows, columns=list(SHEET_COLUMNS)), result.sheet)
    log.info("wrote %d cells to %s", len(chosen), out)
    return result
