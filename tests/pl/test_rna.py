"""ctc.pl.emt_stemness, rna_markers and rna_umap on cells of known scores."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import ctcgenomics as ctc
from ctcgenomics.pl._rna import CLASS_COLOURS


def _points(ax) -> dict[str, np.ndarray]:
    return {c.get_label(): np.asarray(c.get_offsets()) for c in ax.collections}


@pytest.mark.parametrize("as_anndata", [False, True], ids=["table", "anndata"])
def test_emt_stemness_draws_each_cell_by_class_and_draw(rna_obs, as_anndata):
    data = ad.AnnData(obs=rna_obs) if as_anndata else rna_obs
    ax = ctc.pl.emt_stemness(data).axes[0]
    points = _points(ax)
    assert set(points) == {"CTC, D1", "CTC, D2", "WBC, D1"}
    ctc_d1 = rna_obs[(rna_obs["cell_class"] == "CTC") & (rna_obs["draw"] == "D1")]
    np.testing.assert_array_equal(points["CTC, D1"], ctc_d1[["emt_score", "stemness"]].to_numpy())
    colours = {c.get_label(): tuple(c.get_facecolor()[0][:3]) for c in ax.collections}
    assert colours["CTC, D2"] == to_rgba(CLASS_COLOURS["CTC"])[:3]
    assert colours["WBC, D1"] == to_rgba(CLASS_COLOURS["WBC"])[:3]
    paths = {c.get_label(): c.get_paths()[0].vertices.shape for c in ax.collections}
    assert paths["CTC, D1"] != paths["CTC, D2"]  # one marker per draw


def test_emt_stemness_into_axes_and_missing_column(rna_obs):
    fig = Figure()
    ax = fig.add_subplot()
    assert ctc.pl.emt_stemness(rna_obs, ax=ax) is ax
    with pytest.raises(ValueError, match=r"stemness.*score_stemness"):
        ctc.pl.emt_stemness(rna_obs.drop(columns="stemness"))


def _rna_adata(rna_obs: pd.DataFrame) -> ad.AnnData:
    genes = ["EPCAM", "KRT8", "PTPRC", "ERBB2", "GAPDH"]
    x = np.random.default_rng(3).poisson(2.0, (len(rna_obs), len(genes))).astype(np.float32)
    obs = rna_obs.assign(cell_class=rna_obs["cell_class"].astype("category"))
    return ad.AnnData(X=x, obs=obs, var=pd.DataFrame(index=genes))


def test_marker_dotplot_shows_the_measured_markers(rna_obs, tmp_path):
    fig = ctc.pl.rna_markers(_rna_adata(rna_obs), save=tmp_path / "dots.png")
    texts = {t.get_text() for ax in fig.axes for t in ax.get_xticklabels()}
    assert {"EPCAM", "KRT8", "PTPRC", "ERBB2"} <= texts and "GAPDH" not in texts
    assert (tmp_path / "dots.png").read_bytes()[:4] == b"\x89PNG"


def test_umap_panels_or_a_note(rna_obs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    adata = _rna_adata(rna_obs)
    fig = ctc.pl.rna_umap(adata)
    assert "too few cells" in fig.axes[0].texts[0].get_text()
    adata.obsm["X_umap"] = np.random.default_rng(0).normal(size=(adata.n_obs, 2))
    fig = ctc.pl.rna_umap(adata)
    titles = {ax.get_title() for ax in fig.axes}
    assert {"cell_class", "draw", "emt_score"} <= titles
    assert list(tmp_path.iterdir()) == []  # nothing saved unless asked
