"""``ctcg match`` and ``ctcg merge-alterations``: therapy matching per patient."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ctcgenomics._ids import validate_id
from ctcgenomics.cli._params import add_params_options, params_from_args

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "match",
        help="match a patient's alterations to therapies (actionability JSON + TSV)",
        description=(
            "Match one patient's alterations table against the packaged knowledge base "
            "(and optionally CIViC evidence) and write actionability.json and .tsv. "
            "Research use only."
        ),
    )
    p.add_argument("--alterations", required=True, help="the patient's alterations TSV")
    p.add_argument("--patients", required=True, help="patient sheet (config/patients.tsv)")
    p.add_argument("--patient", required=True, help="patient ID")
    p.add_argument("--json", required=True, dest="json_out", help="output actionability.json")
    p.add_argument("--tsv", required=True, dest="tsv_out", help="output actionability.tsv")
    p.add_argument("--kb", default=None, help="knowledge base YAML (default: packaged)")
    p.add_argument("--civic", default=None, help="CIViC ClinicalEvidenceSummaries TSV to merge")
    add_params_options(p, "actionability: section (clonal_threshold, include_level4)")
    p.set_defaults(func=run_match)

    m = subparsers.add_parser(
        "merge-alterations",
        help="merge per-module alteration tables of a patient and add CTC enumeration rows",
    )
    m.add_argument(
        "inputs", nargs="*", help="alterations TSVs (cnv, snv, rna); missing files are an error"
    )
    m.add_argument("--patients", required=True, help="patient sheet")
    m.add_argument("--patient", required=True, help="patient ID")
    m.add_argument("--out", required=True, help="merged alterations TSV")
    m.set_defaults(func=run_merge)


def _patient_rows(path: str, patient: str) -> pd.DataFrame:
    from ctcgenomics.io.sheets import read_patient_sheet

    sheet = read_patient_sheet(path)
    rows = sheet[sheet["patient"] == patient]
    if rows.empty:
        raise ValueError(f"{path}: no row for patient {patient!r}; add one row per draw")
    return rows


def run_match(args: argparse.Namespace) -> int:
    # Imported here: `ctcg` builds every command's parser at start-up.
    from ctcgenomics.actionability import MatchParams, load_kb, read_civic, therapy_table
    from ctcgenomics.actionability import write_therapy_table as _write_report
    from ctcgenomics.io.alterations import read_alterations

    patient = validate_id(args.patient, what="patient")
    params = params_from_args(args, MatchParams)  # checked before any file is read
    rows = _patient_rows(args.patients, patient)
    alterations = read_alterations(args.alterations)
    other = sorted(set(alterations["patient"].astype(str)) - {patient})
    if other:
        raise ValueError(
            f"{args.alterations}: rows of other patient(s) {other}; pass one patient's table"
        )
    kb = load_kb(args.kb)
    civic = read_civic(args.civic) if args.civic else None
    doc, table = therapy_table(
        patient,
        alterations,
        rows,
        kb=kb,
        civic=civic,
        clonal_threshold=params.clonal_threshold,
        include_level4=params.include_level4,
        where=Path(args.alterations).name,
        sheet=args.patients,
    )
    _write_report(doc, table, args.json_out, args.tsv_out)
    for warning in doc["warnings"]:
        log.warning("%s", warning)
    log.info(
        "patient %s: %d matches (knowledge base %s %s) -> %s, %s",
        patient, len(table), kb.version, kb.date, args.json_out, args.tsv_out,
    )  # fmt: skip
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from ctcgenomics.actionability._patient import enumeration_rows
    from ctcgenomics.io.alterations import merge_alterations, read_alterations, write_alterations

    patient = validate_id(args.patient, what="patient")
    rows = _patient_rows(args.patients, patient)
    tables = [read_alterations(path) for path in args.inputs]
    merged = merge_alterations([*tables, enumeration_rows(rows)], patient)
    write_alterations(merged, args.out)
    log.info(
        "patient %s: %d alterations from %d table(s) -> %s",
        patient,
        len(merged),
        len(args.inputs),
        args.out,
    )
    return 0
