"""Match an alterations table against the knowledge base (and optional CIViC evidence)."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field

import pandas as pd

from ctcgenomics.actionability._civic import CivicEvidence, CivicItem
from ctcgenomics.actionability._data import (
    PSEUDO_GENES,
    gene_aliases,
    gene_roles,
    genome_gene_symbols,
)
from ctcgenomics.actionability._hgvs import parse_hgvsp
from ctcgenomics.actionability._kb import LEVEL_ORDER, Entry, KnowledgeBase, load_kb
from ctcgenomics.actionability._oncotree import oncotree
from ctcgenomics.actionability._patterns import (
    GRANULARITY_ORDER,
    Observation,
    Pattern,
    pattern_matches,
)

log = logging.getLogger(__name__)

MATCH_COLUMNS: tuple[str, ...] = (
    "patient", "draw", "gene", "alteration", "kind", "therapy", "level", "level_system",
    "direction", "tumour_type_match", "indication", "granularity", "kb_pattern", "entry_id",
    "escat", "prevalence", "ci_low", "ci_high", "n_cells_altered", "n_cells_evaluable",
    "clonality", "summary", "sources", "last_reviewed",
)  # fmt: skip
"""Columns of the match table (and of ``actionability.tsv`` after the header columns)."""

_TUMOUR_MATCH_ORDER = {"in_indication": 0, "tumour_agnostic": 1, "other_indication": 2}
_DEMOTE = {"1": "3B", "2": "3B", "3A": "3B", "R1": "R2"}
_ORIGIN_RE = re.compile(r"\borigin=(germline|somatic)\b")
_VALUE_RE = re.compile(r"^(CTC_COUNT|TMB)=([0-9]+(?:\.[0-9]+)?)$")


class UnknownGeneError(ValueError):
    """Raised only in strict mode; by default unknown genes are reported as warnings."""


@dataclass
class MatchResult:
    """Result of :func:`match`.

    Attributes
    ----------
    matches
        One row per alteration x therapy (or prognostic/negative statement), ranked by
        level, then prevalence; columns :data:`MATCH_COLUMNS`.
    unmatched
        Alterations with no knowledge-base or CIViC match (columns of the input plus
        ``reason``).
    warnings
        Human-readable notes on the input (alias resolution, unknown genes).
    tumour_type
        Resolved OncoTree code.
    kb
        Knowledge-base name, version, date and file.
    civic
        CIViC file summary, or ``None``.
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
    upper confidence bound is below it; ``indeterminate`` when the point estimate is
    below but the interval cannot exclude clonality (typical with a handful of CTCs), or
    when prevalence is undefined (no evaluable cells, enumeration).
    """
    if prevalence is None or ci_high is None or math.isnan(prevalence) or math.isnan(ci_high):
        return "indeterminate"
    if prevalence >= threshold:
        return "clonal"
    if ci_high < threshold:
        return "subclonal"
    return "indeterminate"


def resolve_gene(symbol: str, kb_genes: frozenset[str]) -> tuple[str | None, str]:
    """Resolve a gene symbol to the approved one.

    Returns
    -------
    tuple
        ``(symbol or None, note)``: the note is empty for an approved symbol, describes
        the alias used, or (symbol ``None``) says the symbol is unknown with near matches.
    """
    sym = symbol.strip()
    if sym in kb_genes or sym in PSEUDO_GENES:
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


def _observations(row, gene: str, kb_genes: frozenset[str], where: str) -> list[Observation]:
    origin_m = _ORIGIN_RE.search(str(row.evidence))
    origin = origin_m.group(1) if origin_m else "unknown"
    alteration = str(row.alteration).strip()
    if row.kind == "mutation" and gene not in PSEUDO_GENES:
        change = parse_hgvsp(alteration, where=where)
        return [Observation(gene, "mutation", change.text, change=change, origin=origin)]
    if row.kind == "fusion":
        text = gene if "::" in gene else alteration
        partners = tuple(p.strip() for p in text.split("::"))
        if len(partners) != 2 or not all(partners):
            raise ValueError(
                f"{where}: fusion {text!r} must be written GENE1::GENE2 in the gene column"
            )
        resolved = tuple(resolve_gene(p, kb_genes)[0] or p.upper() for p in partners)
        return [
            Observation(p, "fusion", "::".join(resolved), partners=resolved, origin=origin)
            for p in dict.fromkeys(resolved)
        ]
    value = None
    if gene in {"CTC", "TMB"}:
        m = _VALUE_RE.match(alteration)
        if not m or m.group(1) != ("CTC_COUNT" if gene == "CTC" else "TMB"):
            raise ValueError(
                f"{where}: {gene} finding {alteration!r} must be written "
                + ("CTC_COUNT=<CTCs per 7.5 mL>" if gene == "CTC" else "TMB=<mutations per Mb>")
            )
        value = float(m.group(2))
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
    return "other_indication", _DEMOTE.get(entry.level, entry.level)


def _best_pattern(patterns: tuple[Pattern, ...], obs: Observation) -> Pattern | None:
    hits = [p for p in patterns if pattern_matches(p, obs)]
    return min(hits, key=lambda p: GRANULARITY_ORDER.index(p.granularity)) if hits else None


def _origin_ok(entry_origin: str, obs_origin: str) -> bool:
    if entry_origin == "germline":
        return obs_origin == "germline"
    if entry_origin == "somatic":
        return obs_origin != "germline"
    return True


def _base(row, obs: Observation, threshold: float) -> dict[str, object]:
    prev, hi = float(row.prevalence), float(row.ci_high)
    return {
        "patient": str(row.patient),
        "draw": str(row.draw),
        "gene": obs.gene,
        "alteration": obs.alteration,
        "kind": row.kind,
        "prevalence": prev,
        "ci_low": float(row.ci_low),
        "ci_high": hi,
        "n_cells_altered": int(row.n_cells_altered),
        "n_cells_evaluable": int(row.n_cells_evaluable),
        "clonality": clonality(prev, hi, threshold),
    }


def _kb_rows(entry: Entry, obs: Observation, code: str, base: dict) -> list[dict]:
    if obs.gene not in entry.genes or not _origin_ok(entry.origin, obs.origin):
        return []
    pat = _best_pattern(entry.patterns, obs)
    if pat is None or _best_pattern(entry.exclude, obs) is not None:
        return []
    ind = _indication(entry, code)
    if ind is None:
        return []
    tumour_match, level = ind
    common = {
        **base,
        "level": level,
        "level_system": "KB",
        "direction": entry.direction,
        "tumour_type_match": tumour_match,
        "indication": "any solid tumour" if entry.tumour_agnostic else ",".join(entry.tumour_types),
        "granularity": pat.granularity,
        "kb_pattern": pat.text,
        "entry_id": entry.id,
        "escat": entry.escat if tumour_match == "in_indication" else "",
        "summary": entry.summary,
        "sources": "; ".join(s.as_text() for s in entry.sources),
        "last_reviewed": entry.last_reviewed,
    }
    therapies = entry.therapies or ((),)
    return [{**common, "therapy": " + ".join(t)} for t in therapies]


def _civic_rows(item: CivicItem, obs: Observation, code: str, base: dict) -> list[dict]:
    if not pattern_matches(item.pattern, obs):
        return []
    if item.oncotree == "*":
        tumour_match = "tumour_agnostic"
    elif item.oncotree and oncotree().covers(item.oncotree, code):
        tumour_match = "in_indication"
    else:
        tumour_match = "other_indication"
    pmid = f" [PMID {item.pmid}]" if item.pmid else ""
    return [
        {
            **base,
            "therapy": " + ".join(item.therapy),
            "level": item.level,
            "level_system": "CIViC",
            "direction": item.direction,
            "tumour_type_match": tumour_match,
            "indication": item.disease,
            "granularity": item.pattern.granularity,
            "kb_pattern": item.pattern.text,
            "entry_id": item.evidence_id,
            "escat": "",
            "summary": f"CIViC {item.evidence_id}: {item.variant} in {item.disease}",
            "sources": f"CIViC {item.evidence_id}: {item.citation}{pmid}",
            "last_reviewed": "",
        }
    ]


def _dedupe(rows: list[dict]) -> list[dict]:
    """Keep the best row per (draw, alteration, therapy, direction, level system).

    Best = highest level, then in-indication before tumour-agnostic before other
    indications, then the most specific granularity (for CIViC rows the tumour-type match
    comes before the level). CIViC rows that collapse keep the evidence IDs of every
    item with the same tumour-type match in ``sources``.
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
    """Sort matches by level, then prevalence (highest first), then names."""
    if frame.empty:
        return frame
    key = frame.assign(
        _lvl=frame["level"].map(LEVEL_ORDER.index),
        _prev=-frame["prevalence"].fillna(-1.0),
    )
    key = key.sort_values(["_lvl", "_prev", "draw", "gene", "alteration", "therapy"], kind="stable")
    return key.drop(columns=["_lvl", "_prev"]).reset_index(drop=True)


