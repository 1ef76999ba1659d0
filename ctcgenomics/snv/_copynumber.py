"""Copy number from the CNV step at the SNV sites: per linked cell, or per draw."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ctcgenomics.snv._model import ModelParams

if TYPE_CHECKING:  # anndata is imported where an AnnData is made or read
    import anndata as ad

log = logging.getLogger(__name__)


def _bin_index(cnv_var: pd.DataFrame, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Index of the bin holding each 1-based position (-1 if none)."""
    out = np.full(len(pos), -1)
    starts = cnv_var["start"].to_numpy()
    ends = cnv_var["end"].to_numpy()
    chroms = cnv_var["chrom"].astype(str).to_numpy()
    for contig in np.unique(chrom):
        bins = np.flatnonzero(chroms == contig)
        if not len(bins):
            continue
        order = bins[np.argsort(starts[bins])]
        sel = np.flatnonzero(chrom == contig)
        p0 = pos[sel] - 1
        j = np.searchsorted(starts[order], p0, side="right") - 1
        ok = (j >= 0) & (p0 < ends[order][np.clip(j, 0, None)])
        out[sel[ok]] = order[j[ok]]
    return out


def _check_bin_contigs(cnv_var: pd.DataFrame, chrom: np.ndarray) -> None:
    """Raise if no SNV site is on a contig of the bins; warn about site contigs without bins.

    Sites without a bin stay diploid; when that is every site because the contigs are
    named differently (``17`` vs ``chr17``), the copy number would be silently unused.
    """
    from ctcgenomics._errors import ReferenceMismatchError

    sites = sorted(set(chrom))
    bins = sorted(set(cnv_var["chrom"].astype(str)))
    shared = set(sites) & set(bins)
    if sites and not shared:
        raise ReferenceMismatchError(
            f"copy-number bins are on contigs {bins[:3]}{' ...' if len(bins) > 3 else ''} but "
            f"the SNV sites on {sites[:3]}: none shared, so no site would get its copy "
            "number; pass the cnv.h5ad of the same reference (contig names, build) or leave "
            "out the copy-number input"
        )
    absent = [c for c in sites if c not in shared]
    if absent:
        log.warning(
            "copy-number bins cover no site on %s: sites there are taken as diploid",
            ", ".join(absent[:10]),
        )


