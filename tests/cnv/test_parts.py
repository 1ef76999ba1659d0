"""Parts of the caller on constructed inputs: focal events, sex levels, allele models."""

import numpy as np
import pandas as pd
import pytest

from ctcgenomics.cnv._alleles import (
    AlleleCounts,
    _fractions,
    estimate_allelic_noise,
    mirrored_loglik,
    overdispersion_from_groups,
    overdispersion_from_normals,
)
from ctcgenomics.cnv._focal import consensus_spikes, deep_deletions, focal_amplicons
from ctcgenomics.cnv._ploidy import fit_ploidy
from ctcgenomics.cnv._sex import germline_levels, infer_sex


def _cell(rng, n=400, depth=300.0, sigma=0.3):
    expected = np.full(n, depth)
    counts = rng.poisson(expected * rng.lognormal(-(sigma**2) / 2, sigma, n)).astype(float)
    return counts, expected


def test_zero_runs_of_two_bins_are_deep_deletions_single_bins_are_not():
    rng = np.random.default_rng(0)
    counts, expected = _cell(rng)
    counts[[100, 101, 250]] = [0, 1, 0]
    cn = np.full(len(counts), 2.0)
    hit = deep_deletions(counts, expected, cn, 2.0, 0.3, np.array([0]))
    assert hit[100] and hit[101] and not hit[250]
    assert hit.sum() == 2


def test_low_wave_is_not_a_deletion():
    rng = np.random.default_rng(1)
    counts, expected = _cell(rng)
    counts[200:203] = 0.3 * expected[200:203]  # a deep trough, far from zero
    hit = deep_deletions(counts, expected, np.full(len(counts), 2.0), 2.0, 0.3, np.array([0]))
    assert not hit.any()


def test_one_copy_wave_trough_is_not_a_deletion_with_the_wave_noise():
    # One copy (male X) under smooth MDA waves: adjacent differences see little noise,
    # so a 3-bin trough at ~0.45 of one copy looked like zero copies (a false DEEP
    # DELETION); judged with the spread the waves give, it is not, and zeros still are.
    from ctcgenomics.cnv._focal import log_noise_sd

    rng = np.random.default_rng(3)
    n = 400
    wave = np.convolve(rng.normal(0, 1, n + 40), np.ones(12) / 12, "same")[20 : n + 20]
    expected = np.full(n, 300.0)
    level = np.full(n, 0.5)  # one copy at multiplier 2
    factor = np.exp(0.35 * wave / wave.std())
    factor[100:103] = 0.45 * np.exp(rng.normal(0, 0.05, 3))
    counts = rng.poisson(expected * level * factor).astype(float)
    counts[300:303] = [0, 1, 0]
    cn = np.ones(n)
    starts = np.array([0])
    adjacent = log_noise_sd(counts, expected, level, starts)
    runs = log_noise_sd(counts, expected, level, starts, waves=True)
    assert runs > 2 * adjacent
    assert deep_deletions(counts, expected, cn, 2.0, adjacent, starts)[100:103].sum() >= 2
    hit = deep_deletions(counts, expected, cn, 2.0, runs, starts)
    assert np.flatnonzero(hit).tolist() == [300, 301, 302]


def test_one_bin_amplicon_kept_noise_not():
    rng = np.random.default_rng(2)
    counts, expected = _cell(rng)
    counts[123] = expected[123] * 5  # copy number 10 on a base of 2
    hit, cn = focal_amplicons(
        counts, expected, np.full(len(counts), 2.0), 2.0, 0.3,
        base=2, amplification_ratio=2.5, max_cn=20,
    )  # fmt: skip
    assert hit[123] and cn[123] == 10
    assert hit.sum() == 1


