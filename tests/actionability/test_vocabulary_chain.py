"""Every alteration the pipeline emits is matched or explained (issue 16; issue 13 fault 2).

Synthetic rows of every kind go through the real writer helpers (CNV gene calls, SNV
genotypes, RNA phenotypes, CTC enumeration), the alterations files, ``ctcg
merge-alterations`` and ``ctcg match``. Issue 13's severe fault 2: a variant without
protein annotation was written as ``chr17:g.2500053G>C`` and ``ctcg match`` aborted with
``MalformedHGVSpError``, leaving the patient without actionability or report.
"""

from __future__ import annotations

import json

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from ctcgenomics.actionability import match
from ctcgenomics.actionability._match import CONFIRM_GERMLINE, CONFIRM_TISSUE
from ctcgenomics.cli import main
from ctcgenomics.cnv import cnv_alterations
from ctcgenomics.io.alterations import (
    alteration_row,
    alterations_frame,
    read_alterations,
    write_alterations,
)
from ctcgenomics.snv import alteration_rows

from .conftest import make_alterations

CELLS = [f"D1_CTC{i}" for i in range(1, 7)]  # six CTCs, as in the issue-13 reproduction


def _cnv_table() -> pd.DataFrame:
    obs = pd.DataFrame(
        {"draw": "D1", "role": "ctc", "qc_pass": True}, index=pd.Index(CELLS, name="cell")
    )
    calls = []
    for i, cell in enumerate(CELLS):
        for gene, call, cn in (
            ("ERBB2", "AMPLIFICATION" if i < 5 else "GAIN", 9 if i < 5 else 3),
            ("MYC", "GAIN", 3),
            ("PTEN", "DELETION" if i < 2 else "LOSS", 0 if i < 2 else 1),
            ("TP53", "LOSS", 1),
        ):
            calls.append({"cell": cell, "gene": gene, "call": call, "extent": "focal",
                          "copy_number": cn, "ploidy": 2.0})  # fmt: skip
    return cnv_alterations(pd.DataFrame(calls), obs, patient="P1")


def _snv_table() -> pd.DataFrame:
    var = pd.DataFrame(
        {
            "chrom": ["chr17", "chr3", "chr17", "chr17"],
            "pos": [7675088, 179234297, 2500053, 7674230],
            "ref": ["C", "A", "G", "C"],
            "alt": ["T", "G", "C", "CA"],
            "gene": ["TP53", "PIK3CA", "", "TP53"],
            # No GTF configured: the third variant has no protein annotation; the fourth
            # is an insertion named by its first codon, as the SNV annotator writes it.
            "HGVSp": ["p.R175H", "p.H1047R", "", "p.G245ins"],
            "consequence": ["missense_variant", "missense_variant", "", "inframe_insertion"],
            "qual": [120.0, 80.0, 45.0, 60.0],
            "somatic": [True, True, True, True],
            "germline": [False, False, False, False],
            "p_variant": [0.999, 0.99, 0.97, 0.98],
            "p_germline": [1e-4, 1e-3, 5e-3, 1e-3],
        },
        index=[f"v{i}" for i in range(4)],
    )
    obs = pd.DataFrame({"draw": "D1", "role": "ctc"}, index=CELLS)
    gt = np.array(
        [[1, 1, 1, -1], [1, 0, 1, 0], [2, 1, 0, 0], [1, 1, 1, 1], [1, -1, 1, 0], [0, 0, 1, 0]]
    )
    adata = ad.AnnData(np.zeros((6, 4)), obs=obs, var=var)
    adata.layers["genotype"] = gt
    return alteration_rows(adata, patient="P1")


def _rna_table() -> pd.DataFrame:
    from ctcgenomics.rna._expression_alterations import expression_alterations

    n = 8
    obs = pd.DataFrame(
        {
            "draw": "D1",
            "cell_class": ["CTC"] * 7 + ["WBC"],
            "ERBB2_level": ["high", "high", "low", "low", "low", "low", "not_measured", "low"],
            "ESR1_level": ["high"] * 6 + ["negative", "negative"],
            "PGR_level": ["negative"] * n,
            "AR_level": [
                "high",
                "negative",
                "negative",
                "negative",
                "high",
                "negative",
                "negative",
                "negative",
            ],
            "arv7": [
                "positive",
                "negative",
                "negative",
                "negative",
                "positive",
                "negative",
                "negative",
                "not_measured",
            ],
            "emt_state": ["epithelial", "hybrid"] * 4,
            "cd44_cd24": ["CD44+/CD24-", "CD44-/CD24+"] * 4,
        },
        index=[f"r{i}" for i in range(n)],
    )
    adata = ad.AnnData(np.zeros((n, 1)), obs=obs)
    adata.uns["biomarker"] = {"params": {"high_cp10k": {"ERBB2": 20, "ESR1": 5, "PGR": 5, "AR": 5}}}
    return expression_alterations(adata, "P1")


