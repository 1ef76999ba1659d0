"""Per-cell, rank-based scores of absolute cell programmes (tumour lineage, blood lineages).

Each cell is scored on its own: the genes of a programme are compared with every other
measured gene *of the same cell* by a Mann-Whitney rank test (the statistic behind
AUCell and UCell, Aibar et al. 2017 Nat Methods 14:1083; Andreatta & Carmona 2021 Comput
Struct Biotechnol J 19:3796). The score does not depend on the other cells of the run,
on library size or on any monotone transform of a cell's values (counts, counts per 10k
and log1p give identical ranks), and it has no randomness.

For a programme ``S`` of ``n1`` measured genes among the cell's ``N`` measured genes,
with mid-ranks of the cell's values (undetected genes share the lowest mid-rank):

- ``auc = U / (n1 * n2)``, ``U = R_S - n1 (n1 + 1) / 2``, ``n2 = N - n1`` (0.5 = like
  the cell's other genes, 1 = the programme's genes are the cell's most expressed);
- ``z = (U - n1 n2 / 2) / sd(U)`` with the tie-corrected null variance
  ``n1 n2 / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1)))``. Under "the programme's genes
  behave like the cell's other genes" ``z`` is standard normal, so the scale is the same
  for every programme, depth and panel size.

Why not :func:`decoupler.mt.aucell`/``ucell``: decoupler 2.2 ranks each dense row with
``method="ordinal"`` in a Python loop, so undetected genes get arbitrary distinct ranks
that depend on the column order (in sparse cells undetected marker genes can land inside
the top ``n_up``), its ``n_up`` default depends on the number of measured genes (scores
of a 2,500-gene panel and of a whole transcriptome are not comparable), it gives no null
scale, and it pulls in pyarrow, marsilea and other plotting packages. The rank test
needs only each cell's sorted non-zero values (numba, one pass over the CSR matrix).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numba
import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData
from scipy.stats import norm

log = logging.getLogger(__name__)

PANEL_DIR = resources.files("ctcgenomics") / "data" / "rna"
PROGRAMMES_FILE = "ctc_programmes_v1.tsv"
ONCOTREE_FILE = "oncotree_programmes_v1.tsv"
KINDS = ("tumour", "blood", "platelet", "erythrocyte")
"""Programme kinds; a cell's evidence for each kind is one z-score."""
REQUIRED_KINDS = ("tumour", "blood")
"""Kinds without which a matrix cannot be classified (an error names the missing genes)."""


class PanelError(ValueError):
    """An unknown tumour type, or a matrix without the genes of a programme."""


@dataclass(frozen=True)
class Programme:
    """A named gene programme of one kind, with its literature source."""

    name: str
    kind: str
    genes: tuple[str, ...]
    source: str


def _read_tsv(name: str) -> list[dict[str, str]]:
    with resources.as_file(PANEL_DIR / name) as path, open(path, encoding="utf-8") as handle:
        rows = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(rows, delimiter="\t"))


@cache
def load_programmes() -> dict[str, Programme]:
    """Read the packaged programmes (``ctcgenomics/data/rna/ctc_programmes_v1.tsv``)."""
    out = {}
    for row in _read_tsv(PROGRAMMES_FILE):
        genes = tuple(g.strip() for g in row["genes"].split(",") if g.strip())
        out[row["programme"]] = Programme(row["programme"], row["kind"], genes, row["source"])
    return out


@cache
def oncotree_programmes() -> dict[str, tuple[str, ...]]:
    """OncoTree code -> tumour programme names (``oncotree_programmes_v1.tsv``)."""
    return {
        row["code"]: tuple(p.strip() for p in row["programmes"].split(","))
        for row in _read_tsv(ONCOTREE_FILE)
    }


def supported_tumour_types() -> list[str]:
    """OncoTree codes with a tumour programme."""
    return sorted(oncotree_programmes())


