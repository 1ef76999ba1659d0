"""Patient context: CTC enumeration findings, serial draws and receptor discordance."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from ctcgenomics.actionability._context import therapy_drugs
from ctcgenomics.io.alterations import alteration_row, alterations_frame

CELLSEARCH_VOLUME_ML = 7.5
"""CellSearch reports CTCs per 7.5 mL of blood; enumeration cut-offs refer to it."""


def enumeration_rows(patient_rows: pd.DataFrame) -> pd.DataFrame:
    """Turn the patient sheet's ``ctc_count``/``blood_volume_ml`` into enumeration findings.

    One row per draw with a count: gene ``CTC``, alteration ``CTC_COUNT=<n>`` where ``n``
    is the count normalised to 7.5 mL (rounded to 0.1), kind ``enumeration``. Prevalence
    does not apply (0 evaluable cells, so NaN). A missing volume is taken as 7.5 mL and
    said so in ``evidence``.
    """
    _need(patient_rows, ("patient", "draw"), "patient rows", "pass the patient-sheet rows")
    rows = []
    for rec in patient_rows.itertuples(index=False):
        count = getattr(rec, "ctc_count", None)
        if count is None or (isinstance(count, float) and math.isnan(count)):
            continue
        volume = getattr(rec, "blood_volume_ml", None)
        assumed = volume is None or (isinstance(volume, float) and math.isnan(volume))
        vol = CELLSEARCH_VOLUME_ML if assumed else float(volume)
        per75 = round(float(count) * CELLSEARCH_VOLUME_ML / vol, 1)
        note = " (volume not given, 7.5 mL assumed)" if assumed else ""
        rows.append(
            alteration_row(
                patient=str(rec.patient),
                draw=str(rec.draw),
                gene="CTC",
                alteration=f"CTC_COUNT={per75:g}",
                kind="enumeration",
                n_cells_altered=0,
                n_cells_evaluable=0,
                evidence=f"{int(count)} CTCs in {vol:g} mL = {per75:g} per 7.5 mL{note}",
                source="patient sheet (ctc_count, blood_volume_ml)",
            )
        )
    return alterations_frame(rows)


def current_drugs(therapy: str | None) -> set[str]:
    """Return the generic drug names named (directly or by class) in a free-text therapy line."""
    return set(therapy_drugs(therapy))


def serial_changes(
    alterations: pd.DataFrame,
    draws: Sequence[Mapping[str, object]],
    matches: pd.DataFrame,
    *,
    alpha: float = 0.05,
) -> list[dict[str, object]]:
    """Alterations that appear, disappear or change prevalence between consecutive draws.

    Parameters
    ----------
    alterations
        The patient's alterations table over all draws.
    draws
        Draw records (``draw``, ``draw_date``, ``therapy``), any order; compared in date
        order.
    matches
        The patient's match table, to attach what each change means.
    alpha
        Significance level of the two-sided Fisher exact test on altered / not altered
        cell counts for "increased"/"decreased"; smaller differences are "stable" and not
        listed.

    Returns
    -------
    list of dict
        One record per change: gene, alteration, change (``emerged``, ``disappeared``,
        ``increased``, ``decreased``), the two draws with dates and prevalence/CI, the
        Fisher p-value, the therapy at the later draw and the matched implications (with
        ``concerns_current_therapy`` set for resistance to a drug of the current line).
    """
    _need(alterations, ("gene", "alteration", "kind", "draw", "n_cells_altered"), "alterations",
          "pass a checked alterations table")  # fmt: skip
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    for d in draws:
        if "draw" not in d or "draw_date" not in d:
            raise ValueError(f"draw record {dict(d)} needs 'draw' and 'draw_date'")
    ordered = sorted(draws, key=lambda d: (str(d["draw_date"]), str(d["draw"])))
    cells = alterations[alterations["kind"] != "enumeration"]
    out: list[dict[str, object]] = []
    keys = sorted(set(zip(cells["gene"], cells["alteration"], strict=True)))
    for before, after in itertools.pairwise(ordered):
        for gene, alt in keys:
            a = _lookup(cells, before["draw"], gene, alt)
            b = _lookup(cells, after["draw"], gene, alt)
            present_a = a is not None and a["n_cells_altered"] > 0
            present_b = b is not None and b["n_cells_altered"] > 0
            p_value = float("nan")
            if present_b and not present_a:
                change = "emerged"
            elif present_a and not present_b:
                change = "disappeared"
            elif present_a and present_b:
                table = [
                    [a["n_cells_altered"], a["n_cells_evaluable"] - a["n_cells_altered"]],
                    [b["n_cells_altered"], b["n_cells_evaluable"] - b["n_cells_altered"]],
                ]
                from scipy.stats import fisher_exact  # heavy import, only needed here

                p_value = float(fisher_exact(table).pvalue)
                if p_value >= alpha:
                    continue
                change = "increased" if b["prevalence"] > a["prevalence"] else "decreased"
            else:
                continue
            drugs_now = current_drugs(after.get("therapy"))
            implications = _implications(matches, after["draw"], gene, alt, drugs_now)
            out.append(
                {
                    "gene": gene,
                    "alteration": alt,
                    "change": change,
                    "from": _state(before, a),
                    "to": _state(after, b),
                    "fisher_p": None if math.isnan(p_value) else p_value,
                    "therapy_at_later_draw": after.get("therapy") or "",
                    "implications": implications,
                }
            )
    return out


def _need(frame: object, columns: Sequence[str], what: str, fix: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lack column(s) {missing}; {fix}")


def _lookup(frame: pd.DataFrame, draw: object, gene: str, alt: str) -> dict | None:
    sel = frame[(frame["draw"] == draw) & (frame["gene"] == gene) & (frame["alteration"] == alt)]
    return None if sel.empty else sel.iloc[0].to_dict()


def _num(value: object) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _state(draw: Mapping[str, object], row: dict | None) -> dict[str, object]:
    state: dict[str, object] = {"draw": draw["draw"], "draw_date": draw["draw_date"]}
    if row is None:
        state.update({"detected": False, "note": "not in this draw's alterations table"})
    else:
        state.update(
            {
                "detected": row["n_cells_altered"] > 0,
                "n_cells_altered": int(row["n_cells_altered"]),
                "n_cells_evaluable": int(row["n_cells_evaluable"]),
                "prevalence": _num(float(row["prevalence"])),
                "ci_low": _num(float(row["ci_low"])),
                "ci_high": _num(float(row["ci_high"])),
            }
        )
    return state


def _implications(
    matches: pd.DataFrame, draw: object, gene: str, alt: str, drugs_now: set[str]
) -> list[dict[str, object]]:
    if matches.empty:
        return []
    sel = matches[
        (matches["draw"] == draw) & (matches["gene"] == gene) & (matches["alteration"] == alt)
    ]
    out = []
    for r in sel.itertuples(index=False):
        drugs = set(r.therapy.split(" + ")) if r.therapy else set()
        out.append(
            {
                "therapy": r.therapy,
                "level": r.level,
                "level_system": r.level_system,
                "direction": r.direction,
                "concerns_current_therapy": bool(r.direction == "resistance" and drugs & drugs_now),
            }
        )
    return out


_RECEPTORS = {
    "primary_her2": ("HER2", "ERBB2"),
    "primary_er": ("ER", "ESR1"),
    "primary_pr": ("PR", "PGR"),
}
_POSITIVE_CALLS = {"AMPLIFICATION", "EXPRESSION_HIGH"}


def discordances(
    alterations: pd.DataFrame, patient: Mapping[str, object]
) -> list[dict[str, object]]:
    """Primary-tumour receptor status versus what the CTCs show.

    Flags, per draw: a negative (or low) primary with CTCs carrying amplification or high
    expression of the receptor gene (a HER2-negative primary with ERBB2-amplified CTCs is
    the DETECT III situation); a HER2-0 primary with low ERBB2 RNA in CTCs (HER2-low-like);
    a positive primary whose CTCs show low expression; and for ER, an ER-negative primary
    with ESR1 mutations in CTCs. Only alterations present in the table can be compared:
    absence of a call is not taken as receptor loss. The explanation words the CTC finding
    as what was measured (amplified, RNA high/low), never as an IHC category such as HER2
    "negative" or "low", which needs IHC on tissue.
    """
    _need(alterations, ("gene", "alteration", "kind", "draw", "n_cells_altered"), "alterations",
          "pass a checked alterations table")  # fmt: skip
    out: list[dict[str, object]] = []
    for column, (receptor, gene) in _RECEPTORS.items():
        status = str(patient.get(column) or "unknown")
        if status == "unknown":
            continue
        rows = alterations[(alterations["gene"] == gene) & (alterations["n_cells_altered"] > 0)]
        for r in rows.itertuples(index=False):
            ctc = _ctc_status(r.alteration, r.kind)
            if ctc is None:
                continue
            explanation = _explain(receptor, status, ctc, _ctc_finding(gene, str(r.alteration)))
            if explanation:
                out.append(
                    {
                        "draw": r.draw,
                        "receptor": receptor,
                        "primary_status": status,
                        "ctc_finding": f"{gene} {r.alteration}",
                        "ctc_status": ctc,
                        "n_cells_altered": int(r.n_cells_altered),
                        "n_cells_evaluable": int(r.n_cells_evaluable),
                        "prevalence": _num(float(r.prevalence)),
                        "ci_low": _num(float(r.ci_low)),
                        "ci_high": _num(float(r.ci_high)),
                        "explanation": explanation,
                    }
                )
    return out


def _ctc_status(alteration: str, kind: str) -> str | None:
    if alteration in _POSITIVE_CALLS:
        return "positive"
    if alteration == "EXPRESSION_LOW":
        return "low"
    if kind == "mutation":
        return "mutated"
    return None


def _ctc_finding(gene: str, alteration: str) -> str:
    """Return what the CTCs showed, in the toolkit's terms, never as an IHC/ISH category.

    HER2/ER/PR "positive", "low", "0" or "negative" are categories of IHC (and ISH) on
    tumour tissue, which this toolkit does not measure: say amplified or RNA high/low.
    """
    if alteration == "AMPLIFICATION":
        return f"{gene} amplified in the CTCs assayed"
    if alteration == "EXPRESSION_HIGH":
        return f"{gene} RNA high in the CTCs assayed (not an IHC score)"
    if alteration == "EXPRESSION_LOW":
        like = " (HER2-low-like; not an IHC score)" if gene == "ERBB2" else " (not an IHC score)"
        return f"{gene} RNA low in the CTCs assayed{like}"
    return f"{gene} {alteration} in the CTCs assayed"


def _explain(receptor: str, primary: str, ctc: str, finding: str) -> str:
    if receptor == "HER2" and primary in {"negative", "low"} and ctc == "positive":
        return (
            f"HER2-{primary} primary tumour but {finding}. CTC phenotypes can diverge from "
            "the primary; in DETECT III (NCT01619111) patients whose CTCs stained for HER2 "
            "protein (CellSearch) were randomised to add lapatinib. Consider re-biopsy of a "
            "metastasis."
        )
    if receptor == "HER2" and primary == "negative" and ctc == "low":
        return (
            f"HER2-negative (HER2-0) primary but {finding}: if IHC on tumour tissue (a "
            "metastasis) shows HER2-low, trastuzumab deruxtecan becomes an option."
        )
    if primary == "positive" and ctc == "low":
        return (
            f"{receptor}-positive primary but {finding}: lower receptor expression in "
            "disseminated cells can accompany resistance to receptor-directed therapy; IHC "
            "on a metastasis decides."
        )
    if primary in {"negative", "low"} and ctc == "positive" and receptor != "HER2":
        return f"{receptor}-{primary} primary but {finding}."
    if receptor == "ER" and primary == "negative" and ctc == "mutated":
        return "ER-negative primary but ESR1-mutated CTCs: check ER status of the metastasis."
    return ""
