"""Table-driven matching behaviour: granularity, tumour-type transfer, negative knowledge.

Each case: gene, alteration, kind, patient tumour (OncoTree), expected therapies (all must
be matched), level shown (no patient context given, so label contexts are "not
confirmed" but not contradicted), direction and granularity. The label facts themselves
(drug, level) are checked from the labels in ``test_label_facts.py``.
"""

from __future__ import annotations

import pytest

from ctcgenomics.actionability import match

from .conftest import make_alterations

M, CN, EX, FU, EN = "mutation", "copy_number", "expression", "fusion", "enumeration"

CASES = [
    # --- breast
    (
        "ERBB2",
        "AMPLIFICATION",
        CN,
        "BRCA",
        ["trastuzumab + pertuzumab + docetaxel", "trastuzumab deruxtecan", "trastuzumab emtansine"],
        "1",
        "sensitivity",
        "gene",
    ),
    (
        "ERBB2",
        "AMPLIFICATION",
        CN,
        "IDC",
        ["tucatinib + trastuzumab + capecitabine"],
        "1",
        "sensitivity",
        "gene",
    ),
    # CTC RNA expression is a surrogate of the tissue biomarker: at most 3B.
    (
        "ERBB2",
        "EXPRESSION_LOW",
        EX,
        "BRCA",
        ["trastuzumab deruxtecan"],
        "3B",
        "sensitivity",
        "phenotype",
    ),
    (
        "ERBB2",
        "EXPRESSION_HIGH",
        EX,
        "BRCA",
        ["trastuzumab deruxtecan"],
        "3B",
        "sensitivity",
        "phenotype",
    ),
    ("ERBB2", "p.L755S", M, "BRCA", ["neratinib"], "3A", "sensitivity", "gene"),
    ("PIK3CA", "p.H1047R", M, "BRCA", ["alpelisib + fulvestrant"], "1", "sensitivity", "allele"),
    (
        "PIK3CA",
        "p.H1047R",
        M,
        "BRCA",
        ["inavolisib + palbociclib + fulvestrant"],
        "1",
        "sensitivity",
        "gene",
    ),
    ("NRAS", "p.G12D", M, "COADREAD", ["cetuximab"], "R1", "resistance", "codon"),
    ("PIK3CA", "p.E545K", M, "ILC", ["alpelisib + fulvestrant"], "1", "sensitivity", "allele"),
    ("PIK3CA", "p.H1047R", M, "BRCA", ["capivasertib + fulvestrant"], "1", "sensitivity", "gene"),
    ("AKT1", "p.E17K", M, "BRCA", ["capivasertib + fulvestrant"], "1", "sensitivity", "gene"),
    ("PTEN", "p.R233*", M, "BRCA", ["capivasertib + fulvestrant"], "1", "sensitivity", "gene"),
    ("PTEN", "DELETION", CN, "BRCA", ["capivasertib + fulvestrant"], "1", "sensitivity", "gene"),
    ("ESR1", "p.D538G", M, "BRCA", ["elacestrant"], "1", "sensitivity", "gene"),
    (
        "ESR1",
        "p.Y537S",
        M,
        "BRCA",
        ["letrozole", "anastrozole", "exemestane"],
        "R2",
        "resistance",
        "gene",
    ),
    (
        "BRCA1",
        "p.E1836fs",
        M,
        "BRCA",
        ["olaparib", "talazoparib"],
        "1",
        "sensitivity",
        "gene",
    ),  # germline, see evidence
    (
        "BRCA2",
        "p.K1000fs",
        M,
        "BRCA",
        ["olaparib"],
        "3A",
        "sensitivity",
        "gene",
    ),  # origin unknown -> somatic entry
    ("PALB2", "p.Q775*", M, "BRCA", ["olaparib"], "2", "sensitivity", "gene"),  # germline
    ("CTC", "CTC_COUNT=5", EN, "BRCA", [""], "Px1", "unfavourable_prognosis", "threshold"),
    # --- tumour-agnostic
    (
        "ETV6::NTRK3",
        "fusion",
        FU,
        "BRCA",
        ["larotrectinib", "entrectinib"],
        "1",
        "sensitivity",
        "gene",
    ),
    ("NTRK1::TPM3", "fusion", FU, "COADREAD", ["larotrectinib"], "1", "sensitivity", "gene"),
    ("MSI", "MSI-H", M, "BRCA", ["pembrolizumab", "dostarlimab"], "1", "sensitivity", "phenotype"),
    ("TMB", "TMB=12.5", M, "PRAD", ["pembrolizumab"], "1", "sensitivity", "threshold"),
    ("BRAF", "p.V600E", M, "BRCA", ["dabrafenib + trametinib"], "1", "sensitivity", "allele"),
    # --- prostate
    (
        "AR",
        "AR-V7_POSITIVE",
        EX,
        "PRAD",
        ["enzalutamide", "abiraterone"],
        "R2",
        "resistance",
        "phenotype",
    ),
    # Taxane evidence is nuclear AR-V7 protein in CTCs: an RNA call is a surrogate, 3B.
    (
        "AR",
        "AR-V7_POSITIVE",
        EX,
        "PRAD",
        ["docetaxel", "cabazitaxel"],
        "3B",
        "sensitivity",
        "phenotype",
    ),
    (
        "BRCA2",
        "p.K1000fs",
        M,
        "PRAD",
        ["olaparib", "rucaparib", "talazoparib + enzalutamide"],
        "1",
        "sensitivity",
        "gene",
    ),
    ("BRCA1", "DELETION", CN, "PRAD", ["olaparib"], "1", "sensitivity", "gene"),
    ("ATM", "p.R35*", M, "PRAD", ["olaparib"], "1", "sensitivity", "gene"),
    ("CTC", "CTC_COUNT=5", EN, "PRAD", [""], "Px1", "unfavourable_prognosis", "threshold"),
    # --- NSCLC
    (
        "EGFR",
        "p.L858R",
        M,
        "LUAD",
        ["osimertinib", "erlotinib", "gefitinib", "afatinib"],
        "1",
        "sensitivity",
        "allele",
    ),
    ("EGFR", "p.E746_A750del", M, "NSCLC", ["osimertinib"], "1", "sensitivity", "exon"),
    ("EGFR", "p.L747_P753delinsS", M, "LUAD", ["osimertinib"], "1", "sensitivity", "exon"),
    ("EGFR", "p.G719A", M, "NSCLC", ["afatinib"], "1", "sensitivity", "codon"),
    ("EGFR", "p.T790M", M, "LUAD", ["osimertinib"], "1", "sensitivity", "allele"),
    (
        "EGFR",
        "p.T790M",
        M,
        "LUAD",
        ["erlotinib", "gefitinib", "afatinib"],
        "R1",
        "resistance",
        "allele",
    ),
    ("EGFR", "p.C797S", M, "NSCLC", ["osimertinib"], "R2", "resistance", "allele"),
    ("EGFR", "p.A767_V769dup", M, "NSCLC", ["amivantamab"], "1", "sensitivity", "exon"),
    (
        "EGFR",
        "p.D770_N771insSVD",
        M,
        "LUAD",
        ["amivantamab + carboplatin + pemetrexed"],
        "1",
        "sensitivity",
        "exon",
    ),
    (
        "EML4::ALK",
        "fusion",
        FU,
        "LUAD",
        ["alectinib", "lorlatinib", "crizotinib"],
        "1",
        "sensitivity",
        "gene",
    ),
    ("ALK::EML4", "fusion", FU, "LUAD", ["alectinib"], "1", "sensitivity", "gene"),  # partner order
    (
        "CD74::ROS1",
        "fusion",
        FU,
        "NSCLC",
        ["crizotinib", "entrectinib"],
        "1",
        "sensitivity",
        "gene",
    ),
    (
        "KIF5B::RET",
        "fusion",
        FU,
        "NSCLC",
        ["selpercatinib", "pralsetinib"],
        "1",
        "sensitivity",
        "gene",
    ),
    ("MET", "exon14_skipping", M, "NSCLC", ["capmatinib", "tepotinib"], "1", "sensitivity", "exon"),
    ("MET", "p.X1010_splice", M, "LUAD", ["capmatinib"], "1", "sensitivity", "exon"),
    ("KRAS", "p.G12C", M, "LUAD", ["sotorasib", "adagrasib"], "1", "sensitivity", "allele"),
    (
        "BRAF",
        "p.V600E",
        M,
        "NSCLC",
        ["dabrafenib + trastuzumab".replace("trastuzumab", "trametinib")],
        "1",
        "sensitivity",
        "allele",
    ),
    ("ERBB2", "p.Y772_A775dup", M, "NSCLC", ["trastuzumab deruxtecan"], "1", "sensitivity", "exon"),
    # --- colorectal
    ("KRAS", "p.G12D", M, "COADREAD", ["cetuximab", "panitumumab"], "R1", "resistance", "codon"),
    ("NRAS", "p.Q61K", M, "COAD", ["cetuximab", "panitumumab"], "R1", "resistance", "codon"),
    ("KRAS", "p.A146T", M, "READ", ["panitumumab"], "R1", "resistance", "codon"),
    ("BRAF", "p.V600E", M, "COADREAD", ["encorafenib + cetuximab"], "1", "sensitivity", "allele"),
    (
        "ERBB2",
        "AMPLIFICATION",
        CN,
        "COADREAD",
        ["tucatinib + trastuzumab"],
        "1",
        "sensitivity",
        "gene",
    ),
    (
        "ERBB2",
        "AMPLIFICATION",
        CN,
        "COADREAD",
        ["trastuzumab + lapatinib"],
        "2",
        "sensitivity",
        "gene",
    ),
    (
        "KRAS",
        "p.G12C",
        M,
        "COADREAD",
        ["sotorasib + panitumumab", "adagrasib + cetuximab"],
        "1",
        "sensitivity",
        "allele",
    ),
    ("CTC", "CTC_COUNT=3", EN, "COADREAD", [""], "Px1", "unfavourable_prognosis", "threshold"),
    # --- melanoma
    (
        "BRAF",
        "p.V600E",
        M,
        "SKCM",
        ["dabrafenib + trametinib", "encorafenib + binimetinib"],
        "1",
        "sensitivity",
        "allele",
    ),
    ("BRAF", "p.V600K", M, "MEL", ["vemurafenib + cobimetinib"], "1", "sensitivity", "allele"),
    ("BRAF", "p.V600R", M, "MEL", ["dabrafenib + trametinib"], "3A", "sensitivity", "codon"),
    # --- other indication -> 3B (never 1)
    (
        "ERBB2",
        "AMPLIFICATION",
        CN,
        "PAAD",
        ["trastuzumab + pertuzumab + docetaxel"],
        "3B",
        "sensitivity",
        "gene",
    ),
    ("PIK3CA", "p.H1047R", M, "LUAD", ["alpelisib + fulvestrant"], "3B", "sensitivity", "allele"),
    ("EGFR", "p.L858R", M, "BRCA", ["osimertinib"], "3B", "sensitivity", "allele"),
    ("EGFR", "p.T790M", M, "BRCA", ["erlotinib"], "R2", "resistance", "allele"),
    # --- negative knowledge
    ("TP53", "p.R175H", M, "BRCA", [""], "NA", "no_targeted_therapy", "gene"),
    ("TP53", "p.R273H", M, "LUAD", [""], "NA", "no_targeted_therapy", "gene"),
    ("KRAS", "p.G12D", M, "LUAD", [""], "NA", "no_targeted_therapy", "gene"),
]

