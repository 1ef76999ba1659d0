"""CIViC importer on real CIViC files of both layouts (tests/data).

* ``civic_predictive_2018-05-01.csv``: 2018 layout (gene, variant, drugs, ...);
* ``civic_evidence_2026-10-01_excerpt.tsv``: the first 71 accepted evidence items of the
  01-Oct-2026 release, current layout (molecular_profile, therapies, significance,
  citation_id, ...).
"""

from __future__ import annotations

import pandas as pd
import pytest

from ctcgenomics.actionability import match, read_civic
from ctcgenomics.actionability._civic import CivicFormatError

from .conftest import CIVIC_2026_PATH, CIVIC_PATH, make_alterations


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
    with pytest.raises(
        CivicFormatError, match=r"lacks \[.*'molecular_profile'.*earlier layout"
    ) as ex:
        read_civic(bad)
    assert "VariantSummaries" in str(ex.value)  # says which file to give instead


def test_current_layout_reads_and_skips_with_reasons():
    civic = read_civic(CIVIC_2026_PATH)
    raw = pd.read_csv(CIVIC_2026_PATH, sep="\t", dtype=str, keep_default_na=False)
    assert civic.layout == "current" and civic.n_rows == len(raw) == 71
    skipped = dict(civic.skipped)
    predictive = raw[(raw["evidence_type"] == "Predictive")]
    assert skipped["not predictive"] == len(raw) - len(predictive)
    assert skipped["does not support"] == int(
        (predictive["evidence_direction"] != "Supports").sum()
    )
    # EID32, EID33 and EID73 are combinations (ALK F1174L AND a fusion; BRAF V600E AND V600M).
    assert skipped["complex molecular profile"] == 3
    assert not {"EID32", "EID33", "EID73"} & {i.evidence_id for i in civic.items}
    assert {i.level for i in civic.items} <= set("ABCDE")


def test_current_layout_matches(kb):
    civic = read_civic(CIVIC_2026_PATH)
    # EID36: NRAS Q61 in colorectal cancer, cetuximab with chemotherapy, resistance, level B.
    res = match(make_alterations(("D1", "NRAS", "p.Q61K", "mutation", 2, 3)), "COADREAD",
                kb=kb, civic=civic).matches  # fmt: skip
    cv = res[res["level_system"] == "CIViC"]
    row = cv[cv["therapy"] == "cetuximab + chemotherapy"]
    assert row[["level", "direction", "tumour_type_match"]].to_numpy().tolist() == [
        ["B", "resistance", "in_indication"]
    ]
    assert "PMID 20619739" in row["sources"].iloc[0]
    # EID35: KRAS G12/G13 in NSCLC, erlotinib or gefitinib (Substitutes: two therapies), B.
    res = match(make_alterations(("D1", "KRAS", "p.G13D", "mutation", 2, 3)), "LUAD",
                kb=kb, civic=civic).matches  # fmt: skip
    cv = res[res["level_system"] == "CIViC"]
    assert set(cv["therapy"]) >= {"erlotinib", "gefitinib"}
    assert set(cv.loc[cv["therapy"] == "gefitinib", "granularity"]) == {"codon"}
    # EID46 / EID47: in-frame deletion and delins profiles of PDGFRA become allele patterns.
    res = match(make_alterations(("D1", "PDGFRA", "p.D842_I843delinsVM", "mutation", 2, 3)),
                "GIST", kb=kb, civic=civic).matches  # fmt: skip
    assert "crenolanib" in set(res["therapy"])


def test_items_without_evidence_id_or_source_are_skipped(tmp_path, kb):
    # An item with neither citation nor citation ID was matched with the source text
    # "CIViC EID9: " (and without evidence ID, "CIViC EID: "): a therapy without source.
    raw = pd.read_csv(CIVIC_2026_PATH, sep="\t", dtype=str, keep_default_na=False)
    item = {**raw.iloc[0].to_dict(), "molecular_profile": "PIK3CA H1047R",
            "disease": "Breast Cancer", "therapies": "Alpelisib", "evidence_type": "Predictive",
            "evidence_direction": "Supports", "evidence_level": "B",
            "significance": "Sensitivity/Response", "therapy_interaction_type": ""}  # fmt: skip
    rows = [
        {**item, "evidence_id": "9", "citation": "", "citation_id": ""},
        {**item, "evidence_id": "", "citation": "Doe et al., 2020", "citation_id": "12345678"},
        {**item, "evidence_id": "11", "citation": "", "citation_id": "12345678"},
    ]
    path = tmp_path / "civic.tsv"
    pd.DataFrame(rows, columns=raw.columns).to_csv(path, sep="\t", index=False)
    civic = read_civic(path)
    assert dict(civic.skipped) == {"no source": 1, "no evidence ID": 1}
    assert [i.evidence_id for i in civic.items] == ["EID11"]
    res = match(make_alterations(("D1", "PIK3CA", "p.H1047R", "mutation", 2, 3)), "BRCA",
                kb=kb, civic=civic).matches  # fmt: skip
    cv = res[res["level_system"] == "CIViC"]
    assert cv["sources"].tolist() == ["CIViC EID11: [PMID 12345678]"]