def programmes_for(tumour_type: str) -> dict[str, Programme]:
    """Tumour programmes of ``tumour_type`` plus every blood, platelet and erythrocyte one.

    Raises
    ------
    PanelError
        For a code without programmes, listing the supported codes.
    """
    code = str(tumour_type).strip().upper()
    table = oncotree_programmes()
    if code not in table:
        raise PanelError(
            f"tumour type {tumour_type!r} has no RNA marker panel; supported OncoTree codes: "
            f"{', '.join(supported_tumour_types())}. Set tumour_type in the patient sheet to one "
            f"of them (or its parent code), or add a row to ctcgenomics/data/rna/{ONCOTREE_FILE}"
        )
    every = load_programmes()
    chosen = {name: every[name] for name in table[code]}
    chosen.update({n: p for n, p in every.items() if p.kind != "tumour"})
    return chosen


@numba.njit(parallel=True, cache=True)
def _rank_test(indptr, indices, data, n_genes, set_genes, set_ptr):  # pragma: no cover - numba
    n_cells = indptr.shape[0] - 1
    n_sets = set_ptr.shape[0] - 1
    auc = np.full((n_cells, n_sets), np.nan)
    z = np.full((n_cells, n_sets), np.nan)
    big_n = float(n_genes)
    for c in numba.prange(n_cells):
        lo, hi = indptr[c], indptr[c + 1]
        vals = data[lo:hi]
        cols = indices[lo:hi]
        # this cell's value of every gene, only for the genes the sets need
        sorted_vals = np.sort(vals[vals > 0])
        n_pos = sorted_vals.shape[0]
        n_zero = n_genes - n_pos
        ties = float(n_zero) ** 3 - n_zero
        i = 0
        while i < n_pos:
            j = i
            while j + 1 < n_pos and sorted_vals[j + 1] == sorted_vals[i]:
                j += 1
            t = float(j - i + 1)
            ties += t**3 - t
            i = j + 1
        for s in range(n_sets):
            a, b = set_ptr[s], set_ptr[s + 1]
            n1 = float(b - a)
            n2 = big_n - n1
            if n1 == 0 or n2 == 0:
                continue
            rank_sum = 0.0
            for k in range(a, b):
                g = set_genes[k]
                # binary search of gene g among this cell's (sorted) column indices
                left, right = 0, cols.shape[0]
                while left < right:
                    mid = (left + right) // 2
                    if cols[mid] < g:
                        left = mid + 1
                    else:
                        right = mid
                v = vals[left] if left < cols.shape[0] and cols[left] == g else 0.0
                if v <= 0:
                    rank_sum += (n_zero + 1) / 2.0
                else:
                    below = np.searchsorted(sorted_vals, v, side="left")
                    upto = np.searchsorted(sorted_vals, v, side="right")
                    rank_sum += n_zero + below + (upto - below + 1) / 2.0
            u = rank_sum - n1 * (n1 + 1) / 2.0
            auc[c, s] = u / (n1 * n2)
            var = n1 * n2 / 12.0 * ((big_n + 1) - ties / (big_n * (big_n - 1)))
            z[c, s] = (u - n1 * n2 / 2.0) / np.sqrt(var) if var > 0 else 0.0
    return auc, z