def add_copy_number(
    adata: ad.AnnData,
    cnv: ad.AnnData | str | os.PathLike[str],
    *,
    link: Mapping[str, str] | None = None,
    max_copy_number: int = ModelParams.max_copy_number,
    copy: bool = False,
) -> ad.AnnData | None:
    """Attach the CNV step's copy number at each SNV site to an SNV AnnData.

    A cell of the SNV run takes the copy number of its CNV cell: the cell of the same ID
    in ``cnv``, or ``link[cell]`` (the low-pass library of the same amplified cell, e.g.
    from the cell sheet's ``cnv_cell`` column). CTCs without a linked CNV cell take their
    draw's distribution of copy number over the QC-passing CNV CTCs of that draw (the
    same tumour population), mixed with diploid by one pseudo-cell; WBCs stay diploid.
    CNV cells not used by any SNV cell are ignored with a warning that lists them;
    copy-number input without cells (e.g. the placeholder of a failed CNV stage) is
    ignored with a warning.

    Parameters
    ----------
    adata
        SNV AnnData (cells x alleles; ``var`` chrom/pos, ``obs`` role/draw).
    cnv
        ``results/cnv/{patient}/cnv.h5ad`` or its AnnData: cells x bins, ``var``
        chrom/start/end (0-based), ``layers["copy_number"]``; ``obs`` role, draw,
        qc_pass (optional).
    link
        SNV cell -> CNV cell, for libraries of one cell under two IDs.
    max_copy_number
        Copy numbers above this are stored as this.
    copy
        Return a copy instead of writing into ``adata``.

    Returns
    -------
    AnnData or None
        The annotated copy if ``copy``, else ``None`` (``adata`` is written in place).

    Notes
    -----
    Writes ``layers["copy_number"]`` (float, NaN where unknown), ``obs["copy_number_source"]``
    (``cell``, ``draw`` or ``none``) and ``uns["snv_copy_number"]`` (per-draw copy-number
    distributions at the sites, ``(sites, C)``).
    """
    if copy:
        adata = adata.copy()
        add_copy_number(adata, cnv, link=link, max_copy_number=max_copy_number)
        return adata
    if isinstance(cnv, str | os.PathLike):
        import anndata as ad

        path = cnv
        try:
            cnv = ad.read_h5ad(path)
        except OSError as err:
            raise OSError(
                f"{path}: cannot read the copy-number AnnData ({err}); pass "
                "results/cnv/{patient}/cnv.h5ad from `ctcg cnv`"
            ) from err
    from ctcgenomics.io.stage_status import STATUS_KEY

    if cnv.n_obs == 0 or STATUS_KEY in cnv.uns:
        status = cnv.uns.get(STATUS_KEY, {})
        log.warning(
            "copy-number input has no cell%s: genotypes assume two copies everywhere",
            f" (the CNV stage failed: {status.get('reason', '')})" if status else "",
        )
        return
    if "copy_number" not in cnv.layers:
        raise KeyError(
            "copy-number AnnData has no layer 'copy_number'; pass the cnv.h5ad written by "
            "`ctcg cnv` (cells x bins with layers counts, ratio, copy_number)"
        )
    missing = [c for c in ("chrom", "start", "end") if c not in cnv.var]
    if missing:
        raise KeyError(
            f"copy-number AnnData: var lacks {missing}; bins need chrom, start, end (0-based)"
        )
    link = dict(link or {})
    cnv_cells = set(map(str, cnv.obs_names))
    snv_cells = [str(c) for c in adata.obs_names]
    partner = {}
    for c in snv_cells:
        target = link.get(c, c)
        if target in cnv_cells:
            partner[c] = target
        elif c in link:
            log.warning(
                "cell %s: linked CNV cell %s is not in the copy-number data; it is "
                "treated as unlinked",
                c,
                target,
            )
    unused = sorted(cnv_cells - set(partner.values()))
    if unused:
        log.warning(
            "copy-number data: %d cell(s) not in this SNV run are ignored (used only for "
            "their draw's copy-number distribution if they are CTCs): %s",
            len(unused),
            ", ".join(unused),
        )
    chrom = adata.var["chrom"].astype(str).to_numpy()
    pos = adata.var["pos"].to_numpy().astype(int)
    _check_bin_contigs(cnv.var, chrom)
    idx = _bin_index(cnv.var, chrom, pos)
    cn_all = np.asarray(cnv.layers["copy_number"], dtype=float)
    row = {c: i for i, c in enumerate(map(str, cnv.obs_names))}
    at_sites = np.where(idx[None, :] >= 0, cn_all[:, np.clip(idx, 0, None)], np.nan)
    at_sites = np.clip(at_sites, 0, max_copy_number)
    layer = np.full((adata.n_obs, adata.n_vars), np.nan)
    source = np.array(["none"] * adata.n_obs, dtype=object)
    for i, c in enumerate(snv_cells):
        if c in partner:
            layer[i] = at_sites[row[partner[c]]]
            source[i] = "cell"
    # Per-draw distribution over the draw's QC-passing CNV CTCs.
    obs = cnv.obs
    role = obs["role"].astype(str).str.lower() if "role" in obs else pd.Series("ctc", obs.index)
    qc = obs["qc_pass"].astype(bool) if "qc_pass" in obs else pd.Series(True, obs.index)
    draw = obs["draw"].astype(str) if "draw" in obs else pd.Series("", obs.index)
    dists: dict[str, np.ndarray] = {}
    for d in sorted(set(draw[(role == "ctc") & qc])):
        rows = [row[str(c)] for c in obs.index[((role == "ctc") & qc & (draw == d)).to_numpy()]]
        vals = at_sites[rows]  # (cells, sites)
        counts = np.zeros((adata.n_vars, max_copy_number + 1))
        for v in vals:
            ok = np.isfinite(v)
            counts[np.flatnonzero(ok), np.round(v[ok]).astype(int)] += 1
        counts[:, 2] += 1  # one diploid pseudo-cell
        dists[d] = counts / counts.sum(axis=1, keepdims=True)
    roles = (
        adata.obs["role"].astype(str).str.lower().to_numpy()
        if "role" in adata.obs
        else np.array(["ctc"] * adata.n_obs)
    )
    draws = (
        adata.obs["draw"].astype(str).to_numpy()
        if "draw" in adata.obs
        else np.array([""] * adata.n_obs)
    )
    for i in range(adata.n_obs):
        if source[i] == "none" and roles[i] == "ctc" and draws[i] in dists:
            source[i] = "draw"
    adata.layers["copy_number"] = layer.astype(np.float32)
    adata.obs["copy_number_source"] = pd.Categorical(source, categories=["cell", "draw", "none"])
    adata.uns["snv_copy_number"] = {"draw_distributions": dists}
    log.info(
        "copy number: %d cell(s) linked, %d from their draw's distribution, %d diploid",
        int((source == "cell").sum()),
        int((source == "draw").sum()),
        int((source == "none").sum()),
    )


def copy_number_probabilities(
    adata: ad.AnnData, cn_error: float, max_copy_number: int
) -> np.ndarray | None:
    """``(cells, sites, C)`` copy-number probabilities for the genotype model, or ``None``.

    A linked cell's copy number with probability ``1 - cn_error`` (else diploid); a CTC of
    a draw with CNV CTCs, that draw's distribution; otherwise diploid.
    """
    if "copy_number" not in adata.layers:
        return None
    cn = np.asarray(adata.layers["copy_number"], dtype=float)
    known = np.isfinite(cn)
    dists = adata.uns.get("snv_copy_number", {}).get("draw_distributions", {})
    source = (
        adata.obs["copy_number_source"].astype(str).to_numpy()
        if "copy_number_source" in adata.obs
        else np.where(known.any(axis=1), "cell", "none")
    )
    if not known.any() and not (source == "draw").any():
        return None
    cmax = max_copy_number
    p = np.zeros((*cn.shape, cmax + 1))
    p[..., 2] = 1.0
    idx = np.clip(np.nan_to_num(np.round(cn), nan=2.0), 0, cmax).astype(int)
    own = np.zeros_like(p)
    np.put_along_axis(own, idx[..., None], 1.0, axis=-1)
    p = np.where(known[..., None], (1 - cn_error) * own + cn_error * p, p)
    draws = adata.obs["draw"].astype(str).to_numpy() if "draw" in adata.obs else None
    for i in np.flatnonzero(source == "draw"):
        d = np.asarray(dists.get(draws[i])) if draws is not None and draws[i] in dists else None
        if d is not None and d.shape == (adata.n_vars, cmax + 1):
            p[i] = d
    return p
