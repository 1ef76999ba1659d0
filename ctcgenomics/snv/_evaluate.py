"""Compare calls with simulator truth: site precision/recall and per-cell genotype accuracy."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pysam

from ctcgenomics.snv._pileup import left_align

if TYPE_CHECKING:  # anndata is imported where an AnnData is made or read
    import anndata as ad


def read_truth(
    path: str | os.PathLike[str],
    ctc_cells: Iterable[str],
    *,
    reference: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Read the simulator's ``truth/variants.vcf.gz``.

    With ``reference``, indels are left-aligned as the caller reports them (the simulator
    writes them where they were planted, which may be anywhere in a repeat).

    Returns
    -------
    pandas.DataFrame
        One row per allele: ``chrom, pos, ref, alt, origin, name, n_carriers`` (CTCs
        whose genotype contains the allele), ``n_observable`` (carrier CTCs whose reads
        can show it: expected alternative fraction above 0 after dropout) plus per-CTC
        ``gt:<cell>`` (carrier), ``do:<cell>`` (an allele dropped in that cell) and
        ``eaf:<cell>`` (expected alternative fraction of its reads) columns.
    """
    ctc_cells = list(ctc_cells)
    rows = []
    fasta = pysam.FastaFile(str(reference)) if reference is not None else None
    with pysam.VariantFile(str(path)) as vf:
        cells = [c for c in ctc_cells if c in vf.header.samples]
        for rec in vf:
            pos, ref, alt = rec.pos, rec.ref, rec.alts[0]
            if fasta is not None and len(ref) != len(alt):
                lo = max(0, pos - 1 - 200)
                seq = fasta.fetch(rec.chrom, lo, pos - 1 + len(ref)).upper()
                anchor, ref, alt = left_align((pos - 1, ref, alt), seq, lo)
                pos = anchor + 1
            row = {
                "chrom": rec.chrom,
                "pos": pos,
                "ref": ref,
                "alt": alt,
                "origin": rec.info.get("ORIGIN"),
                "name": rec.info.get("NAME"),
            }
            for c in cells:
                s = rec.samples[c]
                gt = s.get("GT") or (None,)
                row[f"gt:{c}"] = any(g is not None and g > 0 for g in gt)
                row[f"do:{c}"] = bool(s.get("DO") or 0)
                eaf = s.get("EAF")
                row[f"eaf:{c}"] = float(eaf) if eaf is not None else float("nan")
            row["n_carriers"] = sum(row[f"gt:{c}"] for c in cells)
            row["n_observable"] = sum(row[f"gt:{c}"] and row[f"eaf:{c}"] > 0 for c in cells)
            rows.append(row)
    if fasta is not None:
        fasta.close()
    return pd.DataFrame(rows)


def site_metrics(called: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Precision and recall of somatic site calls against the truth.

    Parameters
    ----------
    called
        ``chrom, pos, ref, alt`` of variants reported as somatic.
    truth
        From :func:`read_truth`; somatic alleles are the positives, germline SNPs and
        amplification errors reported as somatic are false positives.

    Returns
    -------
    dict
        ``precision, recall, f1, recall_clonal, recall_ge3, n_called, n_true``.
    """
    key = ["chrom", "pos", "ref", "alt"]
    som = truth[truth["origin"] == "somatic"]
    som = som[som["n_carriers"] > 0]
    called_keys = {tuple(r) for r in called[key].itertuples(index=False)}
    true_keys = {tuple(r) for r in som[key].itertuples(index=False)}
    tp = len(called_keys & true_keys)
    n_ctc = sum(c.startswith("gt:") for c in truth.columns)
    hit = np.array([tuple(r) in called_keys for r in som[key].itertuples(index=False)])
    clonal = som["n_carriers"].to_numpy() == n_ctc
    ge3 = som["n_carriers"].to_numpy() >= 3
    precision = tp / len(called_keys) if called_keys else float("nan")
    recall = tp / len(true_keys) if true_keys else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "recall_clonal": float(hit[clonal].mean()) if clonal.any() else float("nan"),
        "recall_ge3": float(hit[ge3].mean()) if ge3.any() else float("nan"),
        "n_called": len(called_keys),
        "n_true": len(true_keys),
        "false_positives": sorted(called_keys - true_keys),
    }


def genotype_metrics(adata: ad.AnnData, truth: pd.DataFrame) -> dict[str, float]:
    """Per-cell genotype accuracy at true somatic sites that were called.

    Cells where the simulator dropped an allele at the site (``DO``) are not
    evaluable in the truth and are left out, as are cells the caller did not call
    (genotype -1); ``call_rate`` is the fraction of truth-evaluable cells called.
    """
    som = truth[(truth["origin"] == "somatic") & (truth["n_carriers"] > 0)].set_index(
        ["chrom", "pos", "ref", "alt"]
    )
    var = adata.var
    gt = np.asarray(adata.layers["genotype"])
    correct = called = evaluable = 0
    for j, rec in enumerate(var.itertuples(index=False)):
        k = (rec.chrom, int(rec.pos), rec.ref, rec.alt)
        if k not in som.index or not rec.somatic:
            continue
        t = som.loc[k]
        for i, cell in enumerate(adata.obs_names):
            if f"gt:{cell}" not in som.columns or bool(t[f"do:{cell}"]):
                continue
            evaluable += 1
            if gt[i, j] < 0:
                continue
            called += 1
            correct += int((gt[i, j] > 0) == bool(t[f"gt:{cell}"]))
    return {
        "genotype_accuracy": correct / called if called else float("nan"),
        "call_rate": called / evaluable if evaluable else float("nan"),
        "n_cell_sites": evaluable,
    }