GERMLINE = {"BRCA1", "PALB2"}


@pytest.mark.parametrize(
    ("gene", "alteration", "kind", "tumour", "therapies", "level", "direction", "granularity"),
    CASES,
    ids=[f"{c[0]}:{c[1]}@{c[3]}:{c[5]}" for c in CASES],
)
def test_case(kb, gene, alteration, kind, tumour, therapies, level, direction, granularity):
    evidence = "origin=germline" if gene in GERMLINE else ""
    table = make_alterations(("D1", gene, alteration, kind, 3, 5, evidence))
    result = match(table, tumour, kb=kb)
    got = result.matches
    for therapy in therapies:
        rows = got[(got["therapy"] == therapy) & (got["direction"] == direction)]
        assert not rows.empty, (
            f"{therapy!r} ({direction}) not matched; "
            f"got {got[['therapy', 'level', 'direction']].values.tolist()}"
        )
        assert rows["level"].tolist() == [level]
        assert rows["granularity"].tolist() == [granularity]
    assert result.kb["version"] and result.kb["date"]


def test_at_least_forty_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize(
    ("gene", "alteration", "kind", "tumour"),
    [
        ("TP53", "p.R175H", M, "BRCA"),
        ("TP53", "p.R248Q", M, "PRAD"),
        ("TP53", "DELETION", CN, "NSCLC"),
        ("KRAS", "p.G12D", M, "LUAD"),
        ("KRAS", "p.G12V", M, "COADREAD"),
    ],
)
def test_no_targeted_therapy_is_never_level_1_or_2(kb, gene, alteration, kind, tumour):
    result = match(make_alterations(("D1", gene, alteration, kind, 5, 5)), tumour, kb=kb)
    sensitive = result.matches[result.matches["direction"] == "sensitivity"]
    assert not sensitive["level"].isin(["1", "2", "3A"]).any()
    assert "no_targeted_therapy" in set(result.matches["direction"])


