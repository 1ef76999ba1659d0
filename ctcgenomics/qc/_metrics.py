"""Per-cell sequencing QC from one pass over a cell's BAM."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from ctcgenomics._ids import validate_id
from ctcgenomics.align._bwa import failed_reason
from ctcgenomics.io.bin_counts import assign_to_bins
from ctcgenomics.io.bins import _interval_columns

ASSAYS = frozenset({"wgs", "panel", "exome"})
"""Assays of the cell sheet."""

QC_COLUMNS: tuple[str, ...] = (
    "cell",
    "total_reads",
    "mapped_pct",
    "properly_paired_pct",
    "duplicate_pct",
    "mean_depth",
    "breadth_1x",
    "insert_size_median",
    "mapd_raw",
    "qc_pass",
    "qc_reason",
)


@dataclass(frozen=True)
class QCThresholds:
    """Pass/fail thresholds; a cell failing any of them fails QC with that reason."""

    min_reads: int = 10_000
    min_mapped_pct: float = 80.0
    max_duplicate_pct: float = 50.0
    max_mapd: float | None = 0.45
    min_breadth: float = 0.0


def mapd_raw(counts: np.ndarray) -> float:
    """Median absolute pairwise difference of log2 raw counts of adjacent bins (``mapd_raw``).

    The standard noise metric of single-cell copy-number data (Cai et al. 2014;
    10x Cell Ranger DNA): it is insensitive to true copy-number changes, which
    affect few adjacent pairs. Bins with zero counts in both neighbours are skipped.
    Computed on raw counts (mean-scaled, no GC correction or reference), across contig
    ends, so it also carries GC and amplification bias; the CNV stage's ``obs["mapd"]``
    is the same statistic on corrected ratios within contigs (``docs/design.md``).

    Parameters
    ----------
    counts
        Read counts per bin, in genomic order (one contig after another).

    Returns
    -------
    float
        MAPD, or NaN with fewer than 3 usable bins.
    """
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 1:
        raise ValueError(
            f"mapd_raw takes one cell's counts per bin (1-D), got shape {counts.shape}; "
            "call it per row of a cells x bins matrix"
        )
    if counts.size < 3 or counts.sum() == 0:
        return float("nan")
    norm = counts / counts[counts > 0].mean()
    with np.errstate(divide="ignore"):
        log2 = np.log2(norm)
    diffs = np.diff(log2)
    diffs = diffs[np.isfinite(diffs)]
    return float(np.median(np.abs(diffs))) if diffs.size >= 2 else float("nan")


def _breadth(starts: np.ndarray, ends: np.ndarray) -> int:
    """Bases covered by the union of intervals sorted by start (vectorised sweep)."""
    if starts.size == 0:
        return 0
    reach = np.maximum.accumulate(ends)
    prev = np.concatenate([[starts[0]], reach[:-1]])
    return int(np.clip(ends - np.maximum(starts, prev), 0, None).sum())


def cell_qc(
    bam: str | os.PathLike[str],
    bins: pd.DataFrame,
    *,
    cell: str,
    min_mapq: int | None = None,
    thresholds: QCThresholds | None = None,
    assay: str = "wgs",
) -> dict[str, object]:
    """Compute QC metrics of one cell in a single pass over its BAM.

    Parameters
    ----------
    bam
        Coordinate-sorted, duplicate-marked, indexed BAM.
    bins
        Bin table for MAPD (``chrom, start, end``; bins with many Ns should be
        removed by the caller).
    cell
        Cell ID for the row.
    min_mapq
        MAPQ threshold for reads counted in bins (MAPD); ``None``: the QC stage's
        default (:class:`~ctcgenomics.qc.QCParams`).
    thresholds
        Pass/fail thresholds.
    assay
        ``wgs`` (low-pass whole genome) or a targeted assay (``panel``, ``exome``);
        MAPD over genome-wide bins is only meaningful, and only computed, for ``wgs``.

    Returns
    -------
    dict
        One row with the keys of :data:`QC_COLUMNS`. ``qc_reason`` lists every failed
        criterion (``;``-separated), or the input failure recorded at alignment.
    """
    cell = validate_id(cell, what="cell")
    if assay not in ASSAYS:
        raise ValueError(f"cell {cell}: unknown assay {assay!r}; use one of {sorted(ASSAYS)}")
    if not Path(bam).is_file():
        raise FileNotFoundError(f"BAM {bam} of cell {cell} does not exist; align the cell first")
    _interval_columns(bins)  # names missing columns before the pass over the reads
    thresholds = thresholds or QCThresholds()
    if min_mapq is None:
        from ctcgenomics.qc._params import QCParams  # it imports this module

        min_mapq = QCParams.min_mapq
    total = mapped = proper = dups = paired_reads = 0
    aligned_bases = 0
    inserts: list[int] = []
    per_contig_starts: dict[str, list[int]] = {}
    cov_starts: dict[str, list[int]] = {}
    cov_ends: dict[str, list[int]] = {}
    with pysam.AlignmentFile(os.fspath(bam), "rb") as handle:
        genome_length = int(sum(handle.lengths))
        for read in handle.fetch(until_eof=True):
            if read.is_secondary or read.is_supplementary:
                continue
            total += 1
            paired_reads += read.is_paired
            if read.is_unmapped:
                continue
            mapped += 1
            proper += read.is_proper_pair
            if read.is_duplicate:
                dups += 1
                continue
            chrom = read.reference_name
            aligned_bases += read.query_alignment_length
            cov_starts.setdefault(chrom, []).append(read.reference_start)
            cov_ends.setdefault(chrom, []).append(read.reference_end)
            if read.is_read1 and read.is_proper_pair and read.template_length > 0:
                inserts.append(read.template_length)
            if read.mapping_quality >= min_mapq and not read.is_read2 and not read.is_qcfail:
                per_contig_starts.setdefault(chrom, []).append(read.reference_start)
    counts = assign_to_bins(bins, {c: np.asarray(v) for c, v in per_contig_starts.items()})
    covered = sum(_breadth(np.asarray(cov_starts[c]), np.asarray(cov_ends[c])) for c in cov_starts)
    row: dict[str, object] = {
        "cell": cell,
        "total_reads": total,
        "mapped_pct": _pct(mapped, total),
        "properly_paired_pct": _pct(proper, paired_reads) if paired_reads else float("nan"),
        "duplicate_pct": _pct(dups, mapped),
        "mean_depth": aligned_bases / genome_length if genome_length else float("nan"),
        "breadth_1x": covered / genome_length if genome_length else float("nan"),
        "insert_size_median": float(np.median(inserts)) if inserts else float("nan"),
        "mapd_raw": mapd_raw(counts) if assay == "wgs" else float("nan"),
    }
    reasons = _fail_reasons(row, thresholds)
    input_failure = failed_reason(bam)
    if input_failure:
        reasons.insert(0, f"input failed: {input_failure}")
    row["qc_pass"] = not reasons
    row["qc_reason"] = "; ".join(reasons)
    return row


def _pct(k: int, n: int) -> float:
    return 100.0 * k / n if n else float("nan")


def _fail_reasons(row: dict[str, object], t: QCThresholds) -> list[str]:
    reasons = []
    if row["total_reads"] < t.min_reads:
        reasons.append(f"too few reads ({row['total_reads']:,} < {t.min_reads:,})")
    checks = [
        ("mapped_pct", "<", t.min_mapped_pct, "low mapped %"),
        ("duplicate_pct", ">", t.max_duplicate_pct, "high duplicate %"),
        (
            "mapd_raw",
            ">",
            t.max_mapd if t.max_mapd is not None else np.inf,
            "noisy coverage (raw MAPD)",
        ),
        ("breadth_1x", "<", t.min_breadth, "low breadth"),
    ]
    for key, op, limit, label in checks:
        value = row[key]
        if not isinstance(value, float) or np.isnan(value):
            continue
        if (op == "<" and value < limit) or (op == ">" and value > limit):
            reasons.append(f"{label} ({value:.3g} {op} {limit:g})")
    return reasons


def qc_table(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Assemble per-cell QC rows into the run's QC table (one row per cell).

    Raises
    ------
    ValueError
        If a row lacks a QC column (rows come from :func:`cell_qc`).
    """
    rows = list(rows)
    for i, row in enumerate(rows):
        missing = [c for c in QC_COLUMNS if c not in row]
        if missing:
            name = row.get("cell", f"#{i}") if isinstance(row, dict) else f"#{i}"
            raise ValueError(
                f"QC row of cell {name} lacks {missing}; build rows with ctc.qc.cell_qc"
            )
    return pd.DataFrame(rows, columns=list(QC_COLUMNS))


def to_multiqc(table: pd.DataFrame) -> str:
    """Render the QC table as MultiQC custom content (a ``*_mqc.tsv`` general-stats table).

    MultiQC picks up files named ``*_mqc.tsv`` whose header comments describe the
    section, so users can view ctcgenomics QC next to their other QC.
    """
    header = [
        "# id: 'ctcgenomics_cell_qc'",
        "# section_name: 'ctcgenomics per-cell QC'",
        "# description: 'Per-cell sequencing QC of single CTCs and WBCs (pass/fail with reason).'",
        "# plot_type: 'table'",
    ]
    body = table.copy()
    body["qc_pass"] = body["qc_pass"].map({True: "pass", False: "fail"}).fillna(body["qc_pass"])
    return "\n".join(header) + "\n" + body.to_csv(sep="\t", index=False, float_format="%.4g")
