"""CIViC importer on the real 2018-05-01 predictive evidence (tests/data)."""

from __future__ import annotations

import pandas as pd
import pytest

from ctcgenomics.actionability import CivicFormatError, match, read_civic

from .conftest import CIVIC_PATH, make_alterations


def test_reads_all_rows_and_keeps_levels(civic):
    raw = pd.read_csv(CIVIC_PATH, sep="\t", dtype=str, keep_default_na=False)
    assert civic.n_rows == len(raw) == 1384
    assert {i.level for i in civic.items} <= set("ABCDE")
    # Items never come from rows that do not support their claim.
    refuted = set(raw.loc[raw["evidence_direction"] != "Supports", "evidence_id"])
    assert not {i.evidence_id.removeprefix("EID") for i in civic.items} & refuted


def test_egfr_t790m_nsclc(civic, kb):
    # In this release: osimertinib sensitivity level A and erlotinib resistance level A
    # for EGFR T790M in "Lung Non-small Cell Carcinoma".
    res = match(
        make_alterations(("D1", "EGFR", "p.T790M", "mutation", 2, 3)), "NSCLC", kb=kb, civic=civic
    )
    cv = res.matches[res.matches["level_system"] == "CIViC"]
    osi = cv[(cv["therapy"] == "osimertinib") & (cv["direction"] == "sensitivity")]
    erl = cv[(cv["therapy"] == "erlotinib") & (cv["direction"] == "resistance")]
    assert osi["level"].tolist() == ["A"] and erl["level"].tolist() == ["A"]
    assert osi["tumour_type_match"].tolist() == ["in_indication"]
    assert osi["granularity"].tolist() == ["allele"]
    # KB matches are kept beside the CIViC ones, with their own level system.
    kbm = res.matches[
        (res.matches["level_system"] == "KB") & (res.matches["therapy"] == "osimertinib")
    ]
    assert kbm["level"].tolist() == ["1"]


def test_fusion_and_combination(civic, kb):
    res = match(
        make_alterations(("D1", "ALK::EML4", "fusion", "fusion", 2, 3)), "NSCLC", kb=kb, civic=civic
    )
    cv = res.matches[res.matches["level_system"] == "CIViC"]
    assert {"crizotinib", "alectinib"} <= set(cv["therapy"])
    braf = match(
        make_alterations(("D1", "BRAF", "p.V600E", "mutation", 2, 3)), "SKCM", kb=kb, civic=civic
    ).matches
    # The file lists the pair in both orders; merged as one regimen. Best in-indication
    # item: "Skin Melanoma", V600, level A (EID1411, Robert et al. 2015); the NSCLC item
    # (Planchard 2016) is not cited for melanoma.
    combo = braf[(braf["level_system"] == "CIViC") & (braf["therapy"] == "dabrafenib + trametinib")]
    assert combo["level"].tolist() == ["A"]
    assert combo["tumour_type_match"].tolist() == ["in_indication"]
    assert "EID1411" in combo["sources"].iloc[0] and "Planchard" not in combo["sources"].iloc[0]


def test_bad_civic_file(tmp_path):
    bad = tmp_path / "civic.tsv"
    bad.write_text("gene\tvariant\nBRAF\tV600E\n")
    with pytest.raises(CivicFormatError, match="missing column"):
        read_civic(bad)
