"""Mutation rows of the alterations table (somatic, and germline predisposition)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ctcgenomics.io.alterations import alteration_row, alterations_frame

if TYPE_CHECKING:  # anndata is imported where an AnnData is made or read
    import anndata as ad

PREDISPOSITION_FILE = "cancer_predisposition_genes.tsv"

#: Consequences that do not change the protein: germline variants with these are not
#: reported as predisposition findings.
BENIGN_CONSEQUENCES = frozenset(
    {
        "synonymous_variant",
        "intron_variant",
        "intergenic_variant",
        "5_prime_UTR_variant",
        "3_prime_UTR_variant",
        "UTR_variant",
    }
)


def load_predisposition_genes(path: str | os.PathLike[str] | None = None) -> frozenset[str]:
    """Cancer-predisposition genes.

    The packaged list (``data/genesets/cancer_predisposition_genes.tsv``, sources in its
    header and ``DATA_LICENSES.md``), or a TSV with a ``gene`` column.
    """
    if path is None:
        from importlib import resources

        path = resources.files("ctcgenomics.data") / "genesets" / PREDISPOSITION_FILE
    table = pd.read_csv(str(path), sep="\t", comment="#", dtype=str)
    if "gene" not in table:
        raise KeyError(f"{path}: no 'gene' column; a predisposition gene list needs one")
    return frozenset(table["gene"].str.strip())


def _text(value) -> str:
    """Return a var cell as text: NaN/None (a column missing for some variants) is empty."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _beta_interval(altered: int, evaluable: int) -> tuple[float, float, float]:
    """Posterior mean and 95 % equal-tailed interval of a fraction (uniform prior)."""
    if evaluable == 0:
        nan = float("nan")
        return nan, nan, nan
    from scipy.special import betaincinv

    a, b = altered + 1, evaluable - altered + 1
    return a / (a + b), float(betaincinv(a, b, 0.025)), float(betaincinv(a, b, 0.975))


def _row(
    *,
    patient: str,
    draw: str,
    gene: str,
    alteration: str,
    altered: int,
    evaluable: int,
    prevalence: tuple[float, float, float],
    evidence: str,
    source: str,
    origin: str,
) -> dict:
    # alteration_row validates the kind and builds the row; the prevalence is then the
    # posterior one (carrier fraction with a credible interval from the genotype
    # posteriors), not the Wilson interval on hard calls (and statsmodels is not loaded).
    row = alteration_row(
        patient=patient,
        draw=draw,
        gene=gene,
        alteration=alteration,
        kind="mutation",
        n_cells_altered=0,
        n_cells_evaluable=0,
        evidence=evidence,
        source=source,
    )
    mean, low, high = prevalence
    row.update(
        n_cells_altered=int(altered),
        n_cells_evaluable=int(evaluable),
        prevalence=float(mean),
        ci_low=float(min(low, mean)),
        ci_high=float(max(high, mean)),
        origin=origin,
    )
    return row


def alteration_rows(
    adata: ad.AnnData,
    *,
    patient: str,
    source: str = "ctcgenomics.snv",
    predisposition_genes: frozenset[str] | None = None,
) -> pd.DataFrame:
    """Somatic variants per draw, and germline predisposition variants, as alterations rows.

    Somatic (``var["somatic"]``, FILTER PASS): per draw, ``n_cells_altered`` CTCs called
    carrier of ``n_cells_evaluable`` with a genotype (not ``./.``); ``prevalence``,
    ``ci_low``, ``ci_high`` the posterior mean and 95 % credible interval of the fraction of
    the draw's CTCs carrying it (``uns["snv"]["prevalence"]``: a cell whose allele may have
    dropped out counts by its likelihoods). The evidence says when the call rests on one
    CTC (``SingleCell``).

    Germline (``var["germline"]``) variants in cancer-predisposition genes
    (:func:`load_predisposition_genes`) with a known consequence that changes the protein
    (needs a transcript annotation, ``gtf``) and that are rare (population frequency below
    1 % or unknown) are rows with ``origin`` ``germline``:
    per draw, all the draw's cells (CTCs and WBCs) called carrier / with a genotype.

    The alteration is the HGVSp short form where there is one, else the genomic HGVS
    ``chrom:g.posREF>ALT``.

    Returns
    -------
    pandas.DataFrame
        Rows of the alterations table (``kind`` ``mutation``) plus the optional column
        ``origin`` (``somatic`` or ``germline``).
    """
    _check_genotyped(adata)
    obs = adata.obs
    roles = obs["role"].astype(str).str.lower() if "role" in obs else pd.Series("ctc", obs.index)
    draws = obs["draw"].astype(str) if "draw" in obs else pd.Series("1", obs.index)
    gt = np.asarray(adata.layers["genotype"])
    prev = adata.uns.get("snv", {}).get("prevalence")
    prev_at = (
        {(r.variant, r.draw): (r.mean, r.low, r.high) for r in prev.itertuples(index=False)}
        if isinstance(prev, pd.DataFrame) and len(prev)
        else {}
    )
    genes = load_predisposition_genes() if predisposition_genes is None else predisposition_genes
    rows = _somatic_rows(adata.var, gt, roles, draws, prev_at, patient=patient, source=source)
    rows += _germline_rows(adata.var, gt, draws, genes, patient=patient, source=source)
    origins = [r.pop("origin") for r in rows]
    frame = alterations_frame(rows)
    frame["origin"] = pd.Series(origins, index=frame.index, dtype=object)
    return frame