def test_other_indication_is_never_level_1(kb):
    # Every sensitivity match of a breast-only biomarker in a lung tumour is 3B at best.
    specs = [("D1", "ESR1", "p.D538G", M, 2, 4), ("D1", "ERBB2", "EXPRESSION_LOW", EX, 2, 4)]
    res = match(make_alterations(*specs), "LUAD", kb=kb).matches
    assert set(res["level"]) <= {"3B", "R2"}
    assert set(res["tumour_type_match"]) == {"other_indication"}


def test_agnostic_exclusion_braf_colorectal(kb):
    res = match(make_alterations(("D1", "BRAF", "p.V600E", M, 2, 4)), "COADREAD", kb=kb).matches
    dt = res[res["therapy"] == "dabrafenib + trametinib"]
    assert (dt["tumour_type_match"] != "tumour_agnostic").all()
    assert not (dt["level"] == "1").any()


def test_germline_only_entries_need_germline_origin(kb):
    som = match(
        make_alterations(("D1", "BRCA1", "p.E1836fs", M, 2, 4, "origin=somatic")), "BRCA", kb=kb
    )
    assert "talazoparib" not in set(som.matches["therapy"])
    assert som.matches.loc[som.matches["therapy"] == "olaparib", "level"].tolist() == ["3A"]
    pal = match(make_alterations(("D1", "PALB2", "p.Q775*", M, 2, 4)), "BRCA", kb=kb)
    # Only the prostate label remains, as another indication (3B).
    assert set(pal.matches["level"]) == {"3B"}
    assert set(pal.matches["tumour_type_match"]) == {"other_indication"}


