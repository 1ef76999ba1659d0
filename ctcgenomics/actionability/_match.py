"""Match an alterations table against the knowledge base (and optional CIViC evidence).

Every row of the table ends in exactly one place: a match (``matches``) or an
explanation (``unmatched`` with a ``reason_code`` and a ``reason``). The level shown is the
label's level only when nothing limits it; the limits ("caps") are documented in
``docs/actionability.md`` and listed in each match's ``caps`` column:

* another indication: 1/2/3A -> 3B, R1 -> R2;
* label context contradicted by the patient sheet: 1/2/3A -> 3B, R1 -> R2;
* CTC RNA expression read as a surrogate of a tissue biomarker: at most 3B (R2), with
  "confirm on tissue";
* a CTC call of another analyte than the CTC assay of the evidence (an AR-V7 RNA call for
  evidence on nuclear AR-V7 protein): at most 3B (R2), with "confirm with <that assay>";
* subclonal alteration (upper 95 % Wilson bound of the CTC prevalence below the clonal
  threshold): at most 3B (R2), ranked after clonal and indeterminate ones.
"""

from __future__ import annotations

import logging
import math
import warnings as _warnings
from dataclasses import dataclass, field

import pandas as pd

from ctcgenomics.actionability._civic import CivicEvidence, CivicItem
from ctcgenomics.actionability._context import (
    CONTEXT_STATUSES,
    PatientContext,
    evaluate_context,
)
from ctcgenomics.actionability._data import (
    PSEUDO_GENES,
    gene_aliases,
    gene_roles,
    genome_gene_symbols,
    predisposition_genes,
)
from ctcgenomics.actionability._hgvs import parse_hgvsp
from ctcgenomics.actionability._kb import LEVEL_ORDER, Entry, KnowledgeBase, load_kb
from ctcgenomics.actionability._oncotree import oncotree
from ctcgenomics.actionability._params import MatchParams
from ctcgenomics.actionability._patterns import (
    GRANULARITY_ORDER,
    Observation,
    Pattern,
    pattern_matches,
)
from ctcgenomics.io.alterations import (
    CELL_STATE_PATTERNS,
    AlterationTableError,
    check_alterations,
    mutation_form,
)

log = logging.getLogger(__name__)

MATCH_COLUMNS: tuple[str, ...] = (
    "patient", "draw", "gene", "alteration", "kind", "origin", "therapy", "level",
    "label_level", "level_system", "direction", "tumour_type_match", "indication",
    "granularity", "kb_pattern", "entry_id", "escat", "context_status", "context",
    "context_note", "caps", "confirm", "prevalence", "ci_low", "ci_high", "n_cells_altered",
    "n_cells_evaluable", "clonality", "summary", "sources", "last_reviewed",
)  # fmt: skip
"""Columns of the match table (and of ``actionability.tsv`` after the header columns)."""

UNMATCHED_REASONS: dict[str, str] = {
    "unknown_gene": "unknown gene symbol",
    "not_detected": "not detected in this draw",
    "not_evaluable": "not evaluable in this draw",
    "unannotated": "unannotated variant",
    "cell_state": "cell state",
    "loh": "loss of heterozygosity alone",
    "germline_not_reported": "germline variant outside the cancer-predisposition genes",
    "gain_not_amplification": "copy-number gain",
    "no_match": "no knowledge-base match",
}
"""``reason_code`` -> short reason of the ``unmatched`` table (details follow in ``reason``)."""

CONFIRM_TISSUE = "confirm on tissue"
# What a row of each kind measured in the CTCs (the RNA step writes the expression rows).
_ANALYTE = {"expression": "rna", "mutation": "dna", "copy_number": "dna", "fusion": "dna"}
CONFIRM_GERMLINE = "germline, confirm in a certified laboratory"

_TUMOUR_MATCH_ORDER = {"in_indication": 0, "tumour_agnostic": 1, "other_indication": 2}
_CAP = {"1": "3B", "2": "3B", "3A": "3B", "R1": "R2"}


