"""Figures of every stage, scanpy-style: one function per figure.

Each function takes the AnnData a stage writes (or the table the report holds),
draws one figure and returns the matplotlib :class:`~matplotlib.figure.Figure`
(or the :class:`~matplotlib.axes.Axes` when drawn into a given ``ax=``). A file is
written only when ``save=`` is given; ``show=True`` shows the figure with whatever
backend is active. Nothing here selects a matplotlib backend, and matplotlib loads
only when a function is first used. The stage commands and the patient report call
these same functions, so each figure is drawn once.

Examples
--------
>>> import ctcgenomics as ctc
>>> fig = ctc.pl.cnv_heatmap(cnv_adata)  # doctest: +SKIP
>>> fig.savefig("heatmap.pdf")  # doctest: +SKIP
>>> ctc.pl.emt_stemness(rna_adata, save="emt_stemness.png")  # doctest: +SKIP
"""

from __future__ import annotations

from ctcgenomics._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "cnv_heatmap": "ctcgenomics.pl._cnv",
    "cnv_profiles": "ctcgenomics.pl._cnv",
    "genotype_matrix": "ctcgenomics.pl._snv",
    "emt_stemness": "ctcgenomics.pl._rna",
    "rna_markers": "ctcgenomics.pl._rna",
    "rna_umap": "ctcgenomics.pl._rna",
    "timeline": "ctcgenomics.pl._serial",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
