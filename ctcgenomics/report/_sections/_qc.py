"""Report section 7: per-cell sequencing QC."""

from __future__ import annotations

import pandas as pd

from ctcgenomics.report._inputs import LoadedInputs
from ctcgenomics.report._sections._common import _as_bool, _cell_meta, _records, absent

QC_SHOWN = (
    "cell", "draw", "role", "assay", "total_reads", "mapped_pct", "properly_paired_pct",
    "duplicate_pct", "mean_depth", "breadth_1x", "insert_size_median", "mapd_raw", "qc_pass",
    "qc_reason",
)  # fmt: skip


def qc_section(loaded: LoadedInputs) -> dict:
    """Per-cell sequencing metrics, the failed cells and their reasons."""
    if loaded.qc is None:
        return absent(loaded, "qc", "no QC table")
    qc = loaded.qc.copy()
    qc["qc_pass"] = _as_bool(qc["qc_pass"])
    qc["qc_reason"] = qc.get("qc_reason", pd.Series("", index=qc.index)).fillna("").astype(str)
    meta = _cell_meta(loaded, qc["cell"], None)
    qc = qc.join(meta, on="cell")
    qc = qc.sort_values(["draw", "role", "assay", "cell"], kind="stable")
    failed = qc[~qc["qc_pass"]]
    return {
        "status": "ok",
        "n_cells": len(qc),
        "n_pass": int(qc["qc_pass"].sum()),
        "n_fail": len(failed),
        "cells": _records(qc, QC_SHOWN),
        "failed": _records(failed, ("cell", "draw", "role", "assay", "qc_reason")),
        "multiqc": "results/qc/ctcgenomics_qc_mqc.tsv (MultiQC custom content)",
    }
