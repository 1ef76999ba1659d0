"""A cell declared amplified whose het allele fractions are binomial is a bulk library.

Known truth: read counts drawn binomially (bulk) or beta-binomially (amplified, ``rho``)
at germline het sites, and the count-level pair of two people of test_real_pair.py
(both bulk, both declared MDA, as a user may run two bulk WGS BAMs with the defaults).
Each cell's dropout and overdispersion are averaged over the two library kinds by the
posterior probability that it is unamplified (cells with no chemistry given share a
prior learnt from each other; 0.05 when an amplified chemistry is stated).
"""

import logging

import numpy as np
import pytest
from scipy.special import expit
from test_real_pair import _pair_counts

import ctcgenomics as ctc
from ctcgenomics.snv import SNVParams
from ctcgenomics.snv._library import library_test, pooled_p_unamplified
from ctcgenomics.snv._model import log_betabinom, log_binom

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


def test_few_balanced_sites_already_favour_bulk():
    """40 binomial het sites at 25x, too few for the profile statistic, already give a
    Bayes factor for bulk above 1 in most cells; MDA-like cells (rho 0.2) with 30 sites
    give one far below 1 in every cell."""
    k, n = _het_counts(np.random.default_rng(2), 0.0, 40)
    t = library_test(k, n, rho_floor=0.02)
    assert (t.statistic < THRESHOLD).all()
    assert (t.log_bayes > 0).mean() >= 0.9
    assert np.median(t.p_unamplified(0.5)) > 0.9
    k, n = _het_counts(np.random.default_rng(6), 0.2, 30)
    t = library_test(k, n, rho_floor=0.02)
    assert (t.p_unamplified(0.5) < 0.01).all()


def test_cells_without_a_chemistry_share_their_prior():
    """Leave-one-out empirical Bayes over the cells with no stated chemistry: beside ten
    clearly amplified cells an uninformative one (Bayes factor 1) gets about the Beta(1, 1)
    posterior mean given ten amplified cells, 1/12, not 1/2; two leaning-bulk cells raise
    each other; a cell with a stated chemistry keeps its own prior."""
    log_bayes = np.array([-30.0] * 10 + [0.0])
    p = pooled_p_unamplified(log_bayes, np.full(11, 0.5), np.ones(11, bool))
    assert p[-1] == pytest.approx(1 / 12, rel=1e-3)
    log_bayes = np.array([2.0, 3.0, 0.0])
    prior = np.array([0.5, 0.5, 0.05])
    p = pooled_p_unamplified(log_bayes, prior, np.array([True, True, False]))
    assert (p[:2] > expit(log_bayes[:2])).all()
    assert p[2] == pytest.approx(0.05)
    one = pooled_p_unamplified(np.array([2.0]), np.array([0.5]), np.array([True]))
    assert one[0] == pytest.approx(expit(2.0))


def test_tiny_overdispersion_is_binomial():
    """A cell averaged over library kinds with P(amplified) ~1e-15 gets rho ~1e-16: the
    beta-binomial must then be the binomial, not the difference of two huge numbers."""
    k, n = np.arange(0, 31), np.full(31, 30)
    for rho in (1e-16, 1e-12, 1e-9):
        assert np.allclose(log_betabinom(k, n, 0.5, rho), log_binom(k, n, 0.5), atol=1e-6)


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
        assert adata.obs.loc["WBC", "dropout_rate"] == pytest.approx(1e-3, rel=1e-3)
        diff = (g[1] == 0) & (g[0] > 0)
        passed = adata.var["filter"].to_numpy() == "PASS"
        assert diff.sum() >= 200
        assert passed[diff].mean() >= 0.95
        assert not passed[g[1] > 0].any()


def _pair_without_chemistry(seed: int, wbc_wga: str, **kwargs) -> tuple:
    """The 100 kb pair with no ``wga`` (``ctcg snv`` without a cell sheet: MDA assumed)."""
    adata, g = _pair_counts(seed, wbc_wga, length=100_000, **kwargs)
    del adata.obs["wga"]
    return adata, g


