"""Fit the packaged CTC calibration (ctcgenomics/data/rna/ctc_calibration_v2.json).

What is fitted, and on what:

- ``effect.blood``: the Beta
  shape of a lineage programme's enrichment fraction ``z / z_max`` in cells *of that
  lineage*, by maximum likelihood on real, correctly labelled blood cells that ship with
  the dependencies: 700 PBMCs (10x, ``scanpy.datasets.pbmc68k_reduced``) and the 19
  microglia/macrophages of the oligodendroglioma data (Tirosh et al. 2016,
  ``infercnvpy.datasets.oligodendroglioma``); per cell the strongest blood programme.
- ``effect.tumour``, ``effect.platelet`` and ``effect.erythrocyte`` stay uniform,
  Beta(1, 1): no correctly labelled real CTCs, platelets or erythrocytes are available
  (docs/rna.md), and CTCs lose lineage markers to any degree.
- ``prior``: not fitted (no labelled cohort gives the composition of CTC samples, which
  ranges from 1 CTC in 500 blood cells to CTCs only): the four kinds and "none" are
  equally likely.

    python benchmarks/fit_rna_calibration.py [--write]

Prints the fitted shapes; ``--write`` rewrites the JSON.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import scanpy as sc

from ctcgenomics.rna import score_programmes
from ctcgenomics.rna._classify import fit_effect_prior

warnings.filterwarnings("ignore")
OUT = (
    Path(__file__).resolve().parents[1] / "ctcgenomics" / "data" / "rna" / "ctc_calibration_v2.json"
)


def blood_fractions() -> dict[str, np.ndarray]:
    import infercnvpy as cnv

    glioma = cnv.datasets.oligodendroglioma()
    pbmc = sc.datasets.pbmc68k_reduced().raw.to_adata()
    out = {}
    for name, a, mask in (
        ("pbmc68k_reduced", pbmc, np.ones(pbmc.n_obs, bool)),
        (
            "oligodendroglioma microglia/macrophages",
            glioma,
            (glioma.obs["cell_type"] == "Microglia/Macrophage").to_numpy(),
        ),
    ):
        score_programmes(a, tumour_type="BRCA")
        blood = a.uns["programme"]["kinds"]["blood"]
        z, zmax = a.obsm["programme_z"][blood], a.obsm["programme_zmax"][blood]
        f = (z / zmax.where(zmax > 0)).max(axis=1).to_numpy()
        out[name] = f[mask]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    fr = blood_fractions()
    pooled = np.concatenate(list(fr.values()))
    shape = {k: round(v, 3) for k, v in fit_effect_prior(pooled).items()}
    for name, f in fr.items():
        print(f"{name}: {np.isfinite(f).sum()} cells, median fraction {np.nanmedian(f):.2f}")
    print("blood effect prior", shape)
    cal = {
        "name": "ctc_calibration",
        "version": "2",
        "date": "2026-11",
        "model": (
            "per-cell rank test of each programme against silent lineage genes of the same "
            "cell; Bayes factor per kind with the enrichment a Beta-distributed fraction of "
            "its largest possible value in that cell; posterior over the kinds and 'none'; "
            "a class is called when its posterior exceeds min_posterior; Platt layer on the "
            "CTC log-odds"
        ),
        "effect": {
            "tumour": {"a": 1.0, "b": 1.0},
            "blood": shape,
            "platelet": {"a": 1.0, "b": 1.0},
            "erythrocyte": {"a": 1.0, "b": 1.0},
        },
        "prior": {
            "tumour": 0.2,
            "blood": 0.2,
            "platelet": 0.2,
            "erythrocyte": 0.2,
            "none": 0.2,
        },
        "min_posterior": 0.5,
        "platt": {"intercept": 0.0, "slope": 1.0},
        "fitted": False,
        "fitted_on": {name: {"cells": int(np.isfinite(f).sum())} for name, f in fr.items()},
        "provenance": (
            "Written by benchmarks/fit_rna_calibration.py. effect.blood: maximum-likelihood "
            "Beta of the strongest blood programme's enrichment fraction (z / z_max) in "
            "real, correctly labelled blood cells shipped with the dependencies (700 PBMCs "
            "of scanpy.datasets.pbmc68k_reduced; 19 microglia/macrophages of "
            "infercnvpy.datasets.oligodendroglioma, Tirosh et al. 2016). effect.tumour, "
            "effect.platelet, effect.erythrocyte: uniform, because no correctly labelled "
            "real CTCs, platelets or erythrocytes are available (the unCTC breast matrix's "
            "gene labels do not match its values; docs/rna.md) and CTCs lose lineage "
            "markers to any degree. prior: not fitted; the four kinds and 'none' equally "
            "likely (CTC samples range from 1 CTC in 500 blood cells to CTCs only). Platt "
            "layer: identity (fitted: false); fit it on labelled CTC/WBC cells with "
            "ctcgenomics.rna.fit_calibration."
        ),
    }
    if args.write:
        OUT.write_text(json.dumps(cal, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
