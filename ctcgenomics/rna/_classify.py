"""Cell classes from what each cell is: CTC, WBC, platelet, erythrocyte, unassigned.

Every cell is decided on its own (see ``docs/rna.md``), never against the other cells of
the run, so a programme call does not change with the run's composition (1 CTC among 500
blood cells, or CTCs only) and has no randomness.

1. :func:`ctcgenomics.rna.score_programmes` gives, per programme, a rank-test ``z``
   against silent lineage genes of the same cell and ``z_max``, the largest ``z`` the
   cell's values allow.
2. Hypotheses per cell: ``H_k`` "the cell is of kind k" (tumour, blood, platelet,
   erythrocyte) and ``H_none`` (no programme enriched). Under ``H_k`` the kind's ``z`` is
   ``N(f z_max, 1)`` with the enrichment fraction ``f ~ Beta(a_k, b_k)``; the Bayes
   factor against ``z ~ N(0, 1)`` is a one-dimensional integral (Gauss-Jacobi). It scales
   with what each cell can show: a sparse cell is not penalised for lacking a large
   ``z``, and a well-measured cell without blood signal is evidence against blood.
   ``P(H_k) = pi_k BF_k / (pi_none + sum_j pi_j BF_j)``; a class is called when its
   posterior exceeds ``min_posterior`` (0.5), else the cell is ``unassigned``.
3. Copy number, when the run holds enough confidently called blood cells (the diploid
   reference) and CTCs: a capped likelihood ratio from the correlation of each uncertain
   cell's inferred copy-number profile with the confident CTCs' (``_cnv.cnv_evidence``).
4. A Platt layer maps the CTC log-odds to a calibrated ``ctc_probability``. Parameters
   (effect shapes, priors, ``min_posterior``, Platt) are a versioned data file
   (``ctcgenomics/data/rna/ctc_calibration_v2.json``, written by
   ``benchmarks/fit_rna_calibration.py``); :func:`fit_calibration` fits the Platt layer
   on labelled cells with leave-one-group-out predictions.
5. A gene-label check: housekeeping genes must rank near the top of most cells; when they
   do not, the gene names do not match the values and no cell is classified.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData
from scipy.special import expit, logit, logsumexp, roots_jacobi

from ctcgenomics._keys import output_namer
from ctcgenomics.rna._cnv import (
    CNV_CONFIDENT,
    CNV_MIN_REFERENCE,
    CNV_MIN_SEEDS,
    cnv_evidence,
    cnv_log_lr,
    crossfit_cnv_correlation,
)
from ctcgenomics.rna._programmes import (
    KINDS,
    check_layer,
    check_rank_input,
    score_programmes,
    scoring_input,
    symbol_hint,
    write_back,
)
from ctcgenomics.rna._read import VALUES

log = logging.getLogger(__name__)

CLASSES = ("CTC", "WBC", "platelet", "erythrocyte", "unassigned", "low-quality")
"""Values of ``obs[key_added]``."""

_CLASS_OF_KIND = {
    "tumour": "CTC",
    "blood": "WBC",
    "platelet": "platelet",
    "erythrocyte": "erythrocyte",
}
HYPOTHESES = (*KINDS, "none")
"""Hypotheses of the posterior: one per programme kind, and no programme enriched."""

DEFAULT_CALIBRATION = "ctc_calibration_v2.json"
LABEL_CHECK_MIN_AUC = 0.75
"""Median housekeeping AUC at or above which gene labels are taken to match the values.

Housekeeping genes rank above almost every other gene of a real cell (AUC ~0.95 on real
whole-transcriptome data), and at chance level (~0.5) when the labels are shuffled."""
LABEL_CHECK_MIN_GENES = 6
"""Fewest measured housekeeping genes for the gene-label check; below it the check is
"not evaluable" and classification proceeds. Chosen on the oligodendroglioma cells
(docs/rna.md, step 6): with k of the 18 housekeeping genes on panels of the 300-2,500
most expressed genes, correctly labelled matrices failed the check in 15 % of draws at
k = 4, 7 % at k = 6, 3 % at k = 8 (300-gene panel; never on larger panels or the whole
transcriptome), while shuffled labels passed it in <= 3 % at every k."""
LABEL_CHECK_PASS_Q = 0.01
"""Housekeeping genes outranking all but this share of random gene sets pass the check."""
LABEL_CHECK_FAIL_Q = 0.2
"""Housekeeping genes outranked by at least this share of random gene sets fail it."""
LABEL_CHECK_NULL_SETS = 200
"""Random gene sets of the housekeeping set's size that calibrate the relative check."""
LABEL_CHECK_NULL_CELLS = 500
"""Most cells (evenly spaced) the relative check's random sets are scored on."""
CNV_MAX_ANCHORS = 500
"""Most reference (blood) and seed (CTC) cells the copy-number profiles are built from."""
CNV_CHUNK = 2000
"""Uncertain cells profiled per infercnvpy run (memory bound on large runs)."""


