"""Parameters of SNV calling, and their mapping to the ``snv:`` config section.

The defaults live in the part classes (:class:`CountParams`, :class:`CandidateParams`,
:class:`GenotypeParams` with :class:`ModelParams`, :class:`FilterParams`); the config
schema's defaults are checked equal to them by a test. The config section is flatter and
names some parameters differently (``min_mapq``, ``priors.dropout``): :data:`CONFIG_PATHS`
is the one table between the two.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ctcgenomics._params import ParamsError, build, check_keys
from ctcgenomics.snv._counts import CountParams
from ctcgenomics.snv._filters import FilterParams
from ctcgenomics.snv._genotype import GenotypeParams
from ctcgenomics.snv._pileup import CandidateParams

CONFIG_PATHS: dict[str, tuple[str, ...]] = {
    "min_base_quality": ("counts", "min_base_quality"),
    "min_mapq": ("counts", "min_mapping_quality"),
    "count_orphans": ("counts", "count_orphans"),
    "min_alt_reads": ("candidates", "min_alt_reads"),
    "min_pooled_vaf": ("candidates", "min_pooled_vaf"),
    "min_cell_depth": ("genotype", "min_cell_depth"),
    "min_genotype_posterior": ("genotype", "min_genotype_posterior"),
    "detect_unamplified": ("genotype", "detect_unamplified"),
    "priors.somatic": ("genotype", "model", "prior_somatic"),
    "priors.hotspot": ("genotype", "model", "prior_hotspot"),
    "priors.germline": ("genotype", "model", "prior_germline"),
    "priors.artefact_rate": ("genotype", "model", "artefact_rate"),
    "priors.dropout": ("genotype", "model", "dropout_prior_mean"),
    "priors.estimate": ("genotype", "model", "estimate_priors"),
}
"""Config key (dotted) -> attribute path in :class:`SNVParams`. ``filters.<name>`` maps to
``filters.<name>`` for every :class:`FilterParams` field."""


@dataclass(frozen=True)
class SNVParams:
    """All parameters of :func:`~ctcgenomics.snv.call` (each part documented in its class).

    Build it from the config's ``snv:`` section (or any part of it) with
    :meth:`from_mapping`; :meth:`to_mapping` gives that layout back.
    """

    counts: CountParams = field(default_factory=CountParams)
    candidates: CandidateParams = field(default_factory=CandidateParams)
    genotype: GenotypeParams = field(default_factory=GenotypeParams)
    filters: FilterParams = field(default_factory=FilterParams)

    @classmethod
    def keys(cls) -> frozenset[str]:
        """Top-level keys of the config layout (the ``snv:`` keys that are parameters)."""
        return frozenset(k.split(".")[0] for k in CONFIG_PATHS) | {"filters"}

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None = None) -> SNVParams:
        """Parameters from the config layout, e.g. ``{"min_mapq": 30, "priors": {...}}``.

        Keys left out keep their defaults.

        Raises
        ------
        ValueError
            For an unknown key, naming where it is and the closest valid key.
        """
        values = dict(values or {})
        check_keys(values, cls.keys(), "snv")
        parts: dict[str, dict[str, Any]] = {"counts": {}, "candidates": {}, "genotype": {}}
        model: dict[str, Any] = {}
        flat = {k: v for k, v in values.items() if k not in ("priors", "filters")}
        priors = values.get("priors") or {}
        check_keys(priors, [k.split(".")[1] for k in CONFIG_PATHS if "." in k], "snv.priors")
        flat.update({f"priors.{k}": v for k, v in priors.items()})
        for key, value in flat.items():
            path = CONFIG_PATHS[key]
            target = model if path[1] == "model" else parts[path[0]]
            target[path[-1]] = value
        genotype = build(GenotypeParams, parts["genotype"], "snv")
        genotype = dataclasses.replace(genotype, model=build(type(genotype.model), model, "snv"))
        try:
            return cls(
                counts=build(CountParams, parts["counts"], "snv"),
                candidates=build(CandidateParams, parts["candidates"], "snv"),
                genotype=genotype,
                filters=build(FilterParams, values.get("filters"), "snv.filters"),
            )
        except TypeError as err:  # a value of the wrong shape for a nested class
            raise ParamsError(f"snv: {err}") from None

    def to_mapping(self) -> dict[str, Any]:
        """Return the parameters in the config layout (the inverse of :meth:`from_mapping`)."""
        out: dict[str, Any] = {"priors": {}, "filters": dataclasses.asdict(self.filters)}
        for key, path in CONFIG_PATHS.items():
            value: Any = self
            for name in path:
                value = getattr(value, name)
            if "." in key:
                section, name = key.split(".")
                out[section][name] = value
            else:
                out[key] = value
        return out