def test_codon_pattern_needs_missense_at_that_codon(kb):
    # p.G12 (any G12 substitution) must not match a nonsense change or a neighbouring codon.
    for alt in ("p.G12D", "p.G12V", "p.G12S"):
        res = match(make_alterations(("D1", "KRAS", alt, M, 1, 4)), "COADREAD", kb=kb).matches
        assert (res.loc[res["therapy"] == "cetuximab", "granularity"] == "codon").all()
    res = match(make_alterations(("D1", "KRAS", "p.E63K", M, 1, 4)), "COADREAD", kb=kb).matches
    assert "cetuximab" not in set(res["therapy"])


def test_exon_patterns_respect_boundaries(kb):
    # EGFR exon 19 deletion vs an exon 20 deletion and an exon 19 insertion.
    def therapies(alt):
        return set(
            match(make_alterations(("D1", "EGFR", alt, M, 1, 4)), "NSCLC", kb=kb).matches["therapy"]
        )

    assert "erlotinib" in therapies("p.E746_A750del")
    assert "erlotinib" not in therapies("p.M766_A767del")  # exon 20 (codons 762-823)
    assert "erlotinib" not in therapies("p.I744_K745insKIPVAI")  # insertion in exon 19
    assert "amivantamab" in therapies("p.H773_V774insH")
    assert "amivantamab" not in therapies("p.E746_A750del")


def test_oncogenic_rule(kb):
    from ctcgenomics.actionability._hgvs import parse_hgvsp
    from ctcgenomics.actionability._patterns import is_oncogenic

    assert is_oncogenic("ESR1", parse_hgvsp("p.D538G"))  # cancerhotspots.org allele
    assert not is_oncogenic("ESR1", parse_hgvsp("p.A2V"))  # not a hotspot
    assert is_oncogenic("PTEN", parse_hgvsp("p.R233*"))  # truncating in a tumour suppressor
    assert not is_oncogenic("ERBB2", parse_hgvsp("p.Q100*"))  # truncating in an oncogene


def test_amplification_not_matched_by_gain(kb):
    res = match(make_alterations(("D1", "ERBB2", "GAIN", CN, 4, 4)), "BRCA", kb=kb)
    assert res.matches.empty
    assert res.unmatched["reason_code"].tolist() == ["gain_not_amplification"]
    assert "AMPLIFICATION" in res.unmatched["reason"].iloc[0]


def test_ctc_count_below_cutoff(kb):
    assert match(
        make_alterations(("D1", "CTC", "CTC_COUNT=4", EN, 0, 0)), "BRCA", kb=kb
    ).matches.empty
    assert not match(
        make_alterations(("D1", "CTC", "CTC_COUNT=4", EN, 0, 0)), "COADREAD", kb=kb
    ).matches.empty


def test_level4_can_be_excluded(tmp_path):
    import yaml

    from ctcgenomics.actionability import load_kb
    from ctcgenomics.actionability._data import KB_PATH
    from ctcgenomics.actionability._kb import load_yaml

    data = load_yaml(KB_PATH.read_text(encoding="utf-8"))
    entry = next(e for e in data["entries"] if e["id"] == "brca_erbb2_mutation_neratinib")
    entry["level"] = "4"
    path = tmp_path / "kb.yaml"
    path.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    kb4 = load_kb(path)
    t = make_alterations(("D1", "ERBB2", "p.L755S", M, 3, 5))
    assert "4" in set(match(t, "BRCA", kb=kb4).matches["level"])
    assert "4" not in set(match(t, "BRCA", kb=kb4, include_level4=False).matches["level"])
