"""The alterations table: one row per patient x draw x alteration.

This is the contract between the calling modules (``cnv``, ``snv``, ``rna``) and
``actionability``/``report`` (see ``docs/design.md`` and ``docs/actionability.md``).
Every module builds its rows with :func:`alteration_row`, so prevalence and its
confidence interval are computed the same way everywhere, and every row is checked
against one vocabulary (:func:`check_alteration`) when it is written and when it is read.

The vocabulary of ``alteration`` by ``kind``:

* ``copy_number``: ``AMPLIFICATION``, ``GAIN``, ``LOSS``, ``DELETION`` (deep/homozygous)
  and ``LOH`` (loss of heterozygosity, copy-neutral or with copy loss).
* ``mutation``: HGVSp short form (``p.R175H``, ``p.E746_A750del``), ``exonN_skipping``,
  or, when there is no protein annotation, the genomic HGVS ``chr17:g.2500053G>C``
  (kept and reported as unannotated, never an error); gene ``MSI`` with ``MSI-H``,
  ``MSI-L`` or ``MSS``; gene ``TMB`` with ``TMB=<mutations per Mb>``.
* ``expression``: ``EXPRESSION_HIGH``, ``EXPRESSION_LOW`` (HER2-low-like) and
  ``AR-V7_POSITIVE`` (gene ``AR``); cell states of the RNA step (gene ``EMT`` with
  ``EMT_<STATE>``, gene ``CD44`` with ``CD44+/CD24-``) are accepted and never matched.
* ``fusion``: gene ``GENE1::GENE2``, free alteration text (e.g. ``fusion``).
* ``enumeration``: gene ``CTC`` with ``CTC_COUNT=<CTCs per 7.5 mL>``.

The optional column ``origin`` is ``somatic`` or ``germline`` (empty = somatic).
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
from collections.abc import Iterable, Mapping

import pandas as pd

from ctcgenomics.io._atomic import atomic_open

log = logging.getLogger(__name__)

ALTERATION_COLUMNS: tuple[str, ...] = (
    "patient",
    "draw",
    "gene",
    "alteration",
    "kind",
    "n_cells_altered",
    "n_cells_evaluable",
    "prevalence",
    "ci_low",
    "ci_high",
    "evidence",
    "source",
)
"""Required columns of the alterations TSV, in order."""

OPTIONAL_COLUMNS: tuple[str, ...] = ("origin",)
"""Optional columns: ``origin`` (``somatic`` | ``germline``; absent or empty = somatic)."""

TABLE_COLUMNS: tuple[str, ...] = ALTERATION_COLUMNS + OPTIONAL_COLUMNS
"""Columns written by :func:`write_alterations`, in order."""

ALTERATION_KINDS: frozenset[str] = frozenset(
    {"copy_number", "mutation", "expression", "fusion", "enumeration"}
)
"""Allowed values of the ``kind`` column."""

ORIGINS: frozenset[str] = frozenset({"somatic", "germline"})
"""Allowed values of the ``origin`` column (empty means somatic)."""

CNV_ALTERATIONS: frozenset[str] = frozenset({"AMPLIFICATION", "GAIN", "LOSS", "DELETION", "LOH"})
"""Copy-number alteration names (``DELETION`` = deep / homozygous deletion)."""

EXPRESSION_PHENOTYPES: frozenset[str] = frozenset(
    {"EXPRESSION_HIGH", "EXPRESSION_LOW", "AR-V7_POSITIVE"}
)
"""Expression phenotypes that can match the knowledge base."""

CELL_STATE_PATTERNS: dict[str, re.Pattern[str]] = {
    "EMT": re.compile(r"^EMT_[A-Z]+$"),
    "CD44": re.compile(r"^CD44[+-]/CD24[+-]$"),
}
"""Cell states written by the RNA step (gene -> allowed alteration form); never matched."""

LEGACY_SPELLINGS: dict[tuple[str, str], str] = {("expression", "AR-V7"): "AR-V7_POSITIVE"}
"""Spellings of earlier releases, rewritten to the vocabulary (with a note) when read."""

MSI_CALLS: frozenset[str] = frozenset({"MSI-H", "MSI-L", "MSS"})

# Any contig name of the reference (chr17, 17, NC_000017.11, chrUn_..., a test contig).
_GENOMIC_RE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*"
    # HGVS substitutions/indels, and the VCF-style REF>ALT the SNV step writes for indels.
    r":g\.[0-9]+(?:_[0-9]+)?(?:[ACGTN]+>[ACGTN]+|del[ACGTN]*|dup[ACGTN]*|ins[ACGTN]+"
    r"|delins[ACGTN]+)$"
)
_EXON_SKIP_RE = re.compile(r"^exon[0-9]+_skipping$")
_VALUE_RE = {
    "CTC": re.compile(r"^CTC_COUNT=[0-9]+(?:\.[0-9]+)?$"),
    "TMB": re.compile(r"^TMB=[0-9]+(?:\.[0-9]+)?$"),
}
_BUILD_RE = re.compile(r"(?<![A-Za-z0-9])(GRCh37|GRCh38|hg19|hg38|b37|hs37d5)(?![A-Za-z0-9])", re.I)
_BUILD_NAMES = {"grch37": "GRCh37", "hg19": "GRCh37", "b37": "GRCh37", "hs37d5": "GRCh37",
                "grch38": "GRCh38", "hg38": "GRCh38"}  # fmt: skip
_NUMERIC = ("prevalence", "ci_low", "ci_high")
_CI_TOLERANCE = 5e-3  # values are written with 4 significant digits
# A gene symbol as GENCODE/HGNC write them: letters, digits, '-', '.', '_' (HLA-A,
# C11orf30, AC012345.1, Y_RNA); fusions join two of them with '::'.
_SYMBOL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# The counts bound a carrier fraction only loosely: the SNV step writes a posterior carrier
# fraction (credible interval) that may differ from n_altered/n_evaluable when calls are
# uncertain. Only an interval outside the exact 99.99 % interval of the counts is refused.
_COUNTS_ALPHA = 1e-4


class AlterationTableError(ValueError):
    """An alterations table is malformed; the message names the row and the fix."""


def prevalence_ci(
    n_altered: int, n_evaluable: int, *, alpha: float = 0.05, method: str = "wilson"
) -> tuple[float, float, float]:
    """Prevalence of an alteration across evaluable cells with a confidence interval.

    Parameters
    ----------
    n_altered
        Cells in which the alteration was called.
    n_evaluable
        Cells in which it could have been called (e.g. passing QC, with coverage,
        without allelic dropout at the locus).
    alpha
        1 - confidence level.
    method
        Any method of :func:`statsmodels.stats.proportion.proportion_confint`;
        Wilson by default (good coverage at the small n typical of CTCs).

    Returns
    -------
    tuple of float
        ``(prevalence, ci_low, ci_high)``; all NaN when ``n_evaluable`` is 0.
    """
    if n_altered < 0 or n_evaluable < 0 or n_altered > n_evaluable:
        raise ValueError(f"need 0 <= n_altered <= n_evaluable, got {n_altered}/{n_evaluable}")
    if n_evaluable == 0:
        nan = float("nan")
        return nan, nan, nan
    from statsmodels.stats.proportion import proportion_confint  # heavy import, used here only

    low, high = proportion_confint(n_altered, n_evaluable, alpha=alpha, method=method)
    return n_altered / n_evaluable, float(low), float(high)


def mutation_form(gene: str, alteration: str) -> str:
    """Classify a ``mutation`` row's alteration string.

    Returns
    -------
    str
        ``protein`` (HGVSp short form or ``exonN_skipping``), ``genomic`` (genomic
        HGVS, no protein annotation), ``msi`` or ``tmb``.

    Raises
    ------
    AlterationTableError
        (a malformed-HGVSp subclass) for anything else, with the accepted forms.
    """
    # The HGVSp grammar lives with the matcher, which is its main user; imported here
    # lazily because ctcgenomics.actionability itself imports this module.
    from ctcgenomics.actionability._hgvs import MalformedHGVSpError, parse_hgvsp

    text = alteration.strip()
    if gene == "MSI":
        if text in MSI_CALLS:
            return "msi"
        raise MalformedHGVSpError(
            f"MSI finding {text!r} must be one of {sorted(MSI_CALLS)} (upper case)"
            + _did_you_mean(text, MSI_CALLS)
        )
    if gene == "TMB":
        if _VALUE_RE["TMB"].match(text):
            return "tmb"
        raise MalformedHGVSpError(f"TMB finding {text!r} must be written TMB=<mutations per Mb>")
    if _GENOMIC_RE.match(text):
        return "genomic"
    if _EXON_SKIP_RE.match(text):
        return "protein"
    if text.startswith(("c.", "n.", "g.")) or re.match(r"^[^:]+:[cng]\.", text):
        raise MalformedHGVSpError(
            f"{text!r} is not a protein change: write the HGVSp short form (e.g. p.H1047R) "
            "or, without a protein annotation, the genomic HGVS (e.g. chr17:g.2500053G>C)"
        )
    parse_hgvsp(text)
    return "protein"


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'X'?"`` with the vocabulary terms closest to ``value``."""
    upper = {c.upper(): c for c in choices}
    key = value.strip().upper()
    if not key:
        return ""
    near = [upper[c] for c in difflib.get_close_matches(key, list(upper), n=3, cutoff=0.6)]
    # An abbreviation (AMP, DEL, EXPR) is the start of the term it stands for.
    near += [c for u, c in upper.items() if len(key) >= 3 and u.startswith(key) and c not in near]
    if not near:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in near[:3]) + "?"


