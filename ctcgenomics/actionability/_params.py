"""Parameters of therapy matching: the ``actionability:`` config section as one frozen class."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ctcgenomics._params import ParamsError, as_mapping, build


@dataclass(frozen=True)
class MatchParams:
    """Parameters of :func:`~ctcgenomics.actionability.therapy_table` (``ctcg match``).

    Attributes
    ----------
    clonal_threshold
        Prevalence (fraction of evaluable CTCs) at or above which an alteration is clonal.
    include_level4
        Keep level-4 (biological rationale only) matches.
    """

    clonal_threshold: float = 0.8
    include_level4: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.clonal_threshold <= 1:
            raise ParamsError(
                f"actionability.clonal_threshold must be in (0, 1], got {self.clonal_threshold}"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None = None) -> MatchParams:
        """Parameters from the config layout; keys left out keep their defaults.

        Raises
        ------
        ValueError
            For an unknown key (naming the closest valid key) or a threshold outside (0, 1].
        """
        return build(cls, values, "actionability")

    def to_mapping(self) -> dict[str, Any]:
        """Return the parameters in the config layout (the inverse of :meth:`from_mapping`)."""
        return as_mapping(self)
