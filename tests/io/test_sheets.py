import pytest

from ctcgenomics.io.sheets import (
    SheetError,
    check_sheets_agree,
    read_cell_sheet,
    read_patient_sheet,
)

HEADER = "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\tbam\n"


def _sheet(tmp_path, rows, name="cells.tsv"):
    p = tmp_path / name
    p.write_text(HEADER + "".join("\t".join(r) + "\n" for r in rows))
    return p


@pytest.fixture
def fq(tmp_path):
    for n in ("a_R1.fq.gz", "a_R2.fq.gz", "b.bam"):
        (tmp_path / n).write_bytes(b"x")
    return tmp_path


def test_valid_sheet(fq):
    p = _sheet(
        fq,
        [
            ["P1", "D1", "c1", "wgs", "ctc", "MDA", "a_R1.fq.gz", "a_R2.fq.gz", ""],
            ["P1", "D1", "w1", "panel", "wbc", "none", "", "", "b.bam"],
        ],
    )
    cells = read_cell_sheet(p, base_dir=fq)
    assert list(cells.index) == ["c1", "w1"]
    assert cells.loc["w1", "bam"] == "b.bam" and cells.loc["w1", "fq1"] == ""


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ["P1", "D1", "c 1", "wgs", "ctc", "MDA", "a_R1.fq.gz", "", ""],
            r"invalid cell 'c 1' .*line 2.*rename it, e.g. 'c_1'",
        ),
        (["P1", "D1", "c/1", "wgs", "ctc", "MDA", "a_R1.fq.gz", "", ""], "invalid cell 'c/1'"),
        (["P1", "D1", "c1;rm", "wgs", "ctc", "MDA", "a_R1.fq.gz", "", ""], "invalid cell"),
        (["P$(x)", "D1", "c1", "wgs", "ctc", "MDA", "a_R1.fq.gz", "", ""], "invalid patient"),
        (
            ["P1", "D1", "c1", "rnaseq", "ctc", "MDA", "a_R1.fq.gz", "", ""],
            r"line 2, column assay: 'rnaseq' is not one of",
        ),
        (["P1", "D1", "c1", "wgs", "tumour", "MDA", "a_R1.fq.gz", "", ""], "column role"),
        (
            ["P1", "D1", "c1", "wgs", "ctc", "MDA", "missing.fq.gz", "", ""],
            r"line 2: fq1 file 'missing.fq.gz' of cell c1 does not exist",
        ),
        (["P1", "D1", "c1", "wgs", "ctc", "MDA", "", "", ""], "needs either fq1"),
        (["P1", "D1", "c1", "wgs", "ctc", "MDA", "a_R1.fq.gz", "", "b.bam"], "not both"),
    ],
)
def test_bad_rows_name_line_and_fix(fq, row, message):
    p = _sheet(fq, [row])
    with pytest.raises(SheetError, match=message):
        read_cell_sheet(p, base_dir=fq)


def test_duplicate_cell_ids(fq):
    row = ["P1", "D1", "c1", "wgs", "ctc", "MDA", "a_R1.fq.gz", "", ""]
    p = _sheet(fq, [row, row])
    with pytest.raises(SheetError, match="line 3: cell ID 'c1' already used on line 2"):
        read_cell_sheet(p, base_dir=fq)


PATIENT_HEADER = (
    "patient\ttumour_type\tprimary_er\tprimary_pr\tprimary_her2\tdraw\tdraw_date"
    "\tblood_volume_ml\tctc_count\ttherapy\n"
)


