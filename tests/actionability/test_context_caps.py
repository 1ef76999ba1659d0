"""Label context from the patient sheet, and the caps for surrogates and subclonal calls."""

from __future__ import annotations

import pytest

from ctcgenomics.actionability import clonality, match, patient_context
from ctcgenomics.actionability._context import evaluate_context, therapy_drugs
from ctcgenomics.actionability._match import CONFIRM_TISSUE
from ctcgenomics.io import prevalence_ci

from .conftest import context_of, make_alterations, sheet_rows

HR_POS = {"primary_er": "positive", "primary_pr": "positive", "primary_her2": "negative"}


def _one(res, therapy, direction="sensitivity"):
    rows = res.matches[
        (res.matches["therapy"] == therapy) & (res.matches["direction"] == direction)
    ]
    assert len(rows) == 1, res.matches[["therapy", "level", "entry_id"]].to_numpy().tolist()
    return rows.iloc[0]


def test_therapy_text_is_read_by_drug_and_class():
    assert therapy_drugs("letrozole + palbociclib") == {"letrozole", "palbociclib"}
    assert {"anastrozole", "letrozole", "exemestane"} <= therapy_drugs("aromatase inhibitor")
    assert {"palbociclib", "abemaciclib"} <= therapy_drugs("AI + CDK4/6 inhibitor")
    assert therapy_drugs("none") == set() and therapy_drugs(None) == set()


@pytest.mark.parametrize(
    ("sheet", "status"),
    [
        ({**HR_POS, "prior_therapies": "letrozole"}, "confirmed"),
        # Endocrine therapy recorded only as the current line at the draw still counts.
        ({**HR_POS, "draws": (("D1", "2026-01-10", "anastrozole + ribociclib"),)}, "confirmed"),
        ({**HR_POS}, "not_confirmed"),  # prior therapy not recorded
        ({**HR_POS, "prior_therapies": "paclitaxel"}, "contradicted"),  # complete list, no ET
        (
            {
                **HR_POS,
                "primary_er": "negative",
                "primary_pr": "negative",
                "prior_therapies": "letrozole",
            },
            "contradicted",
        ),
        ({**HR_POS, "primary_her2": "positive", "prior_therapies": "letrozole"}, "contradicted"),
        ({"primary_er": "positive", "prior_therapies": "letrozole"}, "not_confirmed"),  # HER2?
    ],
)
def test_elacestrant_context(kb, sheet, status):
    res = match(
        make_alterations(("D1", "ESR1", "p.D538G", "mutation", 5, 5)),
        "BRCA", kb=kb, context=context_of(**sheet),
    )  # fmt: skip
    row = _one(res, "elacestrant")
    assert row["context_status"] == status, row["context_note"]
    # A contradicted context is never shown at the label's level; unknown context is.
    assert row["level"] == ("3B" if status == "contradicted" else "1")
    assert row["label_level"] == "1"
    if status == "not_confirmed":
        assert "not recorded" in row["context_note"]


def test_her2_low_and_ultralow_contexts():
    db04 = {"her2": ["low"], "prior_therapy": ["chemotherapy"]}
    db06 = {"hr": "positive", "her2": ["low", "ultralow"], "prior_therapy": ["endocrine_therapy"]}
    low = context_of(primary_her2="low", primary_er="positive", prior_therapies="letrozole")
    ultralow = context_of(primary_her2="ultralow", primary_er="positive",
                          prior_therapies="letrozole, paclitaxel")  # fmt: skip
    zero = context_of(primary_her2="negative", primary_er="positive", prior_therapies="letrozole")
    assert evaluate_context(db06, low, "D1").status == "confirmed"
    assert evaluate_context(db04, low, "D1").status == "contradicted"  # no chemotherapy
    assert evaluate_context(db04, ultralow, "D1").status == "contradicted"  # DB04 needs low
    assert evaluate_context(db06, ultralow, "D1").status == "confirmed"
    # "negative" may be IHC 0, 1+ or 2+: HER2-low is not confirmed, and the note says why.
    res = evaluate_context(db06, zero, "D1")
    assert res.status == "not_confirmed" and "record the IHC score" in res.note


