"""Genotype model across cells: dropout, amplification bias and errors, copy number.

Notation (the full derivation is in ``docs/snv.md``). Cell ``c`` has ``n`` reads with the
reference or the alternative allele at a site, ``k`` of them alternative; ``eps_c`` is its
per-allele error rate, ``delta_cs`` its allelic dropout rate at the site (local, from
nearby germline heterozygous sites), ``rho`` the overdispersion of the allele fraction of
amplified heterozygous loci, ``eta_c`` the probability per base that the cell carries an
amplification artefact, whose allele fraction ``f`` follows ``g`` (a Beta density on
[0, 1/2]: an error copied from one strand of one allele reaches at most half the copies).

Per cell and allele fraction ``f`` (``f = m / C``: ``m`` of the cell's ``C`` copies carry
the allele)::

    L(f)  = Bin(k; n, eps)                          f = 0
          = Bin(k; n, 1 - eps)                      f = 1
          = (1 - delta) BetaBin(k; n, f, rho)
            + delta/2 Bin(k; n, eps) + delta/2 Bin(k; n, 1 - eps)   otherwise
    A     = int g(f) Bin(k; n, f) df                (artefact)
    R     = (1 - eta) Bin(k; n, eps) + eta A        (no variant in the cell)
    V     = sum_f w_s(f | C, z) L(f)                (somatic carrier)
    G     = sum_f w_g(f | C, z) L(f)                (germline heterozygous)

with the copy number ``C`` of the cell at the site either known from the CNV step
(mixed with a diploid fallback) or 2, and ``z`` the allelic state of the tumour clone at
the site, drawn once for the clone (each CTC takes it or, with probability
``loh_cell_independence``, draws its own): somatic allele on some copies or on all
(LOH, ``h``); germline alleles both kept, or one lost (``loh_given_germline``). A site
is explained by one of three hypotheses:

    P(D | none)     = prod_c R_c
    P(D | somatic)  = prod_WBC R_c  sum_z p(z) sum_j p(pi_j) prod_CTC [(1 - pi_j) R_c + pi_j V_c]
    P(D | germline) = (1 - w_hom) sum_z p(z) prod_c G_c + w_hom prod_c Bin(k_c; n_c, 1 - eps_c)
    P(D | noise)    = mean_f prod_c Bin(k_c; n_c, f + eps_c)   (f log-uniform, 0.3-25 %)

the last for sites where every cell shows the allele at one low fraction (mapping or
sequence-context errors), which would otherwise pass as a weak somatic variant.

Everything is in log space (``scipy.special.logsumexp``), vectorised over cells, sites
and the grid of ``pi``. Only :mod:`scipy.special` is imported (not :mod:`scipy.stats`,
whose import alone costs about a second of every ``ctcg snv`` run).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ctcgenomics._lazy import lazy_module

# Loaded on first use: with --threads, `ctcg snv` loads it while its workers count.
special = lazy_module("scipy.special")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelParams:
    """Priors and nuisance parameters of the genotype model.

    Rates are per base (per cell for artefacts). Where ``estimate_priors`` is set, the
    somatic rate and each cell's artefact rate are re-estimated from the data by EM
    (empirical Bayes), with these values as the means of Beta priors of the given weight
    (in pseudo-bases), so a panel of a few kb keeps close to the prior and an exome or a
    genome speaks for itself.

    Parameters
    ----------
    prior_somatic
        Prior probability per base of a somatic SNV/indel present in the patient's CTCs
        (1e-5 = 10 per Mb, a high tumour mutation burden; panels enrich for mutated genes).
    prior_somatic_weight
        Weight of that prior in pseudo-bases.
    prior_hotspot
        Prior of a somatic variant at a known hotspot allele (recurrent in cancer).
    prior_germline
        Prior probability per base of a germline heterozygous SNV (human heterozygosity
        is about 1e-3 per base).
    prior_germline_indel
        Same for germline indels. Both are re-estimated by EM when there are WBCs.
    prior_germline_weight
        Weight of the germline prior in pseudo-bases.
    prior_noise
        Prior probability per base of a systematic-noise site (EM like the somatic rate).
    germline_hom_fraction
        Fraction of germline variant sites where the patient is homozygous.
    germline_novel_fraction
        With a population-frequency VCF: fraction of a person's germline variants absent
        from it (the germline prior of such sites is scaled by this).
    artefact_rate
        ``eta``: prior mean probability per base that a cell carries an amplification
        artefact (MDA: about 1e-5 per base above detectable allele fractions).
    artefact_rate_weight
        Weight of that prior in pseudo-bases.
    artefact_vaf_shape
        ``(a, b)`` of the Beta prior density of an artefact's allele fraction on
        [0, 1/2]; ``(1, 3)`` puts most artefacts below 0.15 and 1 in 125 above 0.4. With
        ``estimate_priors`` the density is re-estimated as a 20-bin histogram (EM, this
        prior weighing ``artefact_vaf_weight`` pseudo-artefacts).
    artefact_vaf_weight
        Pseudo-artefacts of that prior.
    hom_given_carrier
        ``h``: probability that all of a carrier cell's copies carry the somatic allele
        (loss of heterozygosity is common in tumours, e.g. TP53 with 17p loss; per clone
        or per cell, see ``loh_cell_independence``).
    loh_given_germline
        Probability that a CTC lost one allele of a germline heterozygous site (LOH;
        per clone or per cell, see ``loh_cell_independence``).
    loh_cell_independence
        ``e``: probability that one CTC's allelic state at the site (somatic allele on
        all copies or not; germline allele lost, kept alone or both kept) is drawn on its
        own from those priors rather than taken from the clone's state, which is drawn
        once per site. 1 (default) draws it per cell; lower values treat LOH as the clonal
        copy-number event it mostly is. With 1, each CTC at heterozygous allele fraction
        multiplies the germline odds by ``(1 - loh_given_germline) / (1 -
        hom_given_carrier)`` (9/8), so clonal variants look more germline the more CTCs
        are called; with 0 it weighs neither way (docs/snv.md, "Accuracy").
    dropout_prior_mean, dropout_prior_weight
        Beta prior on each cell's dropout rate (mean, pseudo-count).
    dropout_prior_unamplified, artefact_rate_unamplified
        The same priors for libraries without whole-genome amplification (``wga`` =
        ``none``, e.g. bulk germline DNA used as the normal control): no allelic dropout
        and no amplification errors beyond sequencing noise.
    min_ctcs_for_artefact_fit
        A CTC's artefact rate is fitted from its own data only when at least this many
        CTCs are called together (then true variants are shared across cells and
        artefacts are not); otherwise CTCs take the rate fitted on the WBCs of the same
        chemistry (WBCs carry no somatic variant), or the prior. With one CTC the data
        cannot tell its artefacts from its somatic variants.
    local_dropout_bandwidth
        Scale (bp) of the exponential kernel weighting nearby germline heterozygous sites
        in the local dropout estimate.
    local_dropout_weight
        Pseudo-sites of the cell's genome-wide rate in the local estimate: with fewer
        nearby sites the local rate falls back to the cell's rate.
    dropout_correlation_length
        Distance (bp) over which a cell's dropout at nearby het sites is shared, used
        when too few pairs of nearby het sites are seen to estimate it from the data.
    default_rho
        Overdispersion used when too few heterozygous sites are seen to fit it.
    min_error
        Floor of the per-allele error rate.
    n_grid
        Points of the uniform part of the prior on the carrier-cell fraction ``pi``.
    clonal_prior
        Prior probability that a somatic variant is carried by every CTC (``pi = 1``:
        truncal variants are common); the rest is uniform. Without it a variant in all
        CTCs would pay an Occam factor of ``1 / (n + 1)`` against the germline hypothesis.
    cn_error
        Probability that a linked copy-number call is wrong at a site (the diploid state
        takes that weight).
    max_copy_number
        Copy numbers above this are treated as this (allele-fraction resolution 1/C).
    estimate_priors
        Re-estimate the somatic rate and the artefact rates from the data (EM).
    em_iterations
        Iterations of that EM.
    """

    prior_somatic: float = 1e-5
    prior_somatic_weight: float = 1e4
    prior_hotspot: float = 1e-2
    prior_germline: float = 1e-3
    prior_germline_indel: float = 1e-4
    prior_germline_weight: float = 1e4
    prior_noise: float = 1e-4
    germline_hom_fraction: float = 1 / 3
    germline_novel_fraction: float = 0.02
    artefact_rate: float = 1e-5
    artefact_rate_weight: float = 1e4
    artefact_vaf_shape: tuple[float, float] = (1.0, 3.0)
    artefact_vaf_weight: float = 20.0
    hom_given_carrier: float = 0.2
    loh_given_germline: float = 0.1
    loh_cell_independence: float = 1.0
    dropout_prior_mean: float = 0.15
    dropout_prior_weight: float = 10.0
    dropout_prior_unamplified: float = 1e-3
    artefact_rate_unamplified: float = 1e-7
    min_ctcs_for_artefact_fit: int = 3
    local_dropout_bandwidth: float = 200_000.0
    local_dropout_weight: float = 4.0
    dropout_correlation_length: float = 2_000.0
    default_rho: float = 0.05
    min_error: float = 1e-4
    n_grid: int = 20
    clonal_prior: float = 0.5
    cn_error: float = 0.05
    max_copy_number: int = 10
    estimate_priors: bool = True
    em_iterations: int = 20


# --- elementary log-likelihoods (scipy.special only) -------------------------------------


def _log_choose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def log_binom(k: np.ndarray, n: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """Binomial log-pmf (``scipy.stats.binom.logpmf`` without importing scipy.stats)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    return _log_choose(n, k) + special.xlogy(k, p) + special.xlog1py(n - k, -np.asarray(p))


