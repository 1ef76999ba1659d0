"""Helpers shared by the report sections: JSON cleaning, absent sections, cell metadata."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

# Level ranking shared with the actionability module (OncoKB-style, then CIViC A-E).
from ctcgenomics.actionability._kb import LEVEL_ORDER
from ctcgenomics.io._json import json_ready as clean  # the one JSON cleaner
from ctcgenomics.report._inputs import LoadedInputs


def _records(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> list[dict]:
    if columns is not None:
        frame = frame.loc[:, [c for c in columns if c in frame.columns]]
    return [clean(r) for r in frame.to_dict("records")]


def not_run(reason: str) -> dict:
    """Return a section without data, with the reason shown to the reader."""
    return {"status": "not_run", "reason": reason}


def absent(loaded: LoadedInputs, stage: str, default: str) -> dict:
    """Return the section of a stage without data: ``failed`` (with why) or ``not_run``."""
    if stage in loaded.failed:
        return {"status": "failed", "reason": loaded.failed[stage]}
    return not_run(loaded.not_run.get(stage, default))


def _level_rank(level: object) -> int:
    text = str(level)
    return LEVEL_ORDER.index(text) if text in LEVEL_ORDER else len(LEVEL_ORDER)


def _as_bool(series: pd.Series) -> pd.Series:
    if series.dtype == bool:
        return series
    return series.astype(str).str.strip().str.lower().isin({"true", "1", "yes", "pass"})


def _cell_meta(
    loaded: LoadedInputs, names: Iterable[str], obs: pd.DataFrame | None
) -> pd.DataFrame:
    """Draw, role and assay of each cell: the cell sheet first, then the AnnData ``obs``."""
    names = list(names)
    meta = pd.DataFrame(index=pd.Index(names, name="cell"))
    for col in ("draw", "role", "assay"):
        values = pd.Series("", index=meta.index, dtype=object)
        if obs is not None and col in obs:
            values = obs[col].astype(str).reindex(meta.index).fillna("")
        if loaded.cells is not None and col in loaded.cells:
            sheet = loaded.cells[col].astype(str)
            known = meta.index.isin(sheet.index)
            values[known] = sheet.reindex(meta.index[known]).to_numpy()
        meta[col] = values.replace("", "unknown")
    return meta


def _draw_order(loaded: LoadedInputs) -> list[str]:
    sheet = loaded.patients.sort_values(["draw_date", "draw"], kind="stable")
    return [str(d) for d in sheet["draw"]]
