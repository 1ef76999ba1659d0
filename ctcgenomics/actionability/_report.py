"""Per-patient actionability report: the JSON document and the TSV table."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import pandas as pd

from ctcgenomics import __version__
from ctcgenomics.actionability._civic import CivicEvidence
from ctcgenomics.actionability._context import _blank, patient_context
from ctcgenomics.actionability._germline import germline_findings
from ctcgenomics.actionability._kb import KnowledgeBase, load_kb
from ctcgenomics.actionability._match import MATCH_COLUMNS, match
from ctcgenomics.actionability._oncotree import oncotree
from ctcgenomics.actionability._params import MatchParams
from ctcgenomics.actionability._patient import discordances, serial_changes
from ctcgenomics.io._atomic import atomic_open
from ctcgenomics.io._json import json_ready
from ctcgenomics.io.alterations import check_alteration_draws, check_alterations

THERAPY_SCHEMA_VERSION = 2
"""Version of the JSON layout documented in ``docs/actionability.md`` (2: label context,
caps, germline findings, explained unmatched alterations)."""

RESEARCH_USE = (
    "Research use only. Matches are computed from CTC single-cell calls and a curated "
    "knowledge base; labels and guidelines define these biomarkers in tumour tissue or "
    "plasma, so confirm with a validated clinical assay before any treatment decision."
)

TSV_COLUMNS: tuple[str, ...] = (
    *MATCH_COLUMNS[:2], "draw_date", *MATCH_COLUMNS[2:], "kb_version", "kb_date",
)  # fmt: skip
"""Columns of ``actionability.tsv``."""


def therapy_table(
    patient: str,
    alterations: pd.DataFrame,
    patient_rows: pd.DataFrame,
    *,
    kb: KnowledgeBase | None = None,
    civic: CivicEvidence | None = None,
    clonal_threshold: float = MatchParams.clonal_threshold,
    include_level4: bool = MatchParams.include_level4,
    where: str = "alterations table",
    sheet: str = "patient sheet",
) -> tuple[dict[str, object], pd.DataFrame]:
    """Match one patient's alterations and assemble the JSON document and TSV table.

    Parameters
    ----------
    patient
        Patient ID.
    alterations
        The patient's alterations over all draws (enumeration rows included).
    patient_rows
        The patient's rows of the patient sheet (one per draw); receptor status, therapy
        and the optional ``prior_therapies``, ``prior_lines`` and ``castration_status``
        give the label context (:func:`patient_context`).
    kb, civic, clonal_threshold, include_level4, where
        As in :func:`match`.
    sheet
        Name of the patient sheet, for the message when its tumour type is unknown.

    Returns
    -------
    tuple
        ``(document, table)``: the JSON-ready dict and the ranked TSV table.

    Raises
    ------
    UnknownTumourTypeError
        Naming the patient sheet and the patient when the tumour type is not an
        OncoTree code.
    AlterationTableError
        When the table is malformed, or has a draw the patient sheet does not list (its
        findings could not be placed in the per-draw outputs): add the draw to the sheet.
    """
    kb = kb or load_kb()
    if not isinstance(patient_rows, pd.DataFrame) or patient_rows.empty:
        raise ValueError(f"patient {patient!r} has no row in the patient sheet; add one per draw")
    for col in ("tumour_type", "draw", "draw_date"):
        if col not in patient_rows.columns:
            raise ValueError(f"{sheet}: column {col!r} is missing; see the patient-sheet schema")
    first = patient_rows.iloc[0].to_dict()
    if _blank(first["tumour_type"]) or not str(first["tumour_type"]).strip():
        raise ValueError(
            f"{sheet}, patient {patient}, column tumour_type: no tumour type; give the OncoTree "
            "code of the primary tumour (e.g. BRCA, IDC, PRAD, LUAD; release "
            f"{oncotree().release}), the most specific one known"
        )
    code = oncotree().resolve(
        str(first["tumour_type"]), where=f"{sheet}, patient {patient}, column tumour_type"
    )
    alterations, _ = check_alterations(alterations, where=where)
    check_alteration_draws(
        alterations, patient_rows["draw"], patient=patient, where=where, sheet=sheet
    )
    context = patient_context(patient_rows)
    result = match(
        alterations,
        code,
        kb=kb,
        civic=civic,
        clonal_threshold=clonal_threshold,
        include_level4=include_level4,
        context=context,
        where=where,
    )
    draws = [
        {
            k: json_ready(r.get(k))
            for k in ("draw", "draw_date", "therapy", "ctc_count", "blood_volume_ml")
        }
        for r in patient_rows.to_dict("records")
    ]
    draws.sort(key=lambda d: (str(d["draw_date"]), str(d["draw"])))
    dates = {d["draw"]: d["draw_date"] for d in draws}
    table = result.matches.assign(
        draw_date=result.matches["draw"].map(dates).fillna(""),
        kb_version=kb.version,
        kb_date=kb.date,
    ).loc[:, list(TSV_COLUMNS)]
    # Draws in date order; within a draw the ranking of match() (subclonal last, level,
    # prevalence).
    table = table.sort_values("draw_date", kind="stable").reset_index(drop=True)
    warnings = list(result.warnings)
    tree = oncotree()
    somatic = alterations[alterations["origin"] != "germline"]
    doc: dict[str, object] = {
        "schema_version": THERAPY_SCHEMA_VERSION,
        "kind": "ctcgenomics.actionability",
        "generated_by": f"ctcgenomics {__version__}",
        "research_use": RESEARCH_USE,
        "knowledge_base": {k: v for k, v in result.kb.items() if k != "file"},
        "civic": _civic_info(result.civic),
        "params": result.params,
        "patient": patient,
        "tumour_type": {
            "code": code,
            "name": tree.names[code],
            "lineage": tree.lineage(code),
            "oncotree_release": tree.release,
        },
        "primary_receptors": {
            k.removeprefix("primary_"): str(first.get(k) or "unknown")
            for k in ("primary_er", "primary_pr", "primary_her2")
        },
        "patient_context": context.as_dict(),
        "draws": [
            {
                **d,
                "matches": _records(table[table["draw"] == d["draw"]]),
                "unmatched": _records(
                    result.unmatched[result.unmatched["draw"].astype(str) == d["draw"]]
                ),
            }
            for d in draws
        ],
        "germline_findings": germline_findings(alterations, result.matches),
        "serial_changes": serial_changes(somatic, draws, result.matches),
        "discordances": discordances(somatic, first),
        "warnings": warnings,
    }
    return doc, table


def _civic_info(info: Mapping[str, object] | None) -> dict[str, object] | None:
    if info is None:
        return None
    return {**info, "file": os.path.basename(str(info["file"])), "levels": "CIViC A-E, unchanged"}


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{k: json_ready(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def write_therapy_table(
    document: Mapping[str, object], table: pd.DataFrame, json_path, tsv_path
) -> None:
    """Write the JSON document and the TSV table atomically.

    The TSV starts with ``#`` comment lines giving the knowledge-base version and date.
    """
    with atomic_open(json_path) as handle:
        json.dump(document, handle, indent=2, sort_keys=False, allow_nan=False)
        handle.write("\n")
    kb = document["knowledge_base"]
    with atomic_open(tsv_path, newline="") as handle:
        handle.write(f"# {document['generated_by']}; {RESEARCH_USE}\n")
        handle.write(f"# knowledge base {kb['name']} version {kb['version']} ({kb['date']})\n")
        table.to_csv(handle, sep="\t", index=False, float_format="%.4g")
