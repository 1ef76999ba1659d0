"""Cell and patient sheets: read, validate every row, and report errors by line.

The JSON schemas (``ctcgenomics/data/schemas/*.schema.yaml``, also linked from
``workflow/schemas/``) hold the column rules; this module adds what a row-wise schema
cannot say: unique IDs, FASTQ-or-BAM, files that exist, consistency across rows.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pandas as pd
import yaml

from ctcgenomics._ids import ID_PATTERN, InvalidIDError, validate_id


class SheetError(ValueError):
    """A sample sheet is malformed; the message names the file, line and fix."""


def load_schema(name: str) -> dict:
    """Load a packaged JSON schema (``cells``, ``patients``) as a dict."""
    text = resources.files("ctcgenomics.data.schemas").joinpath(f"{name}.schema.yaml").read_text()
    return yaml.safe_load(text)


def _read_tsv(path: Path, what: str, *, allow_empty: bool = False) -> pd.DataFrame:
    if not path.is_file():
        raise SheetError(f"{what} {path} does not exist; check the config key that names it")
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment=None)
    frame.columns = [c.strip() for c in frame.columns]
    frame = frame.apply(lambda col: col.str.strip())
    if frame.empty and not allow_empty:
        raise SheetError(f"{what} {path} has a header but no rows; add one row per entry")
    return frame


def _validate_rows(frame: pd.DataFrame, schema: dict, path: Path, id_columns: tuple[str, ...]):
    """Validate each row against the schema; return rows as dicts with empty cells dropped."""
    props = schema.get("properties", {})
    validator = jsonschema.Draft202012Validator(schema)
    rows = []
    for i, raw in enumerate(frame.to_dict("records"), start=2):  # line 1 is the header
        row: dict[str, object] = {}
        for key, value in raw.items():
            if value == "":
                continue
            types = props.get(key, {}).get("type", "string")
            types = types if isinstance(types, list) else [types]
            row[key] = _coerce(value, types, path, i, key)
        for col in id_columns:
            if col in row:
                try:
                    validate_id(row[col], what=col, where=f"{path}, line {i}")
                except InvalidIDError as err:
                    raise SheetError(str(err)) from None
        errors = sorted(validator.iter_errors(row), key=lambda e: list(e.path))
        if errors:
            err = errors[0]
            field = ".".join(str(p) for p in err.path) or "(row)"
            hint = props.get(err.path[0], {}).get("description", "") if err.path else ""
            raise SheetError(
                f"{path}, line {i}, column {field}: {err.message}"
                + (f" ({hint})" if hint else "")
                + _pattern_fix(err)
            )
        for key, spec in props.items():
            if key not in row and "default" in spec:
                row[key] = spec["default"]
        rows.append(row)
    return rows


def _pattern_fix(err: jsonschema.ValidationError) -> str:
    """Return the fix for a value a schema pattern refused (the ID rule, upper case)."""
    if err.validator != "pattern":
        return ""
    value, pattern = err.instance, str(err.validator_value)
    if isinstance(value, str) and re.fullmatch(pattern, value.upper()):
        return f"; write it as {value.upper()!r}"  # OncoTree codes: 'brca' -> 'BRCA'
    return f"; IDs must match {ID_PATTERN}" if ID_PATTERN.strip("^$") in pattern else ""


def _coerce(value: str, types: list[str], path: Path, line: int, key: str) -> object:
    if "integer" in types:
        try:
            return int(value)
        except ValueError:
            raise SheetError(
                f"{path}, line {line}, column {key}: {value!r} is not a whole number"
            ) from None
    if "number" in types:
        try:
            return float(value)
        except ValueError:
            raise SheetError(
                f"{path}, line {line}, column {key}: {value!r} is not a number"
            ) from None
    return value


def read_cell_sheet(
    path: str | os.PathLike[str],
    *,
    check_files: bool = True,
    base_dir: str | os.PathLike[str] | None = None,
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Read and validate a cell sheet.

    Parameters
    ----------
    path
        TSV with columns ``patient draw cell assay role wga fq1 fq2 bam``.
    check_files
        Check that the named FASTQ/BAM files exist (skip when they are made by the
        workflow, as in the simulated example).
    base_dir
        Folder that relative file paths are relative to (default: the working directory).
    allow_empty
        Accept a sheet with a header and no rows (a cohort with RNA data only).

    Returns
    -------
    pandas.DataFrame
        One row per cell, indexed by ``cell``; missing optional columns are empty strings.
        A relative file path that starts with ``-`` is returned as ``./-…``
        (:func:`option_safe_path`).

    Raises
    ------
    SheetError
        Naming the file, the line and the fix: a bad or duplicate ID, an unknown assay/role/WGA
        value, neither or both of FASTQ and BAM, fq2 without fq1, or a missing file.
    """
    path = Path(path)
    frame = _read_tsv(path, "cell sheet", allow_empty=allow_empty)
    rows = _validate_rows(frame, load_schema("cells"), path, ("patient", "draw", "cell"))
    seen: dict[str, int] = {}
    base = Path(base_dir) if base_dir else Path.cwd()
    for i, row in enumerate(rows, start=2):
        cell = str(row["cell"])
        if cell in seen:
            raise SheetError(
                f"{path}, line {i}: cell ID {cell!r} already used on line {seen[cell]}; "
                "cell IDs must be unique (e.g. add the draw or a library suffix)"
            )
        seen[cell] = i
        has_fq, has_bam = "fq1" in row, "bam" in row
        if has_fq == has_bam:
            raise SheetError(
                f"{path}, line {i}: cell {cell} needs either fq1 (and fq2 if paired) or bam, "
                f"{'not both' if has_fq else 'none given'}"
            )
        if "fq2" in row and not has_fq:
            raise SheetError(f"{path}, line {i}: cell {cell} has fq2 but no fq1")
        if check_files:
            for col in ("fq1", "fq2", "bam"):
                if col in row and not (base / str(row[col])).is_file():
                    raise SheetError(
                        f"{path}, line {i}: {col} file {row[col]!r} of cell {cell} does not "
                        "exist; fix the path (relative paths are relative to "
                        f"{base})"
                    )
    columns = ["patient", "draw", "cell", "assay", "role", "wga"]
    out = pd.DataFrame(rows, columns=None if rows else columns)
    for col in ("fq1", "fq2", "bam"):
        if col not in out:
            out[col] = ""
        out[col] = out[col].fillna("").map(option_safe_path)
    return out.set_index("cell", drop=False)