def rank_scores(
    x, var_names: Sequence[str], gene_sets: Mapping[str, Sequence[str]]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, list[str]]]:
    """Per-cell Mann-Whitney AUC and z of each gene set against the cell's other genes.

    Parameters
    ----------
    x
        Cells x genes, non-negative (counts, normalised or log values: only ranks matter).
    var_names
        Gene names of the columns.
    gene_sets
        Set name -> genes; genes absent from ``var_names`` are skipped.

    Returns
    -------
    auc, z : pandas.DataFrame
        Cells x sets (index 0..n-1); NaN for a set with no measured gene.
    used : dict
        Set name -> genes measured.
    """
    names = pd.Index([str(v) for v in var_names])
    if not names.is_unique:
        raise ValueError("gene names must be unique; sum duplicates first (harmonize_gene_names)")
    used = {k: [g for g in dict.fromkeys(v) if g in names] for k, v in gene_sets.items()}
    flat = np.array([names.get_loc(g) for v in used.values() for g in v], dtype=np.int64)
    ptr = np.zeros(len(used) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(v) for v in used.values()])
    m = sp.csr_matrix(x)
    if not m.has_sorted_indices:
        m = m.copy()
        m.sort_indices()
    auc, z = _rank_test(
        m.indptr.astype(np.int64),
        m.indices.astype(np.int64),
        m.data.astype(np.float64),
        m.shape[1],
        flat,
        ptr,
    )
    cols = list(used)
    return pd.DataFrame(auc, columns=cols), pd.DataFrame(z, columns=cols), used


