from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ctcgenomics.actionability import load_kb, read_civic
from ctcgenomics.io.alterations import alteration_row, alterations_frame

CIVIC_PATH = Path(__file__).resolve().parents[1] / "data" / "civic_predictive_2018-05-01.csv"


def make_alterations(*specs, patient: str = "P1") -> pd.DataFrame:
    """specs: (draw, gene, alteration, kind, n_altered, n_evaluable[, evidence])."""
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
                source="test",
            )
        )
    return alterations_frame(rows)


@pytest.fixture(scope="session")
def kb():
    return load_kb()


@pytest.fixture(scope="session")
def civic():
    return read_civic(CIVIC_PATH)
