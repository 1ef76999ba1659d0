"""Small AnnData objects with known content for the figure tests."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def cnv_adata() -> ad.AnnData:
    """Three WBCs (diploid) and six CTCs in two clones of known profile, two contigs."""
    rng = np.random.default_rng(7)
    n_bins = 40
    diploid = np.full(n_bins, 2.0)
    clone_a = diploid.copy()
    clone_a[:15] = 4
    clone_b = diploid.copy()
    clone_b[25:] = 1
    cells = ["W1", "W2", "W3", "A1", "B1", "A2", "B2", "A3", "B3"]  # clones interleaved
    clone = ["none"] * 3 + ["A", "B"] * 3
    profile = {"none": diploid, "A": clone_a, "B": clone_b}
    cn = np.array([profile[c] for c in clone])
    cn[rng.random(cn.shape) < 0.05] = 3  # a few bins off the clone profile
    cn[4, 10] = np.nan  # one bin not called
    obs = pd.DataFrame(
        {
            "role": ["wbc"] * 3 + ["ctc"] * 6,
            "clone": clone,
            "draw": ["D1", "D2", "D1", "D1", "D2", "D2", "D1", "D1", "D2"],
            "ploidy": 2.0,
        },
        index=cells,
    )
    var = pd.DataFrame(
        {
            "chrom": ["chr1"] * 20 + ["chr2"] * 20,
            "start": np.r_[np.arange(20), np.arange(20)] * 1000,
            "used": np.r_[np.ones(38, bool), np.zeros(2, bool)],
        },
        index=[f"bin{j}" for j in range(n_bins)],
    )
    ratio = np.nan_to_num(cn, nan=2.0) / 2.0
    return ad.AnnData(obs=obs, var=var, layers={"copy_number": cn, "ratio": ratio})


@pytest.fixture
def snv_adata() -> ad.AnnData:
    """Four cells x three variants (two somatic), every genotype code present."""
    gt = np.array([[0, 1, -1], [2, 0, 1], [-1, 1, 0], [1, 2, 2]], dtype=np.int8)
    obs = pd.DataFrame(
        {"role": ["ctc", "wbc", "ctc", "ctc"], "draw": ["D2", "D1", "D1", "D1"]},
        index=["c1", "w1", "c2", "c0"],
    )
    var = pd.DataFrame(
        {
            "gene": ["TP53", "", "PIK3CA"],
            "HGVSp": ["p.R175H", "", "p.H1047R"],
            "chrom": ["chr17", "chr3", "chr3"],
            "pos": [7675088, 100, 179234297],
            "somatic": [True, False, True],
        },
        index=["v1", "v2", "v3"],
    )
    return ad.AnnData(obs=obs, var=var, layers={"genotype": gt})


@pytest.fixture
def rna_obs() -> pd.DataFrame:
    """Per-cell RNA table: two classes, two draws, known scores."""
    return pd.DataFrame(
        {
            "cell_class": ["CTC", "CTC", "WBC", "WBC", "CTC"],
            "draw": ["D1", "D2", "D1", "D1", "D1"],
            "emt_score": [-1.0, 0.5, 0.2, 0.1, -0.3],
            "stemness": [0.3, 0.9, -0.2, -0.1, 0.0],
        },
        index=[f"cell{i}" for i in range(5)],
    )