def test_patient_sheet(tmp_path):
    p = tmp_path / "patients.tsv"
    p.write_text(
        PATIENT_HEADER + "P1\tBRCA\tpositive\tnegative\tnegative\tD1\t2026-01-02\t7.5\t12\t\n"
        "P1\tBRCA\tpositive\tnegative\tnegative\tD2\t2026-03-02\t7.5\t\tfulvestrant\n"
    )
    sheet = read_patient_sheet(p)
    assert sheet.loc[0, "ctc_count"] == 12 and sheet.loc[0, "blood_volume_ml"] == 7.5
    assert sheet.loc[1, "therapy"] == "fulvestrant"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["P1\tBRCA\tpositive\tnegative\tnegative\tD1\t02/01/2026\t7.5\t\t\n"], "column draw_date"),
        # a lower-case OncoTree code was told "IDs must match ..." instead of the fix
        (
            ["P1\tbrca\tpositive\tnegative\tnegative\tD1\t2026-01-02\t7.5\t\t\n"],
            r"column tumour_type: .*; write it as 'BRCA'$",
        ),
        (["P1\tBRCA\tmaybe\tnegative\tnegative\tD1\t2026-01-02\t7.5\t\t\n"], "column primary_er"),
        (["P1\tBRCA\tpositive\tnegative\tnegative\tD1\t2026-01-02\tseven\t\t\n"], "not a number"),
        (
            [
                "P1\tBRCA\tpositive\tnegative\tnegative\tD1\t2026-01-02\t7.5\t\t\n",
                "P1\tPRAD\tpositive\tnegative\tnegative\tD2\t2026-02-02\t7.5\t\t\n",
            ],
            "tumour_type differs",
        ),
        (
            [
                "P1\tBRCA\tpositive\tnegative\tnegative\tD1\t2026-01-02\t7.5\t\t\n",
                "P1\tBRCA\tpositive\tnegative\tnegative\tD1\t2026-02-02\t7.5\t\t\n",
            ],
            "listed twice",
        ),
    ],
)
def test_bad_patient_sheet(tmp_path, rows, message):
    p = tmp_path / "patients.tsv"
    p.write_text(PATIENT_HEADER + "".join(rows))
    with pytest.raises(SheetError, match=message):
        read_patient_sheet(p)


def test_cells_must_belong_to_known_draws(fq, tmp_path):
    cells = read_cell_sheet(
        _sheet(fq, [["P1", "D9", "c1", "wgs", "ctc", "MDA", "a_R1.fq.gz", "", ""]]), base_dir=fq
    )
    p = tmp_path / "patients.tsv"
    p.write_text(
        PATIENT_HEADER + "P1\tBRCA\tpositive\tnegative\tnegative\tD1\t2026-01-02\t7.5\t\t\n"
    )
    with pytest.raises(SheetError, match="patient P1 draw D9, which is not in the patient sheet"):
        check_sheets_agree(cells, read_patient_sheet(p))


def test_empty_cell_sheet_only_when_allowed(tmp_path):
    """A cohort with RNA data only gives a cell sheet with a header and no rows."""
    p = _sheet(tmp_path, [])
    with pytest.raises(SheetError, match="has a header but no rows"):
        read_cell_sheet(p)
    cells = read_cell_sheet(p, allow_empty=True)
    assert cells.empty and {"patient", "cell", "assay", "role", "fq1", "bam"} <= set(cells)


def test_paths_starting_with_a_dash_are_option_safe(fq):
    (fq / "-x_R1.fq.gz").write_bytes(b"x")
    p = _sheet(fq, [["P1", "D1", "c1", "wgs", "ctc", "MDA", "-x_R1.fq.gz", "", ""]])
    assert read_cell_sheet(p, base_dir=fq).loc["c1", "fq1"] == "./-x_R1.fq.gz"


def test_cell_table_reads_metadata_and_names_faults(tmp_path):
    from ctcgenomics.io.sheets import SheetError, cell_table, patient_cells

    path = tmp_path / "cells.tsv"
    path.write_text(
        "patient\tcell\trole\tassay\n"
        "P1\tc1\tctc\tpanel\nP1\tc2\twbc\twgs\nP1\tc3\tctc\tpanel\nP2\tc9\tctc\tpanel\n"
    )
    table = cell_table(path, ["c2", "c1"], patient="P1")
    assert list(table.index) == ["c2", "c1"] and list(table["role"]) == ["wbc", "ctc"]
    assert list(table["draw"]) == ["1", "1"]  # no draw column: one draw
    assert patient_cells(path, "P1", assays=("panel",)) == ["c1", "c3"]
    assert list(cell_table(None, ["a"])["role"]) == ["ctc"]
    with pytest.raises(SheetError, match=r"no row for cell\(s\) \['x'\]"):
        cell_table(path, ["c1", "x"])
    with pytest.raises(SheetError, match=r"\['c9'\] belong to another patient than P1"):
        cell_table(path, ["c1", "c9"], patient="P1")
    with pytest.raises(SheetError, match=r"missing column\(s\) \['draw'\]"):
        cell_table(path, ["c1"], required=("cell", "role", "draw"))
