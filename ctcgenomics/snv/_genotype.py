"""Genotype candidates across cells.

Germline/somatic/no-variant site model, dropout fit, empirical-Bayes rates, per-cell
genotypes and carrier fractions with credible intervals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ctcgenomics._keys import output_namer
from ctcgenomics._reference_cells import role_labels
from ctcgenomics.snv._copynumber import copy_number_probabilities
from ctcgenomics.snv._model import (
    DropoutFit,
    ModelParams,
    SiteInputs,
    SiteModel,
    artefact_bin_counts_by_site,
    artefact_prior_mass,
    carrier_fraction_posterior,
    detect_probability,
    estimate_dropout,
    local_dropout,
    site_model,
)

if TYPE_CHECKING:  # anndata is imported where an AnnData is made or read
    import anndata as ad

log = logging.getLogger(__name__)

NOT_EVALUABLE = -1
"""Genotype code of a cell that cannot be called (no coverage, or a possibly dropped allele)."""


@dataclass(frozen=True)
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
        Sites whose posterior of being germline reaches this are germline.
    min_alt_reads
        Alternative reads one cell needs for a position to be a candidate (the
        detection threshold used when estimating artefact rates per base).
    min_dropout_depth
        Reads a cell needs at a germline het site for the site to inform its dropout
        rate. Low on purpose: a site that lost one allele has half the reads, so a high
        threshold would keep mostly sites without dropout and underestimate it (the
        likelihood already weighs a site with few reads weakly).
    detect_unamplified
        Weigh, for each cell declared amplified, whether it is unamplified from the
        allele balance of its germline het sites (:mod:`ctcgenomics.snv._library`): its
        dropout, overdispersion and artefact prior are averaged over the two library
        kinds by their posterior probabilities, and a cell more probably unamplified is
        reported (and its artefacts modelled) as such, with a warning. A cell declared
        ``none`` is never switched (only warned about).
    amplified_min_rho
        The least overdispersion of het allele fractions taken for an amplified library
        (MDA ~0.05-0.3; low-bias chemistries such as PTA lower, hence low).
    unamplified_prior
        Prior mean of the probability that a cell whose chemistry is not given (no cell
        sheet, or no ``wga``: MDA is assumed, which is no information) is an unamplified
        library; the run's such cells then learn their prior from each other
        (Beta(2 x this, 2 x (1 - this)), leave-one-out empirical Bayes,
        :func:`~ctcgenomics.snv._library.pooled_p_unamplified`).
    unamplified_prior_stated
        The same for a cell whose sheet states an amplified chemistry: the statement is
        believed unless its het sites clearly say otherwise.
    library_test_threshold
        Likelihood-ratio statistic against binomial het fractions above which a cell
        declared ``none`` is warned about (10.83: chi-square(1) p = 0.001).
    model
        Parameters of the genotype model.
    """

    min_cell_depth: int = 5
    min_genotype_posterior: float = 0.9
    germline_posterior: float = 0.5
    min_alt_reads: int = 2
    min_dropout_depth: int = 1
    detect_unamplified: bool = True
    amplified_min_rho: float = 0.02
    unamplified_prior: float = 0.5
    unamplified_prior_stated: float = 0.05
    library_test_threshold: float = 10.83
    model: ModelParams = field(default_factory=ModelParams)


def cell_roles(
    adata: ad.AnnData, reference_key: str = "role", reference_cat: str | Sequence[str] = "wbc"
) -> np.ndarray:
    """Return internal ``"wbc"``/``"ctc"`` labels (the cell sheet's ``role`` has only those)."""
    if reference_key == "role" and "role" in adata.obs:
        roles = adata.obs["role"].astype(str).str.lower().to_numpy()
        bad = sorted(set(roles) - {"ctc", "wbc"})
        if bad:
            raise ValueError(
                f"obs['role'] has value(s) {bad}; each cell's role must be 'ctc' or 'wbc'"
            )
    return role_labels(adata.obs, reference_key, reference_cat)


def _error_rates(adata: ad.AnnData, model: ModelParams) -> np.ndarray:
    rate = adata.obs.get("mismatch_rate", pd.Series(np.nan, index=adata.obs_names))
    rate = pd.to_numeric(rate, errors="coerce").fillna(0.003).to_numpy()
    # The mismatch rate counts any of three wrong bases; the model needs one allele.
    return np.clip(rate / 3.0, model.min_error, 0.2)