def test_no_prior_therapy_and_lines(kb):
    fusion = make_alterations(("D1", "EML4::ALK", "fusion", "fusion", 3, 3))
    naive = context_of("LUAD", prior_therapies="none", prior_lines=0)
    after = context_of("LUAD", prior_therapies="alectinib", prior_lines=1)
    assert _one(match(fusion, "LUAD", kb=kb, context=naive), "ensartinib")["level"] == "1"
    row = _one(match(fusion, "LUAD", kb=kb, context=after), "ensartinib")
    assert (
        row["context_status"] == "contradicted"
        and "alk inhibitor already given" in row["context_note"]
    )
    assert row["level"] == "3B"
    egfr = make_alterations(("D1", "EGFR", "p.L858R", "mutation", 3, 3))
    row = _one(
        match(egfr, "LUAD", kb=kb, context=after),
        "osimertinib + pemetrexed + platinum chemotherapy",
    )
    assert row["context_status"] == "contradicted" and row["level"] == "3B"  # not first line


def test_castration_status_and_arsi_history(kb):
    brca2 = make_alterations(("D1", "BRCA2", "p.K1000fs", "mutation", 4, 4))
    sensitive = context_of("PRAD", castration_status="sensitive", prior_therapies="enzalutamide")
    row = _one(match(brca2, "PRAD", kb=kb, context=sensitive), "olaparib")
    assert row["context_status"] == "contradicted" and row["level"] == "3B"
    # Enzalutamide at the first draw is prior ARSI exposure at the second.
    rows = sheet_rows(
        "PRAD", castration_status="resistant",
        draws=(("D1", "2026-01-01", "enzalutamide"), ("D2", "2026-05-01", "docetaxel")),
    )  # fmt: skip
    ctx = patient_context(rows)
    assert {"enzalutamide", "docetaxel"} <= ctx.history("D2").exposed
    two = make_alterations(("D2", "BRCA2", "p.K1000fs", "mutation", 4, 4))
    assert (
        _one(match(two, "PRAD", kb=kb, context=ctx), "olaparib")["context_status"] != "contradicted"
    )


def test_subclonal_rule_uses_the_wilson_bound():
    prev, low, high = prevalence_ci(1, 20)
    assert low == pytest.approx(0.0089, abs=1e-3) and high == pytest.approx(0.236, abs=1e-3)
    assert clonality(prev, high, 0.8) == "subclonal"
    assert clonality(*prevalence_ci(9, 12)[::2], 0.8) == "indeterminate"  # upper bound > 0.8
    assert clonality(*prevalence_ci(4, 5)[::2], 0.8) == "clonal"
    with pytest.raises(ValueError, match="clonal threshold"):
        clonality(0.5, 0.6, 1.5)


def test_amplification_in_one_of_twenty_ctcs_is_not_level_1(kb):
    """Issue 16: ERBB2 amplification in 1/20 CTCs gave six level-1 therapies."""
    ctx = context_of(
        primary_her2="positive", prior_therapies="trastuzumab, docetaxel", prior_lines=1
    )
    table = make_alterations(
        ("D1", "ERBB2", "AMPLIFICATION", "copy_number", 1, 20),
        ("D1", "PIK3CA", "p.H1047R", "mutation", 9, 10),
    )
    res = match(table, "BRCA", kb=kb, context=ctx).matches
    amp = res[res["alteration"] == "AMPLIFICATION"]
    breast = amp[amp["tumour_type_match"] == "in_indication"]
    assert len(breast) >= 6 and set(breast["label_level"]) == {"1"}
    assert set(amp["level"]) == {"3B"} and set(amp["clonality"]) == {"subclonal"}
    assert amp["caps"].str.contains("subclonal: in 1/20 CTCs").all()
    # Ranked after every clonal or indeterminate alteration's matches.
    assert (
        res.index[res["clonality"] == "subclonal"].min()
        > res.index[res["clonality"] != "subclonal"].max()
    )


