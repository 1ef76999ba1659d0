"""Enumeration, serial draws, discordance, and golden-file tests of whole outputs.

Golden files (tests/actionability/golden/) are reviewed outputs: a knowledge-base change
that drops or re-levels a match changes them and fails here. After a deliberate change,
regenerate with ``UPDATE_GOLDEN=1 pytest tests/actionability`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from ctcgenomics.actionability import match, therapy_table, write_therapy_table
from ctcgenomics.actionability._patient import enumeration_rows
from ctcgenomics.cli import main

from .conftest import CIVIC_PATH, make_alterations

GOLDEN = Path(__file__).parent / "golden"


def _sheet(rows):
    cols = ["patient", "tumour_type", "primary_er", "primary_pr", "primary_her2", "draw",
            "draw_date", "blood_volume_ml", "ctc_count", "therapy"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


_PB = ["PB", "IDC", "positive", "positive", "negative"]
BREAST_SHEET = _sheet(
    [
        [*_PB, "D1", "2026-01-10", 7.5, 12, "letrozole + palbociclib"],
        [*_PB, "D2", "2026-04-20", 3.75, 9, "letrozole + palbociclib"],
    ]
)
BREAST_ALTS = make_alterations(
    ("D1", "PIK3CA", "p.H1047R", "mutation", 9, 10),
    ("D1", "TP53", "p.R175H", "mutation", 10, 10),
    ("D1", "ESR1", "p.D538G", "mutation", 0, 10),
    ("D1", "ERBB2", "AMPLIFICATION", "copy_number", 1, 12),
    ("D2", "PIK3CA", "p.H1047R", "mutation", 10, 10),
    ("D2", "TP53", "p.R175H", "mutation", 10, 10),
    ("D2", "ESR1", "p.D538G", "mutation", 8, 10),
    ("D2", "ERBB2", "AMPLIFICATION", "copy_number", 9, 12),
    ("D2", "ERBB2", "EXPRESSION_HIGH", "expression", 6, 8),
    patient="PB",
)
LUNG_SHEET = _sheet(
    [["PL", "LUAD", "unknown", "unknown", "unknown", "D1", "2026-02-01", 7.5, None, "osimertinib"]]
)
LUNG_ALTS = make_alterations(
    ("D1", "EGFR", "p.E746_A750del", "mutation", 6, 7),
    ("D1", "EGFR", "p.C797S", "mutation", 2, 7),
    ("D1", "EML4::ALK", "fusion", "fusion", 1, 7),
    ("D1", "KRAS", "p.G12D", "mutation", 1, 7),
    patient="PL",
)


def test_enumeration_normalised_to_7_5_ml():
    rows = enumeration_rows(BREAST_SHEET)
    assert rows["alteration"].tolist() == ["CTC_COUNT=12", "CTC_COUNT=18"]  # 9 in 3.75 mL
    assert rows["kind"].tolist() == ["enumeration"] * 2
    none = enumeration_rows(LUNG_SHEET)
    assert none.empty


def test_heterogeneity_clonality_and_ranking(kb):
    res = match(BREAST_ALTS[BREAST_ALTS["draw"] == "D2"], "IDC", kb=kb).matches
    labels = dict(zip(res["alteration"], res["clonality"], strict=False))
    assert labels["p.H1047R"] == "clonal"  # 10/10
    assert labels["AMPLIFICATION"] == "indeterminate"  # 9/12 = 0.75 < 0.8, CI reaches 0.8
    one = match(BREAST_ALTS[BREAST_ALTS["draw"] == "D1"], "IDC", kb=kb).matches
    amp = one[one["alteration"] == "AMPLIFICATION"]
    assert set(amp["clonality"]) == {"subclonal"}  # 1/12, upper CI 0.35
    assert {"prevalence", "ci_low", "ci_high"} <= set(res.columns)
    # Level 1 rows come first; among them the clonal PIK3CA (1.0) before ERBB2 (0.75).
    lvl1 = res[res["level"] == "1"]
    assert res.index[res["level"] == "1"].max() < res.index[res["level"] != "1"].min()
    assert lvl1["prevalence"].is_monotonic_decreasing


def test_serial_esr1_emergence_and_discordance(kb):
    alts = pd.concat([BREAST_ALTS, enumeration_rows(BREAST_SHEET)], ignore_index=True)
    doc, _ = therapy_table("PB", alts, BREAST_SHEET, kb=kb)
    changes = {(c["gene"], c["alteration"]): c for c in doc["serial_changes"]}
    esr1 = changes[("ESR1", "p.D538G")]
    assert esr1["change"] == "emerged"
    assert (esr1["from"]["draw_date"], esr1["to"]["draw_date"]) == ("2026-01-10", "2026-04-20")
    impl = {(i["therapy"], i["direction"]): i for i in esr1["implications"]}
    assert impl[("letrozole", "resistance")]["concerns_current_therapy"] is True
    assert impl[("anastrozole", "resistance")]["concerns_current_therapy"] is False
    assert impl[("elacestrant", "sensitivity")]["level"] == "1"
    amp = changes[("ERBB2", "AMPLIFICATION")]
    assert amp["change"] == "increased" and amp["fisher_p"] < 0.05  # 1/12 -> 9/12
    assert ("PIK3CA", "p.H1047R") not in changes  # 9/10 -> 10/10 is not a change
    disc = [d for d in doc["discordances"] if d["receptor"] == "HER2"]
    assert {d["draw"] for d in disc} == {"D1", "D2"}
    assert all("DETECT III" in d["explanation"] for d in disc)
    assert doc["knowledge_base"]["version"] == kb.version


@pytest.mark.parametrize(
    ("primary", "alteration", "kind", "wording"),
    [
        ("negative", "EXPRESSION_LOW", "expression",
         "ERBB2 RNA low in the CTCs assayed (HER2-low-like; not an IHC score)"),
        ("positive", "EXPRESSION_LOW", "expression",
         "ERBB2 RNA low in the CTCs assayed (HER2-low-like; not an IHC score)"),
        ("negative", "AMPLIFICATION", "copy_number", "ERBB2 amplified in the CTCs assayed"),
        ("low", "EXPRESSION_HIGH", "expression",
         "ERBB2 RNA high in the CTCs assayed (not an IHC score)"),
    ],
)  # fmt: skip
def test_discordance_never_gives_ctcs_an_ihc_category(kb, primary, alteration, kind, wording):
    # HER2 negative/low/positive are IHC/ISH categories on tissue, which the toolkit does
    # not measure; the explanations called the CTCs "HER2-low" and "HER2-positive".
    sheet = BREAST_SHEET.assign(primary_her2=primary)
    alts = make_alterations(("D1", "ERBB2", alteration, kind, 3, 5), patient="PB")
    doc, _ = therapy_table("PB", alts, sheet, kb=kb)
    (disc,) = [d for d in doc["discordances"] if d["receptor"] == "HER2"]
    assert wording in disc["explanation"]
    assert not re.search(r"HER2[- ](0|negative|low|positive|ultralow) CTCs", disc["explanation"])


def _compare_or_update(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} missing; run with UPDATE_GOLDEN=1 and review"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


def _normalise(text: str) -> str:
    # The package version is not part of the contract under test.
    from ctcgenomics import __version__

    return text.replace(f"ctcgenomics {__version__}", "ctcgenomics <version>")


@pytest.mark.parametrize(
    ("name", "patient", "sheet", "alts", "civic"),
    [
        ("breast_serial", "PB", BREAST_SHEET, BREAST_ALTS, False),
        ("lung_civic", "PL", LUNG_SHEET, LUNG_ALTS, True),
    ],
)
def test_golden_outputs(tmp_path, name, patient, sheet, alts, civic):
    """Whole JSON + TSV through the CLI (merge-alterations, then match)."""
    alt_path, sheet_path = tmp_path / "snv.tsv", tmp_path / "patients.tsv"
    alts.to_csv(alt_path, sep="\t", index=False)
    sheet.to_csv(sheet_path, sep="\t", index=False)
    merged = tmp_path / "alterations.tsv"
    with pytest.raises(SystemExit) as ex:
        main(["merge-alterations", str(alt_path), "--patients", str(sheet_path),
              "--patient", patient, "--out", str(merged)])  # fmt: skip
    assert ex.value.code == 0
    args = ["match", "--alterations", str(merged), "--patients", str(sheet_path),
            "--patient", patient, "--json", str(tmp_path / "a.json"),
            "--tsv", str(tmp_path / "a.tsv")]  # fmt: skip
    if civic:
        args += ["--civic", str(CIVIC_PATH)]
    with pytest.raises(SystemExit) as ex:
        main(args)
    assert ex.value.code == 0
    doc = json.loads((tmp_path / "a.json").read_text())
    assert doc["schema_version"] == 2 and doc["knowledge_base"]["date"]
    _compare_or_update(f"{name}.json", _normalise((tmp_path / "a.json").read_text()))
    _compare_or_update(f"{name}.tsv", _normalise((tmp_path / "a.tsv").read_text()))


def test_lung_report_content(kb, civic):
    doc, table = therapy_table("PL", LUNG_ALTS, LUNG_SHEET, kb=kb, civic=civic)
    kbm = table[table["level_system"] == "KB"]
    assert set(kbm.loc[kbm["alteration"] == "p.E746_A750del", "granularity"]) == {"exon"}
    c797 = kbm[(kbm["alteration"] == "p.C797S") & (kbm["therapy"] == "osimertinib")]
    assert c797["direction"].tolist() == ["resistance"] and c797["level"].tolist() == ["R2"]
    assert set(table["kb_version"]) == {kb.version}
    assert doc["civic"]["levels"] == "CIViC A-E, unchanged"


def test_cli_refuses_other_patients_rows(tmp_path):
    alt_path, sheet_path = tmp_path / "a.tsv", tmp_path / "p.tsv"
    pd.concat([LUNG_ALTS, BREAST_ALTS]).to_csv(alt_path, sep="\t", index=False)
    LUNG_SHEET.to_csv(sheet_path, sep="\t", index=False)
    with pytest.raises(SystemExit) as ex:
        main(["match", "--alterations", str(alt_path), "--patients", str(sheet_path),
              "--patient", "PL", "--json", str(tmp_path / "o.json"),
              "--tsv", str(tmp_path / "o.tsv")])  # fmt: skip
    assert ex.value.code == 1
    assert not (tmp_path / "o.json").exists()


def test_kb_validate_cli(tmp_path, capsys):
    with pytest.raises(SystemExit) as ex:
        main(["kb", "validate"])
    assert ex.value.code == 0 and "valid" in capsys.readouterr().out
    bad = tmp_path / "kb.yaml"
    bad.write_text("name: x\nversion: '1.0.0'\ndate: '2026-01-01'\nentries:\n  - id: Bad Id\n")
    with pytest.raises(SystemExit) as ex:
        main(["kb", "validate", str(bad)])
    assert ex.value.code == 1


def test_write_report_is_atomic_and_versioned(tmp_path, kb):
    doc, table = therapy_table("PL", LUNG_ALTS, LUNG_SHEET, kb=kb)
    write_therapy_table(doc, table, tmp_path / "x.json", tmp_path / "x.tsv")
    head = (tmp_path / "x.tsv").read_text().splitlines()[:2]
    assert f"version {kb.version} ({kb.date})" in head[1]
    assert list(tmp_path.glob(".*tmp*")) == []
