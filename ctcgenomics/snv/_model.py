"""Genotype model across cells with allelic dropout, amplification bias and errors.

Notation (see ``docs/snv.md`` for the full derivation): cell ``c`` has ``n`` reads
with the reference or the alternative allele at a site, ``k`` of them alternative.
``eps_c`` is the cell's per-allele error rate, ``delta_c`` its allelic dropout rate,
``rho`` the overdispersion of the allele fraction of amplified heterozygous loci and
``eta`` the probability that a cell carries an amplification artefact at a candidate
site (artefact allele fraction uniform on [0, 1/2]: an amplification error copied
from one strand of one allele reaches at most half of the amplified copies).

    A  = integral_0^{1/2} 2 Bin(k; n, f) df = 2 I_{1/2}(k + 1, n - k + 1) / (n + 1)
    L0 = (1 - eta) Bin(k; n, eps) + eta A                                # ref/ref
    L1 = (1 - delta) BetaBin(k; n, 1/2, rho)
         + delta/2 Bin(k; n, eps) + delta/2 Bin(k; n, 1 - eps)          # het
    L2 = Bin(k; n, 1 - eps)                                              # alt/alt

The site model mixes cells over the unknown fraction ``pi`` of carrier cells:

    P(D | variant) = sum_j p(pi_j) prod_c [(1 - pi_j) L0_c + pi_j Lv_c],
    Lv = (1 - h) L1 + h L2,      P(D | no variant) = prod_c L0_c.

Everything is computed in log space (scipy's ``logsumexp``) so hundreds of cells
do not underflow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

log = logging.getLogger(__name__)


@dataclass
class ModelParams:
    """Priors and nuisance parameters of the genotype model.

    Parameters
    ----------
    prior_somatic
        Prior probability that a novel candidate site carries a variant in some cell.
    prior_hotspot
        Prior for known hotspot alleles (recurrent in cancer, so far more likely).
    prior_germline
        Prior that a candidate site is a germline variant, used when testing WBCs.
    artefact_rate
        ``eta``: probability that a cell carries an amplification artefact at a
        candidate site.
    hom_given_carrier
        ``h``: probability that a carrier cell is alt/alt (loss of heterozygosity
        is common in tumours, e.g. TP53 with 17p loss).
    dropout_prior_mean, dropout_prior_weight
        Beta prior on each cell's dropout rate (mean, pseudo-count), so cells with few
        germline heterozygous sites borrow strength.
    default_rho
        Overdispersion used when too few heterozygous sites are seen to fit it.
    min_error
        Floor of the per-allele error rate.
    n_grid
        Number of points of the uniform prior on the carrier-cell fraction ``pi``.
    """

    prior_somatic: float = 1e-2
    prior_hotspot: float = 0.1
    prior_germline: float = 0.1
    artefact_rate: float = 0.002
    hom_given_carrier: float = 0.2
    dropout_prior_mean: float = 0.15
    dropout_prior_weight: float = 10.0
    default_rho: float = 0.05
    min_error: float = 1e-4
    n_grid: int = 20


def _log_binom(k: np.ndarray, n: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    return stats.binom.logpmf(k, n, p)


def _log_betabinom_half(k: np.ndarray, n: np.ndarray, rho: float) -> np.ndarray:
    ab = 0.5 * (1.0 - rho) / rho
    return stats.betabinom.logpmf(k, n, ab, ab)


def genotype_log_likelihoods(
    alt: np.ndarray,
    depth: np.ndarray,
    error: np.ndarray,
    dropout: np.ndarray,
    *,
    rho: float,
    artefact_rate: float,
) -> np.ndarray:
    """Log-likelihoods of ref/ref, het and alt/alt for every cell and site.

    Parameters
    ----------
    alt, depth
        ``(cells, sites)`` counts of alternative reads and of ref + alt reads.
    error, dropout
        Per-cell error rate (per allele) and allelic dropout rate, shape ``(cells,)``.
    rho
        Overdispersion of the heterozygous allele fraction after amplification.
    artefact_rate
        ``eta`` in the module docstring.

    Returns
    -------
    numpy.ndarray
        ``(cells, sites, 3)``; zero (uninformative) where depth is zero.
    """
    k = np.asarray(alt, dtype=float)
    n = np.asarray(depth, dtype=float)
    eps = np.asarray(error, dtype=float)[:, None]
    dlt = np.asarray(dropout, dtype=float)[:, None]
    lb_err = _log_binom(k, n, eps)
    lb_alt = _log_binom(k, n, 1.0 - eps)
    with np.errstate(divide="ignore"):
        log_art = np.log(2 * special.betainc(k + 1, n - k + 1, 0.5)) - np.log(n + 1)
    l0 = np.logaddexp(np.log1p(-artefact_rate) + lb_err, np.log(artefact_rate) + log_art)
    l1 = special.logsumexp(
        np.stack(
            [
                np.log1p(-dlt) + _log_betabinom_half(k, n, rho),
                np.log(dlt / 2) + lb_err,
                np.log(dlt / 2) + lb_alt,
            ]
        ),
        axis=0,
    )
    out = np.stack([l0, l1, lb_alt], axis=-1)
    out[n == 0] = 0.0
    return out


@dataclass
class SitePosteriors:
    """Result of :func:`site_posteriors`.

    Attributes
    ----------
    p_variant
        ``(sites,)`` posterior that the variant is present in at least one cell.
    p_genotype
        ``(cells, sites, 3)`` posterior of ref/ref, het, alt/alt per cell (already
        multiplied by ``p_variant``; ref/ref absorbs the no-variant case).
    fraction
        ``(sites,)`` posterior mean fraction of carrier cells given a variant.
    """

    p_variant: np.ndarray
    p_genotype: np.ndarray
    fraction: np.ndarray


def site_posteriors(
    loglik: np.ndarray, prior: np.ndarray | float, *, hom_given_carrier: float, n_grid: int = 20
) -> SitePosteriors:
    """Site-level and per-cell posteriors from per-cell genotype log-likelihoods.

    Parameters
    ----------
    loglik
        ``(cells, sites, 3)`` from :func:`genotype_log_likelihoods`.
    prior
        Prior probability of a variant per site (scalar or ``(sites,)``).
    hom_given_carrier
        Probability a carrier cell is alt/alt.
    n_grid
        Points of the uniform prior on the carrier fraction.
    """
    n_cells, n_sites, _ = loglik.shape
    prior = np.broadcast_to(np.asarray(prior, dtype=float), (n_sites,))
    grid = (np.arange(n_grid) + 0.5) / n_grid
    log_pg = -np.log(n_grid)
    l0 = loglik[..., 0]
    lv = np.logaddexp(
        np.log1p(-hom_given_carrier) + loglik[..., 1], np.log(hom_given_carrier) + loglik[..., 2]
    )
    # mix[j, c, s] = log((1 - pi_j) L0 + pi_j Lv)
    mix = np.logaddexp(
        np.log1p(-grid)[:, None, None] + l0[None], np.log(grid)[:, None, None] + lv[None]
    )
    per_grid = log_pg + mix.sum(axis=1)  # (grid, sites)
    log_var = special.logsumexp(per_grid, axis=0)
    log_ref = l0.sum(axis=0)
    log_odds = np.log(prior) - np.log1p(-prior) + log_var - log_ref
    p_variant = special.expit(log_odds)
    w = np.exp(per_grid - log_var[None])  # posterior over pi given variant
    carrier_given_pi = np.exp(np.log(grid)[:, None, None] + lv[None] - mix)
    p_carrier = np.einsum("js,jcs->cs", w, carrier_given_pi) * p_variant[None]
    split_het = np.exp(np.log1p(-hom_given_carrier) + loglik[..., 1] - lv)
    p_gt = np.stack([1.0 - p_carrier, p_carrier * split_het, p_carrier * (1.0 - split_het)], -1)
    fraction = (w * grid[:, None]).sum(axis=0)
    if n_cells == 0:
        p_variant = np.zeros(n_sites)
    return SitePosteriors(p_variant, p_gt, fraction)


@dataclass
class DropoutFit:
    """Per-cell allelic dropout rates and the shared overdispersion.

    Attributes
    ----------
    dropout
        ``(cells,)`` posterior mean dropout rate per cell.
    rho
        Overdispersion of heterozygous allele fractions.
    n_sites
        ``(cells,)`` heterozygous sites with coverage used per cell.
    """

    dropout: np.ndarray
    rho: float
    n_sites: np.ndarray


def estimate_dropout(
    alt: np.ndarray,
    depth: np.ndarray,
    error: np.ndarray,
    params: ModelParams,
    *,
    min_depth: int = 8,
    n_iter: int = 30,
    rho_cells: np.ndarray | None = None,
) -> DropoutFit:
    """Estimate each cell's allelic dropout rate from germline heterozygous sites.

    At a germline het site a cell shows both alleles (allele fraction spread around
    1/2 by amplification bias, beta-binomial with overdispersion ``rho``), or only one
    allele (dropout of the other, probability ``delta_c/2`` each). An EM over sites
    gives each cell's ``delta_c`` (with a Beta prior) and a shared ``rho``
    (maximum likelihood with :func:`scipy.optimize.minimize_scalar`).

    Parameters
    ----------
    alt, depth
        ``(cells, het_sites)`` counts at germline heterozygous sites.
    error
        ``(cells,)`` per-allele error rates.
    params
        Model parameters (prior of the dropout rate, default ``rho``).
    min_depth
        Cell-site pairs with fewer reads are not used.
    n_iter
        EM iterations.
    rho_cells
        Boolean mask of the cells used to fit ``rho`` (default all). Pass the WBCs when
        there are enough: in tumour cells, loss of heterozygosity makes germline het sites
        look monoallelic, which would inflate ``rho``.
    """
    k = np.asarray(alt, dtype=float)
    n = np.asarray(depth, dtype=float)
    use = n >= min_depth
    n_cells = k.shape[0]
    a = params.dropout_prior_mean * params.dropout_prior_weight
    b = (1 - params.dropout_prior_mean) * params.dropout_prior_weight
    n_sites = use.sum(axis=1)
    if use.sum() == 0:
        return DropoutFit(np.full(n_cells, params.dropout_prior_mean), params.default_rho, n_sites)
    eps = np.asarray(error, dtype=float)[:, None]
    mono = np.logaddexp(_log_binom(k, n, eps), _log_binom(k, n, 1 - eps)) - np.log(2)
    delta = np.full(n_cells, params.dropout_prior_mean)
    rho = params.default_rho
    rho_use = use if rho_cells is None else use & np.asarray(rho_cells, bool)[:, None]
    fit_rho = rho_use.sum() >= 20
    for _ in range(n_iter):
        bi = _log_betabinom_half(k, n, rho)
        lm = np.log(delta)[:, None] + mono
        lb = np.log1p(-delta)[:, None] + bi
        resp_mono = np.where(use, np.exp(lm - np.logaddexp(lm, lb)), 0.0)
        new_delta = (resp_mono.sum(axis=1) + a) / (n_sites + a + b)
        if fit_rho:
            wts = np.where(rho_use, 1.0 - resp_mono, 0.0)

            def nll(r: float, wts=wts) -> float:
                return -float((wts * np.where(rho_use, _log_betabinom_half(k, n, r), 0.0)).sum())

            # Bounded: beyond 0.3 a "heterozygous" allele fraction is nearly uniform, which
            # only happens when monoallelic sites are mistaken for biallelic ones.
            rho = float(optimize.minimize_scalar(nll, bounds=(1e-3, 0.3), method="bounded").x)
        if np.max(np.abs(new_delta - delta)) < 1e-5:
            delta = new_delta
            break
        delta = new_delta
    return DropoutFit(delta, rho, n_sites)
