"""The whole chain on the bundled example: every alteration is matched or explained.

Uses the session's demo run (``demo_workdir``, shared with the report's golden test).
"""

from __future__ import annotations

import json

import pytest

from ctcgenomics.io import read_alterations

pytestmark = pytest.mark.slow


def test_demo_alterations_are_matched_or_explained(demo_workdir):
    alterations = read_alterations(demo_workdir / "results" / "P01" / "alterations.tsv")
    doc = json.loads((demo_workdir / "results" / "P01" / "actionability.json").read_text())
    assert doc["schema_version"] == 2
    assert not alterations.empty
    by_draw = {d["draw"]: d for d in doc["draws"]}
    for row in alterations.itertuples(index=False):
        draw = by_draw[str(row.draw)]
        matched = {(m["gene"], m["alteration"]) for m in draw["matches"]}
        explained = {(u["gene"], u["alteration"]): u for u in draw["unmatched"]}
        key = (row.gene, row.alteration)
        assert key in matched or explained[key]["reason"], key
    # The planted TP53 p.R175H is negative knowledge, never a therapy.
    tp53 = [m for d in doc["draws"] for m in d["matches"] if m["gene"] == "TP53"]
    assert tp53 and {m["direction"] for m in tp53} == {"no_targeted_therapy"}