def _check_gene_symbol(gene: str, kind: str) -> None:
    # Empty fusion partners are left to the fusion check, which names the form.
    parts = gene.split("::") if kind == "fusion" else [gene]
    bad = [p.strip() for p in parts if p.strip() and not _SYMBOL_RE.match(p.strip())]
    if bad:
        raise AlterationTableError(
            f"gene {gene!r} is not a gene symbol: a symbol has only letters, digits, '-', '.' "
            "and '_' (e.g. ERBB2, HLA-A, C11orf30), a fusion is GENE1::GENE2 with kind "
            "'fusion'; write the HGNC symbol in the gene column"
        )


def check_alteration(gene: str, alteration: str, kind: str, *, origin: str = "") -> str:
    """Check one (gene, alteration, kind, origin) against the vocabulary.

    Parameters
    ----------
    gene, alteration, kind, origin
        Values of one row (see the module docstring for the vocabulary).

    Returns
    -------
    str
        The alteration in the vocabulary's spelling (legacy spellings rewritten,
        e.g. ``AR-V7`` -> ``AR-V7_POSITIVE``).

    Raises
    ------
    AlterationTableError
        Naming the value and what is allowed.
    """
    if kind not in ALTERATION_KINDS:
        hint = (
            " (copy-number calls are kind 'copy_number')"
            if kind.lower() == "cnv"
            else _did_you_mean(kind, ALTERATION_KINDS)
        )
        raise AlterationTableError(f"kind {kind!r} is not one of {sorted(ALTERATION_KINDS)}{hint}")
    if origin not in ORIGINS and origin != "":
        raise AlterationTableError(
            f"origin {origin!r} must be 'somatic', 'germline' or empty (= somatic)"
            + _did_you_mean(origin, ORIGINS)
        )
    gene = "" if gene is None or (isinstance(gene, float) and math.isnan(gene)) else str(gene)
    gene = gene.strip()
    text = str(alteration).strip()
    if not gene and not (kind == "mutation" and _GENOMIC_RE.match(text)):
        # Only a variant without annotation (genomic HGVS, e.g. intergenic) may lack a gene.
        raise AlterationTableError("gene is empty; give the HGNC symbol (GENE1::GENE2 for fusions)")
    if gene:
        _check_gene_symbol(gene, kind)
    text = LEGACY_SPELLINGS.get((kind, text), text)
    if kind == "copy_number":
        if text not in CNV_ALTERATIONS:
            hint = (
                f"; write it in upper case ({text.upper()!r})"
                if text.upper() in CNV_ALTERATIONS
                else _did_you_mean(text, CNV_ALTERATIONS)
            )
            raise AlterationTableError(
                f"copy-number alteration {text!r} is not one of {sorted(CNV_ALTERATIONS)}{hint}"
            )
    elif kind == "expression":
        pattern = CELL_STATE_PATTERNS.get(gene)
        if text not in EXPRESSION_PHENOTYPES and not (pattern and pattern.match(text)):
            hint = (
                f"; write it in upper case ({text.upper()!r})"
                if text.upper() in EXPRESSION_PHENOTYPES
                else _did_you_mean(text, EXPRESSION_PHENOTYPES)
            )
            raise AlterationTableError(
                f"expression alteration {text!r} of gene {gene!r} is not one of "
                f"{sorted(EXPRESSION_PHENOTYPES)} nor a cell state (gene EMT: EMT_<STATE>; "
                f"gene CD44: CD44+/CD24-){hint}"
            )
        if text == "AR-V7_POSITIVE" and gene != "AR":
            raise AlterationTableError(f"AR-V7_POSITIVE belongs to gene 'AR', not {gene!r}")
    elif kind == "mutation":
        mutation_form(gene, text)
    elif kind == "fusion":
        name = gene if "::" in gene else text
        parts = [p.strip() for p in name.split("::")]
        if len(parts) != 2 or not all(parts):
            raise AlterationTableError(
                f"fusion {name!r} must name both partners as GENE1::GENE2 in the gene column"
            )
    elif kind == "enumeration":
        if gene != "CTC" or not _VALUE_RE["CTC"].match(text):
            raise AlterationTableError(
                f"enumeration rows are gene 'CTC' with CTC_COUNT=<CTCs per 7.5 mL>, got "
                f"gene {gene!r} alteration {text!r}"
            )
    return text


