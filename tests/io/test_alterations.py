import math

import pandas as pd
import pytest

from ctcgenomics.io import (
    AlterationTableError,
    alteration_row,
    prevalence_ci,
    read_alterations,
    write_alterations,
)
from ctcgenomics.io.alterations import (
    TABLE_COLUMNS,
    alterations_frame,
    check_alteration,
    check_alterations,
    genome_build,
    mutation_form,
)


def test_wilson_interval_matches_closed_form():
    # Wilson score interval for 3/8 at 95%, from its closed form.
    n, k, z = 8, 3, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    prev, low, high = prevalence_ci(k, n)
    assert prev == pytest.approx(0.375)
    assert low == pytest.approx(centre - half) and high == pytest.approx(centre + half)


def test_no_evaluable_cells_gives_nan():
    assert all(math.isnan(v) for v in prevalence_ci(0, 0))


def _row(**kw):
    args = dict(patient="P", draw="D", gene="ERBB2", alteration="AMPLIFICATION",
                kind="copy_number", n_cells_altered=1, n_cells_evaluable=2)  # fmt: skip
    args.update(kw)
    return alteration_row(**args)


def test_bad_counts_and_kind():
    with pytest.raises(ValueError):
        prevalence_ci(5, 3)
    with pytest.raises(AlterationTableError, match=r"kind 'cnv' is not one of .*copy_number"):
        _row(kind="cnv")


@pytest.mark.parametrize(
    ("gene", "alteration", "kind", "expected"),
    [
        ("ERBB2", "AMPLIFICATION", "copy_number", "AMPLIFICATION"),
        ("TP53", "LOH", "copy_number", "LOH"),
        ("TP53", "p.R175H", "mutation", "p.R175H"),
        ("MET", "exon14_skipping", "mutation", "exon14_skipping"),
        ("", "chr17:g.2500053G>C", "mutation", "chr17:g.2500053G>C"),
        ("TP53", "17:g.7675088C>T", "mutation", "17:g.7675088C>T"),
        ("MSI", "MSI-H", "mutation", "MSI-H"),
        ("TMB", "TMB=12.5", "mutation", "TMB=12.5"),
        ("AR", "AR-V7", "expression", "AR-V7_POSITIVE"),  # legacy spelling rewritten
        ("ERBB2", "EXPRESSION_LOW", "expression", "EXPRESSION_LOW"),
        ("EMT", "EMT_HYBRID", "expression", "EMT_HYBRID"),  # a cell state: kept, not matched
        ("CD44", "CD44+/CD24-", "expression", "CD44+/CD24-"),
        ("EML4::ALK", "fusion", "fusion", "fusion"),
        ("CTC", "CTC_COUNT=14", "enumeration", "CTC_COUNT=14"),
    ],
)
def test_vocabulary_accepts(gene, alteration, kind, expected):
    assert check_alteration(gene, alteration, kind) == expected


@pytest.mark.parametrize(
    ("gene", "alteration", "kind", "message"),
    [
        ("ERBB2", "amplification", "copy_number", r"upper case \('AMPLIFICATION'\)"),
        ("ERBB2", "AMP", "copy_number", "is not one of"),
        ("ERBB2", "expression_high", "expression", r"upper case \('EXPRESSION_HIGH'\)"),
        ("ESR1", "AR-V7_POSITIVE", "expression", "belongs to gene 'AR'"),
        ("TP53", "c.524G>A", "mutation", "not a protein change"),
        ("TP53", "p.Rx175H", "mutation", "malformed protein change"),
        ("MSI", "msi-high", "mutation", "MSI finding"),
        ("ALK", "EML4-ALK", "fusion", "GENE1::GENE2"),
        ("CTC", "14", "enumeration", "CTC_COUNT="),
        ("", "p.R175H", "mutation", "gene is empty"),
    ],
)
def test_vocabulary_rejects_with_the_fix(gene, alteration, kind, message):
    with pytest.raises(AlterationTableError, match=message):
        check_alteration(gene, alteration, kind)


def test_mutation_forms():
    assert mutation_form("TP53", "p.R175H") == "protein"
    assert mutation_form("", "NC_000017.11:g.7675088C>T") == "genomic"
    assert mutation_form("TP53", "chr17:g.7675088_7675090del") == "genomic"


