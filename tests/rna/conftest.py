from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "example" / "breast_ctc_wbc.h5ad"


@pytest.fixture(params=["dense", "csr", "csc"])
def as_format(request):
    def convert(x):
        x = np.asarray(x, dtype=np.float64)
        return {"dense": x, "csr": sp.csr_matrix(x), "csc": sp.csc_matrix(x)}[request.param]

    return convert