@dataclass
class MatchResult:
    """Result of :func:`match`.

    Attributes
    ----------
    matches
        One row per alteration x therapy (or prognostic/negative statement), ranked:
        clonal and indeterminate alterations first, then subclonal ones; within each, by
        level and prevalence. Columns :data:`MATCH_COLUMNS`.
    unmatched
        Alterations with no match, each explained: columns of the input plus
        ``reason_code`` (a key of :data:`UNMATCHED_REASONS`) and ``reason``.
    warnings
        Human-readable notes on the input (alias resolution, unknown genes, legacy
        spellings, unusual receptor status).
    tumour_type
        Resolved OncoTree code.
    kb
        Knowledge-base name, version, date, cut-off and file.
    civic
        CIViC file summary, or ``None``.
    params
        The matching parameters.
    """

    matches: pd.DataFrame
    unmatched: pd.DataFrame
    warnings: list[str]
    tumour_type: str
    kb: dict[str, str]
    civic: dict[str, object] | None = None
    params: dict[str, object] = field(default_factory=dict)


def clonality(prevalence: float, ci_high: float, threshold: float) -> str:
    """Label an alteration clonal, subclonal or indeterminate from its prevalence CI.

    ``clonal`` when the prevalence is at least ``threshold``; ``subclonal`` when even the
    upper confidence bound is below it (the data exclude that most CTCs carry it);
    ``indeterminate`` when the point estimate is below but the interval cannot exclude
    clonality (typical with a handful of CTCs), or when prevalence is undefined (no
    evaluable cells, enumeration).

    Raises
    ------
    ValueError
        If ``threshold`` is not in (0, 1].
    """
    if not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise ValueError(f"clonal threshold must be in (0, 1], got {threshold!r}")
    if prevalence is None or ci_high is None or math.isnan(prevalence) or math.isnan(ci_high):
        return "indeterminate"
    if prevalence >= threshold:
        return "clonal"
    if ci_high < threshold:
        return "subclonal"
    return "indeterminate"


