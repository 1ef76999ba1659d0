"""The report's figures: drawn by :mod:`ctcgenomics.pl`, inlined as PNG data URIs.

The report holds tables (the cells with their sheet annotations, the reported
variants); each is handed to the same ``ctc.pl`` function the stage commands call,
so a figure looks the same in the stage output and in the patient report.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from anndata import AnnData

from ctcgenomics import pl

DPI = 110


def to_data_uri(fig) -> str:
    """Render a figure as a base64 PNG ``data:`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _cells_adata(cells: pd.DataFrame, columns: tuple[str, ...], **layers: np.ndarray) -> AnnData:
    obs = cells.set_index(cells["cell"].astype(str))[list(columns)].astype(str)
    obs.index.name = None
    n_vars = next(iter(layers.values())).shape[1]
    var = pd.DataFrame(index=[f"v{j}" for j in range(n_vars)])
    return AnnData(obs=obs, var=var, layers=layers)


def cnv_heatmap(cn: np.ndarray, chroms: np.ndarray, cells: pd.DataFrame) -> str:
    """Copy-number heatmap of all cells (``cell``, ``draw``, ``role``, ``clone`` columns)."""
    adata = _cells_adata(cells, ("draw", "role", "clone"), copy_number=np.asarray(cn, float))
    adata.var["chrom"] = np.asarray(chroms).astype(str)
    return to_data_uri(pl.cnv_heatmap(adata))


def genotype_matrix(gt: np.ndarray, labels: list[str], cells: pd.DataFrame) -> str:
    """Cells x variants genotypes of the reported variants (``cell``, ``draw``, ``role``)."""
    adata = _cells_adata(cells, ("draw", "role"), genotype=np.asarray(gt))
    return to_data_uri(pl.genotype_matrix(adata, variants=None, labels=labels))


def emt_stemness(rna: pd.DataFrame) -> str:
    """EMT score against stemness from the per-cell RNA table."""
    return to_data_uri(pl.emt_stemness(rna))


def timeline(draws: list[dict], series: list[dict], *, max_lines: int = 10) -> str:
    """CTC counts and alteration prevalence per draw (the ``serial`` section)."""
    return to_data_uri(pl.timeline(draws, series, max_lines=max_lines))