def _other_rows(emitted: set[str]) -> pd.DataFrame:
    """Rows of the vocabulary the writers above do not emit (yet): LOH, germline, fusion."""
    row = dict(patient="P1", draw="D1", source="test")
    extra = []
    if "EXPRESSION_LOW" not in emitted:  # the RNA step emits HER2-low from issue 16 on
        extra.append(
            alteration_row(
                **row,
                gene="ERBB2",
                alteration="EXPRESSION_LOW",
                kind="expression",
                n_cells_altered=4,
                n_cells_evaluable=6,
            )
        )
    return alterations_frame(
        [
            *extra,
            alteration_row(
                **row,
                gene="BRCA2",
                alteration="p.K1000fs",
                kind="mutation",
                n_cells_altered=4,
                n_cells_evaluable=6,
                origin="germline",
                evidence="het in WBCs (12/25 reads)",
            ),
            alteration_row(
                **row,
                gene="ATR",
                alteration="p.R100*",
                kind="mutation",
                n_cells_altered=3,
                n_cells_evaluable=6,
                origin="germline",
            ),
            alteration_row(
                **row,
                gene="TP53",
                alteration="LOH",
                kind="copy_number",
                n_cells_altered=5,
                n_cells_evaluable=6,
            ),
            alteration_row(
                **row,
                gene="ETV6::NTRK3",
                alteration="fusion",
                kind="fusion",
                n_cells_altered=2,
                n_cells_evaluable=6,
            ),
            alteration_row(
                **row,
                gene="MSI",
                alteration="MSI-H",
                kind="mutation",
                n_cells_altered=0,
                n_cells_evaluable=0,
            ),
        ]
    )


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    work = tmp_path_factory.mktemp("chain")
    sheet = work / "patients.tsv"
    sheet.write_text(
        "patient\ttumour_type\tprimary_er\tprimary_pr\tprimary_her2\tdraw\tdraw_date\t"
        "blood_volume_ml\tctc_count\ttherapy\tprior_therapies\n"
        "P1\tIDC\tpositive\tpositive\tlow\tD1\t2026-03-02\t7.5\t14\tletrozole + palbociclib\t"
        "paclitaxel\n",
        encoding="utf-8",
    )
    tables = []
    rna = _rna_table()
    for name, frame in (("cnv", _cnv_table()), ("snv", _snv_table()), ("rna", rna),
                        ("other", _other_rows(set(rna["alteration"])))):  # fmt: skip
        path = work / f"{name}.tsv"
        write_alterations(frame, path)
        tables.append(str(path))
    merged = work / "alterations.tsv"
    with pytest.raises(SystemExit) as ex:
        main(["merge-alterations", *tables, "--patients", str(sheet), "--patient", "P1",
              "--out", str(merged)])  # fmt: skip
    assert ex.value.code == 0
    with pytest.raises(SystemExit) as ex:
        main(["match", "--alterations", str(merged), "--patients", str(sheet), "--patient", "P1",
              "--json", str(work / "a.json"), "--tsv", str(work / "a.tsv")])  # fmt: skip
    assert ex.value.code == 0  # the unannotated variant no longer stops the run
    return read_alterations(merged), json.loads((work / "a.json").read_text())


def test_every_alteration_is_matched_or_explained(chain):
    alterations, doc = chain
    draw = doc["draws"][0]
    matched = {(m["gene"], m["alteration"]) for m in draw["matches"]}
    explained = {(u["gene"], u["alteration"]): u for u in draw["unmatched"]}
    kinds = set(alterations["kind"])
    assert kinds == {"copy_number", "mutation", "expression", "fusion", "enumeration"}
    for row in alterations.itertuples(index=False):
        key = (row.gene, row.alteration)
        if row.kind == "fusion":
            key = ("NTRK3", "ETV6::NTRK3")
        if key in matched:
            continue
        assert key in explained, f"{key} neither matched nor explained"
        assert explained[key]["reason_code"] and explained[key]["reason"], key


def test_unannotated_variant_is_kept_and_explained(chain):
    alterations, doc = chain
    assert "chr17:g.2500053G>C" in set(alterations["alteration"])
    row = next(u for u in doc["draws"][0]["unmatched"] if u["alteration"] == "chr17:g.2500053G>C")
    assert row["reason_code"] == "unannotated"
    assert "no protein change" in row["reason"] and "GTF" in row["reason"]
    assert row["n_cells_altered"] == 5


