from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ctcgenomics.actionability import load_kb, patient_context, read_civic
from ctcgenomics.io.alterations import alteration_row, alterations_frame

DATA = Path(__file__).resolve().parents[1] / "data"
CIVIC_PATH = DATA / "civic_predictive_2018-05-01.csv"
CIVIC_2026_PATH = DATA / "civic_evidence_2026-10-01_excerpt.tsv"


def make_alterations(*specs, patient: str = "P1") -> pd.DataFrame:
    """specs: (draw, gene, alteration, kind, n_altered, n_evaluable[, evidence[, origin]])."""
    rows = []
    for spec in specs:
        draw, gene, alteration, kind, n_alt, n_ev, *rest = spec
        rows.append(
            alteration_row(
                patient=patient,
                draw=draw,
                gene=gene,
                alteration=alteration,
                kind=kind,
                n_cells_altered=n_alt,
                n_cells_evaluable=n_ev,
                evidence=rest[0] if rest else "",
                origin=rest[1] if len(rest) > 1 else "",
                source="test",
            )
        )
    return alterations_frame(rows)


def raw_table(*specs, patient: str = "P1") -> pd.DataFrame:
    """A table built without the writer's checks (to test what match() rejects)."""
    rows = []
    for draw, gene, alteration, kind, n_alt, n_ev, *rest in specs:
        prev = n_alt / n_ev if n_ev else float("nan")
        rows.append(
            {
                "patient": patient,
                "draw": draw,
                "gene": gene,
                "alteration": alteration,
                "kind": kind,
                "n_cells_altered": n_alt,
                "n_cells_evaluable": n_ev,
                "prevalence": rest[0] if rest else prev,
                "ci_low": 0.0,
                "ci_high": 1.0,
                "evidence": "",
                "source": "test",
            }
        )
    return pd.DataFrame(rows)


def sheet_rows(tumour: str = "BRCA", *, draws=(("D1", "2026-01-10", ""),), **columns):
    """Patient-sheet rows of patient P1: one per (draw, date, therapy); extra columns."""
    base = {"primary_er": "unknown", "primary_pr": "unknown", "primary_her2": "unknown"}
    base.update(columns)
    return pd.DataFrame(
        [
            {
                "patient": "P1",
                "tumour_type": tumour,
                **base,
                "draw": d,
                "draw_date": date,
                "therapy": therapy or None,
            }
            for d, date, therapy in draws
        ]
    )


def context_of(tumour: str = "BRCA", **columns):
    return patient_context(sheet_rows(tumour, **columns))


@pytest.fixture(scope="session")
def kb():
    return load_kb()


@pytest.fixture(scope="session")
def civic():
    return read_civic(CIVIC_PATH)