def alteration_row(
    *,
    patient: str,
    draw: str,
    gene: str,
    alteration: str,
    kind: str,
    n_cells_altered: int,
    n_cells_evaluable: int,
    evidence: str = "",
    source: str = "",
    origin: str = "",
) -> dict[str, object]:
    """Build one row of the alterations table, computing prevalence and its CI.

    Parameters
    ----------
    patient, draw
        Patient and draw IDs.
    gene
        HGNC gene symbol (for fusions ``GENE1::GENE2``).
    alteration
        In the vocabulary of ``kind`` (module docstring); checked here.
    kind
        One of :data:`ALTERATION_KINDS`.
    n_cells_altered, n_cells_evaluable
        Counts of CTCs.
    evidence
        Short human-readable evidence (e.g. ``"median CN 9 (ploidy 2.1)"``).
    source
        What produced the call (module and file).
    origin
        ``somatic``, ``germline`` (e.g. supported by the WBCs) or empty (= somatic).

    Returns
    -------
    dict
        A row with every column of :data:`TABLE_COLUMNS`.

    Raises
    ------
    AlterationTableError
        If the alteration is not in the vocabulary (the message says what is allowed).
    """
    text = check_alteration(gene, alteration, kind, origin=origin)
    prev, low, high = prevalence_ci(int(n_cells_altered), int(n_cells_evaluable))
    return {
        "patient": patient,
        "draw": draw,
        "gene": gene,
        "alteration": text,
        "kind": kind,
        "n_cells_altered": int(n_cells_altered),
        "n_cells_evaluable": int(n_cells_evaluable),
        "prevalence": prev,
        "ci_low": low,
        "ci_high": high,
        "evidence": evidence,
        "source": source,
        "origin": origin,
    }