def test_vocabulary_reaches_the_knowledge_base(chain):
    _, doc = chain
    matches = doc["draws"][0]["matches"]

    def rows(gene, alteration):
        return [m for m in matches if m["gene"] == gene and m["alteration"] == alteration]

    # RNA: AR-V7 written by the RNA step reaches the AR-V7 entries (AR-V7_POSITIVE).
    arv7 = rows("AR", "AR-V7_POSITIVE")
    assert {"enzalutamide", "docetaxel"} <= {m["therapy"] for m in arv7}
    # HER2-low CTCs, HR+ HER2-low primary after endocrine therapy: DESTINY-Breast06's label,
    # shown at most 3B because CTC RNA is a surrogate, with "confirm on tissue".
    low = [m for m in rows("ERBB2", "EXPRESSION_LOW") if m["therapy"] == "trastuzumab deruxtecan"]
    assert low and low[0]["label_level"] == "1" and low[0]["level"] == "3B"
    assert low[0]["confirm"] == CONFIRM_TISSUE
    # CNV: amplification in 5/6 CTCs (clonal) reaches the HER2 entries; the HER2-low primary
    # contradicts the HER2-positive labels, so none is shown at level 1.
    amp = rows("ERBB2", "AMPLIFICATION")
    assert amp and {m["clonality"] for m in amp} == {"clonal"}
    breast = [m for m in amp if m["tumour_type_match"] == "in_indication"]
    assert breast and {m["context_status"] for m in breast} == {"contradicted"}
    assert {m["level"] for m in amp} == {"3B"}
    # A deep deletion in 2/6 CTCs (upper 95% bound 0.70 < 0.8) is subclonal: capped, ranked last.
    pten = rows("PTEN", "DELETION")
    assert pten and {(m["clonality"], m["level"], m["label_level"]) for m in pten} == {
        ("subclonal", "3B", "1")
    }
    assert matches.index(pten[0]) > max(
        i for i, m in enumerate(matches) if m["clonality"] != "subclonal"
    )
    # SNV: hotspot and negative knowledge; the codon-named insertion is parsed.
    assert any(m["therapy"] == "capivasertib + fulvestrant" for m in rows("PIK3CA", "p.H1047R"))
    assert {m["direction"] for m in rows("TP53", "p.R175H")} == {"no_targeted_therapy"}
    # Tumour-agnostic fusion.
    assert any(m["therapy"] == "larotrectinib" for m in matches if m["gene"] == "NTRK3")


def test_germline_findings_have_their_own_section(chain):
    _, doc = chain
    findings = {(f["gene"], f["alteration"]): f for f in doc["germline_findings"]}
    assert set(findings) == {("BRCA2", "p.K1000fs"), ("ATR", "p.R100*")}
    brca2 = findings[("BRCA2", "p.K1000fs")]
    assert brca2["flag"] == CONFIRM_GERMLINE
    assert {m["therapy"] for m in brca2["matches"]} >= {"olaparib", "talazoparib"}
    assert brca2["draws"][0]["evidence"] == "het in WBCs (12/25 reads)"
    match_rows = [m for m in doc["draws"][0]["matches"] if m["gene"] == "BRCA2"]
    assert {m["origin"] for m in match_rows} == {"germline"}
    assert {m["clonality"] for m in match_rows} == {"germline"}
    assert all(CONFIRM_GERMLINE in m["confirm"] for m in match_rows)
    # The somatic-only breast entry does not fire on a germline variant.
    assert "brca_brca12_somatic_olaparib" not in {m["entry_id"] for m in match_rows}


def test_explanations_name_their_reason(chain):
    _, doc = chain
    codes = {(u["gene"], u["alteration"]): u["reason_code"] for u in doc["draws"][0]["unmatched"]}
    assert codes[("TP53", "LOH")] == "loh"
    assert codes[("MYC", "GAIN")] == "gain_not_amplification"
    assert (
        codes[("ERBB2", "GAIN")] == "gain_not_amplification" if ("ERBB2", "GAIN") in codes else True
    )


def test_match_never_stops_on_genomic_hgvs(kb):
    table = make_alterations(
        ("D1", "", "chr17:g.2500053G>C", "mutation", 2, 6),
        ("D1", "TP53", "17:g.7675088C>T", "mutation", 4, 6),
        ("D1", "PIK3CA", "NC_000003.12:g.179234297A>G", "mutation", 3, 6),
    )
    res = match(table, "BRCA", kb=kb)
    assert res.matches.empty
    assert res.unmatched["reason_code"].tolist() == ["unannotated"] * 3


def test_legacy_arv7_spelling_is_read_as_the_vocabulary(tmp_path, caplog):
    path = tmp_path / "rna.tsv"
    frame = make_alterations(("D1", "AR", "AR-V7_POSITIVE", "expression", 2, 6))
    frame["alteration"] = "AR-V7"  # as the RNA step wrote it before the vocabulary
    frame.to_csv(path, sep="\t", index=False)
    table = read_alterations(path)
    assert table["alteration"].tolist() == ["AR-V7_POSITIVE"]
    assert "'AR-V7' read as 'AR-V7_POSITIVE'" in caplog.text
