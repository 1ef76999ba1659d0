"""Whether a library is amplified, from the allele balance of its germline het sites.

Whole-genome amplification (MDA, and less so MALBAC, PTA) copies the two alleles of a
locus unequally: at germline heterozygous sites where a cell shows both alleles, its
allele fractions spread beyond binomial sampling (beta-binomial with overdispersion
``rho`` ~0.05-0.3 after MDA). A bulk library's are binomial (``rho`` ~0). A cell
declared amplified whose retained het fractions are clearly binomial is a bulk library
(e.g. a bulk germline control declared as a single cell): the allelic "dropout" one
would fit on it is another person's homozygous sites, a sample swap or mapping, not
amplification.

The test, per cell, over the germline het sites where it has ``min_depth`` reads or
more and at least ``min_allele_reads`` of each allele (the likelihood conditioned on
that, so dropout and sequencing errors at homozygous sites do not enter): the profile
log-likelihood of ``rho`` (mean 1/2) is maximised over ``rho >= 0`` and over ``rho >=
rho_floor`` (the least overdispersion taken for amplification); their difference, times
two, is the likelihood-ratio statistic of "amplified" against the best fit. Under
amplification (``rho >= rho_floor``) it exceeds the chi-square(1) quantile
``threshold`` with probability at most ``1 - p`` (10.83: p = 0.001), so a larger value
is strong evidence that the library was not amplified.

The same likelihoods give the posterior probability that the library is unamplified,
for Bayesian model averaging over the library kind (``_genotype``): each hypothesis'
marginal likelihood averages the conditioned likelihood over a log-uniform prior on
``rho`` (the grid points, ~1.19x apart): bulk over ``{0} U [1e-4, rho_floor)`` (little or
no overdispersion: PCR, capture), amplified over ``[rho_floor, 0.5]`` (MDA ~0.05-0.3,
low-bias chemistries near the floor). Their log ratio ``log_bayes`` grows with every
balanced het site, from tens of sites on, where the profile statistic needs hundreds to
reach its threshold: most of the amplified prior lies at ``rho`` an MDA cell has, which a
few dozen binomial sites already rule out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit, logsumexp

from ctcgenomics.snv._model import log_betabinom

RHO_GRID = np.concatenate([[0.0], np.geomspace(1e-4, 0.5, 49)])
"""Overdispersion values the profile likelihood is evaluated at (0: binomial; ~1.19x
apart, so the maxima are within a fraction of a log-likelihood unit; the floor is added)."""


@dataclass(frozen=True)
class LibraryTest:
    """Per-cell allele-balance test of amplification.

    Attributes
    ----------
    rho
        ``(cells,)`` maximum-likelihood overdispersion of the het fractions (NaN without
        sites).
    statistic
        ``(cells,)`` ``2 (max_rho l - max_{rho >= floor} l)``: evidence against an
        amplified library (0 when ``rho >= floor``).
    overdispersed
        ``(cells,)`` ``2 (max_rho l - l(0))``: evidence against a binomial library.
    n_sites
        ``(cells,)`` het sites used.
    log_bayes
        ``(cells,)`` log Bayes factor of an unamplified against an amplified library
        (marginal likelihoods over the log-uniform ``rho`` priors; 0 without sites).
    """

    rho: np.ndarray
    statistic: np.ndarray
    overdispersed: np.ndarray
    n_sites: np.ndarray
    log_bayes: np.ndarray

    def p_unamplified(self, prior: float | np.ndarray) -> np.ndarray:
        """``(cells,)`` posterior probability of an unamplified library.

        ``prior`` is its prior probability, a scalar or one per cell.
        """
        return expit(self.log_bayes + logit(prior))


def _truncated_loglik(
    k: np.ndarray, n: np.ndarray, use: np.ndarray, m: int, grid: np.ndarray
) -> np.ndarray:
    """``(cells, grid)``: sum over used sites of ``log BB(k; n, 1/2, rho) / P(m <= K <= n - m)``.

    At mean 1/2 the beta-binomial is symmetric, so ``P(m <= K <= n - m) = 1 - 2 P(K < m)``
    (``n >= 2m`` at used sites).
    """
    out = np.empty((k.shape[0], len(grid)))
    depths, inverse = np.unique(n[use], return_inverse=True)
    low = np.arange(m)
    for i, rho in enumerate(grid):
        ll = np.where(use, log_betabinom(k, n, 0.5, rho), 0.0)
        tail = np.exp(log_betabinom(low[None, :], depths[:, None], 0.5, rho)).sum(axis=1)
        log_norm = np.zeros(n.shape)
        log_norm[use] = np.log(np.clip(1.0 - 2.0 * tail, 1e-300, None))[inverse]
        out[:, i] = (ll - log_norm).sum(axis=1)
    return out


def library_test(
    alt: np.ndarray,
    depth: np.ndarray,
    *,
    rho_floor: float,
    min_depth: int = 10,
    min_allele_reads: int = 2,
) -> LibraryTest:
    """Test each cell's het allele fractions for amplification (module docstring).

    Parameters
    ----------
    alt, depth
        ``(cells, sites)`` alternative and total reads at germline het sites.
    rho_floor
        Least overdispersion of an amplified library.
    min_depth, min_allele_reads
        A site counts for a cell with this many reads, and this many of each allele.

    Returns
    -------
    LibraryTest
        Per-cell overdispersion, statistics and number of sites.
    """
    k = np.asarray(alt, dtype=np.int64)
    n = np.asarray(depth, dtype=np.int64)
    use = (n >= max(min_depth, 2 * min_allele_reads)) & (k >= min_allele_reads)
    use &= n - k >= min_allele_reads
    n_cells = k.shape[0]
    grid = np.unique(np.append(RHO_GRID, rho_floor))
    rho = np.full(n_cells, np.nan)
    stat = np.zeros(n_cells)
    over = np.zeros(n_cells)
    log_bayes = np.zeros(n_cells)
    seen = use.any(axis=1)
    if seen.any():
        ll = _truncated_loglik(
            np.where(use, k, 0), np.where(use, n, 2 * min_allele_reads), use,
            min_allele_reads, grid,
        )  # fmt: skip
        best = ll.max(axis=1)
        rho = np.where(seen, grid[np.argmax(ll, axis=1)], np.nan)
        stat = np.where(seen, 2.0 * (best - ll[:, grid >= rho_floor].max(axis=1)), 0.0)
        over = np.where(seen, 2.0 * (best - ll[:, 0]), 0.0)
        amp = grid >= rho_floor
        marginal = [logsumexp(ll[:, h], axis=1) - np.log(h.sum()) for h in (~amp, amp)]
        log_bayes = np.where(seen, marginal[0] - marginal[1], 0.0)
    return LibraryTest(rho, stat, over, use.sum(axis=1), log_bayes)


def pooled_p_unamplified(
    log_bayes: np.ndarray,
    prior: np.ndarray,
    pool: np.ndarray,
    *,
    weight: float = 2.0,
    n_iter: int = 200,
) -> np.ndarray:
    """Posterior of an unamplified library, the prior of pooled cells learnt from the others.

    The cells of ``pool`` (no chemistry given) are exchangeable: each is unamplified with
    one unknown probability ``pi`` of prior Beta(``weight prior``, ``weight (1 - prior)``)
    (Beta(1, 1) for ``prior`` 1/2). A pooled cell's prior is the posterior mean of ``pi``
    given the other pooled cells (leave-one-out empirical Bayes, iterated to a fixed
    point): ten amplified CTCs lower the prior of a shallow WBC whose few het sites
    cannot tell, two bulk libraries raise each other's. Other cells keep ``prior``.

    Parameters
    ----------
    log_bayes
        ``(cells,)`` log Bayes factors of unamplified against amplified
        (:class:`LibraryTest`).
    prior
        ``(cells,)`` prior probability of an unamplified library.
    pool
        ``(cells,)`` cells whose prior is learnt from each other.
    weight
        Prior weight of ``prior`` in the pooled cells' Beta prior, in cells.
    n_iter
        Most fixed-point iterations.

    Returns
    -------
    numpy.ndarray
        ``(cells,)`` posterior probabilities.
    """
    prior = np.asarray(prior, dtype=float)
    pool = np.asarray(pool, bool)
    p = expit(log_bayes + logit(prior))
    n = int(pool.sum())
    if n < 2:
        return p
    a = weight * prior[pool]
    for _ in range(n_iter):
        others = p[pool].sum() - p[pool]
        loo = (a + others) / (weight + n - 1)
        new = p.copy()
        new[pool] = expit(log_bayes[pool] + logit(loo))
        done = np.max(np.abs(new - p)) < 1e-10
        p = new
        if done:
            break
    return p
