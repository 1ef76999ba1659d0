"""Whether the CTCs and the WBCs of a run come from the same person (sample-swap check).

Each CTC is compared with the pooled WBCs, and each WBC with the other WBCs, over the
sites where both sides have ``min_depth`` reads or more and, together, show both alleles
(informative sites). An opposite homozygote is a site where one side shows only the
reference allele and the other only the alternative one (no read of the other allele).

Between unrelated people that is common at polymorphic sites (one hom-ref, the other
hom-alt). For one person it needs a germline het site that each side shows as a
different single allele: after amplification each cell loses one allele with its local
dropout rate ``d`` (each allele ``d/2``), or samples one allele only by chance (beta-
binomial with the run's overdispersion; binomial for unamplified libraries, which have no
dropout). With ``q_X = d_X/2 + (1 - d_X) BB(0; n_X, 1/2, rho_X)`` the probability that a
side shows only one given allele (a pool: the product over its cells), a het site in the
informative set is an opposite homozygote in a given direction with probability
``q_A q_B / (1 - 2 q_A q_B)``. Every informative site is taken as a germline het (the
largest same-person expectation; hom sites and artefacts cannot give one), so the
expected count ``e`` is an upper bound. For a CTC only the direction "CTC reference,
WBCs alternative" is counted: a somatic variant whose reference allele the CTC lost
(dropout, LOH) gives the other direction, never this one. WBC pairs count both.

The count ``n`` is tested against Poisson(``e``) (more spread than the Poisson-binomial
sum of the sites, so conservative): "different" when ``P(X >= n) <= alpha``, ``n >=
fold * e`` and ``n >= min_opposite`` (a couple of mapping artefacts are not a swap);
"not evaluable" with fewer than ``min_sites`` informative sites; otherwise "same"
(consistent with one person).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ctcgenomics.snv._model import log_betabinom, special

log = logging.getLogger(__name__)

COLUMNS = [
    "cell",
    "role",
    "against",
    "n_informative",
    "n_opposite",
    "expected",
    "p_value",
    "verdict",
]


@dataclass(frozen=True)
class IdentityParams:
    """Thresholds of the identity check.

    Attributes
    ----------
    min_depth
        Reads each side needs at a site.
    min_sites
        Informative sites needed for a verdict.
    alpha
        Poisson tail probability at or below which the pair is "different".
    fold
        The observed count must also be at least this multiple of the expected one.
    min_opposite
        ... and at least this many sites.
    """

    min_depth: int = 10
    min_sites: int = 30
    alpha: float = 1e-6
    fold: float = 3.0
    min_opposite: int = 3


def _one_allele(depth: np.ndarray, dropout: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``(cells, sites)``: probability a het site shows only one given allele."""
    by_chance = np.exp(log_betabinom(np.zeros(depth.shape), depth, 0.5, rho[:, None]))
    q = dropout / 2.0 + (1.0 - dropout) * by_chance
    return np.where(depth > 0, q, 1.0)


def _pair(
    alt: np.ndarray,
    depth: np.ndarray,
    q: np.ndarray,
    a: int,
    pool: np.ndarray,
    both: bool,
    params: IdentityParams,
) -> tuple[int, int, float]:
    """Informative sites, opposite homozygotes and their same-person expectation."""
    ka, na = alt[a], depth[a]
    kb, nb = alt[pool].sum(axis=0), depth[pool].sum(axis=0)
    ok = (na >= params.min_depth) & (nb >= params.min_depth)
    ok &= (ka + kb > 0) & (na - ka + nb - kb > 0)
    qq = q[a] * q[pool].prod(axis=0)
    opposite = (ka == 0) & (kb == nb)
    if both:
        opposite |= (ka == na) & (kb == 0)
    p = (2.0 if both else 1.0) * qq / np.clip(1.0 - 2.0 * qq, 1e-12, None)
    return int(ok.sum()), int((ok & opposite).sum()), float(np.clip(p, 0, 1)[ok].sum())


def identity_test(
    alt: np.ndarray,
    depth: np.ndarray,
    dropout: np.ndarray,
    rho: np.ndarray,
    names: np.ndarray,
    is_ctc: np.ndarray,
    is_wbc: np.ndarray,
    params: IdentityParams | None = None,
) -> pd.DataFrame:
    """Test each CTC against the pooled WBCs, each WBC against the others (module doc).

    Parameters
    ----------
    alt, depth
        ``(cells, sites)`` alternative and total reads at the candidate sites.
    dropout
        ``(cells, sites)`` local allelic dropout rate (0 for unamplified libraries).
    rho
        ``(cells,)`` overdispersion of het allele fractions (0: binomial).
    names
        ``(cells,)`` cell IDs.
    is_ctc, is_wbc
        ``(cells,)`` roles.
    params
        Thresholds.

    Returns
    -------
    pandas.DataFrame
        One row per tested cell (``COLUMNS``); empty without WBCs.
    """
    params = params or IdentityParams()
    alt = np.asarray(alt, dtype=np.int64)
    depth = np.asarray(depth, dtype=np.int64)
    q = _one_allele(depth, np.asarray(dropout, dtype=float), np.asarray(rho, dtype=float))
    wbcs = np.flatnonzero(is_wbc)
    rows = []
    for a in range(len(names)):
        pool = wbcs[wbcs != a]
        if not len(pool) or not (is_ctc[a] or is_wbc[a]):
            continue
        n_inf, n_opp, e = _pair(alt, depth, q, a, pool, bool(is_wbc[a]), params)
        # P(X >= n) = Poisson sf at n - 1 (what scipy.stats.poisson.sf computes, without
        # importing scipy.stats: most of a second per run)
        p_value = float(special.pdtrc(n_opp - 1, max(e, 1e-12))) if n_opp else 1.0
        if n_inf < params.min_sites:
            verdict = "not evaluable"
        elif p_value <= params.alpha and n_opp >= params.fold * e and n_opp >= params.min_opposite:
            verdict = "different"
        else:
            verdict = "same"
        role = "wbc" if is_wbc[a] else "ctc"
        against = "other WBCs" if is_wbc[a] else "pooled WBCs"
        rows.append((str(names[a]), role, against, n_inf, n_opp, e, p_value, verdict))
    return pd.DataFrame(rows, columns=COLUMNS)


def warn_identity(table: pd.DataFrame) -> None:
    """Log a WARNING for each cell that looks like another individual, INFO otherwise.

    Parameters
    ----------
    table
        Output of :func:`identity_test`.
    """
    for row in table.itertuples(index=False):
        if row.verdict == "different":
            log.warning(
                "%s %s and the %s look like different individuals (%d of %d informative "
                "sites are opposite homozygotes, ~%.1f expected for one person; p = %.2g): "
                "check the sample sheet; somatic calls of this run are unreliable",
                row.role.upper(), row.cell, "other WBCs" if row.role == "wbc" else "WBCs",
                row.n_opposite, row.n_informative, row.expected, row.p_value,
            )  # fmt: skip
        else:
            log.info(
                "identity of %s %s vs %s: %s (%d of %d informative sites opposite "
                "homozygotes, ~%.1f expected)",
                row.role.upper(), row.cell, row.against, row.verdict, row.n_opposite,
                row.n_informative, row.expected,
            )  # fmt: skip
