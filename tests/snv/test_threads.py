"""`threads` reads the BAMs in parallel without changing a single call."""

import numpy as np
import pandas as pd
import pytest
from conftest import call_subset

from ctcgenomics.snv._pileup import _window_batches
from ctcgenomics.snv._sites import Chunk


def test_window_batches_are_contiguous_and_cover_every_window():
    chunks = [Chunk("chr1", i * 1000, i * 1000 + size) for i, size in enumerate([5, 900, 30] * 7)]
    for n in (1, 2, 5, 21, 40):
        batches = _window_batches(chunks, n)
        assert [c for b in batches for c in b] == chunks
        assert 1 <= len(batches) <= min(n, len(chunks))


@pytest.mark.parametrize("threads", [2, 3])
def test_threads_give_the_same_calls(panel_data, panel_calls, threads):
    # the cells of panel_calls: the 10 CTCs and the 2 deep WBCs
    calls = call_subset(panel_data, list(panel_calls.obs_names), threads=threads)
    assert calls.n_vars == panel_calls.n_vars > 0
    pd.testing.assert_frame_equal(calls.var, panel_calls.var)
    pd.testing.assert_frame_equal(calls.obs, panel_calls.obs)
    for layer in ("ref", "alt", "depth", "genotype", "posterior"):
        np.testing.assert_array_equal(calls.layers[layer], panel_calls.layers[layer])