def _check_genotyped(adata: ad.AnnData) -> None:
    """Refuse an AnnData without the genotype layer and the variant columns the rows need."""
    needed = [
        c
        for c in (
            "somatic",
            "germline",
            "chrom",
            "pos",
            "ref",
            "alt",
            "qual",
            "p_variant",
            "p_germline",
        )
        if c not in adata.var
    ]
    if needed or "genotype" not in adata.layers:
        raise KeyError(
            f"alteration_rows: adata lacks var column(s) {needed} or layer 'genotype'; run "
            "ctc.snv.call (or genotype and apply_filters) first"
        )


def _name_of(rec: pd.Series) -> str:
    """Return the HGVSp short form, else the genomic HGVS ``chrom:g.posREF>ALT``."""
    return _text(rec.get("HGVSp", "")) or (
        f"{rec['chrom']}:g.{rec['pos']}{rec['ref']}>{rec['alt']}"
    )


def _somatic_rows(
    var: pd.DataFrame,
    gt: np.ndarray,
    roles: pd.Series,
    draws: pd.Series,
    prev_at: dict[tuple[str, str], tuple[float, float, float]],
    *,
    patient: str,
    source: str,
) -> list[dict]:
    """One row per somatic variant and draw: CTCs carrying it among those evaluable."""
    rows = []
    ctc_draws = sorted(draws[roles == "ctc"].unique())
    for j in np.flatnonzero(var["somatic"].to_numpy(bool)):
        rec = var.iloc[j]
        single = bool(rec.get("single_cell", False))
        for draw in ctc_draws:
            sel = ((roles == "ctc") & (draws == draw)).to_numpy()
            g = gt[sel, j]
            altered, evaluable = int((g > 0).sum()), int((g >= 0).sum())
            prevalence = prev_at.get((var.index[j], draw)) or _beta_interval(altered, evaluable)
            evidence = (
                f"{rec['chrom']}:{rec['pos']} {rec['ref']}>{rec['alt']}; QUAL {rec['qual']:.0f}"
                f" (posterior somatic {rec['p_variant']:.3g}, germline {rec['p_germline']:.2g})"
                + ("; single-cell evidence (SingleCell: one CTC)" if single else "")
                + (f"; {csq}" if (csq := _text(rec.get("consequence", ""))) else "")
            )
            rows.append(
                _row(
                    patient=patient,
                    draw=draw,
                    gene=str(rec.get("gene", "")),
                    alteration=_name_of(rec),
                    altered=altered,
                    evaluable=evaluable,
                    prevalence=prevalence,
                    evidence=evidence,
                    source=source,
                    origin="somatic",
                )
            )
    return rows


def _germline_rows(
    var: pd.DataFrame,
    gt: np.ndarray,
    draws: pd.Series,
    genes: frozenset[str],
    *,
    patient: str,
    source: str,
) -> list[dict]:
    """One row per rare, protein-changing germline variant of a predisposition gene, per draw."""
    rows = []
    af = (
        pd.to_numeric(var["population_af"], errors="coerce").to_numpy()
        if "population_af" in var
        else np.full(len(var), np.nan)
    )
    for j in np.flatnonzero(var["germline"].to_numpy(bool)):
        rec = var.iloc[j]
        gene = str(rec.get("gene", ""))
        consequence = _text(rec.get("consequence", ""))
        # Without a protein consequence (no transcript annotation: --gtf) a germline
        # variant of the gene may be intronic or a common polymorphism (TP53 P72R):
        # not reported as a predisposition finding.
        if gene not in genes or not consequence or consequence in BENIGN_CONSEQUENCES:
            continue
        if np.isfinite(af[j]) and af[j] >= 0.01:
            continue
        for draw in sorted(draws.unique()):
            sel = (draws == draw).to_numpy()
            g = gt[sel, j]
            altered, evaluable = int((g > 0).sum()), int((g >= 0).sum())
            why = (
                "known germline site"
                if bool(rec.get("known_germline", False))
                else (f"germline posterior {rec['p_germline']:.3g} (WBC reads, allele balance)")
            )
            evidence = (
                f"{rec['chrom']}:{rec['pos']} {rec['ref']}>{rec['alt']}; germline in a "
                f"cancer-predisposition gene; {why}"
                + (f"; population AF {af[j]:.2g}" if np.isfinite(af[j]) else "")
                + f"; {consequence}"
                + "; confirm in a certified laboratory"
            )
            rows.append(
                _row(
                    patient=patient,
                    draw=draw,
                    gene=gene,
                    alteration=_name_of(rec),
                    altered=altered,
                    evaluable=evaluable,
                    prevalence=_beta_interval(altered, evaluable),
                    evidence=evidence,
                    source=source,
                    origin="germline",
                )
            )
    return rows