def resolve_gene(symbol: str, kb_genes: frozenset[str]) -> tuple[str | None, str]:
    """Resolve a gene symbol to the approved one.

    Parameters
    ----------
    symbol
        The symbol as written.
    kb_genes
        Symbols known to the knowledge base.

    Returns
    -------
    tuple
        ``(symbol or None, note)``: the note is empty for an approved symbol, describes
        the alias used, or (symbol ``None``) says the symbol is unknown with near matches.
    """
    if not isinstance(symbol, str):
        raise TypeError(f"gene symbol must be a string, got {type(symbol).__name__}")
    sym = symbol.strip()
    if sym in kb_genes or sym in PSEUDO_GENES or sym in CELL_STATE_PATTERNS:
        return sym, ""
    upper = sym.upper()
    aliases = gene_aliases()
    if upper in aliases:
        return aliases[upper], f"gene {sym!r} resolved to {aliases[upper]!r} via the alias table"
    if upper in kb_genes:
        return upper, f"gene {sym!r} read as {upper!r} (symbols are upper case)"
    if upper in genome_gene_symbols():
        return upper, ""
    import difflib

    near = difflib.get_close_matches(upper, sorted(kb_genes | set(aliases)), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    return None, (
        f"unknown gene symbol {sym!r}: not an approved symbol in GENCODE v44 nor an alias in "
        f"ctcgenomics/data/knowledge/gene_aliases.tsv{hint}"
    )


def _observations(row, gene: str, kb_genes: frozenset[str]) -> list[Observation]:
    origin = str(row.origin)
    alteration = str(row.alteration).strip()
    if row.kind == "mutation" and gene not in PSEUDO_GENES:
        change = parse_hgvsp(alteration)
        return [Observation(gene, "mutation", change.text, change=change, origin=origin)]
    if row.kind == "fusion":
        text = gene if "::" in gene else alteration
        partners = tuple(p.strip() for p in text.split("::"))
        resolved = tuple(resolve_gene(p, kb_genes)[0] or p.upper() for p in partners)
        return [
            Observation(p, "fusion", "::".join(resolved), partners=resolved, origin=origin)
            for p in dict.fromkeys(resolved)
        ]
    value = None
    if gene in {"CTC", "TMB"}:
        value = float(alteration.split("=", 1)[1])
    return [Observation(gene, row.kind, alteration, value=value, origin=origin)]


def _indication(entry: Entry, code: str) -> tuple[str, str] | None:
    """Return (tumour_type_match, level) for this tumour type, or None to drop."""
    tree = oncotree()
    if any(tree.covers(x, code) for x in entry.excluded_tumour_types):
        return None
    if entry.tumour_agnostic:
        return "tumour_agnostic", entry.level
    if any(tree.covers(t, code) for t in entry.tumour_types):
        return "in_indication", entry.level
    if entry.entry_class != "therapeutic":
        return None  # prognosis and negative statements do not transfer between tumours
    return "other_indication", _CAP.get(entry.level, entry.level)


def _best_pattern(patterns: tuple[Pattern, ...], obs: Observation) -> Pattern | None:
    hits = [p for p in patterns if pattern_matches(p, obs)]
    return min(hits, key=lambda p: GRANULARITY_ORDER.index(p.granularity)) if hits else None


def _origin_ok(entry_origin: str, obs_origin: str) -> bool:
    if entry_origin == "germline":
        return obs_origin == "germline"
    if entry_origin == "somatic":
        return obs_origin != "germline"
    return True


def _num(value: object) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _base(row, obs: Observation, threshold: float) -> dict[str, object]:
    prev, hi = _num(row.prevalence), _num(row.ci_high)
    # A germline variant is in every cell; its CTC prevalence only reflects dropout.
    label = "germline" if obs.origin == "germline" else clonality(prev, hi, threshold)
    return {
        "patient": str(row.patient),
        "draw": str(row.draw),
        "gene": obs.gene,
        "alteration": obs.alteration,
        "kind": row.kind,
        "origin": str(row.origin),
        "prevalence": prev,
        "ci_low": _num(row.ci_low),
        "ci_high": hi,
        "n_cells_altered": int(row.n_cells_altered),
        "n_cells_evaluable": int(row.n_cells_evaluable),
        "clonality": label,
    }


def _limits(
    base: dict, *, surrogate: bool, threshold: float, assay: tuple[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """Caps that apply to any match of this observation, and what to confirm.

    ``assay`` is ``(analyte of the CTC call, assay of the evidence)`` when the call
    measured another analyte than the CTC assay the evidence was obtained with.
    """
    caps, confirm = [], []
    if surrogate:
        caps.append(
            "CTC RNA expression is a surrogate of the tissue biomarker: at most 3B, confirm on "
            "tissue"
        )
        confirm.append(CONFIRM_TISSUE)
    if assay is not None:
        analyte, evidence = assay
        caps.append(
            f"surrogate assay: a CTC {analyte.upper()} call for evidence on {evidence}: at most 3B"
        )
        confirm.append(f"confirm with {evidence}")
    if base["clonality"] == "subclonal":
        caps.append(
            f"subclonal: in {base['n_cells_altered']}/{base['n_cells_evaluable']} CTCs, upper "
            f"95% bound {base['ci_high']:.2f} < clonal threshold {threshold:g}: at most 3B"
        )
    if base["origin"] == "germline":
        confirm.append(CONFIRM_GERMLINE)
    return caps, confirm


def _kb_rows(
    entry: Entry,
    obs: Observation,
    code: str,
    base: dict,
    ctx: PatientContext | None,
    threshold: float,
) -> list[dict]:
    if obs.gene not in entry.genes or not _origin_ok(entry.origin, obs.origin):
        return []
    pat = _best_pattern(entry.patterns, obs)
    if pat is None or _best_pattern(entry.exclude, obs) is not None:
        return []
    ind = _indication(entry, code)
    if ind is None:
        return []
    tumour_match, level = ind
    analyte = _ANALYTE.get(obs.kind, "")
    other_assay = entry.ctc_assay and entry.ctc_analyte not in ("", analyte)
    caps, confirm = _limits(
        base,
        surrogate=obs.kind == "expression" and not entry.ctc_assay,
        threshold=threshold,
        assay=(analyte, entry.ctc_assay_name) if other_assay else None,
    )
    if tumour_match == "other_indication" and level != entry.level:
        caps.insert(0, f"other indication ({','.join(entry.tumour_types)}): at most 3B")
    # A label's context (line, prior therapy) belongs to its own indication.
    spec = entry.context if tumour_match != "other_indication" else None
    context = evaluate_context(spec, ctx, base["draw"])
    if context.status == "contradicted":
        caps.append(f"label context contradicted ({context.note}): at most 3B")
    capped = any(not c.startswith("other indication") for c in caps)
    if capped and level in _CAP:
        level = _CAP[level]
    common = {
        **base,
        "level": level,
        "label_level": entry.level,
        "level_system": "KB",
        "direction": entry.direction,
        "tumour_type_match": tumour_match,
        "indication": "any solid tumour" if entry.tumour_agnostic else ",".join(entry.tumour_types),
        "granularity": pat.granularity,
        "kb_pattern": pat.text,
        "entry_id": entry.id,
        "escat": entry.escat if tumour_match == "in_indication" else "",
        "context_status": context.status,
        "context": context.requirement,
        "context_note": context.note,
        "caps": "; ".join(caps),
        "confirm": "; ".join(confirm),
        "summary": entry.summary,
        "sources": "; ".join(s.as_text() for s in entry.sources),
        "last_reviewed": entry.last_reviewed,
    }
    therapies = entry.therapies or ((),)
    return [{**common, "therapy": " + ".join(t)} for t in therapies]


def _civic_rows(item: CivicItem, obs: Observation, code: str, base: dict, threshold) -> list:
    if not pattern_matches(item.pattern, obs) or not _origin_ok(item.origin, obs.origin):
        return []
    if item.oncotree == "*":
        tumour_match = "tumour_agnostic"
    elif item.oncotree and oncotree().covers(item.oncotree, code):
        tumour_match = "in_indication"
    else:
        tumour_match = "other_indication"
    caps, confirm = _limits(base, surrogate=obs.kind == "expression", threshold=threshold)
    if tumour_match == "other_indication":
        # Kept at CIViC's level, like every limit here, but said: the level is the
        # evidence's in its own disease, not in this patient's tumour type.
        caps.insert(0, f"other indication ({item.disease or 'disease not given'})")
    source = " ".join(x for x in (item.citation, f"[PMID {item.pmid}]" if item.pmid else "") if x)
    return [
        {
            **base,
            "therapy": " + ".join(item.therapy),
            "level": item.level,
            "label_level": item.level,
            "level_system": "CIViC",
            "direction": item.direction,
            "tumour_type_match": tumour_match,
            "indication": item.disease,
            "granularity": item.pattern.granularity,
            "kb_pattern": item.pattern.text,
            "entry_id": item.evidence_id,
            "escat": "",
            "context_status": "not_required",
            "context": "",
            "context_note": "",
            # CIViC levels A-E are kept as published; limits are stated, not applied.
            "caps": "; ".join(c.replace(": at most 3B", "") for c in caps),
            "confirm": "; ".join(confirm),
            "summary": f"CIViC {item.evidence_id}: {item.variant} in {item.disease}",
            "sources": f"CIViC {item.evidence_id}: {source}",
            "last_reviewed": "",
        }
    ]


def _dedupe(rows: list[dict]) -> list[dict]:
    """Keep the best row per (draw, alteration, therapy, direction, level system).

    Best = highest level, then in-indication before tumour-agnostic before other
    indications, then the best label-context status, then the most specific granularity (for
    CIViC rows the tumour-type match comes before the level). CIViC rows that collapse
    keep the evidence IDs of every item with the same tumour-type match in ``sources``.
    """

    def rank(r: dict) -> tuple:
        # KB levels are already demoted outside the indication; CIViC levels are kept as
        # published, so for CIViC the tumour-type match decides first.
        civic_first = (
            _TUMOUR_MATCH_ORDER[r["tumour_type_match"]] if r["level_system"] == "CIViC" else 0
        )
        return (
            civic_first,
            LEVEL_ORDER.index(r["level"]),
            _TUMOUR_MATCH_ORDER[r["tumour_type_match"]],
            CONTEXT_STATUSES.index(r["context_status"]),
            GRANULARITY_ORDER.index(r["granularity"]),
            r["entry_id"],
        )

    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        key = (
            r["draw"],
            r["gene"],
            r["alteration"],
            r["therapy"],
            r["direction"],
            r["level_system"],
        )
        groups.setdefault(key, []).append(r)
    out = []
    for members in groups.values():
        best = dict(min(members, key=rank))
        if best["level_system"] == "CIViC" and len(members) > 1:
            same = [r for r in members if r["tumour_type_match"] == best["tumour_type_match"]]
            srcs = sorted({r["sources"] for r in same})
            best["sources"] = " | ".join(srcs)
        out.append(best)
    return out


def rank_matches(frame: pd.DataFrame) -> pd.DataFrame:
    """Rank matches: subclonal alterations last, then by level, prevalence, names."""
    if frame.empty:
        return frame
    key = frame.assign(
        _sub=(frame["clonality"] == "subclonal").astype(int),
        _lvl=frame["level"].map(LEVEL_ORDER.index),
        _prev=-frame["prevalence"].fillna(-1.0),
    )
    key = key.sort_values(
        ["_sub", "_lvl", "_prev", "draw", "gene", "alteration", "therapy"], kind="stable"
    )
    return key.drop(columns=["_sub", "_lvl", "_prev"]).reset_index(drop=True)


def _check_arguments(tumour_type, kb, civic, clonal_threshold, include_level4, context) -> None:
    if not isinstance(tumour_type, str) or not tumour_type.strip():
        raise ValueError(
            f"tumour_type must be an OncoTree code such as 'BRCA', got {tumour_type!r}"
        )
    if kb is not None and not isinstance(kb, KnowledgeBase):
        raise TypeError(f"kb must be a KnowledgeBase from load_kb(), got {type(kb).__name__}")
    if civic is not None and not isinstance(civic, CivicEvidence):
        raise TypeError(
            f"civic must be CivicEvidence from read_civic(), got {type(civic).__name__}"
        )
    if isinstance(clonal_threshold, bool) or not isinstance(clonal_threshold, int | float):
        raise TypeError(f"clonal_threshold must be a number, got {clonal_threshold!r}")
    if not 0 < clonal_threshold <= 1:
        raise ValueError(f"clonal_threshold must be in (0, 1], got {clonal_threshold}")
    if not isinstance(include_level4, bool):
        raise TypeError(f"include_level4 must be True or False, got {include_level4!r}")
    if context is not None and not isinstance(context, PatientContext):
        raise TypeError(
            "context must be a PatientContext (ctcgenomics.actionability.patient_context), "
            f"got {type(context).__name__}"
        )


def match(
    alterations: pd.DataFrame,
    tumour_type: str,
    *,
    kb: KnowledgeBase | None = None,
    civic: CivicEvidence | None = None,
    clonal_threshold: float = MatchParams.clonal_threshold,
    include_level4: bool = MatchParams.include_level4,
    context: PatientContext | None = None,
    where: str = "alterations table",
) -> MatchResult:
    """Match alterations to therapies, resistance and prognosis in the knowledge base.

    Parameters
    ----------
    alterations
        An alterations table (``ctcgenomics.io.alterations`` columns, ``origin``
        optional); may hold several draws of one patient. It is checked against the
        vocabulary first.
    tumour_type
        OncoTree code of the patient's tumour; therapies indicated in another tumour
        type are reported as level 3B (R1 as R2), never as 1.
    kb
        Knowledge base; the packaged one by default.
    civic
        Optional CIViC evidence (:func:`read_civic`), merged with levels A-E unchanged.
    clonal_threshold
        Prevalence at or above which an alteration is called clonal; alterations whose
        upper 95 % bound is below it are subclonal (capped at 3B, ranked last).
    include_level4
        Report level-4 (biological evidence) matches.
    context
        The patient's label context (:func:`patient_context`); ``None`` means unknown,
        so every entry with a context is "not confirmed".
    where
        Name of the table for messages (file name).

    Returns
    -------
    MatchResult
        Ranked matches, explained unmatched alterations and warnings.

    Raises
    ------
    AlterationTableError
        If a column is missing or a row is outside the vocabulary (unknown ``kind``,
        lower-case ``amplification``, prevalence outside [0, 1], a malformed HGVSp such
        as ``p.Hx1047R``, mixed genome builds), naming the line and the fix.
    UnknownTumourTypeError
        If ``tumour_type`` is not an OncoTree code (lists near matches).
    TypeError, ValueError
        If another argument has the wrong type or range.
    """
    _check_arguments(tumour_type, kb, civic, clonal_threshold, include_level4, context)
    table, notes = check_alterations(alterations, where=where)
    kb = kb or load_kb()
    code = oncotree().resolve(tumour_type, where="tumour_type argument")
    kb_genes = kb.genes | frozenset(gene_roles())
    warnings: list[str] = list(notes) + (list(context.notes) if context else [])
    rows: list[dict] = []
    unmatched: list[dict] = []

    def explain(row, gene: str, code_: str, detail: str) -> None:
        unmatched.append(
            {
                **row._asdict(),
                "gene": gene,
                "reason_code": code_,
                "reason": f"{UNMATCHED_REASONS[code_]}: {detail}" if detail else "",
            }
        )

    for i, row in enumerate(table.itertuples(index=False), start=2):
        line = f"{where}, line {i}"
        gene_field = str(row.gene).strip()
        if row.kind == "mutation" and mutation_form(gene_field, str(row.alteration)) == "genomic":
            # Kept and explained whatever its gene (intergenic variants have none).
            explain(row, gene_field, *_unannotated(row))
            continue
        if row.kind == "fusion":
            gene, note = gene_field, ""
        else:
            gene, note = resolve_gene(gene_field, kb_genes)
        if note:
            warnings.append(f"{line}: {note}")
        if gene is None:
            _warnings.warn(f"{line}: {note}", UserWarning, stacklevel=2)
            explain(row, gene_field, "unknown_gene", "check the symbol (see warnings)")
            continue
        n_alt, n_ev = int(row.n_cells_altered), int(row.n_cells_evaluable)
        if n_alt == 0 and row.origin != "germline":
            # Nothing observed in this draw: kept for serial comparison, never matched.
            # Enumeration and sample-level findings (MSI, TMB) have no per-cell counts.
            if n_ev > 0:
                explain(row, gene, "not_detected", "0 of the evaluable CTCs carry it")
                continue
            if row.kind != "enumeration" and gene not in {"MSI", "TMB"}:
                explain(row, gene, "not_evaluable", "no CTC of this draw could be assessed")
                continue
        reason = _no_match_reason(row, gene)
        if reason:
            explain(row, gene, *reason)
            continue
        found: list[dict] = []
        try:
            observations = _observations(row, gene, kb_genes)
        except AlterationTableError as exc:
            raise type(exc)(f"{line}: {exc}") from None
        for obs in observations:
            base = _base(row, obs, clonal_threshold)
            for entry in kb.for_gene(obs.gene):
                found += _kb_rows(entry, obs, code, base, context, clonal_threshold)
            if civic is not None:
                for item in civic.for_gene(obs.gene):
                    found += _civic_rows(item, obs, code, base, clonal_threshold)
        if not include_level4:
            found = [r for r in found if r["level"] != "4"]
        if found:
            rows += found
        elif row.kind == "copy_number" and row.alteration == "GAIN":
            explain(
                row, gene, "gain_not_amplification",
                "the knowledge base's copy-number biomarkers need AMPLIFICATION (or DELETION)",
            )  # fmt: skip
        else:
            explain(row, gene, "no_match", f"nothing in {kb.name} {kb.version} for this tumour")
    frame = pd.DataFrame(_dedupe(rows), columns=list(MATCH_COLUMNS))
    log.info("%s: %d matches, %d unmatched alterations", where, len(frame), len(unmatched))
    return MatchResult(
        matches=rank_matches(frame),
        unmatched=pd.DataFrame(unmatched, columns=[*table.columns, "reason_code", "reason"]),
        warnings=warnings,
        tumour_type=code,
        kb=kb.info(),
        civic=civic.info() if civic is not None else None,
        params={
            "clonal_threshold": clonal_threshold,
            "include_level4": include_level4,
            "subclonal_rule": (
                "subclonal = upper bound of the 95% Wilson interval of the CTC prevalence "
                "below the clonal threshold; such matches are capped at level 3B (R2) and "
                "ranked after clonal and indeterminate ones"
            ),
            "surrogate_rule": (
                "matches read from CTC RNA expression are capped at level 3B (R2) unless the "
                "evidence itself was obtained on CTCs; confirm on tissue. A CTC call of "
                "another analyte than the evidence's CTC assay (RNA for protein) is capped "
                "the same way; confirm with that assay"
            ),
        },
    )


def _unannotated(row) -> tuple[str, str]:
    return (
        "unannotated",
        f"{row.alteration} has no protein change (HGVSp), so no protein-level biomarker can "
        "be checked; give the SNV step a transcript annotation (GTF) to annotate it",
    )


def _no_match_reason(row, gene: str) -> tuple[str, str] | None:
    """Rows that are kept and explained instead of matched."""
    if row.kind == "mutation" and gene not in PSEUDO_GENES:
        if row.origin == "germline" and gene not in predisposition_genes():
            return (
                "germline_not_reported",
                "supported by the WBCs, so inherited; not a tumour alteration and not in "
                "ctcgenomics/data/knowledge/predisposition_genes.tsv",
            )
    state = CELL_STATE_PATTERNS.get(gene)
    if row.kind == "expression" and state is not None and state.match(str(row.alteration)):
        return ("cell_state", f"{row.alteration} describes the CTC state; no therapy is linked")
    if row.kind == "copy_number" and row.alteration == "LOH":
        return (
            "loh",
            "one allele remains, so LOH is not itself a knowledge-base biomarker; it matters "
            "with a mutation of the other allele (see the mutation rows)",
        )
    return None