def _read_cell_tsv(path: str | os.PathLike[str], required: tuple[str, ...]) -> pd.DataFrame:
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise SheetError(
            f"{path}: missing column(s) {missing}; a cell table needs {list(required)} "
            "(role ctc or wbc), and usually draw"
        )
    repeated = sorted(set(table.loc[table["cell"].duplicated(), "cell"]))
    if repeated:
        # Silently keeping the first row would give a cell listed twice (e.g. once as a
        # CTC, once as a WBC) whichever role came first.
        raise SheetError(
            f"{path}: cell ID(s) {repeated[:5]}{' ...' if len(repeated) > 5 else ''} on more "
            "than one row; cell IDs must be unique (remove the repeated rows, or give the "
            "libraries of one cell their own IDs, linked by the cnv_cell column)"
        )
    return table.set_index("cell")


def patient_cells(
    path: str | os.PathLike[str], patient: str | None, *, assays: tuple[str, ...] | None = None
) -> list[str]:
    """Cells of ``patient`` (``None``: of every patient) in a cell sheet.

    Optionally only those of some assays. A table without a ``patient`` (or ``assay``)
    column gives every cell (of any assay).
    """
    table = _read_cell_tsv(path, ("cell",))
    if patient is not None and "patient" in table.columns:
        table = table[table["patient"] == patient]
    if assays is not None and "assay" in table.columns:
        table = table[table["assay"].isin(assays)]
    return list(table.index)


