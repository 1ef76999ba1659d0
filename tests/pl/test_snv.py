"""ctc.pl.genotype_matrix on genotypes of known cells and variants."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import ctcgenomics as ctc
from ctcgenomics.pl._snv import GT_COLOURS


def test_matrix_is_the_somatic_genotypes_by_draw_role_and_cell(snv_adata):
    fig = ctc.pl.genotype_matrix(snv_adata)
    ax = fig.axes[0]
    image = ax.images[0]
    order = ["c0", "c2", "w1", "c1"]  # D1 CTCs, D1 WBC, then D2
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == ["c0 (ctc, D1)", "c2 (ctc, D1)", "w1 (wbc, D1)", "c1 (ctc, D2)"]
    expected = snv_adata[order, ["v1", "v3"]].layers["genotype"]
    np.testing.assert_array_equal(image.get_array(), expected + 1)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["TP53 p.R175H", "PIK3CA p.H1047R"]


def test_colours_map_to_genotypes(snv_adata):
    ax = ctc.pl.genotype_matrix(snv_adata).axes[0]
    image = ax.images[0]
    for code, colour in zip((-1, 0, 1, 2), GT_COLOURS, strict=True):
        assert image.cmap(image.norm(code + 1)) == to_rgba(colour)
    box = ax.get_legend()
    legend = {t.get_text(): h.get_facecolor()
              for t, h in zip(box.get_texts(), box.legend_handles, strict=True)}  # fmt: skip
    assert legend["heterozygous"] == to_rgba(GT_COLOURS[2])
    assert legend["not evaluable"] == to_rgba(GT_COLOURS[0])


def test_variant_selection_labels_and_cap(snv_adata):
    ax = ctc.pl.genotype_matrix(snv_adata, variants=None).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][1] == "chr3:100"  # not annotated
    ax = ctc.pl.genotype_matrix(snv_adata, variants=["v2"], labels=["x"]).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x"]
    ax = ctc.pl.genotype_matrix(snv_adata, max_variants=1).axes[0]
    assert ax.images[0].get_array().shape == (4, 1)
    assert "first 1 of 2" in ax.get_title()
    with pytest.raises(KeyError, match="nope"):
        ctc.pl.genotype_matrix(snv_adata, variants=["nope"])


def test_draws_into_given_axes(snv_adata):
    fig = Figure()
    ax = fig.add_subplot()
    assert ctc.pl.genotype_matrix(snv_adata, ax=ax) is ax
    assert len(fig.axes) == 1 and len(ax.images) == 1


def test_no_variant_says_so_and_saves_only_when_asked(snv_adata, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig = ctc.pl.genotype_matrix(snv_adata[:, []].copy())
    assert "no cell or no variant" in fig.axes[0].texts[0].get_text()
    assert list(tmp_path.iterdir()) == []
    ctc.pl.genotype_matrix(snv_adata, save=tmp_path / "gt.png")
    assert (tmp_path / "gt.png").read_bytes()[:4] == b"\x89PNG"
