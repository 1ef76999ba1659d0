"""Label context: what a label requires of the patient, checked against the patient sheet.

A knowledge-base entry may carry a ``context`` (hormone-receptor and HER2 status,
castration status, prior therapy, line of therapy; see ``kb.schema.json``). For each
match it is compared with the patient sheet and the match gets a ``context_status``:

* ``not_required`` - the entry states no context;
* ``confirmed`` - every requirement is met by what the sheet records;
* ``not_confirmed`` - nothing contradicts it, but the sheet does not record enough
  (shown with "context not confirmed");
* ``contradicted`` - the sheet records something the label excludes; such a match is
  never shown at the label's level (see :func:`ctcgenomics.actionability.match`).

Receptor status comes from the primary tumour columns of the patient sheet; therapy
exposure from ``prior_therapies`` (a complete list when given, ``none`` for none) and
the ``therapy`` of this and earlier draws. A therapy recorded at the draw counts as
exposure: the sheet does not say whether the disease progressed on it, which the
context note states.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from ctcgenomics.actionability._data import drug_class_terms, therapy_classes

CONTEXT_STATUSES: tuple[str, ...] = ("not_required", "confirmed", "not_confirmed", "contradicted")
"""Values of ``context_status``, from best to worst."""

_RECEPTOR_POSITIVE = {"positive", "low"}  # ER/PR-low (1-10 %) is reported as positive
_CONTEXT_KEYS = frozenset(
    {"hr", "er", "her2", "castration", "prior_therapy", "no_prior_therapy", "min_prior_lines",
     "max_prior_lines"}
)  # fmt: skip
_NONE_WORDS = {"none", "no", "naive", "treatment-naive", "treatment naive", "-"}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) == ""


def therapy_drugs(text: object) -> frozenset[str]:
    """Return the generic drug names named (directly or by class) in a free-text therapy.

    ``"letrozole + palbociclib"`` -> {letrozole, palbociclib}; ``"aromatase inhibitor"``
    -> the three aromatase inhibitors; ``none`` -> empty.
    """
    if _blank(text):
        return frozenset()
    lower = str(text).lower().strip()
    if lower in _NONE_WORDS:
        return frozenset()
    drugs = {w.strip() for w in re.split(r"[+,;/]|\band\b", lower) if w.strip()}
    drugs -= _NONE_WORDS
    for term, names in drug_class_terms().items():
        if re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", lower):
            drugs.update(names)
    return frozenset(drugs)


@dataclass(frozen=True)
class DrawHistory:
    """What the patient sheet says about therapy up to one draw."""

    exposed: frozenset[str] = frozenset()
    complete: bool = False
    prior_lines: int | None = None


@dataclass(frozen=True)
class PatientContext:
    """Patient facts that label contexts are checked against.

    Attributes
    ----------
    er, pr, her2
        Primary-tumour status: ``positive``, ``negative``, ``low``, ``unknown`` (HER2
        also ``ultralow``; ``negative`` for HER2 means not positive with the IHC score
        not recorded as low/ultralow).
    castration
        ``resistant``, ``sensitive`` or ``unknown`` (prostate cancer).
    draws
        Draw ID -> :class:`DrawHistory`.
    notes
        Remarks on the sheet (e.g. an unusual receptor combination).
    """

    er: str = "unknown"
    pr: str = "unknown"
    her2: str = "unknown"
    castration: str = "unknown"
    draws: Mapping[str, DrawHistory] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def history(self, draw: str) -> DrawHistory:
        """Therapy history at ``draw`` (empty and incomplete if the draw is unknown)."""
        return self.draws.get(str(draw), DrawHistory())

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary (the ``patient_context`` key of the report)."""
        return {
            "primary_er": self.er,
            "primary_pr": self.pr,
            "primary_her2": self.her2,
            "castration_status": self.castration,
            "draws": {
                d: {
                    "therapies_recorded": sorted(h.exposed),
                    "prior_therapies_complete": h.complete,
                    "prior_lines": h.prior_lines,
                }
                for d, h in self.draws.items()
            },
            "notes": list(self.notes),
        }


