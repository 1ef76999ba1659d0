"""Tumour types as OncoTree codes, with the hierarchy used to decide indications.

The packaged table is a whole OncoTree release (``ONCOTREE_FILE``), so any code a user
writes in the patient sheet resolves, child codes (``IDC``) inherit the indications of
their ancestors (``BRCA``), and codes retired by a later release resolve through the
release's ``history`` column.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cache

from ctcgenomics.actionability._data import _read_table

ONCOTREE_RELEASE = "oncotree_2025_10_03"
"""The packaged OncoTree release."""

ONCOTREE_FILE = f"{ONCOTREE_RELEASE}.tsv"


class UnknownTumourTypeError(ValueError):
    """A tumour type is not a code of the packaged OncoTree release."""


@dataclass(frozen=True)
class OncoTree:
    """An OncoTree release: code -> (name, parent), plus codes renamed by the release."""

    names: dict[str, str]
    parents: dict[str, str]
    previous: dict[str, str] = field(default_factory=dict)
    main_types: dict[str, str] = field(default_factory=dict)
    release: str = ONCOTREE_RELEASE

    def resolve(self, code: str, *, where: str = "") -> str:
        """Return the upper-case code if known (also by name or a retired code).

        Parameters
        ----------
        code
            An OncoTree code (any case), an OncoTree name, or a code the release
            replaced (``history``), which resolves to its successor.
        where
            Where the code was read (file, line, column), for the error message.

        Raises
        ------
        UnknownTumourTypeError
            Naming ``where``, with the closest codes and names of the release.
        """
        text = str(code).strip()
        key = text.upper()
        if key in self.names:
            return key
        if key in self.previous:
            return self.previous[key]
        by_name = {name.upper(): c for c, name in self.names.items()}
        if key in by_name:
            return by_name[key]
        near = difflib.get_close_matches(key, list(self.names), n=4, cutoff=0.5)
        near += [by_name[n] for n in difflib.get_close_matches(key, list(by_name), n=3, cutoff=0.5)]
        near = list(dict.fromkeys(near))
        hint = ", ".join(f"{c} ({self.names[c]})" for c in near) or "none close"
        loc = f" ({where})" if where else ""
        raise UnknownTumourTypeError(
            f"unknown OncoTree code {text!r}{loc}; near matches: {hint}. Use a code of OncoTree "
            f"release {self.release} (ctcgenomics/data/knowledge/{ONCOTREE_FILE}; e.g. BRCA, "
            "IDC, PRAD, NSCLC, LUAD, COADREAD, MEL)."
        )

    def lineage(self, code: str) -> list[str]:
        """Return ``[code, parent, ..., root]``."""
        out = [code]
        while self.parents.get(out[-1]):
            out.append(self.parents[out[-1]])
        return out

    def covers(self, indication: str, code: str) -> bool:
        """Return whether ``code`` is ``indication`` or one of its descendants."""
        return indication in self.lineage(code)


@cache
def oncotree() -> OncoTree:
    """Load the packaged OncoTree release."""
    table = _read_table(ONCOTREE_FILE)
    codes = set(table["code"])
    previous: dict[str, str] = {}
    for code, history in zip(table["code"], table["previous_codes"], strict=True):
        for old in filter(None, history.split(",")):
            if old.upper() not in codes:
                previous[old.upper()] = code
    return OncoTree(
        names=dict(zip(table["code"], table["name"], strict=True)),
        parents={c: p for c, p in zip(table["code"], table["parent"], strict=True) if p},
        previous=previous,
        main_types=dict(zip(table["code"], table["main_type"], strict=True)),
    )
