"""Report content against the truth planted in the synthetic patient (see conftest)."""

from __future__ import annotations

import json

import pytest

from ctcgenomics.actionability._kb import LEVEL_ORDER
from ctcgenomics.report import ReportInputError, load_inputs, make_report, write_report
from ctcgenomics.report._report import SECTIONS
from ctcgenomics.report._sections import parse_sources
from ctcgenomics.report._versions import tool_versions
from tests.report.synthetic import ERBB2_AMP_CELLS, FAILED_CELL, PIK3CA_CELLS, build_patient


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    inputs = build_patient(tmp_path_factory.mktemp("patient"))
    return make_report(inputs, "P01", config_hash="cafe1234", reference="GRCh38 test")


def test_every_section_present_and_run(report):
    sections = report.data["sections"]
    assert list(sections) == list(SECTIONS)
    assert all(sec["status"] == "ok" for sec in sections.values())
    assert report.data["sections"]["summary"]["not_run"] == {}


def test_summary_counts_per_draw(report):
    draws = {d["draw"]: d for d in report.data["sections"]["summary"]["draws"]}
    # 4 WGS + 4 panel CTC libraries per draw; one D1 WGS library fails QC.
    assert draws["D1"]["ctc_sequenced"] == 8 and draws["D1"]["ctc_pass_qc"] == 7
    assert draws["D2"]["ctc_pass_qc"] == 8
    assert draws["D1"]["by_assay"]["wgs"] == {"sequenced": 4, "pass_qc": 3}
    assert draws["D1"]["ctc_count"] == 14 and draws["D2"]["blood_volume_ml"] == 7.5
    assert [d["draw"] for d in report.data["sections"]["summary"]["draws"]] == ["D1", "D2"]


def test_headline_ranked_and_only_detected(report):
    summary = report.data["sections"]["summary"]
    cands = summary["candidate_therapies"]
    ranks = [(LEVEL_ORDER.index(c["level"]), -c["prevalence"]) for c in cands]
    assert ranks == sorted(ranks)
    # PIK3CA H1047R in HR+/HER2- breast cancer points to alpelisib (FDA label, level 1).
    pik3ca = [c for c in cands if c["gene"] == "PIK3CA"]
    assert any("alpelisib" in c["therapy"] and c["level"] == "1" for c in pik3ca)
    # Both alterations were found in D2 only: no headline may cite D1.
    assert {c["draws"] for c in cands} == {"D2"}
    flags = [f["text"] for f in summary["discordance"]]
    assert any(
        f.startswith("HER2-negative primary tumour, ERBB2 AMPLIFICATION in 3/4") for f in flags
    )
    assert "PIK3CA p.H1047R emerged: 0/4 CTCs in D1, 2/4 CTCs in D2" in flags


def test_therapies_table_sources_and_kb(report):
    th = report.data["sections"]["therapies"]
    assert th["kb"]["name"] == "ctcgenomics-kb" and th["kb"]["version"]
    assert all(m["n_cells_altered"] > 0 for m in th["matches"])
    # Planted: ERBB2 amplification (0/3) and PIK3CA H1047R (0/4) are absent from D1.
    assert th["n_not_detected"] == 2
    assert "2 alteration(s) evaluated but carried by no CTC" in report.to_html()
    pmids = [s["pmid"] for m in th["matches"] for s in m["sources"] if s["pmid"]]
    assert pmids and all(p.isdigit() for p in pmids)
    html = report.to_html()
    assert f'href="https://pubmed.ncbi.nlm.nih.gov/{pmids[0]}/"' in html


def test_germline_findings_have_their_own_part(tmp_path):
    inputs = build_patient(tmp_path, germline_brca2=True)
    data = make_report(inputs, "P01").data
    th = data["sections"]["therapies"]
    (finding,) = th["germline_findings"]
    assert (finding["gene"], finding["alteration"]) == ("BRCA2", "p.S1982Rfs*22")
    assert finding["flag"] == "germline, confirm in a certified laboratory"
    assert [d["n_cells_altered"] for d in finding["draws"]] == [4, 4]
    # Labels: olaparib (OlympiAD) and talazoparib (EMBRACA) for germline BRCA-mutated
    # HER2-negative metastatic breast cancer.
    therapies = " ".join(m["therapy"] for m in finding["matches"]).lower()
    assert "olaparib" in therapies and "talazoparib" in therapies
    assert all(m["gene"] != "BRCA2" for m in th["matches"])  # not shown as somatic
    html = make_report(inputs, "P01").to_html()
    assert "Germline findings" in html and "confirm in a certified laboratory" in html


