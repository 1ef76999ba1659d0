"""Parse the protein-change strings of the alterations table (HGVSp short form).

Hand-written because the accepted subset is small and fixed (see
``docs/actionability.md``); full HGVS parsers (e.g. ``hgvs``) need a transcript
database, which this step does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ctcgenomics.io.alterations import AlterationTableError

_AA1 = "ACDEFGHIKLMNPQRSTVWY"
_AA3 = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
    "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
    "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
}  # fmt: skip
_AA3_RE = re.compile("|".join(_AA3))

_A = f"[{_AA1}]"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(rx))
    for kind, rx in (
        ("substitution", rf"^p\.({_A})(\d+)({_A}|\*|=)$"),
        ("frameshift", rf"^p\.({_A})(\d+)(?:{_A})?fs(?:\*(?:\d+|\?))?$"),
        ("stop_extension", rf"^p\.\*(\d+)({_A})ext\*(?:\d+|\?)$"),
        ("deletion", rf"^p\.({_A})(\d+)(?:_({_A})(\d+))?del$"),
        ("duplication", rf"^p\.({_A})(\d+)(?:_({_A})(\d+))?dup$"),
        ("insertion", rf"^p\.({_A})(\d+)_({_A})(\d+)ins((?:{_A})+)$"),
        # The SNV step names an in-frame insertion by its first codon only (p.R175ins).
        ("insertion_at", rf"^p\.({_A})(\d+)ins((?:{_A})*)$"),
        ("start_lost", r"^p\.M1\?$"),
        ("delins", rf"^p\.({_A})(\d+)(?:_({_A})(\d+))?delins((?:{_A}|\*)+)$"),
        ("splice", r"^p\.X(\d+)_splice$"),
        ("exon_skipping", r"^exon(\d+)_skipping$"),
    )
)


class MalformedHGVSpError(AlterationTableError):
    """A mutation string is not in the accepted HGVSp short form (or genomic HGVS)."""


@dataclass(frozen=True)
class ProteinChange:
    """A parsed protein change.

    Attributes
    ----------
    text
        Normalised one-letter HGVSp (``p.H1047R``) or ``exonN_skipping``.
    consequence
        ``missense``, ``nonsense``, ``synonymous``, ``frameshift``, ``inframe_deletion``,
        ``inframe_insertion``, ``delins``, ``splice``, ``exon_skipping``, ``stop_lost`` or
        ``start_lost``.
    ref
        Reference amino acid at ``start`` (empty for splice/exon-level strings).
    start, end
        First and last affected codon (1-based); for ``exon_skipping`` both are 0 and
        ``exon`` holds the exon number.
    alt
        Substituted/inserted residues (``*`` = stop).
    exon
        Exon number for ``exonN_skipping``.
    """

    text: str
    consequence: str
    ref: str
    start: int
    end: int
    alt: str = ""
    exon: int = 0

    @property
    def truncating(self) -> bool:
        """Nonsense, frameshift, splice-site or exon-skipping: expected to inactivate a gene."""
        return self.consequence in {"nonsense", "frameshift", "splice", "exon_skipping"}

    @property
    def net_length_change(self) -> int:
        """Residues gained (+) or lost (-) by an in-frame indel; 0 otherwise."""
        span = self.end - self.start + 1
        if self.consequence == "inframe_deletion":
            return -span
        if self.consequence == "inframe_insertion":
            return len(self.alt) if self.alt else span
        if self.consequence == "delins":
            return len(self.alt) - span
        return 0


def to_one_letter(text: str) -> str:
    """Convert three-letter amino acids (``p.His1047Arg``) to one-letter form."""
    return _AA3_RE.sub(lambda m: _AA3[m.group(0)], text)


def parse_hgvsp(text: str, *, where: str = "") -> ProteinChange:
    """Parse an HGVSp short-form protein change.

    Parameters
    ----------
    text
        E.g. ``p.H1047R``, ``p.R175*``, ``p.K111fs``, ``p.E746_A750del``,
        ``p.A767_V769dup``, ``p.D770_N771insSVD``, ``p.L747_P753delinsS``,
        ``p.X1010_splice``, ``exon14_skipping``; three-letter codes are accepted.
    where
        File and line, for the error message.

    Raises
    ------
    MalformedHGVSpError
        With the accepted forms, when ``text`` matches none of them.
    """
    raw = str(text).strip()
    norm = to_one_letter(raw)
    if norm.startswith("p.(") and norm.endswith(")"):  # predicted-consequence parentheses
        norm = "p." + norm[3:-1]
    for kind, rx in _PATTERNS:
        m = rx.match(norm)
        if m:
            return _build(kind, m, norm)
    loc = f" ({where})" if where else ""
    raise MalformedHGVSpError(
        f"malformed protein change {raw!r}{loc}: expected HGVSp short form such as p.H1047R, "
        "p.R175*, p.K111fs, p.E746_A750del, p.A767_V769dup, p.D770_N771insSVD, "
        "p.L747_P753delinsS, p.X1010_splice or exon14_skipping (one protein change per row); "
        "a variant without protein annotation is written as genomic HGVS, e.g. "
        "chr17:g.2500053G>C"
    )


def _build(kind: str, m: re.Match[str], norm: str) -> ProteinChange:
    g = m.groups()
    if kind == "substitution":
        ref, pos, alt = g[0], int(g[1]), g[2]
        if alt == "*":
            cons = "nonsense"
        elif alt in {"=", ref}:
            cons = "synonymous"
        else:
            cons = "missense"
        return ProteinChange(norm, cons, ref, pos, pos, alt)
    if kind == "frameshift":
        return ProteinChange(norm, "frameshift", g[0], int(g[1]), int(g[1]))
    if kind == "stop_extension":
        return ProteinChange(norm, "stop_lost", "*", int(g[0]), int(g[0]), g[1])
    if kind in {"deletion", "duplication"}:
        start = int(g[1])
        end = int(g[3]) if g[3] else start
        cons = "inframe_deletion" if kind == "deletion" else "inframe_insertion"
        return ProteinChange(norm, cons, g[0], start, end)
    if kind == "insertion":
        return ProteinChange(norm, "inframe_insertion", g[0], int(g[1]), int(g[3]), g[4])
    if kind == "insertion_at":
        return ProteinChange(norm, "inframe_insertion", g[0], int(g[1]), int(g[1]), g[2])
    if kind == "start_lost":
        return ProteinChange(norm, "start_lost", "M", 1, 1, "?")
    if kind == "delins":
        start = int(g[1])
        end = int(g[3]) if g[3] else start
        cons = "nonsense" if "*" in g[4] else "delins"
        return ProteinChange(norm, cons, g[0], start, end, g[4])
    if kind == "splice":
        return ProteinChange(norm, "splice", "", int(g[0]), int(g[0]))
    return ProteinChange(norm, "exon_skipping", "", 0, 0, exon=int(g[0]))
