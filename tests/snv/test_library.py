"""A cell declared amplified whose het allele fractions are binomial is a bulk library.

Known truth: read counts drawn binomially (bulk) or beta-binomially (amplified, ``rho``)
at germline het sites, and the count-level pair of two people of test_real_pair.py
(both bulk, both declared MDA, as a user may run two bulk WGS BAMs with the defaults).
"""

import logging

import numpy as np
import pytest
from test_real_pair import _pair_counts

import ctcgenomics as ctc
from ctcgenomics.snv import SNVParams
from ctcgenomics.snv._library import library_test

THRESHOLD = 10.83


def _het_counts(
    rng: np.random.Generator, rho: float, n_sites: int, depth: int = 25, cells: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    n = rng.poisson(depth, (cells, n_sites))
    if rho > 0:
        s = (1 - rho) / rho
        f = rng.beta(s / 2, s / 2, n.shape)
    else:
        f = np.full(n.shape, 0.5)
    return rng.binomial(n, f), n


def test_binomial_hets_reject_amplification_with_enough_sites():
    """400 het sites at 25x, binomial: every cell rejects rho >= 0.02 (p < 0.001)."""
    k, n = _het_counts(np.random.default_rng(1), 0.0, 400)
    t = library_test(k, n, rho_floor=0.02)
    assert (t.statistic >= THRESHOLD).all()
    assert (t.rho < 0.005).all()


def test_few_het_sites_keep_the_declaration():
    """40 binomial het sites at 25x (a panel, a shallow cell) are too few to decide."""
    k, n = _het_counts(np.random.default_rng(2), 0.0, 40)
    t = library_test(k, n, rho_floor=0.02)
    assert (t.statistic < THRESHOLD).all()
    k, n = _het_counts(np.random.default_rng(3), 0.0, 400, depth=4)  # shallow: < 10 reads
    assert (library_test(k, n, rho_floor=0.02).n_sites < 20).all()


@pytest.mark.parametrize(("rho", "n_sites"), [(0.2, 200), (0.05, 2000), (0.025, 2000)])
def test_amplified_hets_are_never_taken_for_bulk(rho: float, n_sites: int):
    """MDA-like (rho 0.2, 0.05) and low-bias (PTA-like, rho 0.025) cells with many sites:
    no cell's statistic reaches the threshold."""
    k, n = _het_counts(np.random.default_rng(4), rho, n_sites)
    t = library_test(k, n, rho_floor=0.02)
    assert (t.statistic < THRESHOLD).all()


def test_dropout_and_errors_do_not_enter():
    """Sites showing one allele (dropout, a homozygous site with an error read) are left
    out: a bulk cell with 30 % of its sites monoallelic still rejects amplification."""
    rng = np.random.default_rng(5)
    k, n = _het_counts(rng, 0.0, 600, cells=5)
    mono = rng.random(k.shape) < 0.3
    k = np.where(mono, rng.binomial(1, 0.02, k.shape), k)
    t = library_test(k, n, rho_floor=0.02)
    assert (t.statistic >= THRESHOLD).all()


def _pair(seed: int, **kwargs) -> tuple:
    adata, g = _pair_counts(seed, "none", length=1_000_000, **kwargs)
    return adata, g


def test_bulk_pair_declared_amplified_is_modelled_as_bulk(caplog):
    """Two bulk people, both declared MDA (the defaults): the differences (CTC het or
    hom-alt, WBC reference at 25x) PASS; before, the WBC's dropout was fitted ~0.3 from
    its hom-alt sites where the CTC is het, and 4/213 and 4/250 passed."""
    for seed in (1, 2):
        adata, g = _pair(seed, declared=("MDA", "MDA"), ctc_amplified=False)
        with caplog.at_level(logging.WARNING, logger="ctcgenomics.snv"):
            ctc.snv.genotype(adata)
        ctc.snv.apply_filters(adata)
        check = adata.uns["snv"]["library_check"].set_index("cell")
        assert list(check["declared"]) == ["mda", "mda"]
        assert list(check["used"]) == ["none", "none"]
        assert (check["statistic"] >= THRESHOLD).all() and (check["n_sites"] >= 200).all()
        assert "modelled as an unamplified (bulk) library" in caplog.text
        assert adata.obs.loc["WBC", "dropout_rate"] == 1e-3
        diff = (g[1] == 0) & (g[0] > 0)
        passed = adata.var["filter"].to_numpy() == "PASS"
        assert diff.sum() >= 200
        assert passed[diff].mean() >= 0.95
        assert not passed[g[1] > 0].any()


def test_amplified_pair_stays_amplified():
    """The same pair with both people amplified (Beta(8, 8) het fractions, rho 0.06,
    10 % dropout): both keep MDA and their fitted dropout."""
    adata, _ = _pair_counts(1, "MDA", length=1_000_000)
    ctc.snv.genotype(adata)
    check = adata.uns["snv"]["library_check"]
    assert list(check["used"]) == ["mda", "mda"]
    assert (check["statistic"] < THRESHOLD).all()
    assert (adata.obs["dropout_rate"] > 0.1).all()


def test_switch_off_keeps_the_declaration():
    """detect_unamplified false: the bulk WBC declared MDA is fitted as amplified."""
    adata, _ = _pair(1, declared=("MDA", "MDA"), ctc_amplified=False)
    params = SNVParams.from_mapping({"detect_unamplified": False}).genotype
    assert not params.detect_unamplified
    ctc.snv.genotype(adata, params=params)
    assert adata.uns["snv"]["library_check"].empty
    assert adata.obs.loc["WBC", "dropout_rate"] > 0.1


def test_overdispersed_cell_declared_bulk_is_only_warned_about(caplog):
    """An amplified WBC declared wga none: a warning, the declaration kept."""
    adata, _ = _pair_counts(2, "MDA", length=1_000_000, declared=("MDA", "none"))
    with caplog.at_level(logging.WARNING, logger="ctcgenomics.snv"):
        ctc.snv.genotype(adata)
    check = adata.uns["snv"]["library_check"].set_index("cell")
    assert check.loc["WBC", "used"] == "none"
    assert check.loc["WBC", "overdispersed"] >= THRESHOLD
    assert "declared unamplified (wga none) but" in caplog.text
    assert adata.obs.loc["WBC", "dropout_rate"] == 1e-3