def test_headline_flags_germline_candidates(tmp_path):
    # Germline BRCA2 gives olaparib/talazoparib (germline BRCA labels): the headline
    # keeps them but must not present them as CTC findings with a CTC prevalence.
    inputs = build_patient(tmp_path, germline_brca2=True)
    report = make_report(inputs, "P01")
    cands = report.data["sections"]["summary"]["candidate_therapies"]
    brca2 = [c for c in cands if c["gene"] == "BRCA2"]
    assert {"olaparib", "talazoparib"} <= {c["therapy"] for c in brca2}
    assert all(c["origin"] == "germline" for c in brca2)
    assert all(c["confirm"] == "germline, confirm in a certified laboratory" for c in brca2)
    assert all(c["origin"] == "somatic" for c in cands if c["gene"] != "BRCA2")
    html = report.to_html()
    item = next(li for li in html.split("<li>") if li.startswith("olaparib – BRCA2"))
    assert "inherited (germline) variant, not a CTC finding" in item
    assert "prevalence" not in item.split("</li>")[0]


def test_level_limits_are_shown(report):
    th = report.data["sections"]["therapies"]
    erbb2 = [m for m in th["matches"] if m["gene"] == "ERBB2"]
    # The planted primary is HER2-negative: every HER2-positive breast label's context is
    # contradicted, so no ERBB2 match may keep level 1, and the limit is shown.
    contradicted = [m for m in erbb2 if m["context_status"] == "contradicted"]
    assert contradicted and all(m["level"] != "1" for m in erbb2)
    assert all(m["label_level"] == "1" and "contradicted" in m["caps"] for m in contradicted)
    html = report.to_html()
    assert "label level 1" in html and "label context contradicted" in html


def test_mutations_match_planted_genotypes(report):
    mu = report.data["sections"]["mutations"]
    by = {v["hgvsp"]: v for v in mu["variants"]}
    assert set(by) == {"p.R175H", "p.H1047R"}  # the germline P72R SNP is not reported
    assert mu["n_not_reported"] == 1
    r175h = by["p.R175H"]
    # homozygous in every CTC, one D1 cell not evaluable (dropout), no WBC
    assert r175h["ctc_altered"] == [3, 4] and r175h["ctc_evaluable"] == [3, 4]
    assert r175h["wbc_altered"] == 0 and r175h["wbc_evaluable"] == 2
    assert mu["carriers"]["chr3:179234297:A>G"] == sorted(PIK3CA_CELLS)
    assert by["p.H1047R"]["ctc_altered"] == [0, 2]


def test_copy_number_clones_and_gene_calls(report):
    cn = report.data["sections"]["copy_number"]
    clones = {c["cell"]: c["clone"] for c in cn["cells"]}
    assert {c for c, k in clones.items() if k == "B"} == set(ERBB2_AMP_CELLS)
    calls = {(g["draw"], g["gene"], g["alteration"]): g for g in cn["gene_calls"]}
    assert calls[("D2", "ERBB2", "AMPLIFICATION")]["n_cells_altered"] == 3
    assert cn["chromosomes"] == ["chr1", "chr2", "chr17"]
    failed = [c for c in cn["cells"] if c["qc_pass"] is False]
    assert [c["cell"] for c in failed] == [FAILED_CELL]


def test_cell_states_and_qc(report):
    cs = {d["draw"]: d for d in report.data["sections"]["cell_states"]["per_draw"]}
    assert cs["D2"]["phenotypes"]["ERBB2 high"] == [2, 6]
    assert cs["D1"]["classes"] == {"CTC": 6, "WBC": 6}
    qc = report.data["sections"]["qc"]
    assert qc["n_fail"] == 1 and qc["failed"][0]["cell"] == FAILED_CELL
    assert "mapd" in qc["failed"][0]["qc_reason"]


