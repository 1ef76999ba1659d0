"""Rows of the alterations table from gene-level calls (prevalence per draw)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ctcgenomics._reference_cells import reference_mask
from ctcgenomics.cnv._errors import CNVInputError
from ctcgenomics.io.alterations import alteration_row, alterations_frame

_REPORTED = ("AMPLIFICATION", "GAIN", "LOSS", "DELETION", "LOH")


def cnv_alterations(
    gene_calls: pd.DataFrame,
    obs: pd.DataFrame,
    *,
    patient: str,
    genes: list[str] | tuple[str, ...] | None = None,
    source: str = "ctcgenomics.cnv",
    reference_key: str = "role",
    reference_cat: str | Sequence[str] = "wbc",
) -> pd.DataFrame:
    """Prevalence of each gene-level copy-number alteration among a draw's CTCs.

    Evaluable cells are CTCs (not reference cells: ``obs[reference_key]`` not in
    ``reference_cat``, by default ``role != "wbc"``) that pass QC and have a copy
    number at the gene; a row is written for every alteration seen in at least one
    of them, with its Wilson interval (:func:`ctcgenomics.io.alteration_row`).

    Parameters
    ----------
    gene_calls
        Output of :func:`gene_calls`.
    obs
        Cell metadata with ``draw``, ``role`` and ``qc_pass`` (index = cells).
    patient
        Patient ID written in the rows.
    genes
        Genes to report (default all in ``gene_calls``).
    source
        Written in the ``source`` column.
    reference_key, reference_cat
        ``obs`` column and value(s) marking the normal reference cells (WBCs).
    """
    need = {"cell", "gene", "call", "extent", "copy_number", "ploidy"}
    missing = sorted(need - set(gene_calls.columns))
    if missing:
        raise CNVInputError(
            f"gene_calls lacks column(s) {missing}; pass the table of ctc.cnv.gene_calls"
        )
    if gene_calls.empty:
        return alterations_frame()
    calls = gene_calls[gene_calls["call"] != ""]
    if genes is not None:
        calls = calls[calls["gene"].isin(list(genes))]
    reference = reference_mask(obs, reference_key, reference_cat)
    qc = obs["qc_pass"].astype(bool) if "qc_pass" in obs else pd.Series(True, obs.index)
    ctc = obs.index[~reference & qc.to_numpy()]
    calls = calls[calls["cell"].isin(ctc)]
    draw_of = obs["draw"].astype(str) if "draw" in obs else pd.Series("", obs.index)
    calls = calls.assign(draw=calls["cell"].map(draw_of))
    if "loh" in calls:
        # LOH is a further row per gene (vocabulary: copy_number / LOH), next to any
        # LOSS or DELETION of the same cells; cells without allele evidence are not
        # evaluable for it (they have no minor copy number).
        loh = calls[calls["loh"].astype(bool)].assign(call="LOH", extent="")
        calls = pd.concat([calls, loh], ignore_index=True)
    rows = []
    for (draw, gene), grp in calls.groupby(["draw", "gene"], sort=True):
        n_eval = int(grp["cell"].nunique())
        for alteration in _REPORTED:
            hit = grp[grp["call"] == alteration]
            if hit.empty:
                continue
            n_focal = int((hit["extent"] == "focal").sum())
            evidence = (
                f"median CN {np.median(hit['copy_number']):g} at median ploidy "
                f"{np.median(hit['ploidy']):.2f}; focal in {n_focal}/{len(hit)} cells, "
                f"arm-level in {len(hit) - n_focal}"
            )
            if alteration == "LOH":
                evidence = (
                    f"minor copy number 0 (B-allele fractions at heterozygous SNPs) in "
                    f"{len(hit)} cells; median total CN {np.median(hit['copy_number']):g}"
                )
            elif "readout_call" in hit and (hit["readout_call"] == alteration).any():
                n_read = int((hit["readout_call"] == alteration).sum())
                evidence += (
                    f"; gene read-out (reads over the gene and flank) in {n_read} cells, "
                    f"median {np.nanmedian(hit['readout_cn']):.1f} copies"
                )
            if "warning" in hit and hit["warning"].astype(str).str.len().gt(0).any():
                evidence += f"; {hit['warning'].iloc[0]}"
            rows.append(
                alteration_row(
                    patient=patient,
                    draw=str(draw),
                    gene=str(gene),
                    alteration=alteration,
                    kind="copy_number",
                    n_cells_altered=int(hit["cell"].nunique()),
                    n_cells_evaluable=n_eval,
                    evidence=evidence,
                    source=source,
                )
            )
    return alterations_frame(rows)
