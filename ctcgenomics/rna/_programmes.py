"""Per-cell, rank-based scores of absolute cell programmes (tumour lineage, blood lineages).

Each cell is scored on its own by Mann-Whitney rank tests on its own values (the
statistic behind AUCell and UCell, Aibar et al. 2017 Nat Methods 14:1083; Andreatta &
Carmona 2021 Comput Struct Biotechnol J 19:3796). The scores do not depend on the other
cells of the run, on library size or on any monotone transform of a cell's values
(counts, counts per 10k and log1p give identical ranks), and they have no randomness.

Each lineage programme is tested against its *reference*: genes that a cell of that
lineage does not express. For the nucleated kinds (tumour, blood) these are the decoys
(other tumour types' lineage genes) and the other kinds' programme genes; lineage genes
are silent outside their lineage, so when the cell is not of the programme's lineage
the programme's genes behave like its reference and ``z`` is standard normal, at any
depth, panel or set size. For the anucleate kinds (platelet, erythrocyte) the reference
is the cell's housekeeping genes, which their programme genes outrank only in a real
platelet or erythrocyte (not in a cell with ambient haemoglobin). The housekeeping
programme is tested against all of the cell's genes (the gene-label check).

With mid-ranks over the ``n1`` set and ``n2`` reference values of the cell:
``auc = U / (n1 n2)``, ``z = (U - n1 n2 / 2) / sd(U)`` with the tie-corrected null
variance ``n1 n2 / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1)))``, and ``z_max``, the
``z`` of the set holding the cell's highest of these values (0 when nothing is
detected), which scales the alternative of the class posterior.

Why not :func:`decoupler.mt.aucell`/``ucell``: decoupler 2.2 ranks each dense row with
``method="ordinal"`` in a Python loop, so undetected genes get arbitrary distinct ranks
that depend on the column order (in sparse cells undetected marker genes can land inside
the top ``n_up``), its ``n_up`` default depends on the number of measured genes (scores
of a 2,500-gene panel and of a whole transcriptome are not comparable), it gives no null
scale, and it pulls in pyarrow, marsilea and other plotting packages. The rank tests
need only each cell's values of a few hundred genes (numba, one pass over the CSR
matrix).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numba
import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData
from scipy.stats import norm

from ctcgenomics._keys import layer_names

log = logging.getLogger(__name__)

PANEL_DIR = resources.files("ctcgenomics") / "data" / "rna"
PROGRAMMES_FILE = "ctc_programmes_v1.tsv"
ONCOTREE_FILE = "oncotree_programmes_v1.tsv"
KINDS = ("tumour", "blood", "platelet", "erythrocyte")
"""Programme kinds; a cell's evidence for each kind is one z-score."""
REQUIRED_KINDS = ("tumour", "blood")
NUCLEATED_KINDS = ("tumour", "blood")
"""Kinds scored against silent lineage genes (decoys and the other kinds' programmes);
platelet and erythrocyte programmes are scored against the cell's housekeeping genes."""
MIN_DECOYS = 5
"""Fewest measured decoy genes for the decoy test; below it programmes are tested against
all other genes of the cell."""
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
    z_max = np.full((n_cells, n_sets), np.nan)
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
            # largest rank sum these values allow: the set holding the cell's top n1 values
            top = 0.0
            n_top = int(n1)
            for k in range(min(n_top, n_pos)):
                v = sorted_vals[n_pos - 1 - k]
                below = np.searchsorted(sorted_vals, v, side="left")
                upto = np.searchsorted(sorted_vals, v, side="right")
                top += n_zero + below + (upto - below + 1) / 2.0
            if n_top > n_pos:
                top += (n_top - n_pos) * (n_zero + 1) / 2.0
            auc[c, s] = u / (n1 * n2)
            var = n1 * n2 / 12.0 * ((big_n + 1) - ties / (big_n * (big_n - 1)))
            if var > 0:
                z[c, s] = (u - n1 * n2 / 2.0) / np.sqrt(var)
                z_max[c, s] = (top - n1 * (n1 + 1) / 2.0 - n1 * n2 / 2.0) / np.sqrt(var)
            else:
                z[c, s] = 0.0
                z_max[c, s] = 0.0
    return auc, z, z_max


