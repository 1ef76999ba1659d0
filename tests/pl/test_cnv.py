"""ctc.pl.cnv_heatmap and ctc.pl.cnv_profiles on copy numbers of known clones."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.colors import to_rgba

import ctcgenomics as ctc
from ctcgenomics.pl._cnv import CN_COLOURS, NOT_CALLED


def _drawn(fig, n_annotations=3):
    """Row labels and the image of the heatmap axes."""
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    return names, fig.axes[n_annotations].images[0].get_array()


def test_heatmap_image_is_the_matrix_in_the_drawn_row_order(cnv_adata):
    fig = ctc.pl.cnv_heatmap(cnv_adata)
    names, image = _drawn(fig)
    assert sorted(names) == sorted(cnv_adata.obs_names)
    used = cnv_adata.var["used"].to_numpy()
    expected = cnv_adata[names].layers["copy_number"][:, used]
    assert image.shape == expected.shape  # the two unused bins are not drawn
    np.testing.assert_array_equal(np.ma.getmaskarray(image), np.isnan(expected))
    np.testing.assert_array_equal(image.filled(-1), np.nan_to_num(expected, nan=-1))


def test_heatmap_groups_by_role_and_clone_and_separates_contigs(cnv_adata):
    fig = ctc.pl.cnv_heatmap(cnv_adata)
    names, _ = _drawn(fig)
    obs = cnv_adata.obs.loc[names]
    assert list(obs["role"]) == ["ctc"] * 6 + ["wbc"] * 3
    assert list(obs["clone"]) == ["A"] * 3 + ["B"] * 3 + ["none"] * 3
    heat = fig.axes[3]
    assert [line.get_xdata()[0] for line in heat.lines] == [19.5]  # chr2 starts at bin 20
    assert [t.get_text() for t in heat.get_xticklabels()] == ["1", "2"]
    assert "by role, clone" in fig._suptitle.get_text()


def test_heatmap_clustering_alone_recovers_the_clones(cnv_adata):
    names, _ = _drawn(ctc.pl.cnv_heatmap(cnv_adata, groupby=()))
    clones = "".join(cnv_adata.obs.loc[names, "clone"].str[0])
    # Each clone's cells are drawn together, whatever the order of the clones.
    assert re.fullmatch(r"(A{3}|B{3}|n{3}){3}", clones) and len(set(clones)) == 3


def test_heatmap_colours_copy_numbers_and_not_called(cnv_adata):
    image = ctc.pl.cnv_heatmap(cnv_adata).axes[3].images[0]
    for cn, colour in enumerate(CN_COLOURS):
        assert image.cmap(image.norm(cn)) == to_rgba(colour)
    assert image.cmap.get_bad() == pytest.approx(to_rgba(NOT_CALLED))
    cnv_adata.layers["copy_number"][5, 0] = 12  # drawn as the top colour, 8+
    names, drawn = _drawn(ctc.pl.cnv_heatmap(cnv_adata))
    assert drawn[names.index(cnv_adata.obs_names[5]), 0] == len(CN_COLOURS) - 1


def test_heatmap_saves_only_when_asked(cnv_adata, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctc.pl.cnv_heatmap(cnv_adata)
    assert list(tmp_path.iterdir()) == []
    ctc.pl.cnv_heatmap(cnv_adata, save=tmp_path / "heat.png")
    ctc.pl.cnv_heatmap(cnv_adata, save=tmp_path / "heat.pdf")
    assert (tmp_path / "heat.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "heat.pdf").read_bytes()[:4] == b"%PDF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["heat.pdf", "heat.png"]


def test_profiles_write_one_page_per_group_of_cells(cnv_adata, tmp_path):
    path = ctc.pl.cnv_profiles(cnv_adata, tmp_path / "profiles.pdf", per_page=4)
    pages = re.findall(rb"/Type /Page\b(?!s)", path.read_bytes())
    assert len(pages) == 3  # 9 cells, 4 a page
    with pytest.raises(KeyError, match="nope"):
        ctc.pl.cnv_profiles(cnv_adata, tmp_path / "x.pdf", cells=["nope"])
