"""Read a patient's optional inputs; record for each missing part why it was not run."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ctcgenomics._ids import validate_id
from ctcgenomics.actionability._kb import LEVEL_ORDER
from ctcgenomics.io.alterations import check_alteration_draws, read_alterations
from ctcgenomics.io.sheets import read_cell_sheet, read_patient_sheet
from ctcgenomics.io.stage_status import read_status

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

STAGES: tuple[str, ...] = ("qc", "cnv", "snv", "rna", "actionability")
"""Pipeline stages whose outputs the report can show."""


class ReportInputError(ValueError):
    """An input of the report is unusable; the message names the file and the fix."""


@dataclass
class ReportInputs:
    """Paths of one patient's inputs; every one but the patient sheet is optional.

    Attributes
    ----------
    patients
        Patient sheet (one row per patient x draw).
    cells
        Cell sheet (gives each cell's draw, role and assay).
    qc
        Run QC table (``results/qc/qc.tsv``).
    cnv
        Copy-number AnnData (``results/cnv/{patient}/cnv.h5ad``).
    cnv_clones
        Optional clone table (``clones.tsv``: columns ``cell`` and ``clone``).
    snv
        Mutation AnnData (``results/snv/{patient}/snv.h5ad``).
    rna
        Per-cell RNA table (``results/rna/{patient}/cells.tsv``).
    alterations
        Merged alterations table (``results/{patient}/alterations.tsv``).
    actionability
        Therapy matches (``results/{patient}/actionability.tsv``) with the sibling
        ``actionability.json`` (knowledge-base version) read when present.
    statuses
        Stage -> status files written by ``ctcg guard`` (``status.json``); a stage whose
        status is ``failed`` is reported as failed, with its reason, and its outputs
        are not read.
    not_run
        Stage -> why the workflow did not run it for this patient (shown as given).
    """

    patients: PathLike
    cells: PathLike | None = None
    qc: PathLike | None = None
    cnv: PathLike | None = None
    cnv_clones: PathLike | None = None
    snv: PathLike | None = None
    rna: PathLike | None = None
    alterations: PathLike | None = None
    actionability: PathLike | None = None
    statuses: dict[str, list[PathLike]] = field(default_factory=dict)
    not_run: dict[str, str] = field(default_factory=dict)


@dataclass
class LoadedInputs:
    """One patient's inputs, read and restricted to the patient.

    ``not_run`` maps a stage name to the plain-language reason its part is absent;
    ``failed`` maps a stage that ran and failed to its reason.
    """

    patient: str
    patients: pd.DataFrame
    cells: pd.DataFrame | None = None
    qc: pd.DataFrame | None = None
    cnv: object | None = None  # AnnData
    cnv_clones: pd.DataFrame | None = None
    snv: object | None = None  # AnnData
    rna: pd.DataFrame | None = None
    alterations: pd.DataFrame | None = None
    matches: pd.DataFrame | None = None
    actionability_meta: dict = field(default_factory=dict)
    not_run: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def _need_file(path: PathLike, what: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise ReportInputError(
            f"{what} {p} does not exist; run the stage that writes it, or leave the option "
            "out to report the part as not run"
        )
    return p


def _read_anndata(path: Path):
    import anndata as ad

    try:
        return ad.read_h5ad(path)
    except OSError as err:
        raise ReportInputError(
            f"{path} is not a readable .h5ad file ({err}); rerun its stage"
        ) from None


def load_inputs(
    inputs: ReportInputs,
    patient: str,
    *,
    stages_off: tuple[str, ...] | list[str] = (),
) -> LoadedInputs:
    """Read every given input and keep the rows and cells of ``patient``.

    Parameters
    ----------
    inputs
        Paths of the inputs.
    patient
        Patient ID (validated).
    stages_off
        Stages switched off in the workflow configuration; their parts are reported as
        switched off rather than missing.

    Returns
    -------
    LoadedInputs
        The inputs, with ``not_run`` explaining each absent part.

    Raises
    ------
    ReportInputError
        If the patient is not in the patient sheet or a given file is missing or unreadable.
    AlterationTableError
        If the alterations table is malformed or has a draw the patient sheet does not list.
    """
    patient = validate_id(patient, what="patient")
    out = LoadedInputs(patient=patient, patients=_patient_rows(inputs.patients, patient))
    out.failed = failed_stages(inputs.statuses)
    off = set(stages_off)
    if inputs.cells is not None:
        all_cells = read_cell_sheet(inputs.cells, check_files=False)
        out.cells = all_cells[all_cells["patient"] == patient].copy()
    _read_qc(out, inputs, off)
    _read_dna(out, inputs, off)
    if _given(out, "rna", inputs.rna):
        out.rna = pd.read_csv(
            _need_file(inputs.rna, "RNA cell table"), sep="\t", dtype={"cell": str, "draw": str}
        )
    else:
        _absent(out, inputs, off, "rna", "no single-cell RNA data for this patient (RNA sheet)")
    if _given(out, "alterations", inputs.alterations):
        alt = read_alterations(_need_file(inputs.alterations, "alterations table"))
        out.alterations = alt[alt["patient"].astype(str) == patient].reset_index(drop=True)
        # A draw the sheet does not list has no date: its rows would vanish from the report.
        check_alteration_draws(
            out.alterations, out.patients["draw"], patient=patient,
            where=str(inputs.alterations), sheet=str(inputs.patients),
        )  # fmt: skip
    if _given(out, "actionability", inputs.actionability):
        _read_actionability(out, _need_file(inputs.actionability, "actionability table"))
    else:
        _absent(out, inputs, off, "actionability", "no therapy matching was run for this patient")
    log.info(
        "report inputs of %s; not run: %s; failed: %s",
        patient, sorted(out.not_run) or "none", sorted(out.failed) or "none",
    )  # fmt: skip
    return out


def _patient_rows(path: PathLike, patient: str) -> pd.DataFrame:
    """Return the patient sheet's rows of ``patient``; refuse a patient it does not list."""
    sheet = read_patient_sheet(path)
    rows = sheet[sheet["patient"] == patient].reset_index(drop=True)
    if rows.empty:
        known = ", ".join(sorted(sheet["patient"].unique()))
        raise ReportInputError(
            f"{path}: patient {patient} is not in the patient sheet (it lists "
            f"{known}); add its rows or fix the patient ID"
        )
    return rows


def _absent(
    out: LoadedInputs, inputs: ReportInputs, off: set[str], stage: str, default: str
) -> None:
    """Record why ``stage`` has no part (switched off, the workflow's reason, ``default``)."""
    if stage in out.failed:
        return
    if stage in off:
        out.not_run[stage] = f"switched off in the configuration (stages.{stage}: false)"
    else:
        out.not_run[stage] = inputs.not_run.get(stage, default)


def _given(out: LoadedInputs, stage: str, path: PathLike | None) -> bool:
    """Whether to read ``stage``'s output: given, and the stage did not fail."""
    # A failed stage's outputs say only that it failed: do not read them as results.
    return path is not None and stage not in out.failed


def _read_qc(out: LoadedInputs, inputs: ReportInputs, off: set[str]) -> None:
    """Read the run's QC table, keeping this patient's cells when the cell sheet is given."""
    # QC covers the run; keep this patient's cells when the cell sheet says which they are.
    if inputs.qc is not None:
        qc = pd.read_csv(_need_file(inputs.qc, "QC table"), sep="\t", dtype={"cell": str})
        if out.cells is not None:
            qc = qc[qc["cell"].isin(out.cells["cell"])]
        out.qc = qc.reset_index(drop=True)
    else:
        _absent(out, inputs, off, "qc", "no QC table was given")


def _read_dna(out: LoadedInputs, inputs: ReportInputs, off: set[str]) -> None:
    """Read the copy-number (and clone table) and mutation AnnDatas, or say why absent."""
    cells = out.cells

    def has_assay(assays: list[str]) -> bool:
        return cells is None or bool(cells["assay"].isin(assays).any())

    if _given(out, "cnv", inputs.cnv):
        out.cnv = _read_anndata(_need_file(inputs.cnv, "copy-number AnnData"))
        if inputs.cnv_clones is not None and Path(inputs.cnv_clones).is_file():
            out.cnv_clones = pd.read_csv(inputs.cnv_clones, sep="\t", dtype=str)
    elif not has_assay(["wgs"]):
        _absent(out, inputs, off, "cnv", "no low-pass WGS cells of this patient in the cell sheet")
    else:
        _absent(
            out,
            inputs,
            off,
            "cnv",
            "the copy-number stage has not produced output for this patient",
        )

    if _given(out, "snv", inputs.snv):
        out.snv = _read_anndata(_need_file(inputs.snv, "mutation AnnData"))
    elif not has_assay(["wgs", "panel", "exome"]):
        _absent(out, inputs, off, "snv", "no DNA-sequenced cells of this patient in the cell sheet")
    else:
        _absent(
            out, inputs, off, "snv", "the mutation stage has not produced output for this patient"
        )


def _read_actionability(out: LoadedInputs, path: Path) -> None:
    """Read the therapy matches and the sibling ``.json`` (knowledge-base version)."""
    # The TSV opens with '#' lines (generator, KB version); fields may contain '#'.
    n_comment = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            n_comment += 1
    out.matches = pd.read_csv(
        path,
        sep="\t",
        skiprows=n_comment,
        dtype={"patient": str, "draw": str, "level": str},
        keep_default_na=False,
        na_values={c: ["", "nan", "NaN"] for c in ("prevalence", "ci_low", "ci_high")},
    )
    _check_evidence(out.matches, path, first_line=n_comment + 2)
    meta_path = path.with_suffix(".json")
    if meta_path.is_file():
        out.actionability_meta = json.loads(meta_path.read_text(encoding="utf-8"))


MATCH_TABLE_COLUMNS: tuple[str, ...] = (
    "draw", "gene", "alteration", "kind", "therapy", "level", "direction", "sources",
    "n_cells_altered",
)  # fmt: skip
"""Columns of ``actionability.tsv`` the report cannot do without."""


def _check_evidence(matches: pd.DataFrame, path: Path, *, first_line: int) -> None:
    """Refuse a match table whose rows lack the evidence level or the sources.

    A therapy is never shown without both: a row missing either (a hand-edited table, or
    one written by another tool) stops the report, naming the file, the line and the fix.
    """
    missing = [c for c in MATCH_TABLE_COLUMNS if c not in matches.columns]
    if missing:
        raise ReportInputError(
            f"{path}: not a ctcg match table: column(s) {missing} are missing; rerun "
            "`ctcg match` to write it"
        )
    columns = ["gene", "alteration", "therapy", "level", "sources"]
    for i, rec in enumerate(matches[columns].astype(str).to_dict("records")):
        where = (
            f"{path}, line {first_line + i}: the match {rec['gene']} {rec['alteration']} -> "
            f"{rec['therapy'] or '(no therapy)'}"
        )
        lacks = [k for k in ("level", "sources") if not rec[k].strip()]
        if lacks:
            raise ReportInputError(
                f"{where} has no {' and no '.join(lacks)}; a therapy is only shown with its "
                "evidence level and sources: rerun `ctcg match` (its knowledge-base and CIViC "
                "rows always carry both) instead of editing the table"
            )
        if rec["level"] not in LEVEL_ORDER:
            raise ReportInputError(
                f"{where} has level {rec['level']!r}, not one of {list(LEVEL_ORDER)}; rerun "
                "`ctcg match` instead of editing the table"
            )


def failed_stages(statuses: dict[str, list[PathLike]]) -> dict[str, str]:
    """Stage -> reason, for every stage with a ``failed`` status file.

    A stage with several steps (``actionability``: merging, then matching) fails when
    any of its steps failed; the reason names the step.
    """
    failed: dict[str, str] = {}
    for stage, paths in statuses.items():
        reasons = []
        for path in paths:
            status = read_status(_need_file(path, f"status file of stage {stage}"))
            if status.failed:
                step = f"{status.stage} " if status.stage != stage else ""
                reasons.append(f"{step}{status.describe()}")
        if reasons:
            failed[stage] = "; ".join(reasons)
    return failed