@numba.njit(parallel=True, cache=True)
def _two_sample(
    indptr, indices, data, genes, set_pos, set_ptr, ref_pos, ref_ptr
):  # pragma: no cover
    # genes: sorted column indices needed; set_pos/ref_pos: positions into genes
    n_cells = indptr.shape[0] - 1
    n_sets = set_ptr.shape[0] - 1
    auc = np.full((n_cells, n_sets), np.nan)
    z = np.full((n_cells, n_sets), np.nan)
    z_max = np.full((n_cells, n_sets), np.nan)
    for c in numba.prange(n_cells):
        lo, hi = indptr[c], indptr[c + 1]
        v = np.zeros(genes.shape[0])
        j = lo
        for i in range(genes.shape[0]):  # merge of two sorted index lists
            while j < hi and indices[j] < genes[i]:
                j += 1
            if j < hi and indices[j] == genes[i]:
                v[i] = data[j]
        for s in range(n_sets):
            a, b = set_ptr[s], set_ptr[s + 1]
            r0 = ref_ptr[s]
            n1 = b - a
            n_ref = ref_ptr[s + 1] - r0
            if n1 == 0 or n_ref == 0:
                continue
            big_n = n1 + n_ref
            comb = np.empty(big_n)
            for k in range(n1):
                comb[k] = v[set_pos[a + k]]
            for k in range(n_ref):
                comb[n1 + k] = v[ref_pos[r0 + k]]
            order = np.argsort(comb, kind="mergesort")
            ranks = np.empty(big_n)
            ties = 0.0
            i = 0
            while i < big_n:
                k = i
                while k + 1 < big_n and comb[order[k + 1]] == comb[order[i]]:
                    k += 1
                for m in range(i, k + 1):
                    ranks[order[m]] = (i + k) / 2.0 + 1.0
                t = float(k - i + 1)
                ties += t**3 - t
                i = k + 1
            u = ranks[:n1].sum() - n1 * (n1 + 1) / 2.0
            # largest U these values allow: the set holding the cell's n1 highest values
            u_max = np.sort(ranks)[big_n - n1 :].sum() - n1 * (n1 + 1) / 2.0
            n12 = float(n1) * float(n_ref)
            auc[c, s] = u / n12
            var = n12 / 12.0 * ((big_n + 1) - ties / (float(big_n) * (big_n - 1)))
            if var > 1e-12:
                z[c, s] = (u - n12 / 2.0) / np.sqrt(var)
                z_max[c, s] = (u_max - n12 / 2.0) / np.sqrt(var)
            else:  # every value tied: no information
                z[c, s] = 0.0
                z_max[c, s] = 0.0
    return auc, z, z_max