def test_noise_on_a_wave_crest_is_not_an_amplicon_but_a_spike_on_it_is():
    # A diploid cell with broad amplification waves (about 1 Mb at 100 kb bins). On a
    # crest at 1.8x, one bin reads 1.5x its neighbours (noise a WBC can show): 2.7x its
    # segment, which the old test against the segment level called an amplicon. Against
    # its flanks it is 1.5x, not an amplicon. A one-bin copy number 10 on the crest of
    # another wave is one.
    rng = np.random.default_rng(5)
    counts, expected = _cell(rng)
    pos = np.arange(len(counts))
    wave = np.exp(np.log(1.8) * np.exp(-0.5 * ((pos - 60) / 6.0) ** 2))
    wave *= np.exp(np.log(1.8) * np.exp(-0.5 * ((pos - 140) / 6.0) ** 2))
    counts = rng.poisson(expected * wave * rng.lognormal(0, 0.1, len(counts))).astype(float)
    counts[60] = expected[60] * wave[60] * 1.5
    counts[140] = expected[140] * wave[140] * 5
    cn = np.full(len(counts), 2.0)
    args = dict(base=2, amplification_ratio=2.5, max_cn=20)
    hit, amp_cn = focal_amplicons(counts, expected, cn, 2.0, 0.1, contig_starts=[0], **args)
    assert np.flatnonzero(hit).tolist() == [140]
    # Copy number against the flanks, the wave divided out (18 against the segment).
    assert 9 <= amp_cn[140] <= 11
    # Against the segment level (no flanks) the noisy crest bin is an "amplicon".
    seg_hit, _ = focal_amplicons(counts, expected, cn, 2.0, 0.1, **args)
    assert seg_hit[60]


def test_consensus_spike_found():
    rng = np.random.default_rng(3)
    cons = rng.lognormal(0, 0.05, 300)
    cons[77] = 3.0
    assert list(consensus_spikes(cons, np.ones(300), np.array([0]))) == [77]


def test_germline_levels_and_inferred_sex():
    bins = pd.DataFrame(
        {
            "chrom": ["c1"] * 10 + ["chrX"] * 10 + ["chrY"] * 5,
            "start": list(range(0, 10_000_000, 1_000_000)) * 2
            + list(range(0, 5_000_000, 1_000_000)),
        }
    )
    bins["end"] = bins["start"] + 1_000_000
    level, unusable = germline_levels(bins, "male")
    assert (level[:10] == 1).all() and level[10] == 1  # PAR1 on chrX
    assert (level[13:20] == 0.5).all() and (level[23:25] == 0.5).all()
    assert unusable[20] and unusable[21]  # chrY PAR
    _, unusable_f = germline_levels(bins, "female")
    assert unusable_f[20:].all()
    counts = np.r_[np.full(10, 1000), np.full(10, 500), np.full(5, 480)]
    sex, evidence = infer_sex(counts, bins, np.ones(25, bool))
    assert sex == "male" and "chrY" in evidence
    counts = np.r_[np.full(10, 1000), np.full(10, 1000), np.full(5, 3)]
    assert infer_sex(counts, bins, np.ones(25, bool))[0] == "female"


def test_mirrored_likelihood_prefers_the_true_fraction_either_way_round():
    rng = np.random.default_rng(4)
    n = np.full(200, 60)
    b = rng.binomial(n, 1 / 3)
    flip = rng.random(200) < 0.5
    a, b = np.where(flip, b, n - b), np.where(flip, n - b, b)
    ll = mirrored_loglik(a, b, np.array([0.0, 0.25, 1 / 3, 0.5]), 0.01).sum(axis=0)
    assert np.argmax(ll) == 2


