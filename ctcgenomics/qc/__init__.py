"""Per-cell sequencing QC: reads, mapping, duplicates, depth, breadth, insert size, MAPD."""

from ctcgenomics.qc._metrics import QC_COLUMNS, QCThresholds, cell_qc, mapd, qc_table, to_multiqc

__all__ = ["QC_COLUMNS", "QCThresholds", "cell_qc", "mapd", "qc_table", "to_multiqc"]
