"""Cell classes from what each cell is: CTC, WBC, platelet, erythrocyte, unassigned.

Every cell is decided on its own (see ``docs/rna.md``), never against the other cells of
the run, so a call does not change with the run's composition (1 CTC among 500 blood
cells, or CTCs only) and has no randomness.

1. :func:`ctcgenomics.rna.score_programmes` gives one standardised enrichment ``z`` per
   programme kind: tumour lineage (panels chosen by the patient's OncoTree code),
   blood (strongest leukocyte programme), platelet, erythrocyte.
2. Hypotheses per cell: ``H_k`` "the cell is of kind k" (its ``z_k`` has a positive mean,
   the other kinds are null) for each kind, and ``H_none`` (no programme enriched). Under
   ``H_k`` the effect has a half-normal prior of scale ``tau_k``; the one-sided Bayes
   factor against the null is closed-form,
   ``BF_k = 2 / sqrt(1 + tau^2) * exp(z^2 tau^2 / (2 (1 + tau^2))) * Phi(z tau / sqrt(1 + tau^2))``,
   and the posterior is ``P(H_k) = pi_k BF_k / (pi_none + sum_j pi_j BF_j)``. A cell
   without evidence for any programme stays ``unassigned`` instead of being forced into
   a class.
3. A Platt layer maps the CTC log-odds to a calibrated ``ctc_probability``. Parameters
   (``tau``, priors, Platt) are a versioned data file
   (``ctcgenomics/data/rna/ctc_calibration_v1.json``); :func:`fit_calibration` fits the
   Platt layer on labelled cells with leave-one-group-out predictions.
4. A gene-label check: housekeeping genes must rank near the top of most cells; when they
   do not, the gene names do not match the values and no cell is classified.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy.special import expit, logit, logsumexp
from scipy.stats import norm

from ctcgenomics.rna._programmes import KINDS, score_programmes

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

DEFAULT_CALIBRATION = "ctc_calibration_v1.json"
LABEL_CHECK_MIN_AUC = 0.75
"""Median housekeeping AUC below which gene labels are taken not to match the values.

