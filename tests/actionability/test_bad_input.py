"""Bad input gets a clear error naming the row and the fix (issues 13 and 16)."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml

from ctcgenomics.actionability import (
    UnknownTumourTypeError,
    load_kb,
    match,
    oncotree,
    patient_context,
)
from ctcgenomics.actionability._data import KB_PATH
from ctcgenomics.actionability._hgvs import MalformedHGVSpError, parse_hgvsp
from ctcgenomics.actionability._kb import KnowledgeBaseError, load_yaml, validate_kb
from ctcgenomics.io import AlterationTableError
from ctcgenomics.io.sheets import SheetError, read_patient_sheet

from .conftest import make_alterations, raw_table, sheet_rows


@pytest.mark.parametrize(
    ("text", "consequence", "start", "end"),
    [
        ("p.H1047R", "missense", 1047, 1047),
        ("p.His1047Arg", "missense", 1047, 1047),
        ("p.R175*", "nonsense", 175, 175),
        ("p.K111Rfs*12", "frameshift", 111, 111),
        ("p.E746_A750del", "inframe_deletion", 746, 750),
        ("p.A767_V769dup", "inframe_insertion", 767, 769),
        ("p.D770_N771insSVD", "inframe_insertion", 770, 771),
        ("p.L747_P753delinsS", "delins", 747, 753),
        ("p.X1010_splice", "splice", 1010, 1010),
        ("p.(G12C)", "missense", 12, 12),
        ("p.R175ins", "inframe_insertion", 175, 175),  # as the SNV step writes indels
        ("p.M1?", "start_lost", 1, 1),
    ],
)
def test_hgvsp_parsing(text, consequence, start, end):
    change = parse_hgvsp(text)
    assert (change.consequence, change.start, change.end) == (consequence, start, end)


@pytest.mark.parametrize(
    "bad", ["H1047R", "p.H1047", "p.1047R", "c.3140A>G", "p.H1047R;p.E545K", "p.Hx1047R"]
)
def test_hgvs_typo_names_line_and_fix(kb, bad):
    table = raw_table(
        ("D1", "PIK3CA", "p.E545K", "mutation", 1, 2), ("D1", "PIK3CA", bad, "mutation", 1, 2)
    )
    with pytest.raises(MalformedHGVSpError, match=r"alt\.tsv, line 3: .*(HGVSp|protein change)"):
        match(table, "BRCA", kb=kb, where="alt.tsv")
    # The same typo is refused where rows are written, before any file exists.
    with pytest.raises(AlterationTableError):
        make_alterations(("D1", "PIK3CA", bad, "mutation", 1, 2))


# ------------------------------------------------------------- issue 13: API input checks
@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            ("D1", "ERBB2", "AMPLIFICATION", "cnv", 3, 4),
            r"line 2: kind 'cnv' is not one of .*copy_number",
        ),
        (
            ("D1", "ERBB2", "amplification", "copy_number", 3, 4),
            r"line 2: .*'amplification'.*upper case \('AMPLIFICATION'\)",
        ),
        (
            ("D1", "ERBB2", "AMPLIFICATION", "copy_number", 3, 4, 1.25),
            r"line 2: prevalence 1.25 is outside \[0, 1\]",
        ),
        (
            ("D1", "ERBB2", "EXPRESSION_MEDIUM", "expression", 3, 4),
            r"line 2: expression alteration 'EXPRESSION_MEDIUM'",
        ),
        (
            ("D1", "CTC", "14", "enumeration", 0, 0),
            r"line 2: enumeration rows are gene 'CTC' with CTC_COUNT=",
        ),
        (
            ("D1", "ERBB2", "AMPLIFICATION", "copy_number", 5, 4),
            r"line 2: need 0 <= n_cells_altered \(5\)",
        ),
    ],
)
def test_match_rejects_bad_rows(kb, spec, message):
    with pytest.raises(AlterationTableError, match=message):
        match(raw_table(spec), "BRCA", kb=kb)


def test_match_names_a_missing_column(kb):
    table = raw_table(("D1", "ERBB2", "AMPLIFICATION", "copy_number", 3, 4)).drop(columns="kind")
    with pytest.raises(
        AlterationTableError, match=r"missing column\(s\) \['kind'\].*alteration_row"
    ):
        match(table, "BRCA", kb=kb)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"tumour_type": None}, ValueError, "tumour_type must be an OncoTree code"),
        ({"clonal_threshold": 1.5}, ValueError, r"clonal_threshold must be in \(0, 1\]"),
        ({"include_level4": "yes"}, TypeError, "include_level4 must be True or False"),
        ({"kb": "kb.yaml"}, TypeError, "kb must be a KnowledgeBase"),
        ({"context": {"er": "positive"}}, TypeError, "context must be a PatientContext"),
    ],
)
def test_match_checks_its_arguments(kwargs, error, message):
    args = {"tumour_type": "BRCA", **kwargs}
    table = make_alterations(("D1", "ERBB2", "AMPLIFICATION", "copy_number", 3, 4))
    with pytest.raises(error, match=message):
        match(table, **args)


def test_match_needs_a_dataframe(kb):
    with pytest.raises(AlterationTableError, match="expected a pandas DataFrame"):
        match([{"gene": "ERBB2"}], "BRCA", kb=kb)


def test_unknown_gene_gives_empty_table_with_a_warning(kb):
    table = make_alterations(("D1", "PIK3C", "p.H1047R", "mutation", 1, 4))
    with pytest.warns(UserWarning, match=r"unknown gene symbol 'PIK3C'.*PIK3CA"):
        res = match(table, "BRCA", kb=kb)
    assert res.matches.empty
    assert res.unmatched["reason_code"].tolist() == ["unknown_gene"]
    assert any("unknown gene symbol 'PIK3C'" in w for w in res.warnings)


def test_alias_resolved_with_a_note(kb):
    res = match(
        make_alterations(("D1", "HER2", "AMPLIFICATION", "copy_number", 3, 4)), "BRCA", kb=kb
    )
    assert "trastuzumab emtansine" in set(res.matches["therapy"])
    assert set(res.matches["gene"]) == {"ERBB2"}
    assert any("'HER2' resolved to 'ERBB2'" in w for w in res.warnings)


def test_real_gene_outside_kb_is_not_unknown(kb):
    res = match(make_alterations(("D1", "GATA3", "p.D336fs", "mutation", 1, 4)), "BRCA", kb=kb)
    assert res.warnings == []
    assert res.unmatched["reason_code"].tolist() == ["no_match"]


def test_mixed_genome_builds_are_refused(kb):
    table = make_alterations(
        ("D1", "ERBB2", "AMPLIFICATION", "copy_number", 3, 4, "CNVkit log2 0.9 (GRCh37)"),
        ("D1", "TP53", "p.R175H", "mutation", 3, 4, "chr17:7675088 C>T; reference hg38"),
        ("D1", "PIK3CA", "p.H1047R", "mutation", 3, 4, "build=hg19"),
    )
    with pytest.raises(
        AlterationTableError,
        match=r"genome builds: GRCh37 \(first on line 2\), GRCh38 \(first on line 3\)",
    ):
        match(table, "BRCA", kb=kb)
    # One build throughout is fine.
    assert not match(table.iloc[[0, 2]], "BRCA", kb=kb).matches.empty


# ------------------------------------------------------------------------ tumour types
def test_full_oncotree_release():
    tree = oncotree()
    assert len(tree.names) >= 800
    assert tree.resolve("idc") == "IDC" and tree.covers("BRCA", "IDC")
    assert tree.covers("NSCLC", "LUAD") and tree.covers("COADREAD", "READ")
    assert not tree.covers("LUAD", "NSCLC")  # a parent is not covered by a child indication
    assert not tree.covers("BRCA", "PRAD")
    assert tree.resolve("invasive breast carcinoma") == "BRCA"
    assert tree.resolve("MM") == "PCM"  # a code the release renamed resolves to its successor
    assert tree.covers("MEL", "ACRM") and tree.covers("BREAST", "MBC")


def test_unknown_oncotree_code_lists_near_matches(kb):
    with pytest.raises(UnknownTumourTypeError, match=r"'BRCAA'.*near matches: .*BRCA"):
        match(
            make_alterations(("D1", "ERBB2", "AMPLIFICATION", "copy_number", 1, 1)), "BRCAA", kb=kb
        )


def test_unknown_tumour_type_error_names_the_patient_sheet(tmp_path, caplog):
    from ctcgenomics.cli import main

    sheet = tmp_path / "patients.tsv"
    sheet.write_text(
        "patient\ttumour_type\tdraw\tdraw_date\nP1\tBRCX\tD1\t2026-01-01\n", encoding="utf-8"
    )
    alts = tmp_path / "alterations.tsv"
    make_alterations(("D1", "ERBB2", "AMPLIFICATION", "copy_number", 1, 1)).to_csv(
        alts, sep="\t", index=False
    )
    with pytest.raises(SystemExit) as ex:
        main(
            [
                "match",
                "--alterations",
                str(alts),
                "--patients",
                str(sheet),
                "--patient",
                "P1",
                "--json",
                str(tmp_path / "a.json"),
                "--tsv",
                str(tmp_path / "a.tsv"),
            ]
        )
    assert ex.value.code == 1
    assert not (tmp_path / "a.json").exists()
    assert f"'BRCX' ({sheet}, patient P1, column tumour_type)" in caplog.text
    assert "alterations.tsv" not in caplog.text


def test_unknown_tumour_type_message_names_sheet_and_patient():
    from ctcgenomics.actionability import therapy_table

    rows = sheet_rows("BRCX")
    alts = make_alterations(("D1", "ERBB2", "AMPLIFICATION", "copy_number", 1, 1))
    with pytest.raises(
        UnknownTumourTypeError, match=r"'BRCX' \(p\.tsv, patient P1, column tumour_type\)"
    ):
        therapy_table("P1", alts, rows, sheet="p.tsv")


@pytest.mark.parametrize("missing", [None, float("nan"), "", "  "])
def test_missing_tumour_type_names_sheet_and_patient(missing):
    # Was read as the code 'None' / 'nan', with unrelated near matches (HNNE, BONE...).
    from ctcgenomics.actionability import therapy_table

    rows = sheet_rows("BRCA").assign(tumour_type=[missing])
    alts = make_alterations(("D1", "ERBB2", "AMPLIFICATION", "copy_number", 1, 1))
    with pytest.raises(
        ValueError, match=r"p\.tsv, patient P1, column tumour_type: no tumour type; give the"
    ):
        therapy_table("P1", alts, rows, sheet="p.tsv")


def test_draw_missing_from_the_patient_sheet_is_an_error():
    # Was a warning only: the draw's matches were in the TSV but in no draw of the JSON.
    from ctcgenomics.actionability import therapy_table

    alts = make_alterations(
        ("D1", "ERBB2", "AMPLIFICATION", "copy_number", 4, 4),
        ("DX", "ERBB2", "AMPLIFICATION", "copy_number", 4, 4),
    )
    with pytest.raises(
        AlterationTableError,
        match=r"a\.tsv: draw\(s\) DX \(line 3\) of patient P1 are not in p\.tsv, which lists "
        r"\['D1'\] .*add each draw to the patient sheet",
    ):
        therapy_table("P1", alts, sheet_rows("BRCA"), where="a.tsv", sheet="p.tsv")


def test_cli_match_names_the_file_and_the_draw_missing_from_the_sheet(tmp_path, caplog):
    from ctcgenomics.cli import main

    alt_path, sheet_path = tmp_path / "alterations.tsv", tmp_path / "patients.tsv"
    make_alterations(("D2", "ERBB2", "AMPLIFICATION", "copy_number", 4, 4)).to_csv(
        alt_path, sep="\t", index=False
    )
    sheet_rows("BRCA").to_csv(sheet_path, sep="\t", index=False)
    with pytest.raises(SystemExit) as ex:
        main(["match", "--alterations", str(alt_path), "--patients", str(sheet_path),
              "--patient", "P1", "--json", str(tmp_path / "a.json"),
              "--tsv", str(tmp_path / "a.tsv")])  # fmt: skip
    assert ex.value.code == 1
    assert "alterations.tsv: draw(s) D2 (line 2) of patient P1 are not in" in caplog.text
    assert not (tmp_path / "a.tsv").exists()


# ---------------------------------------------------------------------- patient sheet
def test_contradictory_receptor_status_names_the_rows(tmp_path):
    sheet = tmp_path / "patients.tsv"
    sheet.write_text(
        "patient\ttumour_type\tprimary_her2\tdraw\tdraw_date\n"
        "P1\tBRCA\tnegative\tD1\t2026-01-01\n"
        "P1\tBRCA\tpositive\tD2\t2026-03-01\n",
        encoding="utf-8",
    )
    with pytest.raises(
        SheetError,
        match=r"primary_her2 differs .*line 2 \(primary_her2 'negative'\), "
        r"line 3 \(primary_her2 'positive'\)",
    ):
        read_patient_sheet(sheet)


def test_unusual_receptor_combination_is_a_warning(kb):
    ctx = patient_context(sheet_rows(primary_er="negative", primary_pr="positive"))
    res = match(
        make_alterations(("D1", "ESR1", "p.D538G", "mutation", 3, 4)), "BRCA", kb=kb, context=ctx
    )
    assert any("ER-negative but PR-positive" in w for w in res.warnings)


def test_patient_sheet_context_columns_are_validated(tmp_path):
    sheet = tmp_path / "patients.tsv"
    sheet.write_text(
        "patient\ttumour_type\tdraw\tdraw_date\tprior_lines\tcastration_status\n"
        "P1\tPRAD\tD1\t2026-01-01\t-1\tresistant\n",
        encoding="utf-8",
    )
    with pytest.raises(SheetError, match="line 2, column prior_lines"):
        read_patient_sheet(sheet)
    sheet.write_text(
        "patient\ttumour_type\tdraw\tdraw_date\tcastration_status\n"
        "P1\tPRAD\tD1\t2026-01-01\trefractory\n",
        encoding="utf-8",
    )
    with pytest.raises(SheetError, match="line 2, column castration_status"):
        read_patient_sheet(sheet)


# ---------------------------------------------------------------------- knowledge base
def _packaged():
    return load_yaml(KB_PATH.read_text(encoding="utf-8"))


def _entry(data, entry_id):
    return next(e for e in data["entries"] if e["id"] == entry_id)


def test_packaged_kb_is_valid_and_versioned():
    assert validate_kb(_packaged()) == []
    kb = load_kb()
    assert kb.version.count(".") == 2 and len(kb.date) == 10 and kb.knowledge_cutoff
    classes = {e.entry_class for e in kb.entries}
    assert classes == {"therapeutic", "prognostic", "negative"}
    assert len(kb.entries) >= 80


@pytest.mark.parametrize(
    ("mutate", "expect"),
    [
        (
            lambda d: _entry(d, "brca_erbb2_mutation_neratinib").update(level="5"),
            r"\(id 'brca_erbb2_mutation_neratinib'\), field 'level'.*not allowed",
        ),
        (
            lambda d: _entry(d, "brca_pik3ca_alpelisib")["biomarker"].update(
                alterations=["H1047R"]
            ),
            r"\(id 'brca_pik3ca_alpelisib'\), field 'biomarker.alterations.0'",
        ),
        (
            lambda d: _entry(d, "brca_esr1_elacestrant").pop("sources"),
            r"\(id 'brca_esr1_elacestrant'\).*'sources' is a required",
        ),
        (
            lambda d: _entry(d, "prad_arv7_taxane").update(tumour_types=["PRADD"]),
            r"\(id 'prad_arv7_taxane'\): field 'tumour_types'.*unknown OncoTree code 'PRADD'",
        ),
        (lambda d: d["entries"][5].update(id=d["entries"][4]["id"]), r"entry 5 .*duplicate id"),
        (
            lambda d: _entry(d, "nsclc_alk_fusion")["biomarker"].update(genes=["ALKK"]),
            r"\(id 'nsclc_alk_fusion'\).*'biomarker.genes'.*ALKK",
        ),
        (lambda d: d.update(version="new"), r"field 'version'"),
        # A context field the matcher does not know is an error, not silently ignored.
        (
            lambda d: _entry(d, "brca_esr1_elacestrant")["context"].update(menopause="post"),
            r"\(id 'brca_esr1_elacestrant'\), field 'context'.*'menopause'"
            r".*allowed fields: \[.*'her2'",
        ),
        (
            lambda d: _entry(d, "prad_brca12_olaparib")["context"].update(
                prior_therapy=["hormones"]
            ),
            r"\(id 'prad_brca12_olaparib'\): field 'context.prior_therapy': "
            r"unknown therapy class 'hormones'",
        ),
        (
            lambda d: _entry(d, "nsclc_kras_g12c").update(
                sources=[{"type": "trial", "citation": "CodeBreaK 100"}]
            ),
            r"\(id 'nsclc_kras_g12c'\).*level-1 entry needs a source of type 'label'",
        ),
        # A blank citation or summary passed minLength: the therapy had no source text.
        (
            lambda d: _entry(d, "brca_esr1_elacestrant")["sources"][0].update(citation="    "),
            r"\(id 'brca_esr1_elacestrant'\), field 'sources.0.citation': is blank",
        ),
        (
            lambda d: _entry(d, "brca_esr1_elacestrant").update(summary=" " * 12),
            r"\(id 'brca_esr1_elacestrant'\), field 'summary': is blank",
        ),
        (
            lambda d: _entry(d, "nsclc_kras_g12c")["sources"][0].pop("date"),
            r"\(id 'nsclc_kras_g12c'\), field 'sources.0'.*'date' is a required",
        ),
        # The assay of CTC evidence only means something for CTC evidence, and is named.
        (
            lambda d: _entry(d, "prad_arv7_taxane")["biomarker"].pop("ctc_assay"),
            r"\(id 'prad_arv7_taxane'\), field 'biomarker'.*'ctc_assay'",
        ),
        (
            lambda d: _entry(d, "prad_arv7_taxane")["biomarker"]["ctc_evidence_assay"].update(
                analyte="isoform"
            ),
            r"\(id 'prad_arv7_taxane'\), field 'biomarker.ctc_evidence_assay.analyte'",
        ),
    ],
)
def test_invalid_kb_names_entry_and_field(tmp_path, mutate, expect):
    data = copy.deepcopy(_packaged())
    mutate(data)
    path = tmp_path / "kb.yaml"
    path.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=expect):
        load_kb(path)


def test_level1_entries_cite_a_dated_label(kb):
    for entry in kb.entries:
        if entry.level == "1":
            assert any(s.type == "label" and s.date for s in entry.sources), entry.id
        assert entry.last_reviewed == "2026-11-30", entry.id


def test_escat_only_with_a_source(kb):
    for entry in kb.entries:
        if entry.escat:
            assert "ESCAT:" in entry.escat and (
                "Mosele" in entry.escat or "Condorelli" in entry.escat
            )


def test_unknown_context_keys_in_sheet_rows_do_not_matter():
    # Extra sheet columns are ignored by the context (the sheet schema validates them).
    ctx = patient_context(pd.concat([sheet_rows()], ignore_index=True).assign(notes="x"))
    assert ctx.er == "unknown"


def test_other_public_functions_check_their_inputs():
    from ctcgenomics.actionability import discordances, germline_findings, serial_changes
    from ctcgenomics.actionability._context import evaluate_context
    from ctcgenomics.actionability._patient import enumeration_rows
    from ctcgenomics.actionability._patterns import is_oncogenic

    with pytest.raises(ValueError, match=r"lack column\(s\) \['draw'\]"):
        enumeration_rows(pd.DataFrame({"patient": ["P1"]}))
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        serial_changes([], [], pd.DataFrame())
    with pytest.raises(ValueError, match="needs 'draw' and 'draw_date'"):
        serial_changes(make_alterations(), [{"draw": "D1"}], pd.DataFrame())
    with pytest.raises(ValueError, match=r"lack column\(s\) \['gene'"):
        discordances(pd.DataFrame({"x": [1]}), {})
    with pytest.raises(ValueError, match=r"unknown context field\(s\) \['menopause'\]"):
        evaluate_context({"menopause": "post"}, None, "D1")
    with pytest.raises(TypeError, match="ProteinChange"):
        is_oncogenic("ESR1", "p.D538G")
    with pytest.raises(ValueError, match="lack column 'gene'"):
        germline_findings(pd.DataFrame({"draw": ["D1"]}), pd.DataFrame())