def test_expression_is_a_surrogate_unless_the_evidence_is_ctc_based(kb):
    ctx = context_of("PRAD", castration_status="resistant")
    res = match(make_alterations(("D1", "AR", "AR-V7_POSITIVE", "expression", 4, 5)),
                "PRAD", kb=kb, context=ctx)  # fmt: skip
    # Antonarakis 2014 measured AR-V7 mRNA in CTCs: the RNA call is the biomarker itself.
    arsi = _one(res, "enzalutamide", "resistance")
    assert (arsi["level"], arsi["caps"], arsi["confirm"]) == ("R2", "", "")
    res = match(make_alterations(("D1", "MET", "EXPRESSION_HIGH", "expression", 4, 5)),
                "LUAD", kb=kb, context=context_of("LUAD", prior_lines=1))  # fmt: skip
    row = _one(res, "telisotuzumab vedotin")
    assert (row["label_level"], row["level"], row["confirm"]) == ("1", "3B", CONFIRM_TISSUE)
    assert "surrogate" in row["caps"]


def test_ctc_evidence_of_another_analyte_marks_a_surrogate_assay(kb):
    # The taxane evidence (Scher et al. 2016) is nuclear AR-V7 *protein* in CTCs; the RNA
    # step's AR-V7 call is RNA: a surrogate of that assay, shown at most 3B, with what to
    # confirm. It was shown at 3A without any mark.
    ctx = context_of("PRAD", castration_status="resistant")
    res = match(make_alterations(("D1", "AR", "AR-V7_POSITIVE", "expression", 4, 5)),
                "PRAD", kb=kb, context=ctx)  # fmt: skip
    for drug in ("docetaxel", "cabazitaxel"):
        row = _one(res, drug)
        assert (row["label_level"], row["level"]) == ("3A", "3B")
        assert (
            "surrogate assay: a CTC RNA call for evidence on nuclear AR-V7 protein" in row["caps"]
        )
        assert row["confirm"] == "confirm with nuclear AR-V7 protein in CTCs by immunofluorescence"


def test_germline_variant_outside_predisposition_genes_is_explained(kb):
    res = match(make_alterations(("D1", "EGFR", "p.T790M", "mutation", 4, 5, "", "germline")),
                "LUAD", kb=kb)  # fmt: skip
    assert res.matches.empty
    assert res.unmatched["reason_code"].tolist() == ["germline_not_reported"]


def test_germline_variant_missed_in_ctcs_still_matches(kb):
    # Inherited: in every cell; 0/4 CTCs only reflects allelic dropout.
    res = match(make_alterations(("D1", "BRCA2", "p.K1000fs", "mutation", 0, 4, "", "germline")),
                "BRCA", kb=kb, context=context_of(primary_her2="negative"))  # fmt: skip
    row = _one(res, "talazoparib")
    assert (row["clonality"], row["level"]) == ("germline", "1")


def test_rows_without_evaluable_cells_are_not_matched(kb):
    # The RNA arm found no CTC: phenotype rows 0/0 must not reach a label.
    table = make_alterations(
        ("D1", "ERBB2", "EXPRESSION_HIGH", "expression", 0, 0),
        ("D1", "CTC", "CTC_COUNT=14", "enumeration", 0, 0),
        ("D1", "MSI", "MSI-H", "mutation", 0, 0),
    )
    res = match(table, "BRCA", kb=kb)
    assert res.unmatched["reason_code"].tolist() == ["not_evaluable"]
    assert set(res.matches["gene"]) == {"CTC", "MSI"}