def alterations_frame(rows: Iterable[Mapping[str, object]] = ()) -> pd.DataFrame:
    """Return rows as a DataFrame with the table's columns in order (empty is fine)."""
    frame = pd.DataFrame(list(rows), columns=list(TABLE_COLUMNS))
    frame["origin"] = frame["origin"].fillna("")
    return frame.astype({"n_cells_altered": "int64", "n_cells_evaluable": "int64"})


def genome_build(*texts: object) -> str | None:
    """Return the genome build named in the texts (``GRCh37``/``GRCh38``), if exactly one.

    Raises
    ------
    AlterationTableError
        If the texts name both builds.
    """
    found = {_BUILD_NAMES[m.lower()] for t in texts for m in _BUILD_RE.findall(str(t))}
    if len(found) > 1:
        raise AlterationTableError(f"names both genome builds {sorted(found)}")
    return found.pop() if found else None


def check_alterations(
    frame: pd.DataFrame, *, where: str = "alterations table"
) -> tuple[pd.DataFrame, list[str]]:
    """Validate a whole alterations table and return it normalised.

    Checks the columns, every row's vocabulary (:func:`check_alteration`), cell counts,
    prevalence and confidence bounds, and that the rows do not mix genome builds (read
    from ``GRCh37``/``GRCh38``/``hg19``/``hg38`` tokens in alteration, evidence or
    source).

    Parameters
    ----------
    frame
        The table; ``origin`` may be missing.
    where
        File name for messages.

    Returns
    -------
    tuple
        ``(table, notes)``: a copy with ``origin`` filled (``somatic`` where empty, or
        from a legacy ``origin=...`` token in ``evidence``) and legacy spellings
        rewritten; notes say what was rewritten.

    Raises
    ------
    AlterationTableError
        Naming the table, the line (header = line 1), the column or value, and the fix.
    """
    if not isinstance(frame, pd.DataFrame):
        raise AlterationTableError(
            f"{where}: expected a pandas DataFrame of alterations, got {type(frame).__name__}"
        )
    missing = [c for c in ALTERATION_COLUMNS if c not in frame.columns]
    if missing:
        raise AlterationTableError(
            f"{where}: missing column(s) {missing}; an alterations table needs the columns "
            + " ".join(ALTERATION_COLUMNS)
            + " (build rows with ctcgenomics.io.alteration_row)"
        )
    out = frame.copy()
    if "origin" not in out.columns:
        out["origin"] = ""
    notes: list[str] = []
    builds: dict[str, int] = {}
    texts, origins = [], []
    for i, row in enumerate(out.to_dict("records"), start=2):
        line = f"{where}, line {i}"
        origin = "" if _missing(row["origin"]) else str(row["origin"]).strip()
        legacy = re.search(r"\borigin=(germline|somatic)\b", str(row.get("evidence", "")))
        if not origin and legacy:
            origin = legacy.group(1)
        kind = "" if _missing(row["kind"]) else str(row["kind"]).strip()
        raw = "" if _missing(row["alteration"]) else str(row["alteration"]).strip()
        try:
            text = check_alteration(row["gene"], raw, kind, origin=origin)
            _check_counts(row)
            build = genome_build(raw, row.get("evidence", ""), row.get("source", ""))
        except AlterationTableError as exc:
            raise type(exc)(f"{line}: {exc}") from None
        if text != raw:
            notes.append(f"{line}: {raw!r} read as {text!r} (the agreed vocabulary)")
        if build:
            builds.setdefault(build, i)
        texts.append(text)
        origins.append(origin or "somatic")
    if len(builds) > 1:
        first = ", ".join(f"{b} (first on line {n})" for b, n in sorted(builds.items()))
        raise AlterationTableError(
            f"{where}: rows from different genome builds: {first}; call every cell against "
            "one reference build (liftover is not done here)"
        )
    out["alteration"] = texts
    out["origin"] = origins
    return out, notes


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _check_counts(row: Mapping[str, object]) -> None:
    try:
        alt, ev = int(row["n_cells_altered"]), int(row["n_cells_evaluable"])
    except (TypeError, ValueError):
        raise AlterationTableError(
            "n_cells_altered/n_cells_evaluable must be whole numbers, got "
            f"{row['n_cells_altered']!r}/{row['n_cells_evaluable']!r}"
        ) from None
    if not 0 <= alt <= ev:
        raise AlterationTableError(f"need 0 <= n_cells_altered ({alt}) <= n_cells_evaluable ({ev})")
    values = {}
    for col in _NUMERIC:
        raw = row[col]
        try:
            values[col] = float("nan") if raw is None or raw == "" else float(raw)
        except (TypeError, ValueError):
            raise AlterationTableError(f"{col} {raw!r} is not a number") from None
        val = values[col]
        if not math.isnan(val) and not 0.0 <= val <= 1.0:
            raise AlterationTableError(
                f"{col} {val:g} is outside [0, 1]; prevalence is a fraction of evaluable "
                "cells (use ctcgenomics.io.prevalence_ci to compute it and its interval)"
            )
    prev, low, high = values["prevalence"], values["ci_low"], values["ci_high"]
    if not math.isnan(low) and not math.isnan(high) and low > high + _CI_TOLERANCE:
        raise AlterationTableError(
            f"ci_low {low:g} is above ci_high {high:g}; write the interval as ci_low <= ci_high "
            "(ctcgenomics.io.prevalence_ci computes both)"
        )
    if not any(math.isnan(v) for v in (prev, low, high)) and not (
        low - _CI_TOLERANCE <= prev <= high + _CI_TOLERANCE
    ):
        raise AlterationTableError(
            f"prevalence {prev:g} is not inside its interval [{low:g}, {high:g}]"
        )
    _check_prevalence_against_counts(alt, ev, prev, low, high)