def match(
    alterations: pd.DataFrame,
    tumour_type: str,
    *,
    kb: KnowledgeBase | None = None,
    civic: CivicEvidence | None = None,
    clonal_threshold: float = 0.8,
    include_level4: bool = True,
    where: str = "alterations table",
) -> MatchResult:
    """Match alterations to therapies, resistance and prognosis in the knowledge base.

    Parameters
    ----------
    alterations
        An alterations table (``ctcgenomics.io.alterations`` columns); may hold several
        draws of one patient.
    tumour_type
        OncoTree code of the patient's tumour; therapies indicated in another tumour
        type are reported as level 3B (R1 as R2), never as 1.
    kb
        Knowledge base; the packaged one by default.
    civic
        Optional CIViC evidence (:func:`read_civic`), merged with levels A-E unchanged.
    clonal_threshold
        Prevalence at or above which an alteration is called clonal.
    include_level4
        Report level-4 (biological evidence) matches.
    where
        Name of the table for messages (file name).

    Returns
    -------
    MatchResult
        Ranked matches, unmatched alterations and warnings.

    Raises
    ------
    UnknownTumourTypeError
        If ``tumour_type`` is not a known OncoTree code (lists near matches).
    MalformedHGVSpError
        If a mutation row is not HGVSp short form (names the line).
    """
    kb = kb or load_kb()
    code = oncotree().resolve(tumour_type, where=f"tumour type of {where}")
    kb_genes = kb.genes | frozenset(gene_roles())
    warnings: list[str] = []
    rows: list[dict] = []
    unmatched: list[dict] = []
    for i, row in enumerate(alterations.itertuples(index=False), start=2):
        line = f"{where}, line {i}"
        gene_field = str(row.gene)
        if row.kind == "fusion":
            gene, note = gene_field, ""
        else:
            gene, note = resolve_gene(gene_field, kb_genes)
        if note:
            warnings.append(f"{line}: {note}")
        if gene is None:
            unmatched.append({**row._asdict(), "reason": "unknown gene symbol"})
            continue
        if int(row.n_cells_evaluable) > 0 and int(row.n_cells_altered) == 0:
            # Evaluated but absent in this draw: kept for serial comparison, never matched.
            unmatched.append({**row._asdict(), "gene": gene, "reason": "not detected in this draw"})
            continue
        found: list[dict] = []
        for obs in _observations(row, gene, kb_genes, line):
            base = _base(row, obs, clonal_threshold)
            for entry in kb.for_gene(obs.gene):
                found += _kb_rows(entry, obs, code, base)
            if civic is not None:
                for item in civic.for_gene(obs.gene):
                    found += _civic_rows(item, obs, code, base)
        if not include_level4:
            found = [r for r in found if r["level"] != "4"]
        if found:
            rows += found
        else:
            unmatched.append({**row._asdict(), "gene": gene, "reason": "no knowledge-base match"})
    frame = pd.DataFrame(_dedupe(rows), columns=list(MATCH_COLUMNS))
    log.info("%s: %d matches, %d unmatched alterations", where, len(frame), len(unmatched))
    return MatchResult(
        matches=rank_matches(frame),
        unmatched=pd.DataFrame(unmatched, columns=[*alterations.columns, "reason"]),
        warnings=warnings,
        tumour_type=code,
        kb=kb.info(),
        civic=civic.info() if civic is not None else None,
        params={"clonal_threshold": clonal_threshold, "include_level4": include_level4},
    )
