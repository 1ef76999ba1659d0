"""Report section 2: therapy, resistance and prognosis matches with their sources."""

from __future__ import annotations

import re

import pandas as pd

from ctcgenomics.actionability._match import CONFIRM_GERMLINE
from ctcgenomics.report._inputs import LoadedInputs
from ctcgenomics.report._sections._common import _level_rank, _records, absent, clean
from ctcgenomics.report._sections._evaluable import evaluable_ctcs

_PMID_RE = re.compile(r"\[?PMID:?\s*(\d+)\]?")


def _pick_kb(meta: dict) -> dict:
    """Name, version and date of the knowledge base from ``actionability.json``."""
    found: dict = {}
    for key in ("kb", "knowledge_base"):
        if isinstance(meta.get(key), dict):
            found = meta[key]
            break
    if not found and "kb_version" in meta:
        found = {"version": meta["kb_version"]}
    return {k: str(found.get(k, "") or "") for k in ("name", "version", "date")}


def _ranked(matches: pd.DataFrame) -> pd.DataFrame:
    key = matches.assign(
        _lvl=matches["level"].map(_level_rank),
        _prev=-pd.to_numeric(matches["prevalence"], errors="coerce").fillna(-1.0),
    )
    order = ["_lvl", "_prev", *[c for c in ("draw", "gene", "alteration", "therapy") if c in key]]
    return key.sort_values(order, kind="stable").drop(columns=["_lvl", "_prev"])


def headline_therapies(matches: pd.DataFrame | None, direction: str) -> list[dict]:
    """Best match per therapy (``sensitivity``) or per alteration x therapy (``resistance``).

    Ranked by evidence level, then prevalence, as in the therapies table. Each record
    keeps the ``origin`` of its alteration and, for a germline variant, the flag
    ``confirm`` (:data:`~ctcgenomics.actionability._match.CONFIRM_GERMLINE`): an inherited
    variant is in every cell, so its CTC prevalence is not a finding of the tumour and the
    page shows the flag in its place.
    """
    if matches is None or matches.empty:
        return []
    sub = _ranked(matches[matches["direction"] == direction])
    keys = ["therapy"] if direction == "sensitivity" else ["gene", "alteration", "therapy"]
    best = sub.drop_duplicates(keys, keep="first")
    draws = sub.groupby(keys)["draw"].agg(lambda d: ", ".join(sorted(set(map(str, d)))))
    best = best.join(draws.rename("draws"), on=keys)
    cols = ("therapy", "gene", "alteration", "origin", "level", "tumour_type_match",
            "prevalence", "ci_low", "ci_high", "draws")  # fmt: skip
    records = _records(best, cols)
    for rec in records:
        rec["origin"] = "germline" if rec.get("origin") == "germline" else "somatic"
        rec["confirm"] = CONFIRM_GERMLINE if rec["origin"] == "germline" else ""
    return records


THERAPY_COLUMNS = (
    "draw", "gene", "alteration", "therapy", "level", "label_level", "level_system",
    "direction", "tumour_type_match", "granularity", "context_status", "context_note", "caps",
    "confirm", "prevalence", "ci_low", "ci_high", "n_cells_altered", "n_cells_evaluable",
    "clonality", "sources",
)  # fmt: skip


def parse_sources(text: str) -> list[dict]:
    """Split a ``;``/``|``-separated sources string into ``{"text", "pmid"}`` items."""
    items = []
    for part in re.split(r"\s*[;|]\s*", str(text or "")):
        if not part:
            continue
        m = _PMID_RE.search(part)
        items.append({"text": part, "pmid": m.group(1) if m else ""})
    return items


def detected_matches(matches: pd.DataFrame | None) -> pd.DataFrame | None:
    """Keep the matches of alterations found in at least one CTC of their draw.

    The alterations table also lists alterations evaluated but not found (0 cells
    altered); matches on those are not findings and are left out of the report.
    """
    if matches is None or matches.empty:
        return matches
    altered = pd.to_numeric(matches["n_cells_altered"], errors="coerce")
    keep = (altered > 0) | (matches["kind"] == "enumeration")
    return matches[keep.to_numpy()]


def _n_not_detected(meta: dict) -> int:
    """Alterations evaluated in a draw but carried by none of its CTCs (never matched)."""
    return sum(
        row.get("reason_code") == "not_detected"
        for draw in meta.get("draws", [])
        for row in draw.get("unmatched", [])
    )


def _germline_findings(meta: dict) -> list[dict]:
    """Germline variants in predisposition genes, each flagged for certified confirmation."""
    out = []
    for finding in meta.get("germline_findings", []):
        matches = [
            {**m, "sources": parse_sources(m.get("sources", ""))}
            for m in finding.get("matches", [])
        ]
        out.append(clean({**finding, "matches": matches}))
    return out


def therapies_section(loaded: LoadedInputs) -> dict:
    """Therapy, resistance and prognosis matches of detected alterations, ranked."""
    if "alterations" in loaded.failed:
        return {
            "status": "failed",
            "reason": "the stages' alterations could not be merged, so nothing was matched: "
            + loaded.failed["alterations"],
        }
    if loaded.matches is None:
        return absent(loaded, "actionability", "no therapy matching")
    kb = _pick_kb(loaded.actionability_meta)
    found = detected_matches(loaded.matches)
    if "origin" in found.columns:  # germline findings have their own part of the section
        found = found[found["origin"].astype(str) != "germline"]
    rows = _records(_ranked(found), THERAPY_COLUMNS) if len(found) else []
    for row in rows:
        row["sources"] = parse_sources(row.get("sources", ""))
    evaluable = evaluable_ctcs(loaded)
    note = ""
    if evaluable["total"] == 0:
        note = (
            f"No evaluable CTC: {evaluable['statement']}. No alteration could be called from "
            "the CTCs, so no therapy is matched to one"
            + (" (matches below come from the CTC enumeration only)." if rows else ".")
        )
    return {
        "status": "ok",
        "kb": kb,
        "evaluable_ctcs": evaluable["total"],
        "note": note,
        "n_matches": len(rows),
        "n_not_detected": _n_not_detected(loaded.actionability_meta),
        "matches": rows,
        "germline_findings": _germline_findings(loaded.actionability_meta),
    }
