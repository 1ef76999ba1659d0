"""Provenance stamped into every h5ad and VCF the workflow writes.

A file met later (a colleague's folder, a cBioPortal import) should say which version of
ctcgenomics wrote it and with which parameters. JSON outputs carry the same fields at
their top level (``generated_by``, ``params``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ctcgenomics import __version__

PROVENANCE_KEY = "ctcgenomics"
"""``adata.uns`` key of the provenance record."""


def provenance(stage: str, params: Mapping[str, object] | None = None) -> dict[str, str]:
    """Return the provenance record of a stage's output.

    Parameters
    ----------
    stage
        The step that wrote the file (``cnv``, ``snv``, ``rna``...).
    params
        The parameters it ran with; stored as one JSON string so that any nesting
        survives h5ad and VCF headers alike.

    Returns
    -------
    dict
        ``software``, ``version``, ``stage`` and ``params`` (JSON text), all strings.
    """
    if not isinstance(stage, str) or not stage:
        raise ValueError(f"stage must be a non-empty string, got {stage!r}")
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping, got {type(params).__name__}")
    text = json.dumps(dict(params or {}), sort_keys=True, default=str)
    return {"software": "ctcgenomics", "version": __version__, "stage": stage, "params": text}


def stamp(adata, stage: str, params: Mapping[str, object] | None = None) -> None:
    """Record :func:`provenance` in ``adata.uns["ctcgenomics"]`` (in place)."""
    adata.uns[PROVENANCE_KEY] = provenance(stage, params)