def check_counts_adata(adata: ad.AnnData, *, what: str = "genotype") -> None:
    """Check that ``adata`` is cells x alleles with the count layers and ``var`` columns."""
    import anndata as ad

    if not isinstance(adata, ad.AnnData):
        raise TypeError(
            f"{what}: expected an AnnData from ctc.snv.count_alleles, got {type(adata).__name__}"
        )
    missing = [x for x in ("ref", "alt") if x not in adata.layers]
    if missing:
        raise KeyError(
            f"{what}: adata.layers lacks {missing}; run ctc.snv.count_alleles (or set the "
            "per-cell reference and alternative read counts as layers 'ref' and 'alt')"
        )
    cols = [c for c in ("chrom", "pos", "ref", "alt", "kind") if c not in adata.var]
    if cols:
        raise KeyError(
            f"{what}: adata.var lacks column(s) {cols}; it needs chrom, pos, ref, alt, kind "
            "(snv|indel) per allele, as written by ctc.snv.count_alleles"
        )


def _site_priors(
    var: pd.DataFrame,
    model: ModelParams,
    somatic_rate: float | np.ndarray,
    germline_rate: float | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-site priors of a somatic and a germline variant, and more.

    The rates are per base, scalars or one per site.

    Also the germline homozygous fraction, the sites that take part in the somatic-rate
    estimate (not hotspots, not known germline sites) and those that take part in the
    germline-rate estimate (not listed in a population or germline VCF).
    """
    n = len(var)
    hotspot = (
        var["forced"].astype(str).str.contains("hotspot").to_numpy()
        if "forced" in var
        else np.zeros(n, bool)
    )
    indel = var["kind"].astype(str).to_numpy() == "indel"
    p_som = np.where(hotspot, np.maximum(model.prior_hotspot, somatic_rate), somatic_rate)
    scale = germline_rate / model.prior_germline
    p_ger = np.where(indel, model.prior_germline_indel, model.prior_germline) * scale
    hom = np.full(n, model.germline_hom_fraction)
    germ_sites = np.ones(n, bool)
    if "population_af" in var:
        af = pd.to_numeric(var["population_af"], errors="coerce").to_numpy()
        covered = var.get("population_covered", pd.Series(True, index=var.index)).to_numpy(bool)
        listed = np.isfinite(af)
        carrier = 1 - (1 - np.clip(af, 0, 1)) ** 2
        p_ger = np.where(
            listed,
            np.clip(carrier, 1e-6, 0.999),
            np.where(covered, p_ger * model.germline_novel_fraction, p_ger),
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            hom = np.where(listed & (carrier > 0), np.clip(af, 0, 1) ** 2 / carrier, hom)
        germ_sites &= ~listed
    known = var["known_germline"].to_numpy(bool) if "known_germline" in var else np.zeros(n, bool)
    p_ger = np.where(known, 0.999, p_ger)
    p_som = np.where(known, 1e-9, p_som)
    p_som = np.minimum(p_som, 0.5 * (1 - p_ger))
    return p_som, p_ger, np.clip(hom, 0.01, 0.99), ~hotspot & ~known, germ_sites & ~known


def genotype(
    adata: ad.AnnData,
    *,
    params: GenotypeParams | None = None,
    key_added: str = "snv",
    reference_key: str = "role",
    reference_cat: str | Sequence[str] = "wbc",
    copy: bool = False,
) -> ad.AnnData | None:
    """Call germline and somatic variants and per-cell genotypes.

    Steps: (1) the three-hypothesis site model (no variant / somatic in the CTCs /
    germline in every cell; ``docs/snv.md``) with default
    rates finds germline heterozygous SNVs; (2) they give each cell's allelic dropout
    rate, its local variation and the amplification overdispersion
    (maximum likelihood over those sites); (3) the somatic rate per base and each
    cell's artefact rate are estimated by EM (empirical Bayes) where the counting step
    recorded how many bases were examined; (4) final posteriors, per-cell genotypes and
    the carrier fraction of each variant with a 95 % credible interval, per draw.

    Germline evidence is weighed, not thresholded: WBC reads by their depth (a shallow
    WBC cannot certify "absent"), allele balance in every cell, a user germline VCF
    (``var["known_germline"]``) and a population-frequency VCF (``var["population_af"]``,
    ``var["population_covered"]``). Copy number enters through ``layers["copy_number"]``
    (see :func:`~ctcgenomics.snv.add_copy_number`).

    Parameters
    ----------
    adata
        Output of :func:`~ctcgenomics.snv.count_alleles` (``obs["role"]`` ctc/wbc; all
        cells are CTCs if missing).
    params
        Thresholds and model parameters.
    key_added
        Key of ``adata.uns`` receiving ``params``, the fitted rates and the prevalence
        table. Any key but the default also prefixes every layer, ``obs`` and ``var``
        column written (``f"{key_added}_genotype"``, ...), so two runs live side by side;
        :func:`~ctcgenomics.snv.apply_filters` reads them through ``genotype_key``.
    reference_key, reference_cat
        ``obs`` column and value(s) marking the normal cells (WBCs; default
        ``obs["role"] == "wbc"``); the others are tumour cells.
    copy
        Return a modified copy instead of writing in place.

    Returns
    -------
    anndata.AnnData or None
        With ``layers["genotype"]`` (0 ref/ref, 1 het, 2 alt/alt, -1 not evaluable),
        ``layers["posterior"]`` (posterior that the cell carries the allele),
        ``layers["gq"]``, ``layers["dropout"]`` (local allelic dropout rate per cell and
        site); ``obs`` ``dropout_rate``, ``error_rate``, ``artefact_rate``,
        ``n_het_sites``; ``var`` ``p_variant`` (posterior of a somatic variant in the
        CTCs), ``qual``, ``p_germline``, ``germline``, ``fraction`` (+ ``fraction_low``,
        ``fraction_high``), ``n_cells_alt``, ``n_cells_evaluable``,
        ``n_cells_alt_reads``, ``max_cell_vaf``, ``pooled_vaf``, ``single_cell``;
        ``uns[key_added]["prevalence"]`` per variant and draw, ``["identity_check"]``
        (same-person check of each CTC against the WBCs; ``_identity``).
    """
    check_counts_adata(adata)
    adata = adata.copy() if copy else adata
    params = params or GenotypeParams()
    data = _genotype_inputs(adata, params.model, cell_roles(adata, reference_key, reference_cat))
    rates = _Rates.start(data)
    # (1) germline heterozygous SNVs. The somatic prior is set equal to the germline one
    # here, so that the WBCs, not the prior, decide which sites are germline: a clonal
    # somatic site taken for germline would look like dropout in every WBC.
    fit_model = _site_fit(data, rates, somatic_rate=data.model.prior_germline)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled_vaf = data.alt.sum(0) / np.maximum(data.n.sum(0), 1)
    kind = data.var["kind"].astype(str).to_numpy()
    het = (fit_model.p_germline >= 0.9) & (kind == "snv") & (pooled_vaf > 0.2) & (pooled_vaf < 0.8)
    library = _check_libraries(adata, data, rates, het, params)
    # (2) dropout per cell and locally, overdispersion
    fit = _fit_dropout(data, rates, het, params)
    # (3) empirical-Bayes somatic and artefact rates per base
    em_done = _estimate_rates(adata, data, rates, params)
    final = _site_fit(data, rates)
    log.info(
        "somatic rate %.2e, germline rate %.2e per base, artefact rate per cell median %.2e "
        "(EM iterations: %d)",
        rates.somatic,
        rates.germline,
        float(np.median(rates.eta)) if len(rates.eta) else float("nan"),
        em_done,
    )
    # (4) per-cell calls, carrier fractions
    name = output_namer(key_added, "snv")
    gt = _write_genotypes(adata, data, rates, final, fit, params, name)
    identity = _check_identity(adata, data, rates)
    _write_site_columns(data, final, gt, pooled_vaf, params, name)
    model = data.model
    adata.uns[key_added] = {
        "params": {k: v for k, v in asdict(params).items() if k != "model"}
        | {
            f"model_{k}": (list(v) if isinstance(v, tuple) else v) for k, v in asdict(model).items()
        },
        "rho": rates.rho,
        "n_germline_het_sites": int(het.sum()),
        "somatic_rate": rates.somatic,
        "germline_rate": rates.germline,
        "noise_rate": rates.noise,
        "artefact_vaf_histogram": rates.mass,
        "em_iterations": em_done,
        "library_check": library,
        "identity_check": identity,
        "prevalence": _prevalence_by_draw(adata, final, data.is_ctc),
    }
    return adata if copy else None


@dataclass
class _GenotypeData:
    """Read counts, cell kinds and fixed per-cell rates of one genotyping run."""

    model: ModelParams
    var: pd.DataFrame
    alt: np.ndarray
    n: np.ndarray
    is_ctc: np.ndarray
    is_wbc: np.ndarray
    error: np.ndarray
    p_cn: np.ndarray | None
    wga: np.ndarray
    declared: np.ndarray
    stated: np.ndarray
    p_unamplified: np.ndarray
    eta_prior: np.ndarray
    dropout_prior: np.ndarray
    prior_mass: np.ndarray


@dataclass
class _SiteRates:
    """The empirical-Bayes rates each site sees: estimated from the other sites.

    A site's own expected events are left out of the rates that form its prior
    (leave-one-out empirical Bayes); otherwise, on a panel of a few sites, one site
    raises the rate of whichever explanation it leans to (somatic, or an artefact of its
    cell) and the EM settles in either state depending on depth.
    """

    somatic: float | np.ndarray
    germline: float | np.ndarray
    noise: float | np.ndarray
    eta: np.ndarray
    mass: np.ndarray


@dataclass
class _Rates:
    """Rates the steps refine.

    Somatic, germline and noise rates per base, per-cell artefact rate ``eta``, dropout
    ``delta`` (cells x sites), overdispersion ``rho`` and the artefact allele-fraction
    density ``mass``.
    """

    somatic: float
    germline: float
    noise: float
    eta: np.ndarray
    delta: np.ndarray
    rho: float
    mass: np.ndarray
    at_site: _SiteRates | None = None

    @classmethod
    def start(cls, data: _GenotypeData) -> _Rates:
        """Return the prior rates of the model."""
        model = data.model
        return cls(
            somatic=model.prior_somatic,
            germline=model.prior_germline,
            noise=model.prior_noise,
            eta=data.eta_prior.copy(),
            delta=np.repeat(data.dropout_prior[:, None], data.n.shape[1], axis=1),
            rho=model.default_rho,
            mass=data.prior_mass.copy(),
        )


def _genotype_inputs(adata: ad.AnnData, model: ModelParams, roles: np.ndarray) -> _GenotypeData:
    """Read counts, roles, error rates, copy number and the chemistry's priors per cell."""
    is_wbc = roles == "wbc"
    ref = np.asarray(adata.layers["ref"], dtype=np.int64)
    alt = np.asarray(adata.layers["alt"], dtype=np.int64)
    if not is_wbc.any():
        log.warning(
            "no WBC in this patient: germline variants are told from somatic ones only by "
            "allele balance across CTCs and by germline/population VCFs"
        )
    wga = (
        adata.obs["wga"].astype(str).str.strip().str.lower().to_numpy()
        if "wga" in adata.obs
        else np.array([""] * adata.n_obs)
    )
    # no chemistry given (no cell sheet, or an empty wga): MDA is assumed, not stated
    stated = ~np.isin(wga, ["", "nan", "<na>"])
    wga = np.where(stated, wga, "mda")
    unamplified = wga == "none"
    return _GenotypeData(
        model=model,
        var=adata.var,
        alt=alt,
        n=ref + alt,
        is_ctc=roles == "ctc",
        is_wbc=is_wbc,
        error=_error_rates(adata, model),
        p_cn=copy_number_probabilities(adata, model.cn_error, model.max_copy_number),
        wga=wga,
        declared=wga.copy(),
        stated=stated,
        p_unamplified=unamplified.astype(float),
        eta_prior=np.where(unamplified, model.artefact_rate_unamplified, model.artefact_rate),
        dropout_prior=np.where(
            unamplified, model.dropout_prior_unamplified, model.dropout_prior_mean
        ),
        prior_mass=artefact_prior_mass(model.artefact_vaf_shape),
    )


def _site_fit(
    data: _GenotypeData, rates: _Rates, *, somatic_rate: float | None = None
) -> SiteModel:
    """Run the site model at the current rates (``somatic_rate`` overrides the somatic one)."""
    model = data.model
    at = rates.at_site
    if somatic_rate is not None or at is None:
        at = _SiteRates(
            somatic=rates.somatic if somatic_rate is None else somatic_rate,
            germline=rates.germline,
            noise=rates.noise,
            eta=rates.eta,
            mass=rates.mass,
        )
    p_som, p_ger, hom, _, _ = _site_priors(data.var, model, at.somatic, at.germline)
    inputs = SiteInputs(
        alt=data.alt,
        depth=data.n,
        is_ctc=data.is_ctc,
        is_wbc=data.is_wbc,
        error=data.error,
        dropout=rates.delta,
        artefact_rate=at.eta,
        prior_somatic=p_som,
        prior_germline=p_ger,
        rho=_cell_rho(data, rates),
        copy_number=data.p_cn,
        hom_fraction=hom,
        artefact_mass=at.mass,
        prior_noise=at.noise,
    )
    return site_model(inputs, model)


def _cell_rho(data: _GenotypeData, rates: _Rates) -> np.ndarray:
    """``(cells,)`` overdispersion of het fractions, averaged over the library kind.

    Amplification spreads het allele fractions (``rates.rho``); a library without it is
    binomial (0).
    """
    return (1.0 - data.p_unamplified) * rates.rho


def _fit_dropout(
    data: _GenotypeData, rates: _Rates, het: np.ndarray, params: GenotypeParams
) -> DropoutFit:
    """Fit dropout per cell and locally, and overdispersion, on germline het sites.

    Sets ``rates.rho`` and ``rates.delta`` (each cell's dropout averaged over its library
    kind: unamplified with probability ``p_unamplified``, rate at the unamplified prior;
    amplified otherwise, rate fitted); returns the per-cell fit, with the averaged rate.
    """
    model = data.model
    # A library without amplification (wga none, e.g. a bulk germline control) has no
    # allelic dropout: where it shows one allele at a site called germline het, it is
    # homozygous there (another individual, a sample swap, a mapping artefact). Its rate
    # stays at the prior and its sites inform neither the rates nor rho (the spread of
    # amplified allele fractions). Fitted, one individual's homozygous sites where the
    # other is het made a bulk WBC's "dropout" ~0.3, so that WBC could no longer rule
    # out germline at the sites where it has good depth and no alternative read.
    unamplified = data.wga == "none"
    fit = _dropout_fit(data, het, params, unamplified)
    rates.rho = fit.rho
    chrom = data.var["chrom"].astype(str).to_numpy()
    pos = data.var["pos"].to_numpy()
    delta = local_dropout(fit, chrom[het], pos[het], chrom, pos, model)
    rate = fit.dropout.copy()
    # The amplified alternative of cells taken as unamplified (more probable) but not
    # certainly: their rate fitted as if amplified, the other cells' rates and rho as
    # above (a bulk library would lower rho and raise its chemistry's dropout prior).
    p = data.p_unamplified
    alt_kind = unamplified & (p < 1.0)
    if alt_kind.any():
        amp = _dropout_fit(data, het, params, unamplified & ~alt_kind)
        delta[alt_kind] = local_dropout(amp, chrom[het], pos[het], chrom, pos, model)[alt_kind]
        rate[alt_kind] = amp.dropout[alt_kind]
        fit.n_sites[alt_kind] = amp.n_sites[alt_kind]
    none = model.dropout_prior_unamplified
    rates.delta = p[:, None] * none + (1 - p[:, None]) * delta
    fit.dropout = p * none + (1 - p) * rate
    log.info(
        "dropout fitted on %d germline het sites: median %.3f, rho %.3f",
        int(het.sum()),
        float(np.median(fit.dropout)) if len(fit.dropout) else float("nan"),
        rates.rho,
    )
    return fit


def _dropout_fit(
    data: _GenotypeData, het: np.ndarray, params: GenotypeParams, fixed: np.ndarray
) -> DropoutFit:
    """Per-cell dropout and rho on germline het sites; ``fixed`` cells keep their prior."""
    n = data.n
    amp_wbc = data.is_wbc & ~fixed
    wbc_obs = int((n[amp_wbc][:, het] >= 8).sum()) if amp_wbc.any() else 0
    # a cell switched to unamplified but fitted as amplified: its declared chemistry
    groups = np.where(fixed, "none", data.declared)
    switched = ~fixed & (data.wga != data.declared)
    prior = np.where(switched, data.model.dropout_prior_mean, data.dropout_prior)
    return estimate_dropout(
        data.alt[:, het],
        n[:, het],
        data.error,
        data.model,
        rho_cells=amp_wbc if wbc_obs >= 20 else None,
        prior_mean=prior,
        min_depth=params.min_dropout_depth,
        groups=groups,
        fixed=fixed,
    )


def _check_libraries(
    adata: ad.AnnData,
    data: _GenotypeData,
    rates: _Rates,
    het: np.ndarray,
    params: GenotypeParams,
) -> pd.DataFrame:
    """Weigh each declared-amplified cell's library kind by its het allele balance.

    ``data.p_unamplified`` becomes the posterior probability that the cell is unamplified
    (:func:`~ctcgenomics.snv._library.library_test`, prior ``unamplified_prior``): its
    dropout, overdispersion and artefact prior are then averaged over the two kinds
    (Bayesian model averaging; a hard switch at a test threshold needed ~150-200 het
    sites, so two bulk people over 100 kb kept the MDA dropout and "the WBC dropped the
    allele" explained every difference). A cell more probably unamplified is also used as
    such where one kind must be chosen (its artefact rate not fitted; warned about). A
    cell declared ``none`` whose fractions are clearly overdispersed is only warned about.
    Returns one row per cell: declared and used kind, ``rho``, the statistics, the
    posterior and the number of sites (empty when ``detect_unamplified`` is off).
    """
    cols = ["cell", "declared", "used", "p_unamplified", "rho", "statistic", "overdispersed"]
    cols += ["n_sites"]
    if not params.detect_unamplified:
        return pd.DataFrame(columns=cols)
    from ctcgenomics.snv._library import library_test, pooled_p_unamplified

    test = library_test(data.alt[:, het], data.n[:, het], rho_floor=params.amplified_min_rho)
    declared = data.declared
    amplified = declared != "none"
    prior = np.where(data.stated, params.unamplified_prior_stated, params.unamplified_prior)
    # cells without a stated chemistry share their prior (leave-one-out empirical Bayes)
    pooled = pooled_p_unamplified(test.log_bayes, prior, amplified & ~data.stated)
    p = np.where(amplified, pooled, 1.0)
    bulk = amplified & (p > 0.5)  # no evidence (p = 1/2): the assumed MDA is kept
    thr = params.library_test_threshold
    over = ~amplified & (test.overdispersed >= thr) & (test.rho >= params.amplified_min_rho)
    names = adata.obs_names.astype(str)
    for c in np.flatnonzero(bulk):
        # a cell without a site of its own is moved by the other cells' pooled prior only
        why = (
            f"its {test.n_sites[c]} germline het sites with both alleles look binomial "
            f"(rho {test.rho[c]:.4f}"
            if test.n_sites[c]
            else "it has no germline het site with both alleles of its own, and the other "
            "cells of unstated chemistry look unamplified (pooled prior"
        )
        log.warning(
            "cell %s is declared amplified (wga %s) but %s; posterior probability of an "
            "unamplified library %.3g): modelled as an unamplified (bulk) library, its "
            "dropout and overdispersion averaged over both kinds by that probability",
            names[c], declared[c], why, p[c],
        )  # fmt: skip
    for c in np.flatnonzero(over):
        log.warning(
            "cell %s is declared unamplified (wga none) but its %d germline het sites are "
            "overdispersed like an amplified cell's (rho %.3f, likelihood ratio %.1f "
            "against binomial): kept as declared; check its wga",
            names[c], test.n_sites[c], test.rho[c], test.overdispersed[c],
        )  # fmt: skip
    model = data.model
    data.p_unamplified = p
    data.wga = np.where(bulk, "none", data.wga)
    # the artefact rate's prior mean, averaged over the kind like the dropout
    data.eta_prior = p * model.artefact_rate_unamplified + (1 - p) * data.eta_prior
    data.dropout_prior = np.where(bulk, model.dropout_prior_unamplified, data.dropout_prior)
    rates.eta = data.eta_prior.copy()
    return pd.DataFrame(
        {
            "cell": names,
            "declared": declared,
            "used": data.wga,
            "p_unamplified": p,
            "rho": test.rho,
            "statistic": test.statistic,
            "overdispersed": test.overdispersed,
            "n_sites": test.n_sites.astype(int),
        }
    )[cols]


def _check_identity(adata: ad.AnnData, data: _GenotypeData, rates: _Rates) -> pd.DataFrame:
    """Same-person check of each CTC against the pooled WBCs (``_identity``); logged."""
    from ctcgenomics.snv._identity import identity_test, warn_identity

    table = identity_test(
        data.alt, data.n, rates.delta, _cell_rho(data, rates),
        adata.obs_names.astype(str).to_numpy(), data.is_ctc, data.is_wbc,
    )  # fmt: skip
    warn_identity(table)
    return table


def _estimate_rates(
    adata: ad.AnnData, data: _GenotypeData, rates: _Rates, params: GenotypeParams
) -> int:
    """Empirical-Bayes somatic, germline, noise and artefact rates per base, by EM.

    Only where the counting step recorded how many bases were examined. Updates
    ``rates`` (with, in ``rates.at_site``, the rates each site sees: those of the other
    sites) and returns the number of EM iterations run (0 when not estimated).
    """
    model = data.model
    hist = adata.obsm.get("depth_histogram") if "depth_histogram" in adata.obsm else None
    ctc_hist = adata.uns.get("snv_counts", {}).get("ctc_depth_histogram")
    if not (model.estimate_priors and hist is not None and ctc_hist is not None and adata.n_vars):
        return 0
    hist = np.asarray(hist, dtype=float)
    bases_som = float(np.asarray(ctc_hist, dtype=float)[params.min_cell_depth :].sum())
    bases_all = float(hist[:, params.min_cell_depth :].sum(axis=1).max())
    eta_prior = data.eta_prior
    eta_beta = (
        eta_prior * model.artefact_rate_weight,
        (1 - eta_prior) * model.artefact_rate_weight,
    )
    # Cells whose artefacts can be told from somatic variants: WBCs, and CTCs when
    # enough are called together. The others take the rate of their chemistry.
    fits_own = data.is_wbc | (data.is_ctc & (data.is_ctc.sum() >= model.min_ctcs_for_artefact_fit))
    # A library without amplification has no amplification artefacts to fit: it keeps its
    # prior rate. Fitted, a bulk WBC's "artefacts" were another person's het sites (a pair
    # of people), and a bulk CTC that takes the rate of its chemistry took that one.
    fits_own &= data.wga != "none"
    _, _, _, rate_sites, germ_sites = _site_priors(data.var, model, rates.somatic, rates.germline)
    germ_sites &= data.var["kind"].astype(str).to_numpy() == "snv"
    em_done = 0
    for it in range(1, model.em_iterations + 1):
        em_done = it
        m = _site_fit(data, rates)
        # artefact-detectable bases per cell under the current allele-fraction density
        bases_art = hist @ detect_probability(
            np.arange(hist.shape[1]), rates.mass, params.min_alt_reads
        )
        new_rate, som_at = _rate_without_site(
            np.where(rate_sites, m.p_somatic, 0.0), bases_som, model.prior_somatic,
            model.prior_somatic_weight,
        )  # fmt: skip
        # The germline rate is identifiable only through normal cells.
        new_germ, germ_at = (
            _rate_without_site(
                np.where(germ_sites, m.p_germline, 0.0),
                bases_all,
                model.prior_germline,
                model.prior_germline_weight,
            )
            if data.is_wbc.any()
            else (rates.germline, np.full(adata.n_vars, rates.germline))
        )
        new_noise, noise_at = _rate_without_site(
            m.p_noise, bases_all, model.prior_noise, model.prior_somatic_weight
        )
        events = m.artefact.sum(axis=1)
        new_eta = _artefact_rates(events, bases_art, eta_beta, fits_own, data.wga, eta_prior)
        eta_at = _artefact_rates(
            events[:, None] - m.artefact, bases_art, eta_beta, fits_own, data.wga, eta_prior
        )
        done = (
            abs(np.log(new_noise / rates.noise)) < 1e-3
            and abs(np.log(new_rate / rates.somatic)) < 1e-3
            and abs(np.log(new_germ / rates.germline)) < 1e-3
            and np.all(np.abs(np.log(new_eta / rates.eta)) < 1e-3)
        )
        mass_at = _artefact_histograms(data, m, rates.mass, fits_own)
        rates.somatic, rates.germline, rates.eta = float(new_rate), float(new_germ), new_eta
        rates.noise, rates.mass = float(new_noise), mass_at[-1]
        rates.at_site = _SiteRates(som_at, germ_at, noise_at, eta_at, mass_at[:-1])
        if done:
            break
    return em_done


def _rate_without_site(
    events: np.ndarray, bases: float, prior: float, weight: float
) -> tuple[float, np.ndarray]:
    """Rate per base from all sites' expected ``events``, and for each site without its own."""
    total = float(events.sum())
    return _beta_rate(total, bases, prior, weight), _beta_rate(total - events, bases, prior, weight)


def _artefact_histograms(
    data: _GenotypeData, m: SiteModel, mass: np.ndarray, fits_own: np.ndarray
) -> np.ndarray:
    """M-step of the artefact allele-fraction histogram: ``(sites + 1, bins)``.

    One row per site, without that site's own artefacts, then the row of all sites.
    """
    by_site = artefact_bin_counts_by_site(
        data.alt[fits_own], data.n[fits_own], m.artefact[fits_own], mass
    )
    counts = by_site.sum(axis=0)
    w = data.model.artefact_vaf_weight
    prior = w * data.prior_mass
    others = np.clip(counts[None, :] - by_site, 0.0, None)
    at_site = (prior + others) / (w + others.sum(axis=1, keepdims=True))
    return np.vstack([at_site, (prior + counts) / (w + counts.sum())])


def _artefact_rates(
    events: np.ndarray,
    bases_art: np.ndarray,
    prior: tuple[np.ndarray, np.ndarray],
    fits_own: np.ndarray,
    wga: np.ndarray,
    eta_prior: np.ndarray,
) -> np.ndarray:
    """Artefact rate per cell from its expected artefacts.

    ``events`` is ``(cells,)``, or ``(cells, sites)`` for one rate per site. Cells that
    do not fit their own rate take the rate pooled over the cells of the same chemistry
    that do, or the chemistry's prior when there are none.
    """
    a_e, b_e = prior
    col = (slice(None),) + (None,) * (events.ndim - 1)
    eta = (events + a_e[col]) / (bases_art + a_e + b_e)[col]
    for chem in np.unique(wga[~fits_own]):
        same = fits_own & (wga == chem)
        target = ~fits_own & (wga == chem)
        if same.any():
            a, b = a_e[same].mean(), b_e[same].mean()
            eta[target] = (events[same].sum(axis=0) + a) / (bases_art[same].sum() + a + b)
        else:
            eta[target] = eta_prior[target][col]
    return eta


def _beta_rate(
    events: float | np.ndarray, bases: float, prior: float, weight: float
) -> float | np.ndarray:
    """Posterior mean rate per base under a Beta prior of mean ``prior`` and ``weight``."""
    a = prior * weight
    b = (1 - prior) * weight
    return (events + a) / (bases + a + b)


def _write_genotypes(
    adata: ad.AnnData,
    data: _GenotypeData,
    rates: _Rates,
    final: SiteModel,
    fit: DropoutFit,
    params: GenotypeParams,
    name: Callable[[str], str],
) -> np.ndarray:
    """Call each cell's genotype and write the per-cell layers and rates; return the calls.

    A cell is ref/ref or carrier when that posterior is high enough; a carrier is het
    or alt/alt by the larger posterior (zygosity is often unclear after dropout, but
    carrier status, which prevalence needs, is not).
    """
    n = data.n
    carrier_post = final.p_carrier
    zyg = np.where(final.p_hom > carrier_post - final.p_hom, 2, 1)
    thr = params.min_genotype_posterior
    covered = n >= params.min_cell_depth
    gt = np.full(n.shape, NOT_EVALUABLE)
    gt[covered & (1 - carrier_post >= thr)] = 0
    is_carrier = covered & (carrier_post >= thr)
    gt[is_carrier] = zyg[is_carrier]
    call_p = np.maximum(1 - carrier_post, carrier_post)
    gq = np.minimum(99, np.round(-10 * np.log10(np.clip(1 - call_p, 1e-10, 1)))).astype(int)

    adata.layers[name("genotype")] = gt.astype(np.int8)
    adata.layers[name("posterior")] = carrier_post.astype(np.float32)
    adata.layers[name("gq")] = gq.astype(np.int16)
    adata.layers[name("dropout")] = rates.delta.astype(np.float32)
    adata.obs[name("dropout_rate")] = fit.dropout
    adata.obs[name("error_rate")] = data.error
    adata.obs[name("artefact_rate")] = rates.eta
    adata.obs[name("n_het_sites")] = fit.n_sites
    return gt


def _write_site_columns(
    data: _GenotypeData,
    final: SiteModel,
    gt: np.ndarray,
    pooled_vaf: np.ndarray,
    params: GenotypeParams,
    name: Callable[[str], str],
) -> None:
    """Write each site's posteriors, quality, CTC carrier fraction and cell counts to var."""
    var, alt, n, is_ctc = data.var, data.alt, data.n, data.is_ctc
    n_sites = len(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        cell_vaf = np.where(n > 0, alt / np.maximum(n, 1), 0.0)
    ctc_gt = gt[is_ctc]
    known = (
        var["known_germline"].to_numpy(bool) if "known_germline" in var else np.zeros(n_sites, bool)
    )
    p_var = final.p_somatic
    var[name("p_variant")] = p_var
    var[name("qual")] = np.minimum(999.0, -10 * np.log10(np.clip(1 - p_var, 1e-100, 1))).round(1)
    var[name("p_germline")] = final.p_germline
    var[name("p_noise")] = final.p_noise
    var[name("germline")] = (final.p_germline >= params.germline_posterior) | known
    mean, low, high = (
        carrier_fraction_posterior(final.log_ref[is_ctc], final.log_carrier[is_ctc])
        if is_ctc.any()
        else (np.zeros(n_sites),) * 3
    )
    var[name("fraction")] = mean
    var[name("fraction_low")] = low
    var[name("fraction_high")] = high
    var[name("n_cells_alt")] = (ctc_gt > 0).sum(axis=0)
    var[name("n_cells_evaluable")] = (ctc_gt >= 0).sum(axis=0)
    var[name("n_cells_alt_reads")] = (alt[is_ctc] >= 2).sum(axis=0)
    var[name("max_cell_vaf")] = cell_vaf[is_ctc].max(axis=0) if is_ctc.any() else 0.0
    var[name("pooled_vaf")] = pooled_vaf
    var[name("single_cell")] = (var[name("n_cells_alt_reads")] <= 1).to_numpy() & (
        (final.p_carrier_somatic[is_ctc] >= 0.5).sum(axis=0) <= 1
    )


def _prevalence_by_draw(adata: ad.AnnData, final: SiteModel, is_ctc: np.ndarray) -> pd.DataFrame:
    """Carrier fraction per variant and draw (posterior mean, 95 % credible interval).

    For variants with a somatic posterior of at least 0.01.
    """
    cols = ["variant", "draw", "n_ctc", "mean", "low", "high"]
    keep = np.flatnonzero(final.p_somatic >= 0.01)
    if not len(keep) or not is_ctc.any():
        return pd.DataFrame(columns=cols)
    draws = (
        adata.obs["draw"].astype(str).to_numpy()
        if "draw" in adata.obs
        else np.array(["1"] * adata.n_obs)
    )
    frames = []
    for draw in sorted(set(draws[is_ctc])):
        sel = is_ctc & (draws == draw)
        mean, low, high = carrier_fraction_posterior(
            final.log_ref[sel][:, keep], final.log_carrier[sel][:, keep]
        )
        frames.append(
            pd.DataFrame(
                {
                    "variant": adata.var_names[keep].astype(str),
                    "draw": draw,
                    "n_ctc": int(sel.sum()),
                    "mean": mean,
                    "low": low,
                    "high": high,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[cols]
