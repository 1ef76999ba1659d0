"""Genotype candidates across cells: germline test in WBCs, dropout fit, somatic posteriors."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

import anndata as ad
import numpy as np
import pandas as pd

from ctcgenomics.snv._model import (
    ModelParams,
    estimate_dropout,
    genotype_log_likelihoods,
    site_posteriors,
)

log = logging.getLogger(__name__)

NOT_EVALUABLE = -1
"""Genotype code of a cell that cannot be called (no coverage, or a possibly dropped allele)."""


@dataclass
class GenotypeParams:
    """Per-cell genotype calling thresholds.

    Parameters
    ----------
    min_cell_depth
        A cell with fewer ref + alt reads at a site is not evaluable there.
    min_genotype_posterior
        A cell's genotype is called only if its posterior reaches this value;
        otherwise (e.g. only reference reads where the alternative allele may have
        dropped out) it is not evaluable.
    germline_posterior
        Sites whose posterior of being present in the WBCs reaches this are germline.
    model
        Parameters of the genotype model.
    """

    min_cell_depth: int = 5
    min_genotype_posterior: float = 0.9
    germline_posterior: float = 0.5
    model: ModelParams = field(default_factory=ModelParams)


def _roles(adata: ad.AnnData) -> np.ndarray:
    if "role" not in adata.obs:
        return np.array(["ctc"] * adata.n_obs)
    return adata.obs["role"].astype(str).str.lower().to_numpy()


def _error_rates(adata: ad.AnnData, model: ModelParams) -> np.ndarray:
    rate = adata.obs.get("mismatch_rate", pd.Series(np.nan, index=adata.obs_names))
    rate = pd.to_numeric(rate, errors="coerce").fillna(0.003).to_numpy()
    # The mismatch rate counts any of three wrong bases; the model needs one allele.
    return np.clip(rate / 3.0, model.min_error, 0.2)


def genotype(
    adata: ad.AnnData,
    *,
    params: GenotypeParams | None = None,
    key_added: str = "snv",
    copy: bool = False,
) -> ad.AnnData | None:
    """Call germline and somatic variants and per-cell genotypes.

    Steps: (1) the site model on the WBCs alone tells germline sites (present in
    normal cells, or flagged ``known_germline`` in ``var``); (2) germline heterozygous
    SNVs give each cell's allelic dropout rate and the amplification overdispersion
    (:func:`~ctcgenomics.snv.estimate_dropout`); (3) the site model on the CTCs gives
    the posterior that each variant is present in at least one CTC and per-cell
    genotype posteriors.

    Parameters
    ----------
    adata
        Output of :func:`~ctcgenomics.snv.count_alleles` (``obs["role"]`` ctc/wbc; all
        cells are CTCs if missing).
    params
        Thresholds and model parameters.
    key_added
        Key of ``adata.uns`` receiving ``params`` and the dropout fit.
    copy
        Return a modified copy instead of writing in place.

    Returns
    -------
    anndata.AnnData or None
        With ``layers["genotype"]`` (0 ref/ref, 1 het, 2 alt/alt, -1 not evaluable),
        ``layers["posterior"]`` (posterior that the cell carries the allele),
        ``layers["gq"]`` (Phred quality of the ref/ref-or-carrier call); ``obs`` ``dropout_rate``,
        ``error_rate``, ``n_het_sites``; ``var`` ``p_variant``, ``qual``,
        ``p_germline``, ``germline``, ``fraction``, ``n_cells_alt``,
        ``n_cells_evaluable``, ``n_cells_alt_reads``, ``max_cell_vaf``.
    """
    adata = adata.copy() if copy else adata
    params = params or GenotypeParams()
    model = params.model
    roles = _roles(adata)
    is_ctc = roles == "ctc"
    is_wbc = roles == "wbc"
    ref = np.asarray(adata.layers["ref"], dtype=np.int64)
    alt = np.asarray(adata.layers["alt"], dtype=np.int64)
    n = ref + alt
    error = _error_rates(adata, model)
    var = adata.var
    n_sites = adata.n_vars
    default_dropout = np.full(adata.n_obs, model.dropout_prior_mean)

    # (1) germline: is the variant present in the normal cells?
    p_germ = np.zeros(n_sites)
    if is_wbc.any():
        ll = genotype_log_likelihoods(
            alt[is_wbc],
            n[is_wbc],
            error[is_wbc],
            default_dropout[is_wbc],
            rho=model.default_rho,
            artefact_rate=model.artefact_rate,
        )
        p_germ = site_posteriors(
            ll, model.prior_germline, hom_given_carrier=0.3, n_grid=model.n_grid
        ).p_variant
    else:
        log.warning(
            "no WBC in this patient: germline variants cannot be told from clonal "
            "somatic ones except through known_germline sites"
        )
    known = (
        var["known_germline"].to_numpy(bool) if "known_germline" in var else np.zeros(n_sites, bool)
    )
    germline = (p_germ >= params.germline_posterior) | known

    # (2) dropout from germline heterozygous SNVs (pooled allele fraction near 1/2).
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled_vaf = alt.sum(0) / np.maximum(n.sum(0), 1)
    het = germline & (var["kind"].to_numpy() == "snv") & (pooled_vaf > 0.2) & (pooled_vaf < 0.8)
    wbc_obs = int((n[is_wbc][:, het] >= 8).sum()) if is_wbc.any() else 0
    fit = estimate_dropout(
        alt[:, het], n[:, het], error, model, rho_cells=is_wbc if wbc_obs >= 20 else None
    )
    log.info(
        "dropout fitted on %d germline het sites: median %.3f, rho %.3f",
        int(het.sum()),
        float(np.median(fit.dropout)) if len(fit.dropout) else float("nan"),
        fit.rho,
    )

    # (3) somatic model on CTCs, with hotspot priors.
    prior = np.where(
        var["forced"].astype(str).str.contains("hotspot").to_numpy(),
        model.prior_hotspot,
        model.prior_somatic,
    )
    p_variant = np.zeros(n_sites)
    fraction = np.zeros(n_sites)
    p_gt = np.zeros((adata.n_obs, n_sites, 3))
    p_gt[..., 0] = 1.0
    groups = [(is_ctc, prior)]
    if is_wbc.any():
        groups.append((is_wbc, model.prior_germline))
    for mask, pr in groups:
        if not mask.any() or n_sites == 0:
            continue
        ll = genotype_log_likelihoods(
            alt[mask],
            n[mask],
            error[mask],
            fit.dropout[mask],
            rho=fit.rho,
            artefact_rate=model.artefact_rate,
        )
        post = site_posteriors(
            ll, pr, hom_given_carrier=model.hom_given_carrier, n_grid=model.n_grid
        )
        p_gt[mask] = post.p_genotype
        if mask is is_ctc:
            p_variant, fraction = post.p_variant, post.fraction

    # A cell is called ref/ref or carrier when that posterior is high enough; a carrier
    # is het or alt/alt by the larger posterior (zygosity is often unclear after dropout,
    # but carrier status, which prevalence needs, is not).
    carrier_post = p_gt[..., 1] + p_gt[..., 2]
    zyg = np.where(p_gt[..., 2] > p_gt[..., 1], 2, 1)
    thr = params.min_genotype_posterior
    covered = n >= params.min_cell_depth
    gt = np.full(n.shape, NOT_EVALUABLE)
    gt[covered & (p_gt[..., 0] >= thr)] = 0
    is_carrier = covered & (carrier_post >= thr)
    gt[is_carrier] = zyg[is_carrier]
    call_p = np.maximum(p_gt[..., 0], carrier_post)
    gq = np.minimum(99, np.round(-10 * np.log10(np.clip(1 - call_p, 1e-10, 1)))).astype(int)

    adata.layers["genotype"] = gt.astype(np.int8)
    adata.layers["posterior"] = carrier_post.astype(np.float32)
    adata.layers["gq"] = gq.astype(np.int16)
    adata.obs["dropout_rate"] = fit.dropout
    adata.obs["error_rate"] = error
    adata.obs["n_het_sites"] = fit.n_sites
    with np.errstate(divide="ignore", invalid="ignore"):
        cell_vaf = np.where(n > 0, alt / np.maximum(n, 1), 0.0)
    ctc_gt = gt[is_ctc]
    var["p_variant"] = p_variant
    var["qual"] = np.minimum(999.0, -10 * np.log10(np.clip(1 - p_variant, 1e-100, 1))).round(1)
    var["p_germline"] = p_germ
    var["germline"] = germline
    var["fraction"] = fraction
    var["n_cells_alt"] = (ctc_gt > 0).sum(axis=0)
    var["n_cells_evaluable"] = (ctc_gt >= 0).sum(axis=0)
    var["n_cells_alt_reads"] = (alt[is_ctc] >= 2).sum(axis=0)
    var["max_cell_vaf"] = cell_vaf[is_ctc].max(axis=0) if is_ctc.any() else 0.0
    var["pooled_vaf"] = pooled_vaf
    adata.uns[key_added] = {
        "params": {k: v for k, v in asdict(params).items() if k != "model"}
        | {f"model_{k}": v for k, v in asdict(model).items()},
        "rho": fit.rho,
        "n_germline_het_sites": int(het.sum()),
    }
    return adata if copy else None