def test_overdispersion_and_phase_switch_are_recovered():
    rng = np.random.default_rng(5)
    n_sites, n_cells, rho = 400, 6, 0.03
    p_site = rng.choice([0.5, 1 / 3, 0.0], n_sites)
    rows = []
    for c in range(n_cells):
        # Beta-binomial draws around each site's fraction (shared by the cells).
        s = (1 - rho) / rho
        p = rng.beta(np.maximum(p_site, 1e-3) * s, np.maximum(1 - p_site, 1e-3) * s)
        n = rng.poisson(80, n_sites)
        b = rng.binomial(n, p)
        rows.append((np.full(n_sites, c), np.arange(n_sites), n - b, b))
    cell, site, a, b = (np.concatenate(x) for x in zip(*rows, strict=True))
    counts = AlleleCounts(cell, site, site, a, b)
    est = overdispersion_from_groups(counts, np.zeros(n_cells, dtype=int))
    assert est == pytest.approx(rho, rel=0.35)
    # Per-bin counts where 12 % of each LOH bin's reads sit on the other side.
    loh = p_site == 0
    bb = np.where(loh[site], rng.binomial(a + b, 0.12), b)
    counts = AlleleCounts(cell, site, site, a + b - bb, bb, per_bin=True)
    _, switch = estimate_allelic_noise(counts, per_bin=True, rho=est)
    assert switch == pytest.approx(0.12, abs=0.03)


@pytest.mark.parametrize("rho", [0.01, 0.1, 0.3])
def test_overdispersion_of_normal_cells_at_one_read_per_site(rho):
    # Diploid cells at ~1 read per het site (the example's depth): every site is 1|1,
    # so b ~ BB(n, 1/2, rho) per cell; the estimate is the truth, not the floor.
    rng = np.random.default_rng(int(rho * 100))
    n_sites, n_cells = 4000, 6
    s = (1 - rho) / rho
    n = rng.poisson(1.2, (n_cells, n_sites))
    b = rng.binomial(n, rng.beta(s / 2, s / 2, (n_cells, n_sites)))
    cell = np.repeat(np.arange(n_cells), n_sites)
    site = np.tile(np.arange(n_sites), n_cells)
    counts = AlleleCounts(cell, site, site, (n - b).ravel(), b.ravel())
    est, n_inf = overdispersion_from_normals(counts, np.arange(n_cells))
    assert est == pytest.approx(rho, rel=0.3, abs=0.01)
    assert n_inf == int((n >= 2).sum())
    # A clone's spread (the site's fraction pooled over the clone, the cell's own reads
    # included) is biased low when few reads of a site fall in other cells.
    assert overdispersion_from_groups(counts, np.zeros(n_cells, dtype=int)) < rho / 2
    # Only the given rows, only masked sites; too little evidence gives None.
    assert overdispersion_from_normals(counts, np.array([0]), site_mask=site < 100) is None


def test_allelic_noise_keeps_the_given_overdispersion_at_low_depth():
    rng = np.random.default_rng(1)
    n = rng.poisson(1.0, 2000)
    b = rng.binomial(n, 0.5)
    counts = AlleleCounts(np.zeros(2000, int), np.arange(2000), np.arange(2000), n - b, b)
    assert estimate_allelic_noise(counts, per_bin=False, rho=0.13) == (0.13, 0.0)
    assert estimate_allelic_noise(counts, per_bin=False)[0] == pytest.approx(0.05)


def test_allelic_evidence_identifies_doubling_and_pure_doubling_is_unidentifiable():
    sizes = np.array([100.0, 100.0, 100.0])
    sd = np.full(3, 0.05)
    # Levels 3:4:4 of a doubled genome (odd state 2|1 next to 2|2).
    means = np.array([3.0, 4.0, 4.0]) / (11 / 3)
    allelic = np.full((3, 21), -50.0)
    allelic[0, 3] = 0.0  # segment 0 fits total 3 (1/3) only
    allelic[1:, 2] = allelic[1:, 4] = 0.0
    fit = fit_ploidy(means, sizes, sd, min_ploidy=1.5, max_ploidy=6.0, allelic=allelic)
    assert abs(fit.ploidy - 11 / 3) < 0.25 and fit.identifiable
    flat = fit_ploidy(np.ones(3), sizes, sd, min_ploidy=1.5, max_ploidy=6.0)
    assert flat.ploidy == pytest.approx(2.0) and not flat.identifiable
    assert flat.alternative == pytest.approx(4.0)