def _passed(adata) -> np.ndarray:
    ctc.snv.genotype(adata)
    ctc.snv.apply_filters(adata)
    return adata.var["filter"].to_numpy() == "PASS"


@pytest.mark.parametrize("seed", [1, 2])
def test_bulk_pair_over_100kb_without_a_chemistry_is_called(seed: int):
    """Two bulk people over 100 kb, no chemistry given: 28-55 het sites per person (the
    hard switch needed ~150-200, so 1/26 and 0/24 differences passed: the WBC kept the
    MDA dropout and "the WBC dropped the allele" explained each). Averaged over the
    library kind, most differences (CTC het or hom-alt, WBC reference) PASS, every
    hom-alt one, and nothing the WBC person carries."""
    adata, g = _pair_without_chemistry(seed, "none", ctc_amplified=False)
    passed = _passed(adata)
    diff = (g[1] == 0) & (g[0] > 0)
    assert diff.sum() >= 20
    assert passed[diff].mean() >= 0.9
    assert passed[diff & (g[0] == 2)].all()
    assert not passed[g[1] > 0].any()
    check = adata.uns["snv"]["library_check"].set_index("cell")
    assert (check["n_sites"] < 100).all()
    assert check.loc["WBC", "p_unamplified"] > 0.9
    assert check.loc["WBC", "used"] == "none"


@pytest.mark.parametrize("seed", [1, 2])
def test_amplified_wbc_with_few_het_sites_keeps_its_dropout(seed: int):
    """Both people amplified (Beta(8, 8) het fractions, 10 % dropout), 100 kb, no chemistry
    given: the WBC's 30-60 het sites are overdispersed, so it stays amplified (posterior
    of bulk below 1/2) with its dropout (> 0.1: the truth is 0.1 plus the CTC person's het
    sites where the WBC person is homozygous), and nothing the WBC person carries PASS."""
    adata, g = _pair_without_chemistry(seed, "MDA")
    passed = _passed(adata)
    check = adata.uns["snv"]["library_check"].set_index("cell")
    assert check.loc["WBC", "used"] == "mda"
    assert check.loc["WBC", "p_unamplified"] < 0.5
    assert adata.obs.loc["WBC", "dropout_rate"] > 0.1
    assert not passed[g[1] > 0].any()


def test_no_het_sites_keep_the_assumed_chemistry():
    """Without usable het sites the posterior is the prior (1/2): the cell is reported as
    declared."""
    adata, _ = _pair_without_chemistry(1, "none", ctc_amplified=False)
    adata = adata[:, :0].copy()
    ctc.snv.genotype(adata)
    check = adata.uns["snv"]["library_check"]
    assert list(check["used"]) == ["mda", "mda"]
    assert np.allclose(check["p_unamplified"], 0.5)


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


def test_cell_without_het_sites_is_not_said_to_look_binomial(caplog):
    # Real bulk reads (1000 Genomes, no chemistry stated): HG00102 shows no het site with
    # both alleles, yet was said to have "0 germline het sites ... look binomial (rho
    # nan ...)" when the WBC's sites moved its pooled prior.
    import pandas as pd
    from test_real_pair import DATA

    cells = pd.DataFrame({"role": ["ctc", "wbc"], "draw": "D1"}, index=["CTC", "WBC"])
    bams = {"CTC": DATA / "HG00102.bam", "WBC": DATA / "HG00100.bam"}
    with caplog.at_level(logging.WARNING):
        adata = ctc.snv.call(bams, DATA / "ref.fa", cells=cells, hotspots=None)
    check = adata.uns["snv"]["library_check"].set_index("cell")
    assert check.loc["CTC", "n_sites"] == 0 and check.loc["CTC", "used"] == "none"
    assert "cell CTC is declared amplified (wga mda) but it has no germline het site" in (
        caplog.text
    )
    assert "0 germline het sites" not in caplog.text