def cell_table(
    path: str | os.PathLike[str] | None,
    cells: list[str],
    *,
    patient: str | None = None,
    required: tuple[str, ...] = ("cell", "role"),
) -> pd.DataFrame:
    """Metadata of some cells from a cell sheet (or a smaller table of the same columns).

    The one reader of cell metadata for the per-patient steps (copy number, SNVs): the
    workflow gives them its cell sheet, users may give a table with only ``cell``,
    ``role`` (``ctc``/``wbc``) and ``draw``.

    Parameters
    ----------
    path
        TSV with at least the columns ``required``; ``None`` makes every cell a CTC of
        draw ``1``.
    cells
        The cells of the run (e.g. from BAM or count file names), in order.
    patient
        If given and the table has a ``patient`` column, cells of another patient are an
        error.
    required
        Columns the table must have.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cells``; every column of the table (strings), ``draw`` defaulting to
        ``1`` when the table has none.

    Raises
    ------
    SheetError
        Naming the file and the missing columns, the cells without a row, or the cells of
        another patient.
    """
    if path is None:
        return pd.DataFrame({"role": "ctc", "draw": "1"}, index=pd.Index(cells, name="cell"))
    table = _read_cell_tsv(path, required)
    unknown = [c for c in cells if c not in table.index]
    if unknown:
        raise SheetError(
            f"{path}: no row for cell(s) {unknown[:5]}{' ...' if len(unknown) > 5 else ''}; "
            "add them, or name the files {cell}.bam / {cell}.tsv after the sheet's cells"
        )
    out = table.loc[list(cells)].copy()
    out.index.name = "cell"
    if patient is not None and "patient" in out.columns:
        other = list(out.index[out["patient"] != patient])
        if other:
            raise SheetError(
                f"{path}: cell(s) {other[:5]} belong to another patient than {patient}"
            )
    if "draw" not in out.columns:
        out["draw"] = "1"
    return out


def option_safe_path(path: str) -> str:
    """Return ``path`` so that no command line can read it as an option.

    A relative path such as ``-x.fq.gz`` names the same file as ``./-x.fq.gz``, but only
    the second is safe as a program argument.
    """
    text = str(path)
    return f"./{text}" if text.startswith("-") else text


def read_patient_sheet(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate a patient sheet (one row per patient x draw).

    Raises
    ------
    SheetError
        Naming file and line: bad IDs, unknown receptor status, malformed dates, duplicate
        patient/draw pairs, or patient-level columns that differ between a patient's rows.
    """
    path = Path(path)
    frame = _read_tsv(path, "patient sheet")
    rows = _validate_rows(frame, load_schema("patients"), path, ("patient", "draw"))
    out = pd.DataFrame(rows)
    for col in (
        "ctc_count", "blood_volume_ml", "therapy", "prior_therapies", "prior_lines",
        "castration_status",
    ):  # fmt: skip
        if col not in out:
            out[col] = None
    dup = out.duplicated(["patient", "draw"], keep="first")
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise SheetError(
            f"{path}, line {i + 2}: patient {out.patient[i]} draw {out.draw[i]} is listed twice"
        )
    if "sex" not in out:
        out["sex"] = "unknown"
    for col in ("tumour_type", "primary_er", "primary_pr", "primary_her2", "sex"):
        for patient, grp in out.groupby("patient", sort=False):
            values = grp[col].astype(str)
            if values.nunique() > 1:
                lines = [
                    f"line {i + 2} ({col} {v!r})" for i, v in zip(grp.index, values, strict=True)
                ]
                raise SheetError(
                    f"{path}: {col} differs between the rows of patient {patient}, "
                    "contradictory values on " + ", ".join(lines) + "; the primary tumour's "
                    "type and receptor status and the patient's sex are patient-level facts: "
                    "write the same value on every draw of the patient"
                )
    return out


def check_sheets_agree(
    cells: pd.DataFrame, patients: pd.DataFrame, *, cells_path: str = ""
) -> None:
    """Check that every cell's patient and draw appear in the patient sheet."""
    known = set(zip(patients["patient"], patients["draw"], strict=True))
    for cell, patient, draw in zip(cells["cell"], cells["patient"], cells["draw"], strict=True):
        if (patient, draw) not in known:
            raise SheetError(
                f"{cells_path or 'cell sheet'}: cell {cell} belongs to patient {patient} draw "
                f"{draw}, which is not in the patient sheet; add that draw there"
            )