Housekeeping genes rank above almost every other gene of a real cell (AUC ~0.95 on real
data), and at chance level (~0.5) when the labels are shuffled; 0.75 sits in the gap."""
LABEL_CHECK_MIN_GENES = 8


class CalibrationError(ValueError):
    """A calibration file is missing or malformed."""


def load_calibration(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read a calibration JSON (default: the packaged ``ctc_calibration_v1.json``).

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
    for key in ("tau", "prior", "platt"):
        if key not in cal:
            raise CalibrationError(f"{source}: missing key {key!r}; see {DEFAULT_CALIBRATION}")
    missing = [k for k in KINDS if k not in cal["tau"]] + [
        k for k in HYPOTHESES if k not in cal["prior"]
    ]
    if missing or not {"intercept", "slope"} <= set(cal["platt"]):
        raise CalibrationError(
            f"{source}: tau needs {list(KINDS)}, prior needs {list(HYPOTHESES)} and platt "
            f"needs intercept and slope; missing {missing or ['platt keys']}"
        )
    cal["source"] = source
    return cal


def log_bayes_factor(z: np.ndarray, tau: float) -> np.ndarray:
    """One-sided log Bayes factor of ``z ~ N(delta, 1)``, ``delta ~ HalfNormal(tau)``, vs 0.

    NaN ``z`` (programme not measured) gives ``-inf``: that hypothesis cannot be chosen.
    """
    z = np.asarray(z, dtype=np.float64)
    s2 = 1.0 + tau * tau
    out = (
        np.log(2.0)
        - 0.5 * np.log(s2)
        + z * z * tau * tau / (2.0 * s2)
        + norm.logcdf(z * tau / np.sqrt(s2))
    )
    return np.where(np.isfinite(z), out, -np.inf)


def class_posterior(evidence: pd.DataFrame, calibration: Mapping[str, Any]) -> pd.DataFrame:
    """Posterior of each hypothesis (:data:`HYPOTHESES`) per cell, before the Platt layer.

    Parameters
    ----------
    evidence
        Cells x kinds (:data:`ctcgenomics.rna._programmes.KINDS`) of z-scores.
    calibration
        As from :func:`load_calibration`.
    """
    missing = [k for k in KINDS if k not in evidence]
    if missing:
        raise KeyError(f"evidence lacks column(s) {missing}; run score_programmes first")
    logw = np.column_stack(
        [
            np.log(calibration["prior"][k])
            + log_bayes_factor(evidence[k].to_numpy(), float(calibration["tau"][k]))
            for k in KINDS
        ]
        + [np.full(len(evidence), np.log(calibration["prior"]["none"]))]
    )
    post = np.exp(logw - logsumexp(logw, axis=1, keepdims=True))
    return pd.DataFrame(post, index=evidence.index, columns=list(HYPOTHESES))


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


def _label_check(adata: AnnData, key: str, ok: np.ndarray) -> dict[str, Any]:
    genes = adata.uns[key]["genes_used"].get("HOUSEKEEPING", [])
    col = f"{key}_HOUSEKEEPING_auc"
    if len(genes) < LABEL_CHECK_MIN_GENES or col not in adata.obs or not ok.any():
        return {"status": "not_checked", "n_genes": len(genes)}
    med = float(np.nanmedian(adata.obs[col].to_numpy()[ok]))
    status = "passed" if med >= LABEL_CHECK_MIN_AUC else "failed"
    return {"status": status, "median_housekeeping_auc": med, "n_genes": len(genes)}


def classify_cells(
    adata: AnnData,
    *,
    tumour_type: str,
    key_added: str = "cell_class",
    qc_key: str = "qc_pass",
    layer: str | None = None,
    calibration: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    programme_key: str = "programme",
    check_labels: bool = True,
    copy: bool = False,
) -> AnnData | None:
    """Classify each cell as CTC, WBC, platelet, erythrocyte or unassigned, on its own.

    Parameters
    ----------
    adata
        Cells x genes with gene symbols; counts, normalised or log1p values (only each
        cell's ranks are used).
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
        Prefix of the programme scores (:func:`ctcgenomics.rna.score_programmes`).
    check_labels
        Refuse to classify (every cell ``unassigned``) when housekeeping genes do not rank
        high in most cells, i.e. the gene names do not match the values.
    copy
        Return a copy instead of writing in place.

    Returns
    -------
    AnnData or None
        Adds ``obs[key_added]``, ``obs[f"{key_added}_confidence"]`` (posterior of the
        called class), ``obs["ctc_probability"]`` (calibrated posterior of CTC),
        ``obs["ctc_score"]`` (CTC log posterior odds, for ranking), the programme
        scores, ``obsm[f"{key_added}_posterior"]`` (cells x hypotheses) and
        ``uns[key_added]`` (params, calibration source, label check, class counts).
    """
    if not isinstance(adata, AnnData):
        raise TypeError(f"classify_cells needs an AnnData, got {type(adata).__name__}")
    if qc_key in adata.obs and adata.obs[qc_key].dtype != bool:
        raise TypeError(
            f"obs[{qc_key!r}] must be boolean (True = passes QC); got {adata.obs[qc_key].dtype}"
        )
    cal = dict(calibration) if isinstance(calibration, Mapping) else load_calibration(calibration)
    adata = adata.copy() if copy else adata
    score_programmes(adata, tumour_type=tumour_type, layer=layer, key_added=programme_key)
    ok = adata.obs[qc_key].to_numpy(bool) if qc_key in adata.obs else np.ones(adata.n_obs, bool)
    evidence = pd.DataFrame(
        {k: adata.obs[f"{programme_key}_{k}"].to_numpy() for k in KINDS}, index=adata.obs_names
    )
    post = apply_platt(class_posterior(evidence, cal), cal)
    check = _label_check(adata, programme_key, ok) if check_labels else {"status": "skipped"}
    refused = check["status"] == "failed"
    hyp = post.to_numpy()
    best = np.argmax(hyp, axis=1)
    labels = np.array([_CLASS_OF_KIND.get(h, "unassigned") for h in HYPOTHESES], dtype=object)
    label = labels[best]
    conf = hyp[np.arange(adata.n_obs), best]
    prob = post["tumour"].to_numpy()
    score = np.log(prob.clip(1e-300)) - np.log((1 - prob).clip(1e-300))
    if refused:
        log.error(
            "gene labels do not match the values: housekeeping genes rank at median AUC %.2f "
            "(real cells: ~0.95); no cell is classified. Check the gene names of the matrix.",
            check["median_housekeeping_auc"],
        )
        label[:] = "unassigned"
        prob = np.full(adata.n_obs, np.nan)
        conf = np.full(adata.n_obs, np.nan)
        score = np.full(adata.n_obs, np.nan)
    label[~ok] = "low-quality"
    conf = np.where(ok, conf, np.nan)
    adata.obs["ctc_probability"] = prob
    adata.obs["ctc_score"] = score
    adata.obs[key_added] = pd.Categorical(label, categories=list(CLASSES))
    adata.obs[f"{key_added}_confidence"] = conf
    adata.obsm[f"{key_added}_posterior"] = post.set_axis(list(HYPOTHESES), axis=1)
    adata.uns[key_added] = {
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
        "decided_by": "refused: gene labels do not match the values"
        if refused
        else "programme posterior",
        "counts": {c: int((label == c).sum()) for c in CLASSES},
    }
    log.info("classes: %s", adata.uns[key_added]["counts"])
    return adata if copy else None


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