def patient_context(patient_rows: pd.DataFrame) -> PatientContext:
    """Build the :class:`PatientContext` of one patient from their patient-sheet rows.

    Parameters
    ----------
    patient_rows
        The patient's rows (one per draw) with ``primary_er``, ``primary_pr``,
        ``primary_her2``, ``draw``, ``draw_date`` and optionally ``therapy``,
        ``prior_therapies``, ``prior_lines`` and ``castration_status``.

    Raises
    ------
    ValueError
        If a required column is missing or the rows are not one patient's.
    """
    need = {"draw", "draw_date"}
    missing = sorted(need - set(patient_rows.columns))
    if missing:
        raise ValueError(f"patient rows lack column(s) {missing}; pass the patient-sheet rows")
    if patient_rows.empty:
        return PatientContext()
    if "patient" in patient_rows and patient_rows["patient"].nunique() > 1:
        raise ValueError("patient rows belong to several patients; pass one patient's rows")
    records = sorted(
        patient_rows.to_dict("records"), key=lambda r: (str(r["draw_date"]), str(r["draw"]))
    )
    first = records[0]

    def status(col: str) -> str:
        value = first.get(col)
        return "unknown" if _blank(value) else str(value)

    draws: dict[str, DrawHistory] = {}
    exposed: set[str] = set()
    complete = False
    for rec in records:
        prior = rec.get("prior_therapies")
        if not _blank(prior):
            complete = True
            exposed |= therapy_drugs(prior)
        exposed |= therapy_drugs(rec.get("therapy"))
        lines = rec.get("prior_lines")
        draws[str(rec["draw"])] = DrawHistory(
            frozenset(exposed), complete, None if _blank(lines) else int(lines)
        )
    castration = "unknown"
    for rec in records:  # the latest recorded castration status applies to later draws too
        if not _blank(rec.get("castration_status")):
            castration = str(rec["castration_status"])
    notes = []
    er, pr = status("primary_er"), status("primary_pr")
    if er == "negative" and pr in _RECEPTOR_POSITIVE:
        notes.append(
            "primary tumour recorded ER-negative but PR-positive, a rare combination that "
            "ASCO/CAP advise re-testing; hormone-receptor status is read as positive (PR)"
        )
    return PatientContext(er, pr, status("primary_her2"), castration, draws, tuple(notes))


@dataclass(frozen=True)
class ContextResult:
    """Outcome of checking one entry's context."""

    status: str
    requirement: str
    note: str


def describe_context(spec: Mapping[str, object]) -> str:
    """Return a short human text of a label context (e.g. "HR-positive; after ARSI")."""
    parts = []
    if "hr" in spec:
        parts.append(f"HR-{spec['hr']}")
    if "er" in spec:
        parts.append(f"ER-{spec['er']}")
    if "her2" in spec:
        parts.append("HER2 " + "/".join(str(s) for s in spec["her2"]))
    if "castration" in spec:
        parts.append(f"castration-{spec['castration']}")
    for cls in spec.get("prior_therapy", []):
        parts.append(f"after {cls.replace('_', ' ')}")
    for cls in spec.get("no_prior_therapy", []):
        parts.append(f"no prior {cls.replace('_', ' ')}")
    if "min_prior_lines" in spec:
        parts.append(f"at least {spec['min_prior_lines']} prior line(s) for advanced disease")
    if "max_prior_lines" in spec:
        n = spec["max_prior_lines"]
        parts.append("first line" if n == 0 else f"at most {n} prior line(s)")
    return "; ".join(parts)


