"""Per-cell sequencing QC: reads, mapping, duplicates, depth, breadth, insert size, MAPD."""

from ctcgenomics.qc._metrics import (
    QC_COLUMNS,
    QCThresholds,
    cell_qc,
    mapd_raw,
    qc_table,
    to_multiqc,
)
from ctcgenomics.qc._params import QCParams
from ctcgenomics.qc._samtools import write_samtools_reports

__all__ = [
    "QC_COLUMNS",
    "QCParams",
    "QCThresholds",
    "cell_qc",
    "mapd_raw",
    "qc_table",
    "to_multiqc",
    "write_samtools_reports",
]