class CalibrationError(ValueError):
    """A calibration file is missing or malformed."""


def load_calibration(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read a calibration JSON (default: the packaged ``ctc_calibration_v2.json``).

    Raises
    ------
    CalibrationError
        Naming the file and the missing key.
    """
    if path is None:
        with resources.as_file(
            resources.files("ctcgenomics") / "data" / "rna" / DEFAULT_CALIBRATION
        ) as p:
            text = Path(p).read_text(encoding="utf-8")
        source = DEFAULT_CALIBRATION
    else:
        p = Path(path)
        if not p.is_file():
            raise CalibrationError(
                f"calibration file {p} does not exist; fix rna.calibration in the config or "
                "set it to null for the packaged default"
            )
        text, source = p.read_text(encoding="utf-8"), str(p)
    try:
        cal = json.loads(text)
    except json.JSONDecodeError as err:
        raise CalibrationError(f"{source}: not valid JSON ({err})") from None
    if "tau" in cal and "effect" not in cal:
        raise CalibrationError(
            f"{source}: a version-1 calibration (half-normal 'tau'); the classifier now needs "
            f"the version-2 'effect' priors: start from {DEFAULT_CALIBRATION} and refit"
        )
    for key in ("effect", "prior", "platt", "min_posterior"):
        if key not in cal:
            raise CalibrationError(f"{source}: missing key {key!r}; see {DEFAULT_CALIBRATION}")
    missing = [k for k in KINDS if k not in cal["effect"]] + [
        k for k in HYPOTHESES if k not in cal["prior"]
    ]
    if missing or not {"intercept", "slope"} <= set(cal["platt"]):
        raise CalibrationError(
            f"{source}: effect needs {list(KINDS)}, prior needs {list(HYPOTHESES)} and platt "
            f"needs intercept and slope; missing {missing or ['platt keys']}"
        )
    for kind in KINDS:
        shape = cal["effect"][kind]
        if not (isinstance(shape, Mapping) and shape.get("a", 0) > 0 and shape.get("b", 0) > 0):
            raise CalibrationError(
                f"{source}: effect.{kind} must be {{'a': > 0, 'b': > 0}} (Beta shape of the "
                f"enrichment as a fraction of its largest possible value); got {shape!r}"
            )
    cal["source"] = source
    return cal


@cache
def _beta_quadrature(a: float, b: float, n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Nodes on [0, 1] and log weights integrating against Beta(a, b) (Gauss-Jacobi).

    Gauss-Jacobi carries the Beta density in its weights, so shapes below 1 (a density
    that piles up at 0 or 1) are integrated exactly rather than through a singular
    integrand.
    """
    x, w = roots_jacobi(n, b - 1.0, a - 1.0)
    return (x + 1.0) / 2.0, np.log(w / w.sum())


def log_bayes_factor(
    z: np.ndarray, z_max: np.ndarray, a: float = 1.0, b: float = 1.0
) -> np.ndarray:
    """Log Bayes factor of "this cell's programme is enriched" against "it is not".

    The rank-test ``z`` is standard normal when the programme is not enriched and
    ``N(f * z_max, 1)`` when it is, where ``z_max`` is the largest ``z`` the cell's values
    allow (all of the programme's genes above every reference gene) and the enrichment
    fraction ``f ~ Beta(a, b)``:
    ``BF = int Beta(f; a, b) exp(z f z_max - (f z_max)^2 / 2) df`` (64-node Gauss-Jacobi).
    The alternative thus scales with what the cell can show: a sparse cell or a small
    panel (small ``z_max``) is not penalised for lacking a large ``z``, and a cell that
    could show a programme strongly but does not is evidence against it. ``z_max = 0``
    (nothing detected) gives ``BF = 1``; NaN ``z`` (programme not measured) gives
    ``-inf``: that hypothesis cannot be chosen.
    """
    nodes, log_w = _beta_quadrature(float(a), float(b))
    z = np.asarray(z, dtype=np.float64)
    zm = np.clip(np.asarray(z_max, dtype=np.float64), 0.0, None)
    ok = np.isfinite(z) & np.isfinite(zm)
    z0, zm0 = np.where(ok, z, 0.0), np.where(ok, zm, 0.0)
    mu = zm0[..., None] * nodes
    out = logsumexp(log_w + z0[..., None] * mu - 0.5 * mu * mu, axis=-1)
    return np.where(ok, out, -np.inf)


def fit_effect_prior(fraction: np.ndarray) -> dict[str, float]:
    """Beta shape of the enrichment fraction ``z / z_max`` in cells of a programme's kind.

    Maximum likelihood (:func:`scipy.stats.beta.fit`, support fixed to [0, 1]) on the
    fractions of labelled cells, clipped into (0.001, 0.999).

    Parameters
    ----------
    fraction
        ``z / z_max`` of the programme (or of the kind's strongest programme) in cells
        known to be of that kind; NaN (nothing detected) is dropped.
    """
    from scipy.stats import beta as beta_dist

    f = np.asarray(fraction, dtype=np.float64)
    f = np.clip(f[np.isfinite(f)], 1e-3, 1 - 1e-3)
    if f.size < 10:
        raise ValueError(f"fit_effect_prior needs >= 10 labelled cells, got {f.size}")
    a, b, _, _ = beta_dist.fit(f, floc=0, fscale=1)
    return {"a": float(a), "b": float(b)}


def kind_log_bayes_factors(
    z: pd.DataFrame,
    z_max: pd.DataFrame,
    kinds: Mapping[str, Sequence[str]],
    calibration: Mapping[str, Any],
) -> pd.DataFrame:
    """Log Bayes factor of each kind (:data:`KINDS`) per cell.

    A kind with several programmes (blood: leukocyte, T/NK, B, myeloid, neutrophil) is the
    hypothesis "one of them is enriched", each equally likely a priori: its Bayes factor
    is the mean of theirs.
    """
    out = {}
    for kind in KINDS:
        names = [n for n in kinds.get(kind, []) if n in z]
        shape = calibration["effect"][kind]
        if not names:
            out[kind] = np.full(len(z), -np.inf)
            continue
        lbf = np.column_stack(
            [
                log_bayes_factor(z[n].to_numpy(), z_max[n].to_numpy(), shape["a"], shape["b"])
                for n in names
            ]
        )
        out[kind] = logsumexp(lbf, axis=1) - np.log(len(names))
    return pd.DataFrame(out, index=z.index)


def class_posterior(log_bf: pd.DataFrame, calibration: Mapping[str, Any]) -> pd.DataFrame:
    """Posterior of each hypothesis (:data:`HYPOTHESES`) per cell, before the Platt layer.

    Parameters
    ----------
    log_bf
        Cells x kinds (``tumour``, ``blood``, ``platelet``, ``erythrocyte``) of log Bayes factors
        against "no programme enriched" (:func:`kind_log_bayes_factors`).
    calibration
        As from :func:`load_calibration`.
    """
    missing = [k for k in KINDS if k not in log_bf]
    if missing:
        raise KeyError(f"log_bf lacks column(s) {missing}; use kind_log_bayes_factors")
    logw = np.column_stack(
        [np.log(calibration["prior"][k]) + log_bf[k].to_numpy() for k in KINDS]
        + [np.full(len(log_bf), np.log(calibration["prior"]["none"]))]
    )
    post = np.exp(logw - logsumexp(logw, axis=1, keepdims=True))
    return pd.DataFrame(post, index=log_bf.index, columns=list(HYPOTHESES))


def apply_platt(post: pd.DataFrame, calibration: Mapping[str, Any]) -> pd.DataFrame:
    """Calibrate ``P(tumour)`` with the Platt layer; other hypotheses share the rest."""
    p = post["tumour"].to_numpy().clip(1e-12, 1 - 1e-12)
    cal = expit(calibration["platt"]["intercept"] + calibration["platt"]["slope"] * logit(p))
    rest = post.drop(columns="tumour")
    total = rest.sum(axis=1).to_numpy()
    scale = np.where(total > 0, (1 - cal) / np.where(total > 0, total, 1), 0.0)
    out = rest.mul(scale, axis=0)
    out.insert(0, "tumour", cal)
    return out[list(HYPOTHESES)]


def _label_check(
    adata: AnnData, key: str, ok: np.ndarray, layer: str | None = None
) -> dict[str, Any]:
    """Do the gene names match the values? Housekeeping genes must rank high.

    Absolute: median housekeeping AUC >= LABEL_CHECK_MIN_AUC passes. A targeted panel of
    highly expressed genes lowers that AUC without any mislabelling (the 300 most
    expressed genes of the oligodendroglioma cells: 0.70), so below it the housekeeping
    genes are compared with random gene sets of the same size in the same cells, which
    is what they are under shuffled labels. ``q``, the share of random sets whose median
    AUC is at least theirs, is uniform under shuffled labels: ``q < LABEL_CHECK_PASS_Q``
    passes, ``q >= LABEL_CHECK_FAIL_Q`` fails, and in between, or with fewer than
    LABEL_CHECK_MIN_GENES housekeeping genes measured, the check is "not evaluable" and
    classification proceeds (refusing a correctly labelled run loses every call; calls
    on mislabelled genes are mostly ``unassigned``, docs/rna.md).
    """
    genes = adata.uns[key]["genes_used"].get("HOUSEKEEPING", [])
    col = f"{key}_HOUSEKEEPING_auc"
    if len(genes) < LABEL_CHECK_MIN_GENES or col not in adata.obs or not ok.any():
        reason = (
            f"{len(genes)} housekeeping gene(s) measured, fewer than {LABEL_CHECK_MIN_GENES}: "
            "too few to tell matching from shuffled gene labels; cells are classified "
            "without the check"
            if len(genes) < LABEL_CHECK_MIN_GENES
            else "no cell passes QC"
        )
        return {"status": "not evaluable", "reason": reason, "n_genes": len(genes)}
    med = float(np.nanmedian(adata.obs[col].to_numpy()[ok]))
    out: dict[str, Any] = {"median_housekeeping_auc": med, "n_genes": len(genes)}
    if med >= LABEL_CHECK_MIN_AUC:
        return {"status": "passed", "basis": "absolute", **out}
    null = _random_set_median_auc(adata, genes, ok, layer)
    q = float(np.mean(null >= med))
    out.update(
        basis="relative to random gene sets",
        random_sets_ranking_as_high=q,
        random_sets_p99=float(np.quantile(null, 0.99)),
    )
    if q < LABEL_CHECK_PASS_Q:
        return {"status": "passed", **out}
    if q >= LABEL_CHECK_FAIL_Q:
        return {"status": "failed", **out}
    reason = (
        f"housekeeping genes rank below the housekeeping level (median AUC {med:.2f}) and "
        f"no higher than {100 * q:.0f} % of random gene sets of this matrix: neither "
        "clearly matching nor clearly shuffled labels; cells are classified without the "
        "check"
    )
    return {"status": "not evaluable", "reason": reason, **out}


def _random_set_median_auc(
    adata: AnnData, genes: Sequence[str], ok: np.ndarray, layer: str | None
) -> np.ndarray:
    """Median AUC (over cells) of LABEL_CHECK_NULL_SETS random non-housekeeping gene sets.

    Fixed seed and evenly spaced cells: the check has no randomness between runs.
    """
    from ctcgenomics.rna._programmes import rank_scores

    rows = np.flatnonzero(ok)
    rows = rows[np.linspace(0, len(rows) - 1, min(len(rows), LABEL_CHECK_NULL_CELLS)).astype(int)]
    x = adata.X if layer is None else adata.layers[layer]
    others = np.asarray(adata.var_names[~adata.var_names.isin(list(genes))])
    rng = np.random.default_rng(0)
    sets = {
        f"r{i}": list(rng.choice(others, len(genes), replace=False))
        for i in range(LABEL_CHECK_NULL_SETS)
    }
    auc, _, _ = rank_scores(x[rows], adata.var_names, sets)
    return np.nanmedian(auc.to_numpy(), axis=0)


def classify_cells(
    adata: AnnData,
    *,
    tumour_type: str,
    key_added: str = "cell_class",
    qc_key: str = "qc_pass",
    layer: str | None = None,
    calibration: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    programme_key: str | None = None,
    check_labels: bool = True,
    cnv: bool = True,
    values: str | None = None,
    gene_symbols: str | None = None,
    copy: bool = False,
) -> AnnData | None:
    """Classify each cell as CTC, WBC, platelet, erythrocyte or unassigned, on its own.

    Parameters
    ----------
    adata
        Cells x genes with gene symbols or Ensembl IDs; raw or estimated counts (UMI or
        full-length reads), normalised (TPM, FPKM, CPM) or log values (log1p,
        log2(TPM+1)): only each cell's ranks are used. Gene names are read as
        :func:`ctcgenomics.rna.score_programmes` reads them (Ensembl IDs converted,
        previous symbols renamed, repeated names and copies made unique summed), without
        changing ``adata``.
    tumour_type
        The patient's OncoTree code (chooses the tumour programmes).
    key_added
        ``obs`` column of the class (:data:`CLASSES`).
    qc_key
        Boolean ``obs`` column; failing cells are ``low-quality``. Missing: all pass.
    layer
        Layer to use instead of ``X``.
    calibration
        A calibration mapping or JSON path (:func:`load_calibration`); default the
        packaged file.
    programme_key
        Prefix of the programme scores (:func:`ctcgenomics.rna.score_programmes`);
        default ``programme``, or ``f"{key_added}_programme"`` for another ``key_added``,
        so two runs with different keys (e.g. two tumour types) keep their own scores.
    check_labels
        Refuse to classify (every cell ``unassigned``) when housekeeping genes do not rank
        high in most cells, i.e. the gene names do not match the values.
    cnv
        Add copy-number evidence when the run holds enough confidently called blood cells
        (the diploid reference) and CTCs (inferred copy-number profiles, see ``docs/rna.md``);
        absent otherwise. Recorded in ``uns[key_added]["cnv"]``.
    values
        What the matrix holds, for the copy-number profiles only (``counts``,
        ``normalised`` or ``log1p``); default: recognised from the values (log-scale
        when at most 30 and not integers, else counts or normalised, which are treated
        alike). The class calls do not depend on it.
    gene_symbols
        Column of ``var`` holding the gene symbols (scanpy's ``gene_symbols=``), e.g. when
        ``var_names`` are Ensembl IDs of another release; default ``var_names``.
    copy
        Return a copy instead of writing in place.

    Returns
    -------
    AnnData or None
        Adds ``obs[key_added]``, ``obs[f"{key_added}_confidence"]`` (posterior of the
        called class), ``obs["ctc_probability"]`` (calibrated posterior of CTC),
        ``obs["ctc_score"]`` (CTC log posterior odds, for ranking), the programme
        scores, ``obsm[f"{key_added}_posterior"]`` (cells x hypotheses) and
        ``uns[key_added]`` (params, calibration source, label check, class counts);
        with the copy-number term, ``obs["cnv_correlation"]`` and ``obs["cnv_log_lr"]``.
        A ``key_added`` other than ``cell_class`` prefixes the columns without it
        (``ctc_probability``, ``ctc_score``, ``cnv_*``) with ``f"{key_added}_"`` too.
    """
    _check_classify_input(adata, qc_key)
    if programme_key is None:
        programme_key = output_namer(key_added, "cell_class")("programme")
    if values is not None and values not in VALUES:
        raise ValueError(
            f"values must be one of {list(VALUES)} or None (recognised from the matrix), got "
            f"{values!r}; TPM and CPM matrices are 'normalised'"
        )
    cal = dict(calibration) if isinstance(calibration, Mapping) else load_calibration(calibration)
    adata = adata.copy() if copy else adata
    check_layer(adata, layer)
    check_rank_input(adata, layer)
    work, naming = scoring_input(adata, layer=layer, gene_symbols=gene_symbols)
    with symbol_hint(adata.var, gene_symbols):
        _classify(
            work, cal, tumour_type=tumour_type, key_added=key_added, qc_key=qc_key,
            layer=None if work is not adata else layer, programme_key=programme_key,
            check_labels=check_labels, cnv=cnv, values=values,
        )  # fmt: skip
    work.uns[programme_key]["gene_names"] = naming
    write_back(adata, work)
    log.info("classes: %s", adata.uns[key_added]["counts"])
    return adata if copy else None


def _classify(
    adata: AnnData,
    cal: Mapping[str, Any],
    *,
    tumour_type: str,
    key_added: str,
    qc_key: str,
    layer: str | None,
    programme_key: str,
    check_labels: bool,
    cnv: bool,
    values: str | None,
) -> None:
    """Classify in place on ``adata`` with unique harmonised gene names."""
    name = output_namer(key_added, "cell_class")
    # a previous call's copy-number columns would outlive a call that does not add them
    stale = [name(c) for c in ("cnv_correlation", "cnv_log_lr") if name(c) in adata.obs]
    if stale:
        adata.obs = adata.obs.drop(columns=stale)
    score_programmes(adata, tumour_type=tumour_type, layer=layer, key_added=programme_key)
    ok = adata.obs[qc_key].to_numpy(bool) if qc_key in adata.obs else np.ones(adata.n_obs, bool)
    log_bf = kind_log_bayes_factors(
        adata.obsm[f"{programme_key}_z"],
        adata.obsm[f"{programme_key}_zmax"],
        adata.uns[programme_key]["kinds"],
        cal,
    )
    check = _label_check(adata, programme_key, ok, layer) if check_labels else {"status": "skipped"}
    refused = check["status"] == "failed"
    raw_post, cnv_info = _posterior_with_cnv(
        adata, log_bf, cal, ok, cnv=cnv, refused=refused, layer=layer, values=values,
        programme_key=programme_key, name=name,
    )  # fmt: skip
    post = apply_platt(raw_post, cal)
    label, conf, prob, score = _call_classes(post, cal, ok, check if refused else None)
    adata.obs[name("ctc_probability")] = prob
    adata.obs[name("ctc_score")] = score
    adata.obs[key_added] = pd.Categorical(label, categories=list(CLASSES))
    adata.obs[f"{key_added}_confidence"] = conf
    adata.obsm[f"{key_added}_posterior"] = post.set_axis(list(HYPOTHESES), axis=1)
    adata.uns[key_added] = _classify_summary(
        cal, check, cnv_info, label, tumour_type=tumour_type, layer=layer,
        check_labels=check_labels, programme_key=programme_key,
    )  # fmt: skip


def _check_classify_input(adata: AnnData, qc_key: str) -> None:
    """Refuse what is not an AnnData, and a QC column that is not boolean or has NA.

    pandas' nullable ``boolean`` dtype (what parquet and some h5ad writers give) is
    accepted when no value is missing.
    """
    if not isinstance(adata, AnnData):
        raise TypeError(f"classify_cells needs an AnnData, got {type(adata).__name__}")
    if qc_key not in adata.obs:
        return
    col = adata.obs[qc_key]
    if not pd.api.types.is_bool_dtype(col.dtype):
        raise TypeError(f"obs[{qc_key!r}] must be boolean (True = passes QC); got {col.dtype}")
    if col.isna().any():
        raise ValueError(
            f"obs[{qc_key!r}] has {int(col.isna().sum())} missing value(s) (e.g. cells "
            f"{list(adata.obs_names[col.isna().to_numpy()][:3])}); set them to True or False "
            "(or run qc_cells)"
        )


def _posterior_with_cnv(
    adata: AnnData,
    log_bf: pd.DataFrame,
    cal: Mapping[str, Any],
    ok: np.ndarray,
    *,
    cnv: bool,
    refused: bool,
    layer: str | None,
    values: str | None,
    programme_key: str,
    name: Callable[[str], str],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Class posterior from the programmes, with the copy-number term where it applies.

    Adds ``obs["cnv_correlation"]`` and ``obs["cnv_log_lr"]`` (named by ``name``) when the
    term was computed.
    Returns the (uncalibrated) posterior and what became of the copy-number evidence.
    """
    raw_post = class_posterior(log_bf, cal)
    cnv_info: dict[str, Any] = {"status": "not requested"}
    if cnv and refused:
        cnv_info = {"status": "not used: gene labels do not match the values"}
    elif cnv:
        log_lr, corr, cnv_info = _cnv_term(adata, raw_post, ok, layer, values, programme_key)
        if corr is not None:
            adata.obs[name("cnv_correlation")] = corr
        if log_lr is not None:
            adata.obs[name("cnv_log_lr")] = log_lr
            log_bf["tumour"] = log_bf["tumour"].to_numpy() + log_lr
            raw_post = class_posterior(log_bf, cal)
    return raw_post, cnv_info


def _call_classes(
    post: pd.DataFrame,
    cal: Mapping[str, Any],
    ok: np.ndarray,
    failed_check: Mapping[str, Any] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each cell's class, its posterior, the CTC probability and the CTC log odds.

    With a failed label check (``failed_check``) no cell is classified; cells failing
    QC are ``low-quality``.
    """
    n_obs = len(post)
    hyp = post.to_numpy()
    best = np.argmax(hyp, axis=1)
    labels = np.array([_CLASS_OF_KIND.get(h, "unassigned") for h in HYPOTHESES], dtype=object)
    label = labels[best]
    conf = hyp[np.arange(n_obs), best]
    # a class is called only when it is more probable than all others together
    label[conf < float(cal["min_posterior"])] = "unassigned"
    prob = post["tumour"].to_numpy()
    score = np.log(prob.clip(1e-300)) - np.log((1 - prob).clip(1e-300))
    if failed_check is not None:
        log.error(
            "gene labels do not match the values: housekeeping genes rank at median AUC %.2f "
            "(real cells: ~0.95), no higher than random gene sets of the same cells (%.0f %% "
            "rank as high); no cell is classified. Check the gene names of the matrix.",
            failed_check["median_housekeeping_auc"],
            100 * failed_check.get("random_sets_ranking_as_high", float("nan")),
        )
        label[:] = "unassigned"
        prob = np.full(n_obs, np.nan)
        conf = np.full(n_obs, np.nan)
        score = np.full(n_obs, np.nan)
    label[~ok] = "low-quality"
    conf = np.where(ok, conf, np.nan)
    return label, conf, prob, score


def _classify_summary(
    cal: Mapping[str, Any],
    check: Mapping[str, Any],
    cnv_info: Mapping[str, Any],
    label: np.ndarray,
    *,
    tumour_type: str,
    layer: str | None,
    check_labels: bool,
    programme_key: str,
) -> dict[str, Any]:
    """Return the ``uns`` entry: params, calibration, label check, CNV evidence, counts."""
    refused = check["status"] == "failed"
    return {
        "params": {
            "tumour_type": str(tumour_type),
            "layer": layer,
            "check_labels": check_labels,
            "programme_key": programme_key,
        },
        "calibration": {
            "source": cal.get("source", "mapping"),
            "version": str(cal.get("version", "")),
            "fitted": bool(cal.get("fitted", False)),
        },
        "label_check": check,
        "cnv": _jsonable(cnv_info),
        "decided_by": "refused: gene labels do not match the values"
        if refused
        else "programme posterior",
        "counts": {c: int((label == c).sum()) for c in CLASSES},
    }


def _jsonable(info: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in info.items()}


def _recognised_values(x) -> str:
    """``log1p`` for log-scale values (at most 30, not integers), else ``counts``.

    Counts and normalised values (TPM, CPM) are both normalised per cell and logged for
    the profiles, so only the log scale needs telling apart; shallow estimated counts
    at most 30 would be taken as log-scale (pass ``values`` for them).
    """
    from ctcgenomics.rna._read import LOG_MAX, describe_values

    d = describe_values(AnnData(X=sp.csr_matrix(x[:2000])))
    return "log1p" if d["max"] <= LOG_MAX and d["integer_fraction"] < 0.999 else "counts"


def _log_normalised(
    adata: AnnData, layer: str | None, values: str | None, rows: np.ndarray
) -> AnnData:
    """Bare AnnData of log1p counts per 10k of ``rows``, for the copy-number profiles."""
    import scanpy as sc

    x = adata.X if layer is None else adata.layers[layer]
    out = AnnData(
        X=sp.csr_matrix(x[rows], dtype=np.float64),
        obs=pd.DataFrame(index=adata.obs_names[rows]),
        var=pd.DataFrame(index=adata.var_names),
    )
    if values is None:
        values = _recognised_values(out.X)
    if values != "log1p":
        sc.pp.normalize_total(out, target_sum=1e4)
        sc.pp.log1p(out)
    return out


CNV_MAX_TOTAL_RATIO = 100.0
"""Largest ratio of median per-cell totals between confident CTCs and blood cells (both
integer counts) for which they count as measured alike. Within one platform cell kinds
differ less (10x: tumour cells about 10-40k UMIs, leukocytes 0.5-5k); millions of
full-length reads per CTC beside a few thousand UMIs per PBMC differ by 200-2,500."""


def _measured_unlike(x, blood: np.ndarray, tumour: np.ndarray, n: int = 500) -> str | None:
    """Why the confident blood cells and CTCs were not measured alike, or ``None``.

    The copy-number profiles are relative to the blood cells: CTCs of one platform among
    blood cells of another (full-length reads or TPM of a CTC study beside 10x PBMCs)
    share the platform's profile, not a clone's. Integer counts in one group and
    non-integers in the other, or per-cell totals of integer counts more than
    CNV_MAX_TOTAL_RATIO apart, say so.
    """

    def summary(mask: np.ndarray) -> tuple[float, float]:
        rows = np.flatnonzero(mask)
        rows = rows[np.linspace(0, len(rows) - 1, min(len(rows), n)).astype(int)]
        m = sp.csr_matrix(x[rows], dtype=np.float64)
        nnz = np.diff(m.indptr)
        integer = (np.abs(m.data - np.round(m.data)) < 1e-6).astype(np.float64)
        n_int = np.bincount(np.repeat(np.arange(len(rows)), nnz), integer, len(rows))
        share = np.where(nnz > 0, n_int / np.maximum(nnz, 1), 1.0)
        return float(np.median(share)), float(np.median(np.asarray(m.sum(axis=1)).ravel()))

    (int_b, tot_b), (int_t, tot_t) = summary(blood), summary(tumour)
    if min(int_b, int_t) <= 0.5 and max(int_b, int_t) >= 0.999:
        kind = {True: "integer counts", False: "non-integer values"}
        return (
            f"the confident CTCs hold {kind[int_t >= 0.999]} and the blood cells "
            f"{kind[int_b >= 0.999]} (cells of different studies or platforms?): a profile "
            "they share would be the platform's; classify cells measured alike, or cnv=False"
        )
    if min(int_b, int_t) >= 0.999 and max(tot_b, tot_t) > CNV_MAX_TOTAL_RATIO * max(
        min(tot_b, tot_t), 1e-12
    ):
        return (
            f"median counts per cell {tot_t:.3g} in the confident CTCs and {tot_b:.3g} in the "
            f"blood cells, more than {CNV_MAX_TOTAL_RATIO:g}-fold apart (full-length reads "
            "beside UMI counts?): a profile they share would be the platform's; classify "
            "cells measured alike, or cnv=False"
        )
    return None


def _cnv_term(
    adata: AnnData,
    post: pd.DataFrame,
    ok: np.ndarray,
    layer: str | None,
    values: str | None,
    programme_key: str,
) -> tuple[np.ndarray | None, np.ndarray | None, dict[str, Any]]:
    """Copy-number log likelihood ratio of the cells the programmes leave uncertain.

    Cells already called with posterior >= CNV_CONFIDENT keep their call (a capped term
    could not overturn it). The reference and the seeds are at most CNV_MAX_ANCHORS
    cells each (a fixed subsample); whether the confident CTCs share a profile is decided
    on them alone, and only then are the uncertain cells profiled, CNV_CHUNK at a time
    beside the same anchors, so a 100k-cell run without a shared profile pays for 1,000
    cells and one with it for its uncertain cells. A cell with nothing detected has no
    copy-number profile (its "profile" would be minus the reference mean, whose chance
    correlation with the CTCs' is no evidence): it gets no term, as it gets Bayes factor 1
    from the programmes.
    """
    blood = ok & (post["blood"].to_numpy() >= CNV_CONFIDENT)
    tumour = ok & (post["tumour"].to_numpy() >= CNV_CONFIDENT)
    x = adata.X if layer is None else adata.layers[layer]
    row_max = x.max(axis=1)  # values are non-negative (score_programmes checks)
    detected = np.asarray(row_max.todense() if sp.issparse(row_max) else row_max).ravel() > 0
    uncertain = ok & detected & ~(post.to_numpy().max(axis=1) >= CNV_CONFIDENT)
    if blood.sum() < CNV_MIN_REFERENCE or tumour.sum() < CNV_MIN_SEEDS or not uncertain.any():
        _, _, info = cnv_evidence(adata, blood, tumour)  # reports why not, computes nothing
        if not uncertain.any():
            info["status"] = "not used: every cell is called with confidence"
        return None, None, info
    unlike = _measured_unlike(x, blood, tumour)
    if unlike:
        log.warning("copy-number term not used: %s", unlike)
        return None, None, {"status": f"not used: {unlike}"}
    recognised = values is None
    values = _recognised_values(x) if recognised else values
    rng = np.random.default_rng(0)

    def subsample(mask: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(mask)
        if len(idx) <= CNV_MAX_ANCHORS:
            return idx
        return np.sort(rng.choice(idx, CNV_MAX_ANCHORS, replace=False))

    anchors = np.sort(np.r_[subsample(blood), subsample(tumour)])
    genes = adata.uns[programme_key]
    exclude = sorted(
        {g for v in genes["genes_used"].values() for g in v}
        | set(genes["params"].get("decoys", []))
    )
    _, corr_anchors, info = cnv_evidence(
        _log_normalised(adata, layer, values, anchors),
        blood[anchors],
        tumour[anchors],
        exclude_genes=exclude,
    )
    corr = np.full(adata.n_obs, np.nan)
    if corr_anchors is not None:
        corr[anchors] = corr_anchors
    if info["status"] != "used":
        return None, corr, info
    todo = np.flatnonzero(uncertain)
    for chunk in np.array_split(todo, int(np.ceil(len(todo) / CNV_CHUNK))):
        rows = np.r_[anchors, chunk]
        part = crossfit_cnv_correlation(
            _log_normalised(adata, layer, values, rows),
            blood[rows],
            tumour[rows],
            exclude_genes=exclude,
        )
        corr[chunk] = part[len(anchors) :]
    info["n_scored"] = len(todo)
    info["values"] = f"{values} ({'recognised' if recognised else 'given'})"
    log_lr = np.zeros(adata.n_obs)
    log_lr[todo] = cnv_log_lr(corr[todo], info)
    return log_lr, corr, info


def fit_calibration(
    ctc_log_odds: np.ndarray,
    is_ctc: np.ndarray,
    groups: np.ndarray,
    *,
    base: Mapping[str, Any] | None = None,
    description: str = "",
) -> dict[str, Any]:
    """Fit the Platt layer on labelled cells; report leave-one-group-out figures.

    Parameters
    ----------
    ctc_log_odds
        Uncalibrated CTC log-odds per cell: ``logit(class_posterior(...)["tumour"])``.
    is_ctc
        Boolean truth per cell.
    groups
        Group per cell (patient); each group is predicted by a fit on the others.
    base
        Calibration whose ``tau``/``prior`` the fit keeps (default the packaged one).
    description
        Provenance text stored in the result (data, labels, who fitted it).

    Returns
    -------
    dict
        A calibration (write it with ``json.dump``) with ``platt`` fitted on all cells,
        ``fitted: true`` and ``leave_one_group_out``: Brier score, log loss and
        AUROC of the held-out predictions, per group and pooled.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    x = np.asarray(ctc_log_odds, dtype=np.float64).reshape(-1, 1)
    y = np.asarray(is_ctc, bool)
    g = np.asarray(groups).astype(str)
    if not (len(x) == len(y) == len(g)):
        raise ValueError(
            f"ctc_log_odds, is_ctc and groups differ in length ({len(x)}, {len(y)}, {len(g)})"
        )
    if not np.isfinite(x).all():
        raise ValueError("ctc_log_odds has NaN/inf; drop cells that were not classified")
    if y.all() or not y.any():
        raise ValueError("is_ctc needs both CTCs and non-CTCs to fit a calibration")
    if len(np.unique(g)) < 2:
        raise ValueError("groups needs at least two groups (patients) for held-out figures")

    def fit(mask: np.ndarray) -> LogisticRegression:
        return LogisticRegression(C=1e6).fit(x[mask], y[mask])

    held = np.full(len(y), np.nan)
    for grp in np.unique(g):
        test = g == grp
        train = ~test
        if y[train].all() or not y[train].any():
            continue
        held[test] = fit(train).predict_proba(x[test])[:, 1]
    model = fit(np.ones(len(y), bool))
    cal = dict(base) if base is not None else load_calibration()
    cal.pop("source", None)
    cal["platt"] = {"intercept": float(model.intercept_[0]), "slope": float(model.coef_[0, 0])}
    cal["fitted"] = True
    done = np.isfinite(held)
    lo: dict[str, Any] = {"n_cells": int(done.sum())}
    if done.any():
        lo["brier"] = float(brier_score_loss(y[done], held[done]))
        lo["log_loss"] = float(log_loss(y[done], held[done], labels=[False, True]))
        if y[done].any() and not y[done].all():
            lo["auroc"] = float(roc_auc_score(y[done], held[done]))
    cal["leave_one_group_out"] = lo
    cal["provenance"] = description or "fitted with ctcgenomics.rna.fit_calibration"
    return cal
