"""Per-cell sequencing QC: reads, mapping, duplicates, depth, breadth, insert size, MAPD."""

from ctcgenomics.qc._metrics import QCThresholds, cell_qc, mapd_raw, qc_table, to_multiqc
from ctcgenomics.qc._params import QCParams

__all__ = [
    "QCParams",
    "QCThresholds",
    "cell_qc",
    "mapd_raw",
    "qc_table",
    "to_multiqc",
]