def _check_prevalence_against_counts(
    alt: int, ev: int, prev: float, low: float, high: float
) -> None:
    """Refuse a prevalence (interval) that the row's own cell counts rule out."""
    given = [v for v in (low, prev, high) if not math.isnan(v)]
    if not given or ev == 0:
        return
    from scipy.special import betaincinv  # exact (Clopper-Pearson) bounds of the counts

    half = _COUNTS_ALPHA / 2
    floor = 0.0 if alt == 0 else float(betaincinv(alt, ev - alt + 1, half))
    ceiling = 1.0 if alt == ev else float(betaincinv(alt + 1, ev - alt, 1 - half))
    if max(given) >= floor - _CI_TOLERANCE and min(given) <= ceiling + _CI_TOLERANCE:
        return
    shown = f"prevalence {prev:g}" if not math.isnan(prev) else "the interval"
    if not (math.isnan(low) or math.isnan(high)):
        shown += f" [{low:g}, {high:g}]"
    raise AlterationTableError(
        f"{shown} contradicts the row's counts: {alt} of {ev} evaluable cells allow a "
        f"carrier fraction between {floor:.2g} and {ceiling:.2g} (exact 99.99 % interval); "
        "correct n_cells_altered/n_cells_evaluable or recompute prevalence, ci_low and "
        "ci_high from them (ctcgenomics.io.prevalence_ci)"
    )


