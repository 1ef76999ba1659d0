"""Facts written from labels and guidelines (data/label_facts.tsv) against the matcher.

Each row: a tumour type, an alteration and the patient-sheet facts a label requires, and the
therapy, level and direction the label or guideline gives (its source in the row). The
test fails when an entry's drug, level or direction changes. The label's level is checked
in ``label_level``; the level shown must equal it unless a documented cap applies (CTC RNA
expression is a surrogate of the tissue biomarker, and a CTC RNA call a surrogate of protein
evidence obtained on CTCs: at most 3B).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ctcgenomics.actionability import match, patient_context

from .conftest import make_alterations, sheet_rows

FACTS = pd.read_csv(
    Path(__file__).parent / "data" / "label_facts.tsv",
    sep="\t",
    comment="#",
    dtype=str,
    keep_default_na=False,
)
_CAP = {"1": "3B", "2": "3B", "3A": "3B", "R1": "R2"}


def _context(tumour: str, spec: str):
    cols: dict[str, object] = {}
    for item in filter(None, spec.split(";")):
        key, _, value = item.partition("=")
        if key in {"er", "pr", "her2"}:
            cols[f"primary_{key}"] = value
        elif key == "castration":
            cols["castration_status"] = value
        elif key == "prior":
            cols["prior_therapies"] = value.replace(",", ", ")
        elif key == "prior_lines":
            cols["prior_lines"] = int(value)
        else:
            raise AssertionError(f"unknown context key {key!r} in label_facts.tsv")
    return patient_context(sheet_rows(tumour, **cols))


def test_table_is_large_and_sourced():
    assert len(FACTS) >= 80
    assert (FACTS["source"].str.len() > 10).all()
    # Facts cover the five tumour families and the tumour-agnostic labels.
    assert {"BRCA", "PRAD", "LUAD", "COADREAD", "MEL"} <= set(FACTS["tumour_type"])


@pytest.mark.parametrize(
    "fact",
    FACTS.to_dict("records"),
    ids=[
        f"{r['tumour_type']}:{r['gene']}:{r['alteration']}:{r['therapy'] or r['direction']}"
        for r in FACTS.to_dict("records")
    ],
)
def test_label_fact(kb, fact):
    table = make_alterations(
        ("D1", fact["gene"], fact["alteration"], fact["kind"], 5, 5, "", fact["origin"])
    )
    ctx = _context(fact["tumour_type"], fact["context"])
    got = match(table, fact["tumour_type"], kb=kb, context=ctx).matches
    rows = got[(got["therapy"] == fact["therapy"]) & (got["direction"] == fact["direction"])]
    shown = got[["therapy", "level", "direction", "entry_id"]].to_numpy().tolist()
    if fact["level"] == "-":
        assert rows.empty, f"{fact['therapy']!r} must not be matched ({fact['source']}): {shown}"
        return
    assert len(rows) == 1, f"expected {fact['therapy']!r} ({fact['direction']}); got {shown}"
    row = rows.iloc[0]
    assert row["label_level"] == fact["level"], (row["entry_id"], fact["source"])
    assert row["context_status"] != "contradicted", row["context_note"]
    want = _CAP.get(fact["level"], fact["level"]) if fact["kind"] == "expression" else fact["level"]
    entry = next(e for e in kb.entries if e.id == row["entry_id"])
    if entry.ctc_assay:  # evidence obtained on CTCs: not a surrogate of a tissue test ...
        want = fact["level"]
        if entry.ctc_analyte not in ("", "rna"):  # ... but of its own assay if not RNA
            want = _CAP.get(fact["level"], fact["level"])
    assert row["level"] == want, (row["caps"], fact["source"])