def test_profile_mismatch_keeps_a_clone_and_parts_a_doubled_cell_of_another_profile():
    from ctcgenomics.cnv._joint import scaled_profile_mismatch

    rng = np.random.default_rng(3)
    sizes = np.array([20, 10, 5, 43])
    cn = np.array([2, 2, 2, 1])  # clone A: one copy lost over the last segment
    level = cn / np.average(cn, weights=sizes)
    sd = 0.06 * np.sqrt(level)
    # Null: the same copy-number profile, private noise at the stated SDs, and a
    # genome-wide scale off by a private amplicon elsewhere: rarely parted (BIC).
    null = [
        scaled_profile_mismatch(1.1 * level + rng.normal(0, sd), sd, level, sd, sizes)
        for _ in range(500)
    ]
    assert np.mean(np.array(null) > 0) < 0.01
    # A doubled cell whose loss is one copy of four (3 on 4) and with an amplicon: its
    # B-allele fractions match clone A's (0.5, then 0), its depth profile does not.
    cn2 = np.array([4, 10, 4, 3])
    level2 = cn2 / np.average(cn2, weights=sizes)
    sd2 = 0.06 * np.sqrt(level2)
    assert scaled_profile_mismatch(level2 + rng.normal(0, sd2), sd2, level, sd, sizes) > 0


def test_site_likelihoods_are_stored_single_and_summed_double():
    # Half the memory per cell (1,000 cells x 6,000 bins with allele counts peaked at
    # 1.94 GB with double precision); segment sums match double precision.
    from ctcgenomics.cnv._alleles import SiteLikelihood, segment_alleles, site_likelihood

    rng = np.random.default_rng(3)
    n_sites = 5000
    n = rng.poisson(3.0, n_sites) + 1
    b = rng.binomial(n, 1 / 3)
    bins = np.sort(rng.integers(0, 100, n_sites))
    counts = AlleleCounts(np.zeros(n_sites, int), bins, np.arange(n_sites), n - b, b)
    sites = site_likelihood(counts, rho=0.05, max_cn=8)
    assert sites.ll.dtype == np.float32
    double = SiteLikelihood(sites.bin, sites.ll.astype(float), sites.reads.astype(float))
    double.ll[:] = mirrored_loglik(n - b, b, _fractions(8)[0], 0.05, 0.0)
    seg_of_bin = np.repeat(np.arange(4), 25)
    got = segment_alleles(sites, seg_of_bin, 4, max_cn=8)
    want = segment_alleles(double, seg_of_bin, 4, max_cn=8)
    assert np.allclose(got.by_cn, want.by_cn, atol=1e-3)
    assert (got.minor == want.minor).all()
    assert (got.n_reads == want.n_reads).all()


def test_member_levels_equal_per_segment_nanmedians():
    # The vectorised clone-prior levels equal a loop of nanmedian calls per segment
    # (ties, empty and all-NaN segments included).
    from ctcgenomics.cnv._joint import member_levels

    rng = np.random.default_rng(1)
    for case in range(100):
        n_bins = int(rng.integers(1, 300))
        n_seg = int(rng.integers(1, min(n_bins, 40) + 1))
        seg = np.sort(rng.integers(0, n_seg, n_bins))
        others = np.round(rng.gamma(2.0, 0.5, (int(rng.integers(1, 6)), n_bins)), 1)
        others[rng.random(others.shape) < 0.2] = np.nan
        if case % 5 == 0:
            others[:, seg == seg[0]] = np.nan
        want = np.full((n_seg, len(others)), np.nan)
        for s in range(n_seg):
            if (seg == s).any() and np.isfinite(others[:, seg == s]).any():
                for k in range(len(others)):
                    vals = others[k, seg == s]
                    if np.isfinite(vals).any():
                        want[s, k] = np.nanmedian(vals)
        got = member_levels(seg, n_seg, others)
        assert np.array_equal(got, want, equal_nan=True), case