def check_alteration_draws(
    frame: pd.DataFrame,
    draws: Iterable[object],
    *,
    patient: str,
    where: str = "alterations table",
    sheet: str = "patient sheet",
) -> None:
    """Refuse alterations of a draw that the patient sheet does not list.

    The sheet gives each draw its date, therapy and CTC count; findings of a draw it does
    not list cannot be placed in the serial view (nor checked against the therapy of the
    draw), so they would be lost from the per-draw outputs. A draw ID that differs
    between the two files is usually a typo (``D01`` vs ``D1``) or a stale table.

    Parameters
    ----------
    frame
        The patient's alterations table (column ``draw``).
    draws
        The draw IDs of the patient in the patient sheet.
    patient
        Patient ID, for the message.
    where, sheet
        Names of the alterations table and the patient sheet, for the message.

    Raises
    ------
    AlterationTableError
        Naming the table, each unknown draw with its first line, the draws the sheet
        lists and the fix.
    """
    known = {str(d) for d in draws}
    first: dict[str, int] = {}
    for i, draw in enumerate(frame["draw"].astype(str), start=2):
        if draw not in known:
            first.setdefault(draw, i)
    if not first:
        return
    listed = ", ".join(f"{d} (line {n})" for d, n in sorted(first.items()))
    raise AlterationTableError(
        f"{where}: draw(s) {listed} of patient {patient} are not in {sheet}, which lists "
        f"{sorted(known)} for this patient; add each draw to the patient sheet (with its "
        "draw_date) or correct the draw ID in the alterations table"
    )