def log_betabinom(k: np.ndarray, n: np.ndarray, f: float, rho: float | np.ndarray) -> np.ndarray:
    """Beta-binomial log-pmf with mean ``f`` and overdispersion ``rho`` (ICC).

    ``rho`` may be an array broadcasting against ``k``; where it is 0 (or below 1e-8) the
    binomial.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    rho = np.asarray(rho, dtype=float)
    # Below 1e-8 the difference of two beta functions of arguments ~1/rho loses all its
    # digits (a cell averaged over library kinds with P(amplified) ~1e-15 gets such a
    # rho), while the beta-binomial differs from the binomial by ~n^2 rho: negligible.
    binomial = rho < 1e-8
    s = (1.0 - rho) / np.where(binomial, 1.0, rho)
    a, b = f * s, (1.0 - f) * s
    out = _log_choose(n, k) + special.betaln(k + a, n - k + b) - special.betaln(a, b)
    if binomial.any():
        out = np.where(binomial, log_binom(k, n, f), out)
    return out


ARTEFACT_BINS = 20
"""Bins of the artefact allele-fraction histogram on [0, 1/2]."""


def artefact_prior_mass(shape: tuple[float, float], n_bins: int = ARTEFACT_BINS) -> np.ndarray:
    """Masses of a Beta ``shape`` density on [0, 1/2] in ``n_bins`` equal bins."""
    a, b = shape
    edges = np.linspace(0.0, 0.5, n_bins + 1)
    mass = np.diff(special.betainc(a, b, 2 * edges))
    return mass / mass.sum()


def _distinct_pairs(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(np.stack([k, n]), axis=1, return_inverse=True)`` for 1-d float arrays.

    Read counts are small non-negative integers: each pair is then one integer key
    ``k * (max n + 1) + n`` in the same (lexicographic) order, and a 1-d unique of the
    keys is ~10x faster than the unique of columns (4 vs 56 ms on 38k pairs). Anything
    else takes the general path.
    """
    if k.size and k.min() >= 0 and n.min() >= 0:
        k_max, n_max = float(k.max()), float(n.max())
        if (
            (k_max + 1) * (n_max + 1) < 2**52
            and (k == np.floor(k)).all()
            and (n == np.floor(n)).all()
        ):
            width = np.int64(n_max) + 1
            keys, inverse = np.unique(
                k.astype(np.int64) * width + n.astype(np.int64), return_inverse=True
            )
            pairs = np.stack([keys // width, keys % width]).astype(float)
            return pairs, inverse.ravel()
    pairs, inverse = np.unique(np.stack([k, n]), axis=1, return_inverse=True)
    return pairs, inverse.ravel()


def _artefact_bin_integrals(k: np.ndarray, n: np.ndarray, n_bins: int):
    """Per distinct ``(k, n)``: ``int_bin Bin(k; n, f) df / width`` for every bin."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    pairs, inverse = _distinct_pairs(k.ravel(), n.ravel())
    kk, nn = pairs[0][:, None], pairs[1][:, None]
    edges = np.linspace(0.0, 0.5, n_bins + 1)
    cdf = special.betainc(kk + 1, nn - kk + 1, edges[None, :])
    per_bin = np.clip(np.diff(cdf, axis=1), 0.0, None) / np.diff(edges)[None, :]
    return per_bin / (pairs[1][:, None] + 1), inverse.ravel()


def log_artefact(k: np.ndarray, n: np.ndarray, mass: np.ndarray) -> np.ndarray:
    """``log A(k; n)``: reads of an artefact whose allele fraction follows ``g``.

    ``g`` is a histogram on [0, 1/2] (``mass`` per equal bin; e.g. from
    :func:`artefact_prior_mass`, or as re-estimated from the data), or one histogram per
    site (``mass`` of shape ``(sites, bins)`` for ``k`` of shape ``(cells, sites)``).
    Over each bin the integral of the binomial is exact (``int_u^v Bin(k; n, f) df =
    (I_v - I_u)(k + 1, n - k + 1) / (n + 1)`` with the regularised incomplete beta
    ``I``), so any depth is accurate without quadrature nodes. The integrals are
    computed once per distinct ``(k, n)``.
    """
    k = np.asarray(k, dtype=float)
    mass = np.asarray(mass, dtype=float)
    integrals, inverse = _artefact_bin_integrals(k, n, mass.shape[-1])
    if mass.ndim == 1:
        value = (integrals @ mass)[inverse].reshape(k.shape)
    else:
        # one histogram per site (column of k): chunks of sites bound the memory
        inverse = inverse.reshape(k.shape)
        value = np.empty(k.shape)
        step = max(1, 2**22 // max(1, k.shape[0] * mass.shape[1]))
        for s0 in range(0, k.shape[1], step):
            cols = slice(s0, s0 + step)
            value[:, cols] = np.einsum("csb,sb->cs", integrals[inverse[:, cols]], mass[cols])
    with np.errstate(divide="ignore"):
        return np.log(np.maximum(value, 1e-300))


def artefact_bin_counts(
    k: np.ndarray, n: np.ndarray, weight: np.ndarray, mass: np.ndarray
) -> np.ndarray:
    """Spread the artefact responsibilities over allele-fraction bins (histogram E-step).

    Each cell-site's artefact responsibility ``weight`` is spread over the bins in
    proportion to ``mass_b * int_bin Bin(k; n, f) df``.
    """
    return artefact_bin_counts_by_site(k, n, weight, mass).sum(axis=0)


def artefact_bin_counts_by_site(
    k: np.ndarray, n: np.ndarray, weight: np.ndarray, mass: np.ndarray
) -> np.ndarray:
    """:func:`artefact_bin_counts` of each site (column of ``(cells, sites)`` ``k``).

    Returns ``(sites, bins)``; the rows sum to the histogram E-step.
    """
    weight = np.asarray(weight, dtype=float)
    out = np.zeros((weight.shape[1], len(mass)))
    sel = weight > 1e-6
    if not sel.any():
        return out
    integrals, inverse = _artefact_bin_integrals(np.asarray(k)[sel], np.asarray(n)[sel], len(mass))
    post = integrals * mass[None, :]
    post /= np.maximum(post.sum(axis=1, keepdims=True), 1e-300)
    np.add.at(out, np.nonzero(sel)[1], post[inverse] * weight[sel][:, None])
    return out


def detect_probability(n: np.ndarray, mass: np.ndarray, min_alt: int) -> np.ndarray:
    """Probability that an artefact in a cell with ``n`` reads shows ``>= min_alt`` of them."""
    n = np.asarray(n, dtype=float)
    mass = np.asarray(mass, dtype=float)
    edges = np.linspace(0.0, 0.5, len(mass) + 1)
    mids = (edges[:-1] + edges[1:]) / 2
    # P(k >= m | n, f) = I_f(m, n - m + 1); averaged over the histogram (bin midpoints).
    m = float(min_alt)
    p = np.where(
        n[:, None] >= m,
        special.betainc(m, np.maximum(n[:, None] - m + 1, 1e-9), mids[None, :]),
        0.0,
    )
    return p @ mass


# --- allele fractions and copy number ----------------------------------------------------


def fraction_grid(max_copy_number: int) -> np.ndarray:
    """All allele fractions ``m / C`` (``0 <= m <= C``, ``1 <= C <= max_copy_number``)."""
    vals = {round(m / c, 10) for c in range(1, max_copy_number + 1) for m in range(c + 1)}
    return np.array(sorted(vals))


def fraction_components(max_copy_number: int, *, somatic: bool) -> dict[str, np.ndarray]:
    """``(C, F)`` weights of each allele fraction given copy number, per allelic state.

    ``C = 0..max``; one array per allelic state of the clone at the site.
    Somatic carrier: ``"het"``, the allele on ``m = 1..C - 1`` copies (uniformly; ``C =
    1`` means every copy), or ``"hom"``, on all ``C`` copies (LOH). Germline
    heterozygous in a tumour cell: ``"het"``, ``m = 1..C - 1`` uniformly (``C = 1``:
    either allele kept, 1/2 each), ``"lost"`` (``m = 0``) or ``"kept"`` (``m = C``) after
    LOH. ``C = 0`` (no copy) is treated as diploid. The state is a property of the clone
    (LOH is a copy-number event shared by the cells descending from it), so
    :func:`site_model` draws it once per site, not once per cell.
    """
    grid = fraction_grid(max_copy_number)
    index = {round(v, 10): i for i, v in enumerate(grid)}
    names = ("het", "hom") if somatic else ("het", "lost", "kept")
    out = {name: np.zeros((max_copy_number + 1, len(grid))) for name in names}
    for c in range(max_copy_number + 1):
        cc = c if c > 0 else 2
        inner = [m / cc for m in range(1, cc)]
        for f in inner:
            out["het"][c, index[round(f, 10)]] += 1 / len(inner)
        if not inner:  # one copy
            if somatic:
                out["het"][c, index[1.0]] = 1.0
            else:
                out["het"][c, index[0.0]] = out["het"][c, index[1.0]] = 0.5
        if somatic:
            out["hom"][c, index[1.0]] = 1.0
        else:
            out["lost"][c, index[0.0]] = 1.0
            out["kept"][c, index[1.0]] = 1.0
    return out


def fraction_weights(max_copy_number: int, *, somatic: bool, loh: float) -> np.ndarray:
    """``(C, F)`` weight of each allele fraction given copy number ``C = 0..max``.

    The allelic state drawn independently per cell (the mixture of
    :func:`fraction_components`).
    Somatic carrier: the allele on ``m = 1..C - 1`` copies (uniformly), or on all ``C``
    copies with probability ``loh`` (``hom_given_carrier``); ``C = 1`` means every copy.
    Germline heterozygous in a tumour cell: ``m = 1..C - 1`` uniformly, or ``m = 0`` or
    ``C`` with probability ``loh / 2`` each (``loh_given_germline``); ``C = 1``: either
    allele kept (1/2 each). ``C = 0`` (no copy) is treated as diploid.
    """
    comp = fraction_components(max_copy_number, somatic=somatic)
    if somatic:
        return (1 - loh) * comp["het"] + loh * comp["hom"]
    return (1 - loh) * comp["het"] + loh / 2 * (comp["lost"] + comp["kept"])


def diploid_copy_number(n_cells: int, n_sites: int, max_copy_number: int) -> np.ndarray:
    """``(cells, sites, C)`` probabilities with all mass on copy number 2."""
    p = np.zeros((n_cells, n_sites, max_copy_number + 1))
    p[..., 2] = 1.0
    return p


def fraction_logliks(
    k: np.ndarray,
    n: np.ndarray,
    fractions: np.ndarray,
    error: np.ndarray,
    dropout: np.ndarray,
    rho: float | np.ndarray,
) -> np.ndarray:
    """``(cells, sites, F)`` log-likelihood of the reads for each allele fraction ``f``.

    ``rho`` is one overdispersion for all cells or one per cell (0: binomial).
    """
    eps = np.asarray(error, dtype=float)[:, None]
    rho = np.asarray(rho, dtype=float)
    rho = rho[:, None] if rho.ndim == 1 else rho
    dlt = np.broadcast_to(np.asarray(dropout, dtype=float).reshape(len(eps), -1), k.shape)
    lb_err = log_binom(k, n, eps)
    lb_alt = log_binom(k, n, 1.0 - eps)
    mono = np.logaddexp(lb_err, lb_alt) + np.log(np.clip(dlt, 1e-12, 1) / 2)
    keep = np.log1p(-np.clip(dlt, 0, 1 - 1e-12))
    out = np.empty((*k.shape, len(fractions)))
    for i, f in enumerate(fractions):
        if f <= 0:
            out[..., i] = lb_err
        elif f >= 1:
            out[..., i] = lb_alt
        else:
            out[..., i] = np.logaddexp(keep + log_betabinom(k, n, f, rho), mono)
    return out


def mixture_loglik(frac_ll: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``log sum_f w_f L(f)`` over the last axis (weights may be zero)."""
    with np.errstate(divide="ignore"):
        return special.logsumexp(frac_ll + np.log(weights), axis=-1)


# --- the diploid three-genotype view (kept as a public helper) --------------------------


def genotype_log_likelihoods(
    alt: np.ndarray,
    depth: np.ndarray,
    error: np.ndarray,
    dropout: np.ndarray,
    *,
    rho: float,
    artefact_rate: float | np.ndarray,
    artefact_vaf_shape: tuple[float, float] = (1.0, 3.0),
) -> np.ndarray:
    """Log-likelihoods of ref/ref, het and alt/alt for every cell and site (diploid).

    Parameters
    ----------
    alt, depth
        ``(cells, sites)`` counts of alternative reads and of ref + alt reads.
    error
        ``(cells,)`` per-allele error rates.
    dropout
        ``(cells,)`` or ``(cells, sites)`` allelic dropout rates.
    rho
        Overdispersion of the heterozygous allele fraction after amplification.
    artefact_rate
        ``eta`` (scalar or per cell): probability of an amplification artefact.
    artefact_vaf_shape
        Beta shape of the artefact allele fraction on [0, 1/2].

    Returns
    -------
    numpy.ndarray
        ``(cells, sites, 3)``; ref/ref includes the artefact term. Zero (uninformative)
        where depth is zero.
    """
    k = np.asarray(alt, dtype=float)
    n = np.asarray(depth, dtype=float)
    _check_counts(k, n)
    eta = np.broadcast_to(np.asarray(artefact_rate, dtype=float), (k.shape[0],))[:, None]
    ll = fraction_logliks(k, n, np.array([0.0, 0.5, 1.0]), error, dropout, rho)
    l0 = np.logaddexp(
        np.log1p(-eta) + ll[..., 0],
        np.log(eta) + log_artefact(k, n, artefact_prior_mass(artefact_vaf_shape)),
    )
    out = np.stack([l0, ll[..., 1], ll[..., 2]], axis=-1)
    out[n == 0] = 0.0
    return out


def _check_counts(k: np.ndarray, n: np.ndarray) -> None:
    if k.shape != n.shape or k.ndim != 2:
        raise ValueError(
            f"alt and depth must be (cells, sites) arrays of one shape, got {k.shape} and {n.shape}"
        )
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("need 0 <= alt <= depth for every cell and site")


@dataclass
class SitePosteriors:
    """Result of :func:`site_posteriors` (somatic vs no variant, CTCs only).

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
    loglik: np.ndarray,
    prior: np.ndarray | float,
    *,
    hom_given_carrier: float,
    n_grid: int = ModelParams.n_grid,
) -> SitePosteriors:
    """Site-level and per-cell posteriors from diploid genotype log-likelihoods.

    The two-hypothesis (variant in some cells / none) special case of :func:`site_model`,
    for cells of one kind.

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
    l0 = loglik[..., 0]
    lv = np.logaddexp(
        np.log1p(-hom_given_carrier) + loglik[..., 1], np.log(hom_given_carrier) + loglik[..., 2]
    )
    log_var, w, carrier, grid = _mix_over_fraction(l0, lv, n_grid)
    log_odds = np.log(prior) - np.log1p(-prior) + log_var - l0.sum(axis=0)
    p_variant = special.expit(log_odds) if n_cells else np.zeros(n_sites)
    p_carrier = carrier * p_variant[None]
    split_het = np.exp(np.log1p(-hom_given_carrier) + loglik[..., 1] - lv)
    p_gt = np.stack([1.0 - p_carrier, p_carrier * split_het, p_carrier * (1.0 - split_het)], -1)
    return SitePosteriors(p_variant, p_gt, (w * grid[:, None]).sum(axis=0))


def carrier_fraction_prior(n_grid: int, clonal: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Grid of carrier fractions ``pi`` and their prior probabilities.

    Uniform on ``n_grid`` midpoints, plus a point mass ``clonal`` at ``pi = 1`` (a
    truncal variant carried by every tumour cell) when ``clonal > 0``.
    """
    grid = (np.arange(n_grid) + 0.5) / n_grid
    prior = np.full(n_grid, 1.0 / n_grid)
    if clonal > 0:
        grid = np.append(grid, 1.0)
        prior = np.append(prior * (1 - clonal), clonal)
    return grid, prior


def _mix_over_fraction(
    lr: np.ndarray, lv: np.ndarray, n_grid: int, clonal: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Marginalise a carrier fraction ``pi`` over cells.

    Returns ``log P(D | variant)`` per site, the posterior weights of the grid points
    ``(grid, sites)``, each cell's posterior of carrying ``(cells, sites)`` and the grid.
    """
    grid, prior = carrier_fraction_prior(n_grid, clonal)
    with np.errstate(divide="ignore"):
        l0, l1 = np.log1p(-grid), np.log(grid)
    mix = np.logaddexp(l0[:, None, None] + lr[None], l1[:, None, None] + lv[None])
    per_grid = mix.sum(axis=1) + np.log(prior)[:, None]
    log_var = special.logsumexp(per_grid, axis=0)
    w = np.exp(per_grid - log_var[None])
    carrier_given_pi = np.exp(l1[:, None, None] + lv[None] - mix)
    carrier = np.einsum("js,jcs->cs", w, carrier_given_pi)
    return log_var, w, carrier, grid


# --- the three-hypothesis site model -------------------------------------------------------


@dataclass
class SiteModel:
    """Result of :func:`site_model`.

    Attributes
    ----------
    p_somatic, p_germline
        ``(sites,)`` posteriors of a somatic variant in the CTCs and of a germline
        variant (the rest is "no variant").
    p_carrier
        ``(cells, sites)`` posterior that the cell carries the allele (somatic carrier or
        germline, whichever holds).
    p_hom
        ``(cells, sites)`` posterior that all the cell's copies carry it.
    p_carrier_somatic
        ``(cells, sites)`` posterior that a CTC carries it given a somatic variant.
    fraction
        ``(sites,)`` posterior mean fraction of carrier CTCs given a somatic variant.
    log_ref, log_carrier
        ``(cells, sites)`` ``log R`` and ``log V`` (for prevalence per draw).
    artefact
        ``(cells, sites)`` posterior that the cell's alternative reads are an artefact.
    p_noise
        ``(sites,)`` posterior of systematic noise (all cells at one low allele fraction).
    """

    p_somatic: np.ndarray
    p_germline: np.ndarray
    p_carrier: np.ndarray
    p_hom: np.ndarray
    p_carrier_somatic: np.ndarray
    fraction: np.ndarray
    log_ref: np.ndarray
    log_carrier: np.ndarray
    artefact: np.ndarray
    p_noise: np.ndarray | None = None


@dataclass
class SiteInputs:
    """Per-cell and per-site inputs of :func:`site_model`.

    Attributes
    ----------
    alt, depth
        ``(cells, sites)`` alternative and ref + alt read counts.
    is_ctc, is_wbc
        ``(cells,)`` roles (other cells take no part).
    error
        ``(cells,)`` per-allele error rates.
    dropout
        ``(cells, sites)`` local allelic dropout rates.
    artefact_rate
        ``(cells,)`` ``eta`` per cell, or ``(cells, sites)``.
    copy_number
        ``(cells, sites, C)`` probability of each copy number (``None``: diploid).
    prior_somatic, prior_germline
        ``(sites,)`` priors.
    rho
        Overdispersion of heterozygous allele fractions, or ``(cells,)`` (0 for a
        library without amplification, whose het fractions are binomial).
    hom_fraction
        ``(sites,)`` fraction of germline variants that are homozygous (default
        ``germline_hom_fraction``).
    artefact_mass
        Histogram of the artefact allele fraction on [0, 1/2], or ``(sites, bins)``
        one per site (default: the prior ``artefact_vaf_shape``).
    prior_noise
        Prior (scalar or ``(sites,)``) of a systematic-noise site (every cell shows the
        allele at one low fraction: mapping or sequence-context errors).
    """

    alt: np.ndarray
    depth: np.ndarray
    is_ctc: np.ndarray
    is_wbc: np.ndarray
    error: np.ndarray
    dropout: np.ndarray
    artefact_rate: np.ndarray
    prior_somatic: np.ndarray
    prior_germline: np.ndarray
    rho: float | np.ndarray
    copy_number: np.ndarray | None = None
    hom_fraction: np.ndarray | float | None = None
    artefact_mass: np.ndarray | None = None
    prior_noise: np.ndarray | float = 1e-4


def _state_weights(
    p_cn: np.ndarray, params: ModelParams, is_wbc: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Per-cell allele-fraction weights under each allelic state of the clone.

    Somatic states: allele on some copies, on all copies (LOH). Germline heterozygous
    states: both alleles kept, the allele lost, the allele kept alone. A CTC takes the
    clone's state, or with probability ``loh_cell_independence`` draws its own from the
    prior (1: the per-cell mixture of :func:`fraction_weights` in every state); WBCs are
    diploid controls, heterozygous at a germline site. Returns the ``(cells, sites,
    F')`` weights per state on the used allele fractions, and those fractions' column
    indices in :func:`fraction_grid` (``f = 0`` first, ``f = 1`` last).
    """
    e = params.loh_cell_independence
    cmax = params.max_copy_number
    s = fraction_components(cmax, somatic=True)
    g = fraction_components(cmax, somatic=False)
    own_s = fraction_weights(cmax, somatic=True, loh=params.hom_given_carrier)
    own_g = fraction_weights(cmax, somatic=False, loh=params.loh_given_germline)
    som = [(1 - e) * s[z] + e * own_s for z in ("het", "hom")]
    ger = [(1 - e) * g[z] + e * own_g for z in ("het", "lost", "kept")]
    grid_f = fraction_grid(cmax)
    half = int(np.argmin(np.abs(grid_f - 0.5)))
    wbc_row = np.zeros(len(grid_f))
    wbc_row[half] = 1.0
    cn_rows = p_cn.reshape(-1, p_cn.shape[-1]).max(axis=0, initial=0) > 0
    used = np.zeros(len(grid_f), bool)
    used[[0, -1, half]] = True  # f = 0 and f = 1 are always needed, f = 1/2 by WBCs
    for w in som + ger:
        used |= (w[cn_rows] > 0).any(axis=0)
    cols = np.flatnonzero(used)
    w_som = [p_cn @ w[:, cols] for w in som]
    w_ger = []
    for w in ger:
        wc = p_cn @ w[:, cols]
        wc[is_wbc] = wbc_row[cols]
        w_ger.append(wc)
    return w_som, w_ger, cols


def _somatic_states(
    lr: np.ndarray, lv: list[np.ndarray], ctc: np.ndarray, params: ModelParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None, list]:
    """Somatic likelihood of the CTCs summed over the clone's allelic states.

    Returns ``log sum_z p(z) P(D_CTC | somatic, z)``, the states' posteriors ``(states,
    sites)``, the posterior weights of the carrier-fraction grid and the grid (``None``
    without CTCs), and per state the output of :func:`_mix_over_fraction`.
    """
    n_sites = lr.shape[1]
    h = params.hom_given_carrier
    with np.errstate(divide="ignore"):
        log_prior = np.log([1 - h, h])
    if not ctc.any():
        q = np.exp(log_prior)[:, None] * np.ones(n_sites)
        return np.zeros(n_sites), q, None, None, [(None, None, np.zeros((0, n_sites)))] * 2
    # States with the same likelihood array (every CTC draws its own state, e = 1) share
    # one marginalisation.
    done: dict[int, tuple] = {}
    for x in lv:
        if id(x) not in done:
            done[id(x)] = _mix_over_fraction(lr[ctc], x[ctc], params.n_grid, params.clonal_prior)
    mixes = [done[id(x)] for x in lv]
    state = np.stack([lp + m[0] for lp, m in zip(log_prior, mixes, strict=True)])
    log_mix = special.logsumexp(state, axis=0)
    q = np.exp(state - log_mix)
    w_pi = sum(qz[None] * m[1] for qz, m in zip(q, mixes, strict=True))
    return log_mix, q, w_pi, mixes[0][3], mixes


def _germline_states(
    lg: list[np.ndarray], ctc: np.ndarray, params: ModelParams
) -> tuple[np.ndarray, np.ndarray]:
    """Germline-heterozygous likelihood of the CTCs summed over the clone's states.

    States: both alleles kept, the allele lost, kept alone. Also returns the states'
    posteriors ``(states, sites)``.
    """
    loh = params.loh_given_germline
    with np.errstate(divide="ignore"):
        log_prior = np.log([1 - loh, loh / 2, loh / 2])
    state = np.stack([lp + x[ctc].sum(axis=0) for lp, x in zip(log_prior, lg, strict=True)])
    log_ctc = special.logsumexp(state, axis=0)
    return log_ctc, np.exp(state - log_ctc)


def _distinct_logliks(f_ll: np.ndarray, weights: list[np.ndarray]) -> list[np.ndarray]:
    """:func:`mixture_loglik` per state, computed once for states with equal weights.

    With ``loh_cell_independence`` 1 (the default) every CTC draws its own state, so the
    clone's states have the same per-cell weights: one array serves them all (the same
    object, which later steps use to skip repeated work).
    """
    out: list[np.ndarray] = []
    for i, w in enumerate(weights):
        same = next((j for j in range(i) if np.array_equal(weights[j], w)), None)
        out.append(mixture_loglik(f_ll, w) if same is None else out[same])
    return out


def _share(w: np.ndarray, col: int, f_ll: np.ndarray, ll: np.ndarray) -> np.ndarray:
    """Posterior that a cell's allele fraction is column ``col`` of the mixture ``w``."""
    with np.errstate(divide="ignore"):
        return np.exp(np.log(w[..., col]) + f_ll[..., col] - ll)


def site_model(inputs: SiteInputs, params: ModelParams) -> SiteModel:
    """Posteriors of no variant / somatic (CTCs) / germline at every site.

    See the module docstring for the likelihoods. A cell with no reads is uninformative.
    The allelic state of the tumour at the site (somatic allele on some or on all copies;
    germline alleles both kept, or one lost by LOH) is drawn once per site for the clone;
    each CTC takes it or, with probability ``loh_cell_independence``, draws its own.
    """
    k = np.asarray(inputs.alt, dtype=float)
    n = np.asarray(inputs.depth, dtype=float)
    n_cells, n_sites = k.shape
    cmax = params.max_copy_number
    p_cn = inputs.copy_number
    if p_cn is None:
        p_cn = diploid_copy_number(n_cells, n_sites, cmax)
    w_som, w_ger, cols = _state_weights(p_cn, params, np.asarray(inputs.is_wbc, bool))
    f_ll = fraction_logliks(
        k, n, fraction_grid(cmax)[cols], inputs.error, inputs.dropout, inputs.rho
    )
    eta = np.asarray(inputs.artefact_rate, dtype=float)
    eta = eta[:, None] if eta.ndim == 1 else eta
    mass = (
        artefact_prior_mass(params.artefact_vaf_shape)
        if inputs.artefact_mass is None
        else inputs.artefact_mass
    )
    l_art = log_artefact(k, n, mass)
    l_err = f_ll[..., 0]
    lr = np.logaddexp(np.log1p(-eta) + l_err, np.log(eta) + l_art)
    lv = _distinct_logliks(f_ll, w_som)  # somatic carrier, per clone state
    lg = _distinct_logliks(f_ll, w_ger)  # germline heterozygous, per state
    lh = f_ll[..., -1].copy()  # every copy carries the allele
    empty = n == 0
    for arr in (lr, lh, l_err, l_art, *lv, *lg):
        arr[empty] = 0.0
    f_ll[empty] = 0.0
    ctc, wbc = inputs.is_ctc, inputs.is_wbc
    part = ctc | wbc
    # no variant
    log_none = lr[part].sum(axis=0)
    # somatic: WBCs carry nothing; CTCs carry with probability pi, at the clone's state
    log_mix, q_som, w_pi, pi_grid, mixes = _somatic_states(lr, lv, ctc, params)
    log_som = lr[wbc].sum(axis=0) + log_mix
    # germline: every cell carries (heterozygous, or homozygous everywhere)
    hom = params.germline_hom_fraction if inputs.hom_fraction is None else inputs.hom_fraction
    hom = np.clip(np.broadcast_to(np.asarray(hom, dtype=float), (n_sites,)), 1e-6, 1 - 1e-6)
    log_ger_ctc, r_ger = _germline_states(lg, ctc, params)
    log_ger = np.logaddexp(
        np.log1p(-hom) + lg[0][wbc].sum(axis=0) + log_ger_ctc, np.log(hom) + lh[part].sum(axis=0)
    )
    # systematic noise: every cell shows the allele at one low fraction f (mapping or
    # context-specific errors), no genotype structure
    log_noise = _log_noise(k[part], n[part], inputs.error[part])
    ps = np.clip(np.asarray(inputs.prior_somatic, dtype=float), 1e-300, 1)
    pg = np.clip(np.asarray(inputs.prior_germline, dtype=float), 1e-300, 1)
    pn = np.clip(
        np.broadcast_to(np.asarray(inputs.prior_noise, dtype=float), (n_sites,)), 1e-300, 1
    )
    p0 = np.clip(1.0 - ps - pg - pn, 1e-300, 1)
    logs = np.stack(
        [
            np.log(p0) + log_none,
            np.log(ps) + log_som,
            np.log(pg) + log_ger,
            np.log(pn) + log_noise,
        ]
    )
    post = np.exp(logs - special.logsumexp(logs, axis=0))
    p_none, p_som, p_ger, p_noise = post
    if not ctc.any():
        # Without CTCs nothing can be somatic; the germline test still runs on the WBCs.
        p_som = np.zeros(n_sites)

    # per-cell posteriors given somatic: carrier, and carrier on every copy
    p_car_som = np.zeros((n_cells, n_sites))
    hom_car_som = np.zeros((n_cells, n_sites))
    for q, m, w, x in zip(q_som, mixes, w_som, lv, strict=True):
        p_car_som[ctc] += q * m[2]
        hom_car_som[ctc] += q * m[2] * _share(w, -1, f_ll, x)[ctc]
    # per-cell posteriors given germline heterozygous (WBC weights are equal in all states)
    car_ger = sum(r * (1 - _share(w, 0, f_ll, x)) for r, w, x in zip(r_ger, w_ger, lg, strict=True))
    hom_g = sum(r * _share(w, -1, f_ll, x) for r, w, x in zip(r_ger, w_ger, lg, strict=True))
    hom_ger = np.exp(np.log(hom) + lh[part].sum(axis=0) - log_ger)  # P(hom | germline)
    p_carrier = p_som[None] * p_car_som + p_ger[None] * (
        hom_ger[None] + (1 - hom_ger[None]) * car_ger
    )
    p_hom = p_som[None] * hom_car_som + p_ger[None] * (hom_ger[None] + (1 - hom_ger[None]) * hom_g)
    p_carrier[~part] = 0.0
    p_hom[~part] = 0.0
    # a carrier's likelihood at the site's posterior somatic state (prevalence per draw)
    with np.errstate(divide="ignore"):
        log_carrier = special.logsumexp(
            np.stack([np.log(q)[None] + x for q, x in zip(q_som, lv, strict=True)]), axis=0
        )
    # artefact responsibility: cells with no variant (none, or non-carrier CTC / WBC under
    # somatic) whose reads came from an artefact
    art_given_r = np.exp(np.log(eta) + l_art - lr)
    not_carrier = p_none[None] + p_som[None] * (1.0 - p_car_som)
    artefact = np.where(empty | ~part[:, None], 0.0, not_carrier * art_given_r)
    fraction = (w_pi * pi_grid[:, None]).sum(axis=0) if w_pi is not None else np.zeros(n_sites)
    return SiteModel(
        p_somatic=p_som,
        p_germline=p_ger,
        p_carrier=np.clip(p_carrier, 0, 1),
        p_hom=np.clip(p_hom, 0, 1),
        p_carrier_somatic=p_car_som,
        fraction=fraction,
        log_ref=lr,
        log_carrier=log_carrier,
        artefact=artefact,
        p_noise=p_noise,
    )


NOISE_FRACTIONS = np.geomspace(0.003, 0.25, 24)
"""Allele fractions of the systematic-noise hypothesis (log-uniform prior)."""


def _log_noise(k: np.ndarray, n: np.ndarray, error: np.ndarray) -> np.ndarray:
    """``log P(D | noise)``: all cells' alternative reads drawn at one fraction ``f``."""
    if k.shape[0] == 0:
        return np.full(k.shape[1], -np.inf)
    eps = np.asarray(error, dtype=float)[:, None, None]
    f = NOISE_FRACTIONS[None, None, :] + eps
    per = log_binom(k[..., None], n[..., None], np.clip(f, 0, 0.5)).sum(axis=0)
    return special.logsumexp(per, axis=-1) - np.log(len(NOISE_FRACTIONS))


def carrier_fraction_posterior(
    log_ref: np.ndarray, log_carrier: np.ndarray, *, n_grid: int = 201, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posterior mean and equal-tailed credible interval of the carrier fraction.

    ``P(pi | D) ∝ prod_c [(1 - pi) R_c + pi V_c]`` with a uniform prior on ``pi``, on a
    grid of ``n_grid`` points: the fraction of CTCs carrying a variant, with a cell whose
    allele may have dropped out counting by its likelihoods, not as a hard call.

    Parameters
    ----------
    log_ref, log_carrier
        ``(cells, sites)`` ``log R`` and ``log V`` of the cells (e.g. one draw's CTCs).

    Returns
    -------
    tuple of numpy.ndarray
        ``(mean, low, high)`` per site; the prior (0.5, 0.025, 0.975) without cells.
    """
    grid = np.linspace(0.0, 1.0, n_grid)
    with np.errstate(divide="ignore"):
        lg0, lg1 = np.log1p(-grid), np.log(grid)
    lp = np.logaddexp(lg0[:, None, None] + log_ref[None], lg1[:, None, None] + log_carrier[None])
    lp = lp.sum(axis=1)  # (grid, sites)
    w = np.exp(lp - special.logsumexp(lp, axis=0, keepdims=True))
    mean = (w * grid[:, None]).sum(axis=0)
    cdf = np.cumsum(w, axis=0)
    alpha = (1 - level) / 2
    low_i = np.argmax(cdf >= alpha, axis=0)
    high_i = np.argmax(cdf >= 1 - alpha, axis=0)
    return mean, grid[low_i], grid[high_i]


# --- allelic dropout ---------------------------------------------------------------------


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
    monoallelic
        ``(cells, het_sites)`` posterior that the cell showed one allele only at each
        site (0 where the site was not used).
    used
        ``(cells, het_sites)`` whether the cell-site pair had enough reads to be used.
    """

    dropout: np.ndarray
    rho: float
    n_sites: np.ndarray
    monoallelic: np.ndarray | None = None
    used: np.ndarray | None = None


def estimate_dropout(
    alt: np.ndarray,
    depth: np.ndarray,
    error: np.ndarray,
    params: ModelParams,
    *,
    min_depth: int = 8,
    n_iter: int = 30,
    rho_cells: np.ndarray | None = None,
    prior_mean: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
) -> DropoutFit:
    """Estimate each cell's allelic dropout rate from germline heterozygous sites.

    At a germline het site a cell shows both alleles (allele fraction spread around
    1/2 by amplification bias, beta-binomial with overdispersion ``rho``), or only one
    allele (dropout of the other, probability ``delta_c/2`` each). An EM over sites
    gives each cell's ``delta_c`` (with a Beta prior) and a shared ``rho`` (maximum
    likelihood, :func:`_fit_rho`). The prior is hierarchical: its mean is first
    ``prior_mean``, then the average rate of the cells of the same ``groups`` value
    (e.g. the WGA chemistry) weighted by their sites, so a shallow cell, whose own sites
    cannot tell dropout from allelic imbalance, borrows the rate of its chemistry rather
    than of a fixed prior.

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
    prior_mean
        ``(cells,)`` prior mean dropout per cell (default ``dropout_prior_mean`` for
        all; unamplified libraries have almost none).
    groups
        ``(cells,)`` labels of cells sharing a dropout distribution (default: one group).
    fixed
        ``(cells,)`` cells whose rate is not fitted but stays at ``prior_mean``, and whose
        sites inform neither the rates nor ``rho`` (libraries without amplification: they
        have no allelic dropout, so one allele at a site called germline heterozygous
        means that this sample is homozygous there, not that an allele dropped out).
    """
    n_cells = np.asarray(alt).shape[0]
    mean = (
        np.full(n_cells, params.dropout_prior_mean)
        if prior_mean is None
        else np.asarray(prior_mean, dtype=float)
    )
    fixed = np.zeros(n_cells, bool) if fixed is None else np.asarray(fixed, bool)
    fit = _estimate_dropout_once(
        alt, depth, error, params, min_depth=min_depth, n_iter=n_iter,
        rho_cells=rho_cells, prior_mean=mean, fixed=fixed,
    )  # fmt: skip
    if fit.n_sites.sum() == 0:
        return fit
    groups = np.zeros(n_cells, dtype=int) if groups is None else np.asarray(groups)
    pooled = mean.copy()
    for g in np.unique(groups):
        sel = groups == g
        w = fit.n_sites[sel].astype(float)
        if w.sum() >= 20:  # enough sites in the group to say what its dropout is
            pooled[sel] = float((w * fit.dropout[sel]).sum() / w.sum())
    if np.allclose(pooled, mean):
        return fit
    return _estimate_dropout_once(
        alt, depth, error, params, min_depth=min_depth, n_iter=n_iter,
        rho_cells=rho_cells, prior_mean=np.where(fixed, mean, np.clip(pooled, 1e-3, 0.9)),
        fixed=fixed,
    )  # fmt: skip


def _estimate_dropout_once(
    alt: np.ndarray,
    depth: np.ndarray,
    error: np.ndarray,
    params: ModelParams,
    *,
    min_depth: int = 8,
    n_iter: int = 30,
    rho_cells: np.ndarray | None = None,
    prior_mean: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
) -> DropoutFit:
    """Estimate each cell's allelic dropout rate from germline heterozygous sites.

    At a germline het site a cell shows both alleles (allele fraction spread around
    1/2 by amplification bias, beta-binomial with overdispersion ``rho``), or only one
    allele (dropout of the other, probability ``delta_c/2`` each). An EM over sites
    gives each cell's ``delta_c`` (with a Beta prior) and a shared ``rho``
    (maximum likelihood, :func:`_fit_rho`).

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
    prior_mean
        ``(cells,)`` prior mean dropout per cell (default ``dropout_prior_mean`` for
        all; unamplified libraries have almost none).
    fixed
        ``(cells,)`` cells left at ``prior_mean``, their sites unused (see
        :func:`estimate_dropout`).
    """
    k = np.asarray(alt, dtype=float)
    n = np.asarray(depth, dtype=float)
    use = n >= min_depth
    if fixed is not None:
        use &= ~np.asarray(fixed, bool)[:, None]
    n_cells = k.shape[0]
    mean = (
        np.full(n_cells, params.dropout_prior_mean)
        if prior_mean is None
        else np.asarray(prior_mean, dtype=float)
    )
    a = mean * params.dropout_prior_weight
    b = (1 - mean) * params.dropout_prior_weight
    n_sites = use.sum(axis=1)
    if use.sum() == 0:
        return DropoutFit(
            mean.copy(),
            params.default_rho,
            n_sites,
            np.zeros(k.shape),
            use,
        )
    eps = np.asarray(error, dtype=float)[:, None]
    mono = np.logaddexp(log_binom(k, n, eps), log_binom(k, n, 1 - eps)) - np.log(2)
    delta = mean.copy()
    rho = params.default_rho
    rho_use = use if rho_cells is None else use & np.asarray(rho_cells, bool)[:, None]
    fit_rho = rho_use.sum() >= 20
    resp_mono = np.zeros(k.shape)
    for _ in range(n_iter):
        bi = log_betabinom(k, n, 0.5, rho)
        lm = np.log(delta)[:, None] + mono
        lb = np.log1p(-delta)[:, None] + bi
        resp_mono = np.where(use, np.exp(lm - np.logaddexp(lm, lb)), 0.0)
        new_delta = (resp_mono.sum(axis=1) + a) / (n_sites + a + b)
        if fit_rho:
            rho = _fit_rho(k, n, np.where(rho_use, 1.0 - resp_mono, 0.0), rho_use)
        if np.max(np.abs(new_delta - delta)) < 1e-5:
            delta = new_delta
            break
        delta = new_delta
    return DropoutFit(delta, rho, n_sites, resp_mono, use)


def _kernel_sums(
    het_pos: np.ndarray, values: np.ndarray, site_pos: np.ndarray, bandwidth: float
) -> np.ndarray:
    """``sum_j exp(-|x_s - x_j| / bandwidth) v_cj`` for every cell and site (one contig).

    Binned (bins of bandwidth / 10) and convolved, so the cost is linear in the contig's
    span / bandwidth, not sites x het sites.
    """
    width = max(bandwidth / 10.0, 1.0)
    lo = min(het_pos.min(), site_pos.min())
    hb = ((het_pos - lo) // width).astype(int)
    sb = ((site_pos - lo) // width).astype(int)
    n_bins = int(max(hb.max(), sb.max())) + 1
    binned = np.zeros((values.shape[0], n_bins))
    np.add.at(binned.T, hb, values.T)
    half = int(min(6 * bandwidth / width, n_bins))
    kern = np.exp(-np.abs(np.arange(-half, half + 1)) * width / bandwidth)
    out = np.empty((values.shape[0], len(site_pos)))
    for c in range(values.shape[0]):
        conv = np.convolve(binned[c], kern, mode="full")[half : half + n_bins]
        out[c] = conv[sb]
    return out


def dropout_correlation_length(
    fit: DropoutFit, het_chrom: np.ndarray, het_pos: np.ndarray, default: float
) -> float:
    """Distance over which one cell's dropout at nearby het sites is shared.

    Maximum composite likelihood over consecutive usable het sites of each cell: for
    two sites at distance ``d`` in a cell with dropout rate ``delta``, the indicators of
    "one allele only" are modelled as Bernoulli(``delta``) with correlation
    ``exp(-d / L)``; ``L`` is chosen on a grid from 200 bp to 1 Mb. Returns ``default``
    with fewer than 30 pairs within 100 kb.
    """
    if fit.monoallelic is None or len(het_pos) < 2:
        return default
    d_all, r1, r2, dl = [], [], [], []
    order = np.lexsort((het_pos, het_chrom))
    for c in range(len(fit.dropout)):
        idx = order[fit.used[c, order]]
        if len(idx) < 2:
            continue
        same = het_chrom[idx[1:]] == het_chrom[idx[:-1]]
        d = (het_pos[idx[1:]] - het_pos[idx[:-1]]).astype(float)
        keep = same & (d > 0) & (d < 100_000)
        d_all.append(d[keep])
        r1.append(fit.monoallelic[c, idx[:-1]][keep])
        r2.append(fit.monoallelic[c, idx[1:]][keep])
        dl.append(np.full(keep.sum(), fit.dropout[c]))
    if not d_all or sum(len(x) for x in d_all) < 30:
        return default
    d, a, b, q = (np.concatenate(x) for x in (d_all, r1, r2, dl))
    q = np.clip(q, 0.01, 0.99)
    best, best_ll = default, -np.inf
    for length in np.geomspace(200, 1_000_000, 30):
        rho = np.exp(-d / length)
        p11 = q * q + rho * q * (1 - q)
        p10 = q * (1 - q) * (1 - rho)
        p00 = (1 - q) ** 2 + rho * q * (1 - q)
        ll = (
            a * b * np.log(p11)
            + (a * (1 - b) + (1 - a) * b) * np.log(np.maximum(p10, 1e-300))
            + (1 - a) * (1 - b) * np.log(p00)
        ).sum()
        if ll > best_ll:
            best, best_ll = float(length), ll
    return best


def _fit_rho(k: np.ndarray, n: np.ndarray, weight: np.ndarray, use: np.ndarray) -> float:
    """Maximum-likelihood overdispersion of heterozygous allele fractions (weighted).

    A 1-D search over a log-spaced grid on [0.001, 0.3] refined by a parabola through the
    best point and its neighbours: the likelihood is smooth and unimodal in ``rho``, and
    this avoids importing :mod:`scipy.optimize` (most of a second) in every run. Bounded
    at 0.3: beyond it a "heterozygous" allele fraction is nearly uniform, which only
    happens when monoallelic sites are mistaken for biallelic ones.
    """
    kk, nn, ww = k[use], n[use], weight[use]
    grid = np.geomspace(1e-3, 0.3, 41)
    ll = np.array([(ww * log_betabinom(kk, nn, 0.5, r)).sum() for r in grid])
    i = int(np.argmax(ll))
    if 0 < i < len(grid) - 1:
        x = np.log(grid[i - 1 : i + 2])
        y = ll[i - 1 : i + 2]
        denom = (x[0] - x[1]) * (x[0] - x[2]) * (x[1] - x[2])
        a = (x[2] * (y[1] - y[0]) + x[1] * (y[0] - y[2]) + x[0] * (y[2] - y[1])) / denom
        b = (
            x[2] ** 2 * (y[0] - y[1]) + x[1] ** 2 * (y[2] - y[0]) + x[0] ** 2 * (y[1] - y[2])
        ) / denom
        if a < 0:
            return float(np.clip(np.exp(-b / (2 * a)), grid[i - 1], grid[i + 1]))
    return float(grid[i])


def local_dropout(
    fit: DropoutFit,
    het_chrom: np.ndarray,
    het_pos: np.ndarray,
    site_chrom: np.ndarray,
    site_pos: np.ndarray,
    params: ModelParams,
    *,
    correlation_length: float | None = None,
) -> np.ndarray:
    """Each cell's dropout rate at each site from nearby germline heterozygous sites.

    Two scales. The regional rate ``delta_rate = (w0 delta_c + sum_j K_sj r_cj) / (w0 +
    sum_j K_sj u_cj)``, with ``r_cj`` the posterior that cell ``c`` showed one allele at
    het site ``j``, ``u_cj`` whether it was usable, ``K = exp(-|x_s - x_j| / bandwidth)``
    (``local_dropout_bandwidth``) and ``w0 = local_dropout_weight`` pseudo-sites at the
    cell's genome-wide rate, so the estimate falls back to the per-cell rate where het
    sites are few. Then the dropout event itself: MDA loses stretches of one haplotype,
    so the nearest usable het site of the cell at distance ``d`` tells about this site
    with weight ``c = exp(-d / L)``: ``delta_cs = (1 - c) delta_rate + c r_cj*``; ``L``
    from :func:`dropout_correlation_length` unless given. A het site never informs its
    own rate (leave-one-out), so germline sites are not judged by themselves.

    Returns
    -------
    numpy.ndarray
        ``(cells, sites)``.
    """
    n_cells = len(fit.dropout)
    site_pos = np.asarray(site_pos)
    het_pos = np.asarray(het_pos)
    base = np.repeat(fit.dropout[:, None], len(site_pos), axis=1).astype(float)
    if fit.monoallelic is None or len(het_pos) == 0 or len(site_pos) == 0:
        return np.clip(base, 1e-4, 0.95)
    w0 = params.local_dropout_weight
    r = np.where(fit.used, fit.monoallelic, 0.0)
    u = fit.used.astype(float)
    het_chrom = np.asarray(het_chrom).astype(str)
    site_chrom = np.asarray(site_chrom).astype(str)
    rate = base.copy()
    for contig in np.unique(site_chrom):
        js = np.flatnonzero(het_chrom == contig)
        ss = np.flatnonzero(site_chrom == contig)
        if len(js) == 0:
            continue
        bw = params.local_dropout_bandwidth
        num = _kernel_sums(het_pos[js], r[:, js], site_pos[ss], bw)
        den = _kernel_sums(het_pos[js], u[:, js], site_pos[ss], bw)
        # leave-one-out: a site that is itself a het site does not count itself
        self_j = {p: j for j, p in zip(js, het_pos[js], strict=True)}
        for k, s_idx in enumerate(ss):
            j = self_j.get(site_pos[s_idx])
            if j is not None:
                num[:, k] -= r[:, j]
                den[:, k] -= u[:, j]
        rate[:, ss] = (w0 * base[:, ss] + np.maximum(num, 0)) / (w0 + np.maximum(den, 0))
    length = correlation_length or dropout_correlation_length(
        fit, het_chrom, het_pos, params.dropout_correlation_length
    )
    out = rate.copy()
    for c in range(n_cells):
        usable = fit.used[c]
        for contig in np.unique(site_chrom):
            js = np.flatnonzero(usable & (het_chrom == contig))
            ss = np.flatnonzero(site_chrom == contig)
            if len(js) == 0:
                continue
            order = js[np.argsort(het_pos[js])]
            hp = het_pos[order]
            sp = site_pos[ss]
            i = np.searchsorted(hp, sp)
            best_d = np.full(len(ss), np.inf)
            best_j = np.zeros(len(ss), dtype=int)
            for cand in (i - 1, i, i + 1):
                ok = (cand >= 0) & (cand < len(hp))
                cc = np.clip(cand, 0, len(hp) - 1)
                dist = np.where(ok, np.abs(hp[cc] - sp).astype(float), np.inf)
                dist[dist == 0] = np.inf  # leave-one-out
                better = dist < best_d
                best_d[better] = dist[better]
                best_j[better] = order[cc[better]]
            weight = np.exp(-best_d / length)
            out[c, ss] = (1 - weight) * rate[c, ss] + weight * r[c, best_j]
    return np.clip(out, 1e-4, 0.95).reshape(n_cells, len(site_pos))
