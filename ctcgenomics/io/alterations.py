"""The alterations table: one row per patient x draw x alteration.

This is the contract between the calling modules (``cnv``, ``snv``, ``rna``) and
``actionability``/``report`` (see ``docs/design.md``). Every module builds its rows
with :func:`alteration_row`, so prevalence and its confidence interval are computed
the same way everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import pandas as pd

from ctcgenomics.io._atomic import atomic_open

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
"""Column order of the alterations TSV."""

ALTERATION_KINDS: frozenset[str] = frozenset(
    {"copy_number", "mutation", "expression", "fusion", "enumeration"}
)
"""Allowed values of the ``kind`` column."""

CNV_ALTERATIONS: frozenset[str] = frozenset({"AMPLIFICATION", "GAIN", "LOSS", "DELETION"})
"""Copy-number alteration names (``DELETION`` is a deep / homozygous deletion)."""


class AlterationTableError(ValueError):
    """An alterations table is malformed."""


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
) -> dict[str, object]:
    """Build one row of the alterations table, computing prevalence and its CI.

    Parameters
    ----------
    patient, draw
        Patient and draw IDs.
    gene
        HGNC gene symbol (for fusions ``GENE1::GENE2``).
    alteration
        HGVSp short form (``p.H1047R``), ``AMPLIFICATION``/``GAIN``/``LOSS``/
        ``DELETION``, a fusion, or a phenotype such as ``EXPRESSION_HIGH``.
    kind
        One of :data:`ALTERATION_KINDS`.
    n_cells_altered, n_cells_evaluable
        Counts of CTCs.
    evidence
        Short human-readable evidence (e.g. ``"median CN 9 (ploidy 2.1)"``).
    source
        What produced the call (module and file).

    Returns
    -------
    dict
        A row with every column of :data:`ALTERATION_COLUMNS`.
    """
    if kind not in ALTERATION_KINDS:
        raise AlterationTableError(
            f"unknown alteration kind {kind!r}; use one of {sorted(ALTERATION_KINDS)}"
        )
    prev, low, high = prevalence_ci(int(n_cells_altered), int(n_cells_evaluable))
    return {
        "patient": patient,
        "draw": draw,
        "gene": gene,
        "alteration": alteration,
        "kind": kind,
        "n_cells_altered": int(n_cells_altered),
        "n_cells_evaluable": int(n_cells_evaluable),
        "prevalence": prev,
        "ci_low": low,
        "ci_high": high,
        "evidence": evidence,
        "source": source,
    }


def alterations_frame(rows: Iterable[Mapping[str, object]] = ()) -> pd.DataFrame:
    """Return rows as a DataFrame with the table's columns in order (empty is fine)."""
    frame = pd.DataFrame(list(rows), columns=list(ALTERATION_COLUMNS))
    return frame.astype({"n_cells_altered": "int64", "n_cells_evaluable": "int64"})


def write_alterations(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write an alterations table as TSV, atomically."""
    missing = [c for c in ALTERATION_COLUMNS if c not in frame.columns]
    if missing:
        raise AlterationTableError(f"alterations table lacks columns {missing}")
    with atomic_open(path, newline="") as handle:
        frame.loc[:, list(ALTERATION_COLUMNS)].to_csv(
            handle, sep="\t", index=False, float_format="%.4g"
        )


def read_alterations(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate an alterations TSV.

    Raises
    ------
    AlterationTableError
        Naming the file, the line and the fix when a column is missing, a kind is
        unknown or the cell counts are inconsistent.
    """
    frame = pd.read_csv(
        path,
        sep="\t",
        dtype={"patient": str, "draw": str},
        keep_default_na=False,
        na_values={
            "prevalence": ["", "nan", "NaN"],
            "ci_low": ["", "nan", "NaN"],
            "ci_high": ["", "nan", "NaN"],
        },
    )
    missing = [c for c in ALTERATION_COLUMNS if c not in frame.columns]
    if missing:
        raise AlterationTableError(
            f"{path}: missing column(s) {missing}; an alterations table needs the header "
            + "\t".join(ALTERATION_COLUMNS)
        )
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        if row.kind not in ALTERATION_KINDS:
            raise AlterationTableError(
                f"{path}, line {i}: kind {row.kind!r} is not one of {sorted(ALTERATION_KINDS)}"
            )
        try:
            alt, ev = int(row.n_cells_altered), int(row.n_cells_evaluable)
        except (TypeError, ValueError):
            raise AlterationTableError(
                f"{path}, line {i}: n_cells_altered/n_cells_evaluable must be whole numbers"
            ) from None
        if not 0 <= alt <= ev:
            raise AlterationTableError(
                f"{path}, line {i}: need 0 <= n_cells_altered ({alt}) <= n_cells_evaluable ({ev})"
            )
    return frame