def contrast_scores(
    x,
    var_names: Sequence[str],
    gene_sets: Mapping[str, Sequence[str]],
    references: Mapping[str, Sequence[str]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, list[str]], dict[str, list[str]]]:
    """Per-cell Mann-Whitney AUC and z of each gene set against its own reference genes.

    The reference of a lineage programme is genes that a cell of that lineage does not
    express: decoys (other tumour types' lineage genes) and the other kinds' programmes.
    Lineage genes are silent outside their lineage, so when a cell is not of the set's
    lineage the set's genes behave like its reference genes *in this cell*, and ``z`` is
    standard normal whatever the depth, the panel or the set size. A programme of which
    only some genes are on (marker loss, dropout) is compared with genes that are off, not
    diluted by the cell's many expressed genes, and a few reads of another lineage's
    genes (ambient RNA) rank below the genes of the cell's own lineage.

    Parameters
    ----------
    x
        Cells x genes, non-negative (only each cell's ranks are used).
    var_names
        Gene names of the columns.
    gene_sets
        Set name -> genes; genes absent from ``var_names`` are skipped.
    references
        Set name -> reference genes; absent ones, and genes of the set itself, are
        skipped.

    Returns
    -------
    auc, z, z_max : pandas.DataFrame
        Cells x sets (index 0..n-1); NaN for a set with no measured gene or reference.
        ``z_max`` is the largest ``z`` the cell's values allow (the set holding the
        cell's highest values among set and reference): 0 when nothing is detected.
    used, references_used : dict
        Set name -> genes measured, and reference genes measured.
    """
    names = pd.Index([str(v) for v in var_names])
    if not names.is_unique:
        raise ValueError("gene names must be unique; sum duplicates first (harmonize_gene_names)")
    present = set(names)
    used = {k: [g for g in dict.fromkeys(v) if g in present] for k, v in gene_sets.items()}
    refs = {
        k: [g for g in dict.fromkeys(references.get(k, ())) if g in present and g not in set(v)]
        for k, v in used.items()
    }
    cols = np.array(
        sorted({names.get_loc(g) for d in (used, refs) for v in d.values() for g in v}),
        dtype=np.int64,
    )
    pos = {int(c): i for i, c in enumerate(cols)}

    def flat(d: dict[str, list[str]]) -> tuple[np.ndarray, np.ndarray]:
        idx = np.array([pos[names.get_loc(g)] for v in d.values() for g in v], dtype=np.int64)
        ptr = np.zeros(len(d) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(v) for v in d.values()])
        return idx, ptr

    m = sp.csr_matrix(x)
    if not m.has_sorted_indices:
        m = m.copy()
        m.sort_indices()
    auc, z, z_max = _two_sample(
        m.indptr.astype(np.int64),
        m.indices.astype(np.int64),
        m.data.astype(np.float64),
        cols,
        *flat(used),
        *flat(refs),
    )
    keys = list(used)
    frames = (pd.DataFrame(v, columns=keys) for v in (auc, z, z_max))
    return (*frames, used, refs)


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
    auc, z, _, used = _rank_scores(x, var_names, gene_sets)
    return auc, z, used


def _rank_scores(
    x, var_names: Sequence[str], gene_sets: Mapping[str, Sequence[str]]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, list[str]]]:
    """:func:`rank_scores` plus ``z_max`` (the largest z the cell's values allow)."""
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
    auc, z, z_max = _rank_test(
        m.indptr.astype(np.int64),
        m.indices.astype(np.int64),
        m.data.astype(np.float64),
        m.shape[1],
        flat,
        ptr,
    )
    cols = list(used)
    frames = (pd.DataFrame(v, columns=cols) for v in (auc, z, z_max))
    return (*frames, used)


