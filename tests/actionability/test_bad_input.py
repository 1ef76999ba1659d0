from __future__ import annotations

import copy

import pytest
import yaml

from ctcgenomics.actionability import (
    KnowledgeBaseError,
    MalformedHGVSpError,
    UnknownTumourTypeError,
    load_kb,
    match,
    oncotree,
    parse_hgvsp,
    validate_kb,
)
from ctcgenomics.actionability._data import KB_PATH

from .conftest import make_alterations


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
    ],
)
def test_hgvsp_parsing(text, consequence, start, end):
    change = parse_hgvsp(text)
    assert (change.consequence, change.start, change.end) == (consequence, start, end)


@pytest.mark.parametrize(
    "bad", ["H1047R", "p.H1047", "p.1047R", "c.3140A>G", "p.H1047R;p.E545K", "p.Hx1047R"]
)
def test_malformed_hgvsp_names_line_and_fix(kb, bad):
    table = make_alterations(
        ("D1", "PIK3CA", "p.E545K", "mutation", 1, 2), ("D1", "PIK3CA", bad, "mutation", 1, 2)
    )
    with pytest.raises(MalformedHGVSpError, match=r"line 3.*expected HGVSp short form"):
        match(table, "BRCA", kb=kb, where="alt.tsv")


def test_unknown_gene_reported_and_alias_resolved(kb):
    table = make_alterations(
        ("D1", "HER2", "AMPLIFICATION", "copy_number", 3, 4),
        ("D1", "PIK3C", "p.H1047R", "mutation", 1, 4),
    )
    res = match(table, "BRCA", kb=kb)
    assert "trastuzumab emtansine" in set(res.matches["therapy"])
    assert set(res.matches["gene"]) == {"ERBB2"}
    assert any("'HER2' resolved to 'ERBB2'" in w for w in res.warnings)
    unknown = [w for w in res.warnings if "unknown gene symbol 'PIK3C'" in w]
    assert unknown and "PIK3CA" in unknown[0]  # near match offered
    assert res.unmatched["reason"].tolist() == ["unknown gene symbol"]


def test_real_gene_outside_kb_is_not_unknown(kb):
    res = match(make_alterations(("D1", "GATA3", "p.D336fs", "mutation", 1, 4)), "BRCA", kb=kb)
    assert res.warnings == []
    assert res.unmatched["reason"].tolist() == ["no knowledge-base match"]


def test_unknown_oncotree_code_lists_near_matches(kb):
    with pytest.raises(UnknownTumourTypeError, match=r"'BRCAA'.*near matches: .*BRCA"):
        match(
            make_alterations(("D1", "ERBB2", "AMPLIFICATION", "copy_number", 1, 1)), "BRCAA", kb=kb
        )


def test_oncotree_hierarchy():
    tree = oncotree()
    assert tree.covers("BRCA", "IDC") and tree.covers("BRCA", "ILC")
    assert tree.covers("NSCLC", "LUAD") and tree.covers("COADREAD", "READ")
    assert not tree.covers("LUAD", "NSCLC")  # a parent is not covered by a child indication
    assert not tree.covers("BRCA", "PRAD")
    assert tree.resolve("invasive breast carcinoma") == "BRCA"


def _packaged():
    return yaml.safe_load(KB_PATH.read_text(encoding="utf-8"))


def test_packaged_kb_is_valid_and_versioned():
    assert validate_kb(_packaged()) == []
    kb = load_kb()
    assert kb.version.count(".") == 2 and len(kb.date) == 10
    classes = {e.entry_class for e in kb.entries}
    assert classes == {"therapeutic", "prognostic", "negative"}


@pytest.mark.parametrize(
    ("mutate", "expect"),
    [
        (
            lambda d: d["entries"][3].update(level="5"),
            r"entry 3 \(id 'brca_erbb2_mutation'\), field 'level'.*not allowed",
        ),
        (
            lambda d: d["entries"][0]["biomarker"].update(alterations=["H1047R"]),
            r"entry 0 .*field 'biomarker.alterations.0'",
        ),
        (
            lambda d: d["entries"][1].pop("sources"),
            r"entry 1 \(id 'brca_erbb2_low'\).*'sources' is a required",
        ),
        (
            lambda d: d["entries"][2].update(tumour_types=["BRAC"]),
            r"entry 2 .*field 'tumour_types'.*unknown OncoTree code 'BRAC'",
        ),
        (lambda d: d["entries"][5].update(id=d["entries"][4]["id"]), r"entry 5 .*duplicate id"),
        (
            lambda d: d["entries"][0]["biomarker"].update(genes=["HERR2"]),
            r"entry 0 .*'biomarker.genes'.*HERR2",
        ),
        (lambda d: d.update(version="new"), r"field 'version'"),
    ],
)
def test_invalid_kb_names_entry_and_field(tmp_path, mutate, expect):
    data = copy.deepcopy(_packaged())
    mutate(data)
    path = tmp_path / "kb.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=expect):
        load_kb(path)