def test_serial_points(report):
    serial = report.data["sections"]["serial"]
    series = {(a["gene"], a["alteration"]): a for a in serial["alterations"]}
    points = series[("ERBB2", "AMPLIFICATION")]["points"]
    assert [(p["draw"], p["n_cells_altered"], p["n_cells_evaluable"]) for p in points] == [
        ("D1", 0, 3), ("D2", 3, 4)]  # fmt: skip
    assert points[1]["ci_low"] < 0.75 < points[1]["ci_high"]
    assert "timeline" in report.figures


def test_methods(report):
    me = report.data["sections"]["methods"]
    assert me["config_hash"] == "cafe1234" and me["reference"] == "GRCh38 test"
    assert me["knowledge_base"].startswith("ctcgenomics-kb 2026")
    assert any("research use" in s.lower() for s in me["limitations"])
    assert any("dropout" in s for s in me["limitations"])


def test_tool_versions_ask_the_programs():
    versions = tool_versions()
    assert versions["bwa"].startswith("0.7.")  # bwa prints "Version: 0.7.x" on stderr
    assert versions["samtools"][0].isdigit()
    assert versions["ctcgenomics"] == "0.1.0"


def test_missing_parts_are_said_not_run(tmp_path):
    inputs = build_patient(tmp_path, with_stages=("qc",))
    inputs.alterations = None
    report = make_report(inputs, "P01", stages_off=["cnv"])
    s = report.data["sections"]
    assert s["copy_number"] == {
        "status": "not_run",
        "reason": "switched off in the configuration (stages.cnv: false)",
    }
    assert s["mutations"]["status"] == "not_run" and "mutation stage" in s["mutations"]["reason"]
    assert s["cell_states"]["status"] == "not_run"
    assert s["therapies"]["status"] == "not_run"
    assert s["qc"]["status"] == "ok"
    assert set(s["summary"]["not_run"]) == {"cnv", "snv", "rna", "actionability"}
    html = report.to_html()
    assert html.count("<strong>Not run.</strong>") == 4
    assert set(report.figures) == {"timeline"}


def test_only_the_patient_sheet(tmp_path):
    inputs = build_patient(tmp_path, with_stages=())
    inputs.cells = inputs.alterations = None
    report = make_report(inputs, "P01")
    assert report.data["sections"]["summary"]["draws"][0]["ctc_sequenced"] is None
    assert "<strong>Not run.</strong>" in report.to_html()


def test_unknown_patient_names_the_sheet(patient_inputs):
    with pytest.raises(ReportInputError, match=r"patients.tsv: patient P99 is not in"):
        load_inputs(patient_inputs, "P99")


def test_missing_file_names_it(patient_inputs, tmp_path):
    patient_inputs.snv = tmp_path / "nope.h5ad"
    with pytest.raises(ReportInputError, match=r"nope.h5ad does not exist"):
        load_inputs(patient_inputs, "P01")


def test_her2_wording_gives_ctcs_no_ihc_category(patient_inputs):
    # Low ERBB2 RNA in CTCs against a HER2-negative primary was flagged as "HER2-low CTCs";
    # HER2 categories are IHC on tissue, which the toolkit does not measure.
    import pandas as pd

    from ctcgenomics.io import alteration_row
    from ctcgenomics.io.alterations import read_alterations, write_alterations
    from ctcgenomics.report import build_report

    table = read_alterations(patient_inputs.alterations)
    table = table[table["gene"] != "ERBB2"]
    low = alteration_row(patient="P01", draw="D1", gene="ERBB2", alteration="EXPRESSION_LOW",
                         kind="expression", n_cells_altered=3, n_cells_evaluable=5)  # fmt: skip
    write_alterations(pd.concat([table, pd.DataFrame([low])]), patient_inputs.alterations)
    data = build_report(load_inputs(patient_inputs, "P01"), figures=False).data
    (flag,) = [f["text"] for f in data["sections"]["summary"]["discordance"]
               if f["kind"] == "primary_vs_ctc"]  # fmt: skip
    assert flag.startswith("HER2-negative primary tumour, ERBB2 EXPRESSION_LOW in 3/5 CTCs (D1)")
    assert "ERBB2 RNA low in the CTCs assayed (HER2-low-like; not an IHC score)" in flag
    assert "HER2-low CTCs" not in flag and "HER2-negative CTCs" not in flag


