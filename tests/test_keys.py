"""Names in AnnData objects (``ctcgenomics._keys``)."""

from types import SimpleNamespace

import anndata as ad
import numpy as np

from ctcgenomics._keys import layer_names


def test_layer_names_leave_out_x_listed_as_layer_none():
    # anndata >= 0.13 lists X among the layers as None; messages offer only real layers.
    assert layer_names(SimpleNamespace(layers={None: 0, "counts": 1})) == ["counts"]
    a = ad.AnnData(np.ones((2, 3)))
    a.layers["counts"] = a.X.copy()
    assert layer_names(a) == ["counts"]