def combine_max(z: np.ndarray) -> np.ndarray:
    """Evidence of the strongest of ``k`` programmes, Sidak-corrected back to one z.

    The maximum of ``k`` null z-scores is larger than one z-score; converting it to the
    p-value of a maximum (``1 - Phi(z)^k``) and back keeps every kind on one null scale.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 1:
        return z
    k = np.sum(np.isfinite(z), axis=1)
    best = np.nanmax(np.where(np.isfinite(z), z, -np.inf), axis=1)
    # log P(max <= z) = k log Phi(z); p = 1 - Phi(z)^k, computed stably via log-space
    log_cdf = k * norm.logcdf(best)
    p = -np.expm1(log_cdf)
    out = norm.isf(np.clip(p, 1e-300, 1.0))
    return np.where(k > 0, out, np.nan)


def score_programmes(
    adata: AnnData,
    *,
    tumour_type: str,
    programmes: Mapping[str, Programme] | None = None,
    layer: str | None = None,
    key_added: str = "programme",
    copy: bool = False,
) -> AnnData | None:
    """Score every cell against the tumour, blood, platelet and erythrocyte programmes.

    Parameters
    ----------
    adata
        Cells x genes with gene symbols as ``var_names``; any non-negative values (raw
        counts, counts per 10k, log1p): the score uses each cell's ranks only.
    tumour_type
        OncoTree code choosing the tumour programmes (:func:`supported_tumour_types`).
    programmes
        Programme name -> :class:`Programme`; default the packaged panels for
        ``tumour_type``.
    layer
        Layer to use instead of ``X``.
    key_added
        Prefix of the results.
    copy
        Return a copy instead of writing in place.

    Returns
    -------
    AnnData or None
        Adds ``obs[f"{key_added}_{NAME}"]`` (z) and ``obs[f"{key_added}_{NAME}_auc"]`` for
        each programme, ``obs[f"{key_added}_offset"]`` (median z of the decoy programmes:
        other tumour types' lineage genes, how silent lineage genes rank in this cell),
        and one evidence z per kind, relative to that offset: ``obs[f"{key_added}_tumour"]`` (all
        tumour programmes' genes as one set), ``obs[f"{key_added}_blood"]`` (strongest blood
        programme, Sidak-corrected), ``obs[f"{key_added}_platelet"]`` and
        ``obs[f"{key_added}_erythrocyte"]``; ``uns[key_added]`` with ``params``,
        ``genes_used`` and ``genes_missing``.

    Raises
    ------
    PanelError
        Unknown ``tumour_type``, or none of a kind's genes in the matrix.
    """
    if not isinstance(adata, AnnData):
        raise TypeError(f"score_programmes needs an AnnData, got {type(adata).__name__}")
    if layer is not None and layer not in adata.layers:
        raise KeyError(
            f"layer {layer!r} not in adata.layers ({list(adata.layers)}); pass layer=None to use X"
        )
    progs = dict(programmes) if programmes is not None else programmes_for(tumour_type)
    adata = adata.copy() if copy else adata
    x = adata.X if layer is None else adata.layers[layer]
    _check_values(x)
    sets: dict[str, list[str]] = {n: list(p.genes) for n, p in progs.items()}
    tumour_names = [n for n, p in progs.items() if p.kind == "tumour"]
    sets["tumour"] = list(dict.fromkeys(g for n in tumour_names for g in progs[n].genes))
    # Decoys: the tumour programmes of *other* tumour types, minus any gene of the chosen
    # panels. Lineage genes are silent outside their lineage, so in any cell they rank
    # below the cell's average gene; the decoys measure how far, in this very cell.
    chosen = {g for genes in sets.values() for g in genes}
    decoys = {
        f"decoy_{n}": [g for g in p.genes if g not in chosen]
        for n, p in load_programmes().items()
        if p.kind == "tumour" and n not in progs
    }
    sets.update({k: v for k, v in decoys.items() if len(v) >= 3})
    auc, z, used = rank_scores(x, adata.var_names, sets)
    decoy_cols = [k for k in z.columns if k.startswith("decoy_") and used[k]]
    offset = (
        np.nanmedian(z[decoy_cols].to_numpy(), axis=1)
        if len(decoy_cols) >= 2
        else np.zeros(adata.n_obs)
    )
    offset = np.where(np.isfinite(offset), offset, 0.0)
    missing = {n: [g for g in sets[n] if g not in set(used[n])] for n in sets}
    empty_kinds = [
        kind
        for kind in KINDS
        if not any(used[n] for n, p in progs.items() if p.kind == kind)
        and any(p.kind == kind for p in progs.values())
    ]
    for kind in set(empty_kinds) - set(REQUIRED_KINDS):
        log.warning("no %s programme gene in the matrix: no cell can be called %s", kind, kind)
    empty_kinds = [k for k in empty_kinds if k in REQUIRED_KINDS]
    if empty_kinds:
        raise PanelError(
            f"the matrix has none of the genes of the {', '.join(empty_kinds)} programme(s) "
            f"for tumour type {tumour_type}: e.g. "
            + "; ".join(
                f"{n}: {', '.join(p.genes[:5])}" for n, p in progs.items() if p.kind in empty_kinds
            )
            + ". Check that var_names are human gene symbols (Ensembl IDs are converted by "
            "ctcgenomics.rna.read_counts) and that the panel measures these genes."
        )
    for name in progs:
        adata.obs[f"{key_added}_{name}"] = z[name].to_numpy()
        adata.obs[f"{key_added}_{name}_auc"] = auc[name].to_numpy()
    adata.obs[f"{key_added}_offset"] = offset
    adata.obs[f"{key_added}_tumour"] = z["tumour"].to_numpy() - offset
    for kind in KINDS[1:]:
        cols = [n for n, p in progs.items() if p.kind == kind and used[n]]
        adata.obs[f"{key_added}_{kind}"] = (
            combine_max(z[cols].to_numpy() - offset[:, None])
            if cols
            else np.full(adata.n_obs, np.nan)
        )
    adata.uns[key_added] = {
        "params": {
            "tumour_type": str(tumour_type),
            "tumour_programmes": tumour_names,
            "layer": layer,
            "method": "per-cell Mann-Whitney rank test against the cell's other genes",
            "panel_file": PROGRAMMES_FILE,
            "decoys": decoy_cols,
        },
        "genes_used": {k: list(v) for k, v in used.items()},
        "genes_missing": missing,
    }
    return adata if copy else None


def _check_values(x) -> None:
    data = x.data if sp.issparse(x) else np.asarray(x)
    if data.size and np.nanmin(data) < 0:
        raise ValueError(
            "the matrix has negative values (scaled or batch-corrected?); score raw counts, "
            "normalised or log1p values"
        )
    if data.size and np.isnan(data).any():
        raise ValueError("the matrix has NaN values; give counts or normalised values")