def test_origin_column(tmp_path):
    rows = [_row(), _row(gene="BRCA2", alteration="p.K1000fs", kind="mutation", origin="germline")]
    frame = alterations_frame(rows)
    assert list(frame.columns) == list(TABLE_COLUMNS)
    path = tmp_path / "alt.tsv"
    write_alterations(frame, path)
    back = read_alterations(path)
    assert back["origin"].tolist() == ["somatic", "germline"]  # empty = somatic
    with pytest.raises(AlterationTableError, match="origin 'inherited' must be"):
        _row(origin="inherited")
    # Tables written before the column existed are read, origin somatic unless the legacy
    # evidence token says otherwise.
    old = frame.drop(columns="origin").assign(evidence=["", "origin=germline"])
    old.to_csv(path, sep="\t", index=False)
    assert read_alterations(path)["origin"].tolist() == ["somatic", "germline"]


def test_round_trip_and_validation(tmp_path):
    path = tmp_path / "alt.tsv"
    write_alterations(alterations_frame([_row(n_cells_altered=4, n_cells_evaluable=5)]), path)
    back = read_alterations(path)
    assert back.loc[0, "gene"] == "ERBB2" and back.loc[0, "prevalence"] == pytest.approx(0.8)
    text = path.read_text().replace("copy_number", "cnv")
    path.write_text(text)
    with pytest.raises(AlterationTableError, match="line 2: kind 'cnv'"):
        read_alterations(path)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("prevalence", 1.25, r"prevalence 1.25 is outside \[0, 1\]"),
        ("ci_high", -0.1, r"ci_high -0.1 is outside"),
        ("prevalence", 0.05, r"prevalence 0.05 is not inside its interval"),
        ("n_cells_altered", "two", "n_cells_altered/n_cells_evaluable must be whole numbers"),
    ],
)
def test_impossible_numbers_name_the_line(column, value, message):
    frame = alterations_frame([_row(n_cells_altered=4, n_cells_evaluable=5)] * 2)
    frame[column] = frame[column].astype(object)
    frame.loc[1, column] = value
    with pytest.raises(AlterationTableError, match=rf"t.tsv, line 3: {message}"):
        check_alterations(frame, where="t.tsv")


def test_missing_column_is_named():
    frame = alterations_frame([_row()]).drop(columns=["kind", "prevalence"])
    with pytest.raises(AlterationTableError, match=r"missing column\(s\) \['kind', 'prevalence'\]"):
        check_alterations(frame)


def test_genome_builds():
    assert genome_build("CNVkit log2 on hg19", "") == "GRCh37"
    assert genome_build("reference GRCh38") == "GRCh38"
    assert genome_build("median CN 9 (ploidy 2.1)") is None
    assert genome_build("GRCh380 is not a build") is None
    rows = [_row(evidence="hg38"), _row(gene="MYC", alteration="GAIN", evidence="b37")]
    with pytest.raises(AlterationTableError, match="different genome builds"):
        check_alterations(pd.DataFrame(rows))


def test_merge_alterations_keeps_the_patient_and_sorts():
    from ctcgenomics.io.alterations import alteration_row, alterations_frame, merge_alterations

    def row(patient, draw, gene, kind, alteration):
        return alteration_row(patient=patient, draw=draw, gene=gene, alteration=alteration,
                              kind=kind, n_cells_altered=1, n_cells_evaluable=2)  # fmt: skip

    snv = alterations_frame([row("P1", "D2", "TP53", "mutation", "p.R175H"),
                             row("P2", "D1", "KRAS", "mutation", "p.G12D")])  # fmt: skip
    cnv = alterations_frame([row("P1", "D1", "ERBB2", "copy_number", "AMPLIFICATION")])
    merged = merge_alterations([snv, cnv.drop(columns=["origin"])], "P1")
    assert list(zip(merged["draw"], merged["gene"], strict=True)) == [
        ("D1", "ERBB2"),
        ("D2", "TP53"),
    ]
    assert list(merged["origin"]) == ["", ""]
    assert merge_alterations([], "P1").empty
    with pytest.raises(ValueError, match=r"table 1 lacks column\(s\) \['kind'\]"):
        merge_alterations([snv.drop(columns=["kind"])], "P1")


@pytest.mark.parametrize(
    ("alteration", "kind", "suggestion"),
    [
        ("DEEP_DELETION", "copy_number", "did you mean 'DELETION'"),
        ("AMP", "copy_number", "did you mean 'AMPLIFICATION'"),
        ("EXPRESSION_HI", "expression", "did you mean 'EXPRESSION_HIGH'"),
    ],
)
def test_unknown_term_suggests_the_closest_vocabulary_term(alteration, kind, suggestion):
    frame = alterations_frame([_row()]).assign(alteration=alteration, kind=kind)
    with pytest.raises(AlterationTableError, match=rf"alt.tsv, line 2: .*{suggestion}"):
        check_alterations(frame, where="alt.tsv")