def test_alterations_of_a_draw_missing_from_the_sheet_are_refused(patient_inputs):
    # Its rows would have no place in the per-draw and serial parts of the report.
    import pandas as pd

    from ctcgenomics.io import AlterationTableError

    path = patient_inputs.alterations
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    table.loc[len(table) - 1, "draw"] = "D9"
    table.to_csv(path, sep="\t", index=False)
    with pytest.raises(
        AlterationTableError,
        match=rf"alterations.tsv: draw\(s\) D9 \(line {len(table) + 1}\) of patient P01 are "
        r"not in .*patients.tsv.*add each draw to the patient sheet",
    ):
        load_inputs(patient_inputs, "P01")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("sources", "", r"line 4: the match \S+ \S+ -> .+ has no sources"),
        ("level", "", r"line 4: the match .+ has no level; a therapy is only shown with"),
        ("level", "Level 1", r"line 4: the match .+ has level 'Level 1', not one of"),
    ],
)
def test_match_without_level_or_sources_is_refused(patient_inputs, column, value, message):
    # actionability.tsv: two '#' lines, the header (line 3), then the matches.
    path = patient_inputs.actionability
    lines = path.read_text().splitlines()
    header = lines[2].split("\t")
    cells = lines[3].split("\t")
    cells[header.index(column)] = value
    lines[3] = "\t".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReportInputError, match=message):
        load_inputs(patient_inputs, "P01")


def test_match_table_without_sources_column_is_refused(patient_inputs):
    path = patient_inputs.actionability
    lines = path.read_text().splitlines()
    keep = [i for i, c in enumerate(lines[2].split("\t")) if c != "sources"]
    rows = ["\t".join(line.split("\t")[i] for i in keep) for line in lines[2:]]
    path.write_text("\n".join(lines[:2] + rows) + "\n")
    with pytest.raises(ReportInputError, match=r"column\(s\) \['sources'\] are missing"):
        load_inputs(patient_inputs, "P01")


def test_written_json_is_strict_and_matches(report, tmp_path):
    write_report(report, tmp_path / "r.html", tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data == report.data
    assert not list(tmp_path.glob(".*tmp*"))  # atomic: no temporary file left


def test_parse_sources():
    got = parse_sources("trial: X et al. [PMID 123]; label: FDA | CIViC EID1: Y [PMID 456]")
    assert [s["pmid"] for s in got] == ["123", "", "456"]


def test_copy_number_states_genes_without_a_usable_bin(tmp_path):
    # The CNV stage records configured genes whose bin is not used (ctcg cnv call:
    # uns['ctc_cnv']['gene_warnings']); the report must say so rather than show them unaltered.
    import anndata as ad
    import pandas as pd

    from ctcgenomics.cnv import read_cnv_h5ad, write_cnv_h5ad

    inputs = build_patient(tmp_path / "patient", with_stages=("qc", "cnv"))
    adata = read_cnv_h5ad(inputs.cnv)
    why = "its bin chr17:7500000-7843138 is not used (N bases): no copy number for this gene"
    adata.uns["ctc_cnv"] = {
        "gene_warnings": pd.DataFrame({"gene": ["TP53"], "warning": [why]}),
    }
    write_cnv_h5ad(adata, inputs.cnv)
    report = make_report(inputs, "P01")
    cn = report.data["sections"]["copy_number"]
    assert cn["gene_warnings"] == [{"gene": "TP53", "warning": why}]
    assert f"Copy number of TP53: {why}." in report.to_html()
    assert report.data["sections"]["methods"]["resolution"] == [f"TP53: {why}"]
    assert f"Copy-number resolution: TP53: {why}." in report.to_html()
    # Without the key (older runs, other callers) the section has no warnings.
    bare = ad.read_h5ad(inputs.cnv)
    del bare.uns["ctc_cnv"]
    bare.write_h5ad(inputs.cnv)
    assert make_report(inputs, "P01").data["sections"]["copy_number"]["gene_warnings"] == []


def test_a_draw_without_a_row_is_not_stated_as_assessed_or_not():
    # A missing row may be "not detected" (the writers list what they assessed) or "not
    # assessed" (no CTC passed in that draw, another assay): the text must not pick one.
    from ctcgenomics.report._sections._serial import _frac

    text = _frac({"draw": "D3", "detected": False, "note": "not in this draw's table"})
    assert text == "no call in D3 (not detected, or not assessed)"
    assert _frac({"draw": "D1", "n_cells_altered": 8, "n_cells_evaluable": 10}) == (
        "8/10 CTCs in D1"
    )
