"""The knowledge base: loading, schema validation and the entry model."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
import yaml

from ctcgenomics.actionability._data import (
    KB_PATH,
    KB_SCHEMA_PATH,
    PSEUDO_GENES,
    gene_roles,
    protein_domains,
    therapy_classes,
)
from ctcgenomics.actionability._oncotree import UnknownTumourTypeError, oncotree
from ctcgenomics.actionability._patterns import Pattern, parse_pattern

LEVEL_ORDER: tuple[str, ...] = (
    "1", "R1", "2", "3A", "3B", "4", "R2", "Px1", "Px2", "Px3", "A", "B", "C", "D", "E", "NA",
)  # fmt: skip
"""Ranking of levels in reports: OncoKB-style therapeutic, prognostic, then CIViC A-E."""


class KnowledgeBaseError(ValueError):
    """A knowledge-base file fails its schema or refers to unknown codes."""


@dataclass(frozen=True)
class Source:
    """One source of an entry."""

    type: str
    citation: str
    pmid: str = ""
    date: str = ""

    def as_text(self) -> str:
        """Return ``type: citation (date) [PMID n]``."""
        date = f" ({self.date})" if self.date and self.date not in self.citation else ""
        pmid = f" [PMID {self.pmid}]" if self.pmid else ""
        return f"{self.type}: {self.citation}{date}{pmid}"


@dataclass(frozen=True)
class Entry:
    """One knowledge-base entry (see ``kb.schema.json`` for the fields)."""

    id: str
    entry_class: str
    genes: tuple[str, ...]
    patterns: tuple[Pattern, ...]
    exclude: tuple[Pattern, ...]
    origin: str
    tumour_types: tuple[str, ...]
    tumour_agnostic: bool
    excluded_tumour_types: tuple[str, ...]
    therapies: tuple[tuple[str, ...], ...]
    level: str
    direction: str
    escat: str
    summary: str
    sources: tuple[Source, ...]
    last_reviewed: str
    context: dict = field(default_factory=dict)
    ctc_assay: bool = False
    ctc_analyte: str = ""
    ctc_assay_name: str = ""


@dataclass(frozen=True)
class KnowledgeBase:
    """A loaded, validated knowledge base."""

    name: str
    version: str
    date: str
    path: str
    entries: tuple[Entry, ...] = field(repr=False)
    knowledge_cutoff: str = ""

    def for_gene(self, gene: str) -> list[Entry]:
        """Entries whose biomarker names ``gene``."""
        return [e for e in self.entries if gene in e.genes]

    @property
    def genes(self) -> frozenset[str]:
        """Every gene (and pseudo-gene such as ``CTC``) named by an entry."""
        return frozenset(g for e in self.entries for g in e.genes)

    def info(self) -> dict[str, str]:
        """Name, version, date and file, for every output."""
        return {
            "name": self.name,
            "version": self.version,
            "date": self.date,
            "knowledge_cutoff": self.knowledge_cutoff,
            "file": self.path,
        }


def load_yaml(text: str) -> object:
    """Parse YAML safely (libyaml's C loader when available: 7x faster on the KB)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@cache
def _schema() -> dict:
    return json.loads(KB_SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_kb(data: object, *, path: str = "<knowledge base>") -> list[str]:
    """Validate parsed knowledge-base data; return error messages (empty if valid).

    Each message names the file, the entry (by index and ``id``) and the field, and
    says what is allowed. Beyond the JSON schema it checks that entry IDs are unique,
    tumour types are codes of the packaged OncoTree release, genes have a role in
    ``genes.tsv``, therapy classes of a ``context`` exist in ``therapy_classes.tsv``
    and domain patterns have a range in ``protein_domains.tsv``.
    """
    errors: list[str] = []
    validator = jsonschema.Draft202012Validator(_schema())
    entries = data.get("entries", []) if isinstance(data, dict) else []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        errors.append(f"{path}: {_locate(err.absolute_path, entries)}: {_describe(err)}")
    if errors or not isinstance(data, dict):
        return errors
    seen: set[str] = set()
    tree = oncotree()
    roles = gene_roles()
    classes = therapy_classes()
    domains = protein_domains()
    for i, raw in enumerate(entries):
        where = f"{path}: entry {i} (id {raw['id']!r})"
        if raw["id"] in seen:
            errors.append(f"{where}: field 'id': duplicate id; every entry needs a unique id")
        seen.add(raw["id"])
        for key in ("tumour_types", "excluded_tumour_types"):
            for code in raw.get(key, []):
                try:
                    tree.resolve(code)
                except UnknownTumourTypeError as exc:
                    errors.append(f"{where}: field '{key}': {exc}")
        for gene in raw["biomarker"]["genes"]:
            if gene not in roles and gene not in PSEUDO_GENES:
                errors.append(
                    f"{where}: field 'biomarker.genes': gene {gene!r} has no row in "
                    "ctcgenomics/data/knowledge/genes.tsv; add it with its role (oncogene/tsg)"
                )
            for pat in raw["biomarker"]["alterations"]:
                if pat.endswith("_domain_mutation"):
                    domain = pat.removesuffix("_domain_mutation")
                    if (gene, domain) not in domains:
                        errors.append(
                            f"{where}: field 'biomarker.alterations': {pat!r} needs a {domain} "
                            f"range for {gene} in ctcgenomics/data/knowledge/protein_domains.tsv"
                        )
        for key in ("prior_therapy", "no_prior_therapy"):
            for name in raw.get("context", {}).get(key, []):
                if name not in classes:
                    errors.append(
                        f"{where}: field 'context.{key}': unknown therapy class {name!r}; use "
                        f"one of {sorted(classes)} (ctcgenomics/data/knowledge/"
                        "therapy_classes.tsv)"
                    )
    return errors


def _locate(path_parts, entries) -> str:
    parts = list(path_parts)
    if len(parts) >= 2 and parts[0] == "entries" and isinstance(parts[1], int):
        idx = parts[1]
        eid = (
            entries[idx].get("id", "?")
            if idx < len(entries) and isinstance(entries[idx], dict)
            else "?"
        )
        fld = ".".join(str(p) for p in parts[2:]) or "(entry)"
        return f"entry {idx} (id {eid!r}), field {fld!r}"
    return f"field {'.'.join(str(p) for p in parts) or '(top level)'!r}"


def _describe(err: jsonschema.ValidationError) -> str:
    if err.validator == "enum":
        return f"value {err.instance!r} is not allowed; use one of {err.validator_value}"
    if err.validator == "pattern" and err.validator_value == "\\S":
        return "is blank; write the text (every therapy is shown with its sources)"
    if err.validator == "pattern":
        return f"value {err.instance!r} does not match the allowed form {err.validator_value}"
    if err.validator == "required":
        return err.message + " (required field)"
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        return f"{err.message}; allowed fields: {allowed}"
    if err.validator == "contains":
        return "a level-1 entry needs a source of type 'label' (with the approval date)"
    return err.message


def load_kb(path: str | os.PathLike[str] | None = None) -> KnowledgeBase:
    """Load and validate a knowledge base (the packaged one by default).

    Raises
    ------
    KnowledgeBaseError
        Listing every schema violation with entry and field.
    FileNotFoundError
        If ``path`` does not exist.
    """
    kb_path = Path(path) if path is not None else KB_PATH
    if not kb_path.exists():
        raise FileNotFoundError(f"knowledge base {kb_path} not found")
    return _load_cached(str(kb_path.resolve()), kb_path.stat().st_mtime_ns)


@cache
def _load_cached(path: str, _mtime: int) -> KnowledgeBase:
    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"{path}: not valid YAML: {exc}") from None
    errors = validate_kb(data, path=path)
    if errors:
        raise KnowledgeBaseError(
            f"{len(errors)} problem(s) in the knowledge base:\n  " + "\n  ".join(errors)
        )
    entries = tuple(_entry(raw) for raw in data["entries"])
    return KnowledgeBase(
        data["name"], data["version"], data["date"], path, entries, data["knowledge_cutoff"]
    )


def _entry(raw: dict) -> Entry:
    bio = raw["biomarker"]
    return Entry(
        id=raw["id"],
        entry_class=raw["class"],
        genes=tuple(bio["genes"]),
        patterns=tuple(parse_pattern(p) for p in bio["alterations"]),
        exclude=tuple(parse_pattern(p) for p in bio.get("exclude", [])),
        origin=bio.get("origin", "any"),
        tumour_types=tuple(raw.get("tumour_types", [])),
        tumour_agnostic=bool(raw.get("tumour_agnostic", False)),
        excluded_tumour_types=tuple(raw.get("excluded_tumour_types", [])),
        therapies=tuple(tuple(t) for t in raw.get("therapies", [])),
        level=raw.get("level", "NA"),
        direction=raw["direction"],
        escat=_escat_text(raw.get("escat")),
        summary=" ".join(raw["summary"].split()),
        sources=tuple(
            Source(s["type"], s["citation"], s.get("pmid", ""), s.get("date", ""))
            for s in raw["sources"]
        ),
        last_reviewed=raw["last_reviewed"],
        context=dict(raw.get("context", {})),
        ctc_assay=bool(bio.get("ctc_assay", False)),
        ctc_analyte=bio.get("ctc_evidence_assay", {}).get("analyte", ""),
        ctc_assay_name=bio.get("ctc_evidence_assay", {}).get("assay", ""),
    )


def _escat_text(escat: dict | None) -> str:
    """``II-A (ESCAT: Mosele et al. 2020 ...; note)``, or empty."""
    if not escat:
        return ""
    pmid = f" [PMID {escat['pmid']}]" if escat.get("pmid") else ""
    note = f"; {escat['note']}" if escat.get("note") else ""
    return f"{escat['tier']} (ESCAT: {escat['source']}{pmid}{note})"
