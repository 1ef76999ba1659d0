"""Allelic dropout that varies along the genome (dropout_rate: [low, high])."""

import numpy as np
import pytest

from ctcgenomics.simulate import load_spec
from ctcgenomics.simulate._genome import (
    build_cell_genome,
    cell_truth,
    clone_karyotypes,
    dropout_rate_at,
    variant_catalogue,
)

from .conftest import cell


def _genome(make_spec, window=2000, **cell_kw):
    spec = load_spec(
        make_spec(
            germline={"n_het_snps": 3000},
            dropout_window=window,
            dropout_length=100_000,
            cells=[cell("C1", mean_depth=10, **cell_kw)],
        )
    )
    ref = spec.load_reference()
    cat = variant_catalogue(spec, ref)
    genome = build_cell_genome(spec, ref, spec.cells[0], clone_karyotypes(spec, ref), cat)
    return spec, ref, cat, genome


def test_rate_varies_smoothly_between_low_and_high(make_spec):
    spec, ref, _, _ = _genome(make_spec, dropout_rate=[0.1, 0.4])
    assert spec.cells[0].dropout_range == (0.1, 0.4)
    assert spec.cells[0].dropout_rate == pytest.approx(0.25)
    x = np.arange(0, ref.total_length, 5_000)
    rate = dropout_rate_at(spec, ref, spec.cells[0], x)
    assert rate.min() >= 0.1 and rate.max() <= 0.4
    assert rate.max() - rate.min() > 0.15  # it does vary
    # neighbours 5 kb apart are alike; positions 500 kb apart are not
    assert np.corrcoef(rate[:-1], rate[1:])[0, 1] > 0.9
    assert abs(np.corrcoef(rate[:-100], rate[100:])[0, 1]) < 0.5


def test_heterozygous_loci_drop_at_the_local_rate(make_spec):
    """Regional dropout: the fraction of het loci losing an allele follows the local rate
    (whatever the density of loci), and loci a few hundred bp apart share their fate."""
    spec, ref, cat, genome = _genome(make_spec, window=500, dropout_rate=[0.05, 0.6])
    germ = cat[cat["origin"] == "germline"].reset_index(drop=True)
    truth = cell_truth(genome, germ)
    rate = dropout_rate_at(spec, ref, spec.cells[0], germ["gpos"].to_numpy())
    do = truth["DO"].to_numpy()
    # ~3000 loci but only a few hundred lost segments in 1.4 Mb: loose bounds
    assert do.mean() == pytest.approx(rate.mean(), abs=0.08)
    low, high = rate < np.quantile(rate, 0.3), rate > np.quantile(rate, 0.7)
    assert do[high].mean() > do[low].mean() + 0.15
    gpos = germ["gpos"].to_numpy()
    close = np.flatnonzero(np.diff(gpos) < 100)
    assert len(close) > 50
    agree = (do[close] == do[close + 1]).mean()
    assert agree > 0.85


def test_constant_rate_cells_are_unchanged(make_spec):
    """A number keeps the per-locus model (and its random draws) exactly."""
    spec, _, _, genome = _genome(make_spec, dropout_rate=0.3)
    assert spec.cells[0].dropout_range is None
    again = _genome(make_spec, dropout_rate=0.3)[3]
    for h in (0, 1):
        assert np.array_equal(genome.dropout[h][0], again.dropout[h][0])


def test_bad_range_is_a_spec_error(make_spec):
    from ctcgenomics.simulate import SpecError

    with pytest.raises(SpecError, match="dropout_rate"):
        load_spec(make_spec(cells=[cell("C1", dropout_rate=[0.4, 0.1])]))
    with pytest.raises(SpecError, match="dropout_rate"):
        load_spec(make_spec(cells=[cell("C1", dropout_rate=[0.1, 1.4])]))