def test_unknown_kind_origin_and_msi_suggest_the_closest_term():
    with pytest.raises(AlterationTableError, match="did you mean 'copy_number'"):
        check_alteration("ERBB2", "AMPLIFICATION", "copynumber")
    with pytest.raises(AlterationTableError, match="did you mean 'germline'"):
        check_alteration("BRCA2", "p.K1000fs", "mutation", origin="germ")
    with pytest.raises(AlterationTableError, match="did you mean 'MSI-H'"):
        check_alteration("MSI", "MSI-HIGH", "mutation")


@pytest.mark.parametrize(
    ("gene", "kind"),
    [
        ("<b>ERBB2</b>", "copy_number"),
        ("ERBB2<script>", "mutation"),
        ("ERBB2 amplified", "copy_number"),
        ("EML4::<i>ALK</i>", "fusion"),
        ("EML4::ALK", "copy_number"),  # '::' only names a fusion
        ("ERBB2/HER2", "copy_number"),
    ],
)
def test_implausible_gene_symbols_are_refused_naming_the_line(gene, kind):
    alteration = {"copy_number": "AMPLIFICATION", "mutation": "p.R175H", "fusion": "fusion"}
    frame = alterations_frame([_row(), _row()])
    frame.loc[1, ["gene", "alteration", "kind"]] = [gene, alteration[kind], kind]
    with pytest.raises(AlterationTableError, match=r"alt.tsv, line 3: gene .* is not a gene sym"):
        check_alterations(frame, where="alt.tsv")


def test_every_packaged_symbol_is_a_plausible_symbol():
    # The rule must accept every real symbol: GENCODE v44 names and the KB's genes/aliases.
    from ctcgenomics.actionability._data import gene_aliases, genome_gene_symbols
    from ctcgenomics.actionability._kb import load_kb

    kb_genes = {g for e in load_kb().entries for g in e.genes}
    aliases = set(gene_aliases()) | set(gene_aliases().values())
    for gene in sorted(genome_gene_symbols() | kb_genes | aliases | {"HLA-A"}):
        check_alteration(gene, "AMPLIFICATION", "copy_number")
    check_alteration("EML4::ALK", "fusion", "fusion")


@pytest.mark.parametrize(
    ("altered", "evaluable", "prevalence", "ci", "message"),
    [
        (1, 40, 1.0, (0.9, 1.0), r"prevalence 1 \[0.9, 1\] contradicts the row's counts: 1 of 40"),
        (1, 40, 1.0, (math.nan, math.nan), "prevalence 1 contradicts the row's counts"),
        (10, 10, 0.0, (0.0, 0.1), r"prevalence 0 \[0, 0.1\] .*10 of 10 evaluable cells allow"),
        (2, 10, math.nan, (0.6, 0.4), r"ci_low 0.6 is above ci_high 0.4"),
    ],
)
def test_prevalence_contradicting_the_counts_is_refused(
    altered, evaluable, prevalence, ci, message
):
    row = {**_row(n_cells_altered=altered, n_cells_evaluable=evaluable),
           "prevalence": prevalence, "ci_low": ci[0], "ci_high": ci[1]}  # fmt: skip
    with pytest.raises(AlterationTableError, match=rf"alt.tsv, line 2: {message}"):
        check_alterations(alterations_frame([row]), where="alt.tsv")


def test_a_posterior_carrier_fraction_may_differ_from_the_hard_calls():
    # The SNV step writes the posterior mean carrier fraction and its credible interval;
    # cells with dropout count by their likelihoods, so 0 of 6 called carriers can go with a
    # prevalence of 0.126 [0, 0.42], and 3/4 with no prevalence at all is fine.
    rows = [
        {**_row(n_cells_altered=0, n_cells_evaluable=6),
         "prevalence": 0.126, "ci_low": 0.0, "ci_high": 0.42},
        {**_row(n_cells_altered=1, n_cells_evaluable=3),
         "prevalence": 0.62, "ci_low": 0.2, "ci_high": 0.93},
        {**_row(n_cells_altered=3, n_cells_evaluable=4),
         "prevalence": math.nan, "ci_low": math.nan, "ci_high": math.nan},
        {**_row(n_cells_altered=0, n_cells_evaluable=0),
         "prevalence": 0.5, "ci_low": 0.03, "ci_high": 0.97},
    ]  # fmt: skip
    check_alterations(alterations_frame(rows))
