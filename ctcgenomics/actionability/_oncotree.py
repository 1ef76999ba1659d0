"""Tumour types as OncoTree codes, with the hierarchy used to decide indications."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

from ctcgenomics.actionability._data import _read_table


class UnknownTumourTypeError(ValueError):
    """A tumour type is not an OncoTree code of the packaged subset."""


@dataclass(frozen=True)
class OncoTree:
    """A subset of OncoTree: code -> (name, parent)."""

    names: dict[str, str]
    parents: dict[str, str]

    def resolve(self, code: str, *, where: str = "") -> str:
        """Return the upper-case code if known, else raise with near matches.

        Raises
        ------
        UnknownTumourTypeError
            Listing the closest codes and names of the packaged subset.
        """
        text = str(code).strip()
        key = text.upper()
        if key in self.names:
            return key
        by_name = {name.upper(): c for c, name in self.names.items()}
        if key in by_name:
            return by_name[key]
        near = difflib.get_close_matches(key, list(self.names), n=4, cutoff=0.5)
        near += [by_name[n] for n in difflib.get_close_matches(key, list(by_name), n=3, cutoff=0.5)]
        near = list(dict.fromkeys(near))
        hint = ", ".join(f"{c} ({self.names[c]})" for c in near) or "none close"
        loc = f" ({where})" if where else ""
        raise UnknownTumourTypeError(
            f"unknown OncoTree code {text!r}{loc}; near matches: {hint}. Use an OncoTree code "
            "from ctcgenomics/data/knowledge/oncotree_subset.tsv (e.g. BRCA, PRAD, NSCLC, "
            "COADREAD, MEL) or add the code with its parent to that file."
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
    """Load the packaged OncoTree subset."""
    table = _read_table("oncotree_subset.tsv")
    return OncoTree(
        names=dict(zip(table["code"], table["name"], strict=True)),
        parents={c: p for c, p in zip(table["code"], table["parent"], strict=True) if p},
    )
