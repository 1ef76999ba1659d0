"""Report section 6: draws, serial changes, discordance flags and prevalence over time."""

from __future__ import annotations

import pandas as pd

from ctcgenomics.report._inputs import LoadedInputs
from ctcgenomics.report._sections._common import _as_bool, clean
from ctcgenomics.report._sections._therapy import detected_matches


def _draw_counts(loaded: LoadedInputs, draw: str) -> dict:
    out: dict[str, object] = {"ctc_sequenced": None, "ctc_pass_qc": None, "by_assay": {}}
    if loaded.cells is None:
        return out
    ctc = loaded.cells[(loaded.cells["draw"] == draw) & (loaded.cells["role"] == "ctc")]
    passed = None
    if loaded.qc is not None:
        qc = loaded.qc.set_index("cell")
        passed = _as_bool(qc["qc_pass"]).reindex(ctc["cell"]).fillna(False)
    by_assay = {}
    for assay, sub in ctc.groupby("assay", sort=True):
        by_assay[str(assay)] = {
            "sequenced": len(sub),
            "pass_qc": None if passed is None else int(passed.reindex(sub["cell"]).sum()),
        }
    out["by_assay"] = by_assay
    out["ctc_sequenced"] = len(ctc)
    out["ctc_pass_qc"] = None if passed is None else int(passed.sum())
    return out


def draws_table(loaded: LoadedInputs) -> list[dict]:
    """One row per draw: date, blood volume, enumerated and sequenced CTCs, therapy."""
    rows = []
    sheet = loaded.patients.sort_values(["draw_date", "draw"], kind="stable")
    for row in sheet.to_dict("records"):
        draw = str(row["draw"])
        rows.append(
            clean(
                {
                    "draw": draw,
                    "draw_date": str(row.get("draw_date", "")),
                    "blood_volume_ml": row.get("blood_volume_ml"),
                    "ctc_count": row.get("ctc_count"),
                    "therapy": row.get("therapy") or "",
                    **_draw_counts(loaded, draw),
                }
            )
        )
    return rows


def _frac(state: dict) -> str:
    if "n_cells_altered" not in state:
        # No row for this draw: the writers list what they assessed, but a row may be
        # missing because the draw was not assessed for it (no CTC passed, another assay).
        return f"no call in {state['draw']} (not detected, or not assessed)"
    return f"{state['n_cells_altered']}/{state['n_cells_evaluable']} CTCs in {state['draw']}"


def _draw_records(loaded: LoadedInputs) -> list[dict]:
    cols = [c for c in ("draw", "draw_date", "therapy") if c in loaded.patients]
    return [clean(r) for r in loaded.patients[cols].to_dict("records")]


def _match_frame(loaded: LoadedInputs) -> pd.DataFrame:
    from ctcgenomics.actionability._match import MATCH_COLUMNS

    found = detected_matches(loaded.matches)
    return found if found is not None else pd.DataFrame(columns=list(MATCH_COLUMNS))


def draw_changes(loaded: LoadedInputs) -> list[dict]:
    """Alterations that emerge, disappear or change prevalence between consecutive draws.

    The rules are those of :func:`ctcgenomics.actionability.serial_changes` (Fisher exact
    test for increases/decreases); each record gains a ``text`` for the page and flags a
    resistance finding against the therapy of the later draw.
    """
    from ctcgenomics.actionability import serial_changes as _changes

    alt = loaded.alterations
    if alt is None or alt.empty:
        return []
    out = []
    for rec in _changes(alt, _draw_records(loaded), _match_frame(loaded)):
        concern = [i["therapy"] for i in rec["implications"] if i["concerns_current_therapy"]]
        text = (
            f"{rec['gene']} {rec['alteration']} {rec['change']}: {_frac(rec['from'])}, "
            f"{_frac(rec['to'])}"
        )
        if concern:
            text += f"; resistance to the current therapy ({', '.join(concern)})"
        out.append(clean({"kind": "between_draws", **rec, "text": text}))
    return out


def discordance_flags(loaded: LoadedInputs) -> list[dict]:
    """Primary-tumour receptor status that the CTCs contradict, and changes between draws.

    Receptor discordance follows :func:`ctcgenomics.actionability.discordances` (HER2, ER,
    PR of the patient sheet against amplification, expression and mutation calls of the
    CTCs); changes between draws follow :func:`draw_changes`.
    """
    from ctcgenomics.actionability import discordances

    alt = loaded.alterations
    if alt is None or alt.empty:
        return []
    flags = []
    for rec in discordances(alt, loaded.patients.iloc[0].to_dict()):
        text = (
            f"{rec['receptor']}-{rec['primary_status']} primary tumour, {rec['ctc_finding']} in "
            f"{rec['n_cells_altered']}/{rec['n_cells_evaluable']} CTCs ({rec['draw']}): "
            f"{rec['explanation']}"
        )
        flags.append(clean({"kind": "primary_vs_ctc", **rec, "text": text}))
    return flags + draw_changes(loaded)


def serial_section(loaded: LoadedInputs) -> dict:
    """Prevalence of every alteration and the CTC counts across draws."""
    draws = draws_table(loaded)
    counts = [{k: d[k] for k in ("draw", "draw_date", "ctc_count", "ctc_sequenced",
                                 "ctc_pass_qc")} for d in draws]  # fmt: skip
    if loaded.alterations is None:
        return {
            "status": "ok",
            "draws": counts,
            "alterations": [],
            "changes": draw_changes(loaded),
            "note": "alteration prevalence needs the alterations table, which was not given",
            "figures": ["timeline"],
        }
    alt = loaded.alterations[loaded.alterations["kind"] != "enumeration"]
    order = [d["draw"] for d in draws]
    series = []
    for (gene, alteration, kind), sub in alt.groupby(["gene", "alteration", "kind"], sort=True):
        by_draw = sub.set_index(sub["draw"].astype(str))
        points = []
        for draw in order:
            if draw not in by_draw.index:
                continue
            r = by_draw.loc[draw]
            if isinstance(r, pd.DataFrame):
                r = r.iloc[0]
            points.append(clean({
                "draw": draw, "n_cells_altered": r["n_cells_altered"],
                "n_cells_evaluable": r["n_cells_evaluable"], "prevalence": r["prevalence"],
                "ci_low": r["ci_low"], "ci_high": r["ci_high"],
            }))  # fmt: skip
        series.append({"gene": gene, "alteration": alteration, "kind": kind, "points": points})
    return {
        "status": "ok",
        "draws": counts,
        "alterations": series,
        "changes": draw_changes(loaded),
        "note": "",
        "figures": ["timeline"],
    }
