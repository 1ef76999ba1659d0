"""The RNA pipeline (``ctcgenomics.rna._pipeline``) on degenerate but possible matrices."""

import logging

import numpy as np
import pytest
import scipy.sparse as sp

from ctcgenomics.rna._pipeline import analyse
from ctcgenomics.rna._simulate import simulate_draw


@pytest.mark.parametrize("dense", [True, False])
def test_matrix_of_empty_cells_is_all_low_quality_not_a_crash(dense, caplog):
    # A matrix whose cells hold no reads (a wrong layer, empty droplets) ended in an
    # IndexError in scanpy's highly_variable_genes after every cell had been classified.
    a = simulate_draw(4, 8, n_genes=500, seed=2)
    zeros = np.zeros(a.shape, dtype=np.float32)
    a.X = zeros if dense else sp.csr_matrix(zeros)
    with caplog.at_level(logging.WARNING):
        analyse(a, tumour_type="BRCA")
    assert (a.obs["cell_class"] == "low-quality").all()
    assert "too few for an embedding" in caplog.text
    assert "X_umap" not in a.obsm