def combine_max(z: np.ndarray) -> np.ndarray:
    """Evidence of the strongest of ``k`` programmes, Sidak-corrected back to one z.

    The maximum of ``k`` null z-scores is larger than one z-score; converting it to the
    p-value of a maximum (``1 - Phi(z)^k``) and back keeps every kind on one null scale.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 1:
        return z
    k = np.sum(np.isfinite(z), axis=1)
    # 0 where no programme has a z (the result is NaN there): avoids 0 * -inf
    best = np.where(k > 0, np.max(np.where(np.isfinite(z), z, -np.inf), axis=1), 0.0)
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
    gene_symbols: str | None = None,
    copy: bool = False,
) -> AnnData | None:
    """Score every cell against the tumour, blood, platelet and erythrocyte programmes.

    Parameters
    ----------
    adata
        Cells x genes with gene symbols (or Ensembl IDs) as ``var_names``; any
        non-negative values (raw counts, TPM/FPKM, counts per 10k, log1p, log2(TPM+1)):
        the score uses each cell's ranks only. Names are read as the file reader reads
        them, without changing ``adata``: Ensembl IDs (versioned or not) become
        GENCODE v44 symbols, previous symbols of programme genes their current one
        (``ACPP`` -> ``ACP3``), copies made unique (``KRT18-1``, ``KRT18.1`` beside
        ``KRT18``) and repeated names are summed (log-scale values on the linear scale),
        mouse-style case is matched to human symbols with a warning; what was done is in
        ``uns[key_added]["gene_names"]``.
    tumour_type
        OncoTree code choosing the tumour programmes (:func:`supported_tumour_types`).
    programmes
        Programme name -> :class:`Programme`; default the packaged panels for
        ``tumour_type``.
    layer
        Layer to use instead of ``X``.
    key_added
        Prefix of the results.
    gene_symbols
        Column of ``var`` holding the gene symbols, as in scanpy's ``gene_symbols=``
        (e.g. ``var_names`` Ensembl IDs and symbols in ``var["gene_symbols"]``); default
        ``var_names``. Empty or missing symbols fall back to the ``var_name``.
    copy
        Return a copy instead of writing in place.

    Returns
    -------
    AnnData or None
        Adds ``obs[f"{key_added}_{NAME}"]`` (z against the programme's reference) and
        ``obs[f"{key_added}_{NAME}_auc"]`` for each programme; one z per kind:
        ``obs[f"{key_added}_tumour"]`` (all tumour programmes' genes as one set),
        ``obs[f"{key_added}_blood"]`` (strongest blood programme, Sidak-corrected),
        ``obs[f"{key_added}_platelet"]`` and ``obs[f"{key_added}_erythrocyte"]``;
        ``obsm[f"{key_added}_z"]`` and ``obsm[f"{key_added}_zmax"]`` (cells x lineage
        sets: z and its largest possible value, read by the class posterior);
        ``uns[key_added]`` with ``params``, ``genes_used``, ``genes_missing``,
        ``reference_genes``, ``kinds`` (kind -> sets) and ``gene_names``.

    Raises
    ------
    PanelError
        Unknown ``tumour_type``, or none of a kind's genes in the matrix.
    KeyError
        ``gene_symbols`` or ``layer`` that ``adata`` does not have.
    """
    if not isinstance(adata, AnnData):
        raise TypeError(f"score_programmes needs an AnnData, got {type(adata).__name__}")
    check_layer(adata, layer)
    progs = dict(programmes) if programmes is not None else programmes_for(tumour_type)
    adata = adata.copy() if copy else adata
    check_rank_input(adata, layer)
    work, naming = scoring_input(adata, layer=layer, gene_symbols=gene_symbols)
    with symbol_hint(adata.var, gene_symbols):
        _score(work, progs, tumour_type, None if work is not adata else layer, key_added)
    work.uns[key_added]["gene_names"] = naming
    write_back(adata, work)
    return adata if copy else None


def check_layer(adata: AnnData, layer: str | None) -> None:
    """Raise a KeyError naming the layers when ``layer`` is not one of them."""
    if layer is not None and layer not in adata.layers:
        raise KeyError(
            f"layer {layer!r} not in adata.layers ({layer_names(adata)}); pass layer=None to use X"
        )


def _score(
    adata: AnnData,
    progs: Mapping[str, Programme],
    tumour_type: str,
    layer: str | None,
    key_added: str,
) -> None:
    """Score the programmes on ``adata`` (unique harmonised names) in place."""
    x = adata.X if layer is None else adata.layers[layer]
    _check_unique_genes(adata.var_names)
    sets: dict[str, list[str]] = {n: list(p.genes) for n, p in progs.items()}
    tumour_names = [n for n, p in progs.items() if p.kind == "tumour"]
    sets["tumour"] = list(dict.fromkeys(g for n in tumour_names for g in progs[n].genes))
    # Decoys: the tumour programmes of *other* tumour types, minus any gene of the chosen
    # panels. Lineage genes are silent outside their lineage, so in a cell that is not of
    # a programme's lineage the programme's genes behave like the decoys of that cell.
    chosen = {g for genes in sets.values() for g in genes}
    decoy_names = [n for n, p in load_programmes().items() if p.kind == "tumour" and n not in progs]
    decoys = list(
        dict.fromkeys(g for n in decoy_names for g in load_programmes()[n].genes if g not in chosen)
    )
    kind_of = {n: "tumour" if n == "tumour" else progs[n].kind for n in sets}
    # Nucleated lineages are contrasted with silent lineage genes of the same cell. The
    # anucleate kinds are contrasted with the cell's housekeeping genes: an erythrocyte's
    # haemoglobin or a platelet's PPBP/PF4 outrank them, while ambient reads of these
    # genes in a nucleated cell rank far below them. The housekeeping programme itself is
    # the gene-label check, against all of the cell's genes.
    control = [n for n in sets if kind_of[n] == "control"]
    lineage = [n for n in sets if n not in control]
    auc_w, z_w, _, used = _rank_scores(x, adata.var_names, {n: sets[n] for n in control})
    decoys_used = [g for g in decoys if g in set(adata.var_names)]
    if len(decoys_used) < MIN_DECOYS:
        log.warning(
            "only %d decoy genes (other tumour types' lineage genes) measured, fewer than %d: "
            "each programme's reference is the other kinds' programme genes only",
            len(decoys_used),
            MIN_DECOYS,
        )
    housekeeping = [g for n in control for g in sets[n]]
    references = {
        n: decoys_used
        + [g for m in sets if kind_of[m] not in (kind_of[n], "control") for g in sets[m]]
        if kind_of[n] in NUCLEATED_KINDS
        else housekeeping
        for n in lineage
    }
    auc_n, z_n, zmax_n, used_n, refs_used = contrast_scores(
        x, adata.var_names, {n: sets[n] for n in lineage}, references
    )
    used.update(used_n)
    auc = pd.concat([auc_n, auc_w], axis=1)
    z = pd.concat([z_n, z_w], axis=1)
    z_max = zmax_n.set_axis(adata.obs_names)
    missing = {n: [g for g in sets[n] if g not in set(used[n])] for n in sets}
    _check_coverage(adata.var, progs, used, refs_used, housekeeping, tumour_type)
    _drop_previous_scores(adata, key_added)
    for name in progs:
        adata.obs[f"{key_added}_{name}"] = z[name].to_numpy()
        adata.obs[f"{key_added}_{name}_auc"] = auc[name].to_numpy()
    adata.obs[f"{key_added}_tumour"] = z["tumour"].to_numpy()
    # what the posterior reads: z and its largest possible value per lineage set
    adata.obsm[f"{key_added}_z"] = z[lineage].set_axis(adata.obs_names)
    adata.obsm[f"{key_added}_zmax"] = z_max[lineage]
    for kind in KINDS[1:]:
        cols = [n for n, p in progs.items() if p.kind == kind and used[n]]
        adata.obs[f"{key_added}_{kind}"] = (
            combine_max(z[cols].to_numpy()) if cols else np.full(adata.n_obs, np.nan)
        )
    adata.uns[key_added] = {
        "params": {
            "tumour_type": str(tumour_type),
            "tumour_programmes": tumour_names,
            "layer": layer,
            "method": "per-cell Mann-Whitney rank test of each programme against its "
            "reference genes in the same cell: decoys (other tumour types' lineage genes) and "
            "the other kinds' programme genes",
            "panel_file": PROGRAMMES_FILE,
            "decoy_programmes": decoy_names,
            "decoys": decoys_used,
        },
        "genes_used": {k: list(v) for k, v in used.items()},
        "genes_missing": missing,
        "reference_genes": {k: list(v) for k, v in refs_used.items()},
        "kinds": {
            kind: ["tumour"]
            if kind == "tumour"
            else [n for n, p in progs.items() if p.kind == kind and used[n]]
            for kind in KINDS
        },
    }


def _check_coverage(
    var: pd.DataFrame,
    progs: Mapping[str, Programme],
    used: Mapping[str, list[str]],
    refs_used: Mapping[str, list[str]],
    housekeeping: list[str],
    tumour_type: str,
) -> None:
    """Warn about kinds no cell can be called; raise when a required kind has no gene."""
    empty_kinds = [
        kind
        for kind in KINDS
        if not any(used[n] for n, p in progs.items() if p.kind == kind)
        and any(p.kind == kind for p in progs.values())
    ]
    for kind in set(empty_kinds) - set(REQUIRED_KINDS):
        log.warning("no %s programme gene in the matrix: no cell can be called %s", kind, kind)
    # the anucleate kinds' reference is the housekeeping genes: without them, no z
    no_reference = sorted(
        {
            p.kind
            for n, p in progs.items()
            if p.kind not in NUCLEATED_KINDS and n in refs_used and used[n] and not refs_used[n]
        }
    )
    if no_reference:
        log.warning(
            "no housekeeping gene in the matrix (%s): the %s programme(s), contrasted with "
            "them, cannot be scored and no cell can be called %s",
            ", ".join(housekeeping) or "none defined",
            " and ".join(no_reference),
            " or ".join(no_reference),
        )
    empty_kinds = [k for k in empty_kinds if k in REQUIRED_KINDS]
    if empty_kinds:
        raise _missing_programme_error(var, progs, empty_kinds, tumour_type)


def _drop_previous_scores(adata: AnnData, key_added: str) -> None:
    """Remove the ``obs`` columns a previous call with ``key_added`` wrote.

    Scoring again with another tumour type would otherwise leave the former tumour
    programmes' columns (``programme_BREAST`` after a PRAD run) beside the new ones.
    """
    previous = adata.uns.get(key_added, {})
    if not isinstance(previous, Mapping) or "genes_used" not in previous:
        return
    names = [*previous["genes_used"], *KINDS]
    cols = [f"{key_added}_{n}{s}" for n in names for s in ("", "_auc")]
    cols = [c for c in cols if c in adata.obs]
    if cols:
        adata.obs = adata.obs.drop(columns=cols)


def _symbol_column_hint(var: pd.DataFrame, gene_symbols: str | None) -> str:
    """Say which ``var`` column holds symbols when the names are Ensembl IDs not converted.

    IDs of GENCODE v44 are converted; older or other IDs are not, and a symbol column
    (scanpy's ``gene_symbols=``) is then the way to name the genes.
    """
    from ctcgenomics.rna._genes import gene_table, human_symbols, looks_like_ensembl

    names = (
        pd.Index(var.index.astype(str))
        if gene_symbols is None
        else pd.Index(var[gene_symbols].astype(str))
    )
    ens = looks_like_ensembl(names)
    if len(var) == 0 or ens.mean() < 0.5:
        return ""
    stripped = names[ens].str.replace(r"\.\d+(_PAR_Y)?$", "", regex=True)
    n_known = int(stripped.isin(set(gene_table()["gene_id"])).sum())
    symbols = set(human_symbols()[0])
    shares = {
        c: float(var[c].astype(str).isin(symbols).mean())
        for c in var.columns
        if c != gene_symbols and not pd.api.types.is_numeric_dtype(var[c])
    }
    best = max(shares, key=shares.get, default=None)
    hint = (
        f" The gene names are Ensembl IDs (e.g. {names[ens][0]}), {n_known} of {int(ens.sum())} "
        "of them in GENCODE v44 (the others cannot be converted to symbols)"
    )
    if best is None or shares[best] < 0.5:
        return hint + ": give gene symbols in a var column and pass gene_symbols=<column>."
    return hint + f"; var[{best!r}] holds gene symbols: pass gene_symbols={best!r}."


@contextmanager
def symbol_hint(var: pd.DataFrame, gene_symbols: str | None) -> Iterator[None]:
    """Add the symbol-column hint to a :class:`PanelError` raised inside (original ``var``)."""
    try:
        yield
    except PanelError as err:
        raise PanelError(str(err) + _symbol_column_hint(var, gene_symbols)) from None


def scoring_input(
    adata: AnnData, *, layer: str | None, gene_symbols: str | None
) -> tuple[AnnData, dict[str, Any]]:
    """``adata``, or a bare AnnData of its matrix under unique harmonised gene names.

    The names (``var[gene_symbols]`` or ``var_names``) are harmonised as the file reader
    does (Ensembl IDs, previous symbols, case, copies made unique); repeated names are
    summed, log-scale values on the linear scale. When nothing changes, ``adata`` itself
    is returned (no copy). Returns it and what was done (``uns[...]["gene_names"]``).
    """
    from ctcgenomics.rna._genes import combine_columns, harmonize_names

    if gene_symbols is None:
        raw = pd.Index(adata.var_names.astype(str))
    elif gene_symbols not in adata.var:
        raise KeyError(
            f"gene_symbols={gene_symbols!r} is not a column of adata.var (columns: "
            f"{list(adata.var.columns)}); give the column holding gene symbols, or None to "
            "use var_names"
        )
    else:
        col = adata.var[gene_symbols]
        blank = col.isna().to_numpy() | col.astype(str).str.strip().isin(["", "nan"]).to_numpy()
        raw = pd.Index(np.where(blank, adata.var_names.astype(str), col.astype(str)))
    names, unknown, info = harmonize_names(raw)
    info = {**info, "gene_symbols": gene_symbols, "n_unknown_ensembl_ids": len(unknown)}
    if gene_symbols is None and names.is_unique and names.equals(raw):
        return adata, {**info, "n_repeated_summed": 0}
    x = adata.X if layer is None else adata.layers[layer]
    codes, uniques = pd.factorize(names)
    info["n_repeated_summed"] = len(names) - len(uniques)
    if len(uniques) < len(names):
        base = _log_base(x)
        log.warning(
            "%d gene column(s) repeat a gene name (e.g. %s) after harmonising the names: "
            "summed per gene%s, as the file reader does",
            len(names) - len(uniques),
            list(names[pd.Index(names).duplicated()].unique()[:3]),
            "" if base is None else f" on the linear scale (log-scale values, base {base:.3g})",
        )
        info["log_base"] = base
        x = combine_columns(x, codes, len(uniques), log_base=base)
    work = AnnData(
        X=x,
        obs=adata.obs.copy(),
        var=pd.DataFrame(index=pd.Index(uniques.astype(str))),
        uns=dict(adata.uns),
    )
    return work, info


def _log_base(x, max_cells: int = 2000) -> float | None:
    """Find the base of log-scale values (at most 30, not integers); None if linear.

    The base whose inverse gives equal per-cell totals (e, 2, 10; as the file reader
    finds it), else natural log.
    """
    from ctcgenomics.rna._read import LOG_MAX, log_base

    head = sp.csr_matrix(x[:max_cells])
    data = head.data[head.data > 0]
    if data.size == 0:
        return None
    if data.max() > LOG_MAX or np.mean(np.abs(data - np.round(data)) < 1e-6) >= 0.999:
        return None
    return log_base(AnnData(X=head)) or float(np.e)


def write_back(adata: AnnData, work: AnnData) -> None:
    """Copy what a call wrote on ``work`` (obs, obsm, uns) to ``adata``; no-op if the same."""
    if work is adata:
        return
    gone = [c for c in adata.obs.columns if c not in work.obs.columns]
    if gone:
        adata.obs = adata.obs.drop(columns=gone)
    for col in work.obs.columns:
        if col not in adata.obs or not work.obs[col].equals(adata.obs[col]):
            adata.obs[col] = (
                work.obs[col].to_numpy()
                if not isinstance(work.obs[col].dtype, pd.CategoricalDtype)
                else work.obs[col].array
            )
    for key in work.obsm:
        adata.obsm[key] = work.obsm[key]
    for key, value in work.uns.items():
        if key not in adata.uns or adata.uns[key] is not value:
            adata.uns[key] = value


def _missing_programme_error(
    var: pd.DataFrame, progs: Mapping[str, Programme], empty_kinds: list[str], tumour_type: str
) -> PanelError:
    """Name the required programmes without a measured gene, and genes in another case.

    Also names Ensembl IDs as ``var_names`` and the ``var`` column holding the symbols.
    """
    present = set(map(str, var.index))
    upper = {name.upper(): name for name in present}
    other_case = [
        upper[g] for n, p in progs.items() if p.kind in empty_kinds for g in p.genes
        if g in upper.keys() - present
    ]  # fmt: skip
    hint = (
        f" The matrix has them in another case (e.g. {', '.join(other_case[:3])}) among "
        "names mostly in human case, so they were not matched: rename them to the human "
        "symbols (case is matched by itself only when almost no name is in human case)."
        if other_case
        else ""
    )
    return PanelError(
        f"the matrix has none of the genes of the {', '.join(empty_kinds)} programme(s) "
        f"for tumour type {tumour_type}: e.g. "
        + "; ".join(
            f"{n}: {', '.join(p.genes[:5])}" for n, p in progs.items() if p.kind in empty_kinds
        )
        + ". Check that the gene names are human gene symbols (Ensembl IDs of GENCODE v44 "
        "are converted; a var column of symbols is used with gene_symbols=<column>) and "
        "that the panel measures these genes." + hint
    )


def _check_unique_genes(var_names: pd.Index) -> None:
    """Refuse repeated gene names, naming them and the fix."""
    names = pd.Index(var_names.astype(str))
    if names.is_unique:
        return
    dup = names[names.duplicated()].unique()
    raise ValueError(
        f"{len(dup)} gene name(s) occur more than once in var_names (e.g. "
        f"{', '.join(dup[:5])}); a gene's rank in a cell needs one column per gene: sum the "
        "columns of each repeated name (score_programmes and classify_cells do this "
        "themselves), or keep one, adata[:, ~adata.var_names.duplicated()]"
    )


def check_rank_input(adata: AnnData, layer: str | None) -> None:
    """Refuse negative, NaN or infinite values of ``X`` (or ``layer``), naming the fix.

    A scanpy object after ``sc.pp.scale`` holds z-scores in ``X`` and the log-normalised
    values in ``adata.raw`` or a layer: the error names those to use.
    """
    where = []
    if adata.raw is not None:
        where.append("adata.raw (classify adata.raw.to_adata(), then copy the obs columns)")
    names = layer_names(adata)
    if names:
        where.append(f"a layer (layer=, one of {names})")
    hint = f"; this object has {' or '.join(where)}" if where else ""
    _check_values(adata.X if layer is None else adata.layers[layer], hint)


def _check_values(x, hint: str = "") -> None:
    data = x.data if sp.issparse(x) else np.asarray(x)
    if data.size and np.nanmin(data) < 0:
        raise ValueError(
            "the matrix has negative values (scaled or batch-corrected?); score raw counts, "
            "normalised or log values" + hint
        )
    if data.size and np.isnan(data).any():
        raise ValueError("the matrix has NaN values; give counts or normalised values")
    if data.size and np.isinf(data).any():
        raise ValueError(
            "the matrix has infinite values (an overflow upstream, e.g. a float16 export or "
            "exp() of large values); give finite counts, normalised or log1p values"
        )
