"""How many CTCs of each draw can carry a finding (summary and therapies)."""

from __future__ import annotations

import pandas as pd

from ctcgenomics.report._inputs import LoadedInputs
from ctcgenomics.report._sections._common import _as_bool


def _qc_reasons(qc: pd.DataFrame) -> str:
    reasons = qc["qc_reason"].fillna("").astype(str).replace("", "no reason given")
    counts = reasons.value_counts()
    return "; ".join(f"{why} ({n})" if n > 1 else why for why, n in counts.items())


def evaluable_ctcs(loaded: LoadedInputs) -> dict:
    """How many CTCs can carry a finding: DNA libraries passing QC, and RNA-called CTCs.

    Returns ``{"dna": int|None, "rna": int|None, "total": int|None, "statement": str}``:
    ``None`` where a count cannot be known (no QC table, a failed RNA stage), and, when
    ``total`` is 0, a ``statement`` for the reader of why no CTC is evaluable.
    """
    dna = rna = None
    why = []
    if loaded.cells is not None:
        ctc = loaded.cells[loaded.cells["role"] == "ctc"]
        if ctc.empty:
            roles = "only white blood cells" if len(loaded.cells) else "no cells"
            why.append(f"no CTC was DNA-sequenced (the cell sheet lists {roles} of this patient)")
            dna = 0
        elif loaded.qc is not None:
            qc = loaded.qc[loaded.qc["cell"].isin(ctc["cell"])]
            dna = int(_as_bool(qc["qc_pass"]).sum())
            if dna == 0:
                why.append(
                    f"all {len(ctc)} DNA-sequenced CTC libraries failed QC ({_qc_reasons(qc)})"
                )
    if loaded.rna is not None and "cell_class" in loaded.rna:
        rna = int((loaded.rna["cell_class"] == "CTC").sum())
        if rna == 0:
            why.append(f"the RNA arm classified none of its {len(loaded.rna)} cells as a CTC")
    elif "rna" not in loaded.failed:
        rna = 0  # the RNA arm did not run for this patient: it adds no CTC
    if dna is None or rna is None:
        total = (dna or 0) + (rna or 0) if (dna or rna) else None
    else:
        total = dna + rna
    return {
        "dna": dna,
        "rna": rna,
        "total": total,
        "statement": "; ".join(why) if total == 0 else "",
    }