def evaluate_context(
    spec: Mapping[str, object] | None, ctx: PatientContext | None, draw: str
) -> ContextResult:
    """Check a label context against the patient at one draw.

    Parameters
    ----------
    spec
        The entry's ``context`` mapping (``None`` or empty: nothing required).
    ctx
        The patient's context; ``None`` when unknown (everything "not confirmed").
    draw
        Draw ID (therapy history is per draw).

    Returns
    -------
    ContextResult
        Status (see the module docstring), the requirement text and a note naming what
        is contradicted or missing.
    """
    if not spec:
        return ContextResult("not_required", "", "")
    if not isinstance(spec, Mapping):
        raise TypeError(f"context spec must be a mapping (an entry's 'context'), got {spec!r}")
    unknown_keys = sorted(set(spec) - _CONTEXT_KEYS)
    if unknown_keys:
        raise ValueError(f"unknown context field(s) {unknown_keys}; use {sorted(_CONTEXT_KEYS)}")
    if ctx is not None and not isinstance(ctx, PatientContext):
        raise TypeError(f"ctx must be a PatientContext (patient_context), got {type(ctx).__name__}")
    ctx = ctx or PatientContext()
    contradicted: list[str] = []
    unknown: list[str] = []
    history = ctx.history(draw)

    def receptor(name: str, value: str, want: str) -> None:
        if value == "unknown":
            unknown.append(f"{name} status not recorded")
        elif (value in _RECEPTOR_POSITIVE) != (want == "positive"):
            contradicted.append(f"primary tumour {name}-{value}, label needs {name}-{want}")

    if "er" in spec:
        receptor("ER", ctx.er, str(spec["er"]))
    if "hr" in spec:
        want = str(spec["hr"])
        pos = [v for v in (ctx.er, ctx.pr) if v in _RECEPTOR_POSITIVE]
        neg = [v for v in (ctx.er, ctx.pr) if v == "negative"]
        if (want == "positive" and pos) or (want == "negative" and len(neg) == 2):
            pass
        elif (want == "positive" and len(neg) == 2) or (want == "negative" and pos):
            contradicted.append(f"primary tumour ER-{ctx.er}/PR-{ctx.pr}, label needs HR-{want}")
        else:
            unknown.append("hormone-receptor status not recorded")
    if "her2" in spec:
        verdict = _her2(ctx.her2, {str(s) for s in spec["her2"]})
        allowed = "/".join(str(s) for s in spec["her2"])
        if verdict == "contradicted":
            contradicted.append(f"primary tumour HER2-{ctx.her2}, label needs HER2 {allowed}")
        elif verdict == "unknown":
            unknown.append(
                f"HER2 recorded as {ctx.her2!r}; the label needs HER2 {allowed} "
                "(record the IHC score: low = 1+ or 2+/ISH-negative, ultralow = 0 with "
                "membrane staining)"
            )
    if "castration" in spec:
        want = str(spec["castration"])
        if ctx.castration == "unknown":
            unknown.append("castration status not recorded")
        elif ctx.castration != want:
            contradicted.append(f"castration-{ctx.castration}, label needs castration-{want}")
    classes = therapy_classes()
    for name in spec.get("prior_therapy", []):
        if _exposed(classes[name], history):
            continue
        if history.complete:
            contradicted.append(f"no {name.replace('_', ' ')} in the recorded prior therapy")
        else:
            unknown.append(f"prior {name.replace('_', ' ')} not recorded")
    for name in spec.get("no_prior_therapy", []):
        if _exposed(classes[name], history):
            contradicted.append(f"{name.replace('_', ' ')} already given")
        elif not history.complete:
            unknown.append(f"whether {name.replace('_', ' ')} was given is not recorded")
    lines = history.prior_lines
    for key, ok in (
        ("min_prior_lines", lambda n, k: n >= k),
        ("max_prior_lines", lambda n, k: n <= k),
    ):
        if key in spec:
            if lines is None:
                unknown.append("prior lines of therapy not recorded (prior_lines)")
            elif not ok(lines, int(spec[key])):
                contradicted.append(
                    f"{lines} prior line(s) recorded, label: {describe_context({key: spec[key]})}"
                )
    if contradicted:
        status = "contradicted"
    elif unknown:
        status = "not_confirmed"
    else:
        status = "confirmed"
    note = "; ".join(contradicted + unknown)
    if status != "contradicted" and any(n in spec for n in ("prior_therapy", "min_prior_lines")):
        note = "; ".join(filter(None, [note, "progression on prior therapy is not recorded"]))
    return ContextResult(status, describe_context(spec), note)


def _exposed(cls, history: DrawHistory) -> bool:
    if cls.any_drug:
        return bool(history.exposed)
    return bool(cls.drugs & history.exposed)


def _her2(patient: str, allowed: set[str]) -> str:
    """Return confirmed / contradicted / unknown for a HER2 requirement."""
    if patient == "unknown":
        return "unknown"
    if patient == "positive":
        return "confirmed" if "positive" in allowed else "contradicted"
    if patient in {"low", "ultralow"}:
        return "confirmed" if allowed & {patient, "negative"} else "contradicted"
    # "negative": not HER2-positive, IHC score not recorded as low/ultralow.
    if "negative" in allowed:
        return "confirmed"
    if allowed == {"positive"}:
        return "contradicted"
    return "unknown"