def merge_alterations(tables: Iterable[pd.DataFrame], patient: str) -> pd.DataFrame:
    """Join the stages' alteration tables into one patient's table.

    Parameters
    ----------
    tables
        Alteration tables (SNV, CNV, RNA, CTC enumeration...); rows of other patients
        are left out, so a cohort-wide table may be given.
    patient
        The patient ID.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS`, sorted by draw, kind, gene and alteration.
    """
    if not isinstance(patient, str) or not patient:
        raise ValueError(f"patient must be a non-empty ID, got {patient!r}")
    frames = []
    for i, table in enumerate(tables):
        missing = [c for c in ALTERATION_COLUMNS if c not in table.columns]
        if missing:
            raise ValueError(
                f"alteration table {i + 1} lacks column(s) {missing}; read it with "
                "ctcgenomics.io.read_alterations or build it with alterations_frame"
            )
        table = table.reindex(columns=list(TABLE_COLUMNS))  # optional columns may be absent
        table["origin"] = table["origin"].fillna("")
        frames.append(table[table["patient"].astype(str) == patient])
    merged = pd.concat(
        [f for f in frames if not f.empty] or [alterations_frame()], ignore_index=True
    )
    return merged.loc[:, list(TABLE_COLUMNS)].sort_values(
        ["draw", "kind", "gene", "alteration"], kind="stable"
    )


def write_alterations(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write an alterations table as TSV (columns :data:`TABLE_COLUMNS`), atomically."""
    missing = [c for c in ALTERATION_COLUMNS if c not in frame.columns]
    if missing:
        raise AlterationTableError(f"alterations table lacks columns {missing}")
    out = frame.copy()
    if "origin" not in out.columns:
        out["origin"] = ""
    with atomic_open(path, newline="") as handle:
        out.loc[:, list(TABLE_COLUMNS)].to_csv(handle, sep="\t", index=False, float_format="%.4g")


def read_alterations(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate an alterations TSV (see :func:`check_alterations`).

    Returns
    -------
    pandas.DataFrame
        The table with ``origin`` filled and legacy spellings rewritten (logged).

    Raises
    ------
    AlterationTableError
        Naming the file, the line and the fix when a column is missing, a kind or an
        alteration is outside the vocabulary, counts or prevalence are impossible, or
        rows mix genome builds.
    """
    frame = pd.read_csv(
        path,
        sep="\t",
        dtype={"patient": str, "draw": str, "gene": str, "alteration": str, "kind": str},
        keep_default_na=False,
        na_values={c: ["", "nan", "NaN"] for c in _NUMERIC},
    )
    table, notes = check_alterations(frame, where=str(path))
    for note in notes:
        log.warning("%s", note)
    return table
