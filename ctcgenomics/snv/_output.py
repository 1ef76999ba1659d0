"""Outputs: multi-sample VCF, alterations rows and the genotype-matrix figure."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pysam

from ctcgenomics.io._atomic import atomic_path
from ctcgenomics.io.alterations import alteration_row, alterations_frame
from ctcgenomics.io.provenance import PROVENANCE_KEY, provenance
from ctcgenomics.snv._filters import FILTER_DESCRIPTIONS

log = logging.getLogger(__name__)

_GT = {0: (0, 0), 1: (0, 1), 2: (1, 1)}


def _header(adata: ad.AnnData, reference: str | os.PathLike[str]) -> pysam.VariantHeader:
    header = pysam.VariantHeader()
    with pysam.FastaFile(str(reference)) as fasta:
        for name, length in zip(fasta.references, fasta.lengths, strict=True):
            header.contigs.add(name, length=length)
    record = adata.uns.get(PROVENANCE_KEY) or provenance(
        "snv", adata.uns.get("snv", {}).get("params")
    )
    header.add_meta("source", f"ctcgenomics-{record['version']} snv")
    header.add_meta("ctcgenomicsParams", str(record["params"]))
    header.add_meta("reference", str(reference))
    for name, desc in FILTER_DESCRIPTIONS.items():
        if name != "PASS":
            header.filters.add(name, None, None, desc)
    for key, num, typ, desc in [
        ("SOMATIC", 0, "Flag", "Somatic variant in CTCs that passed all filters"),
        ("PV", 1, "Float", "Posterior of a somatic variant in the CTCs"),
        ("PGERM", 1, "Float", "Posterior of a germline variant"),
        ("NALT", 1, "Integer", "CTCs called carrying the allele"),
        ("NEVAL", 1, "Integer", "CTCs with an evaluable genotype"),
        ("CF", 1, "Float", "Posterior mean fraction of CTCs carrying the allele"),
        ("CFL", 1, "Float", "Lower end of the 95% credible interval of that fraction"),
        ("CFH", 1, "Float", "Upper end of the 95% credible interval of that fraction"),
        ("SingleCell", 0, "Flag", "Somatic evidence rests on one CTC"),
        ("GENE", 1, "String", "Gene symbol"),
        ("CONSEQUENCE", 1, "String", "Consequence (Sequence Ontology term; not VEP's CSQ layout)"),
        ("HGVSp", 1, "String", "Protein change, HGVS short form"),
        ("HOTSPOT", 0, "Flag", "Allele in the cancer hotspot table"),
        ("FORCED", 1, "String", "Why the allele was genotyped even without pooled support"),
    ]:
        header.info.add(key, num, typ, desc)
    header.formats.add(
        "GT",
        1,
        "String",
        "Genotype; ./. = not evaluable (no coverage or a possibly dropped allele)",
    )
    header.formats.add("AD", "R", "Integer", "Reads supporting REF and ALT")
    header.formats.add("DP", 1, "Integer", "Reads passing filters at the position")
    header.formats.add("GQ", 1, "Integer", "Phred genotype quality")
    header.formats.add("CP", 1, "Float", "Posterior that the cell carries the allele")
    for cell in adata.obs_names:
        header.add_sample(str(cell))
    return header


def _info_str(value: object) -> str:
    # VCF INFO strings cannot hold spaces, ';', '=' or ','.
    return str(value).replace(" ", "_").replace(";", "|").replace("=", ":").replace(",", "|")


def write_vcf(
    adata: ad.AnnData, path: str | os.PathLike[str], reference: str | os.PathLike[str]
) -> Path:
    """Write a bgzipped multi-sample VCF (one column per cell) and its tabix index.

    ``FORMAT`` is ``GT:AD:DP:GQ:CP``; ``FILTER`` carries the filter names; ``INFO``
    the site posterior, cell counts and annotation. Written atomically (temporary file,
    then rename) and indexed with :func:`pysam.tabix_index`.

    Returns
    -------
    pathlib.Path
        The VCF path (index beside it as ``.tbi``).
    """
    path = Path(path)
    var = adata.var.copy()
    var["order_"] = np.arange(len(var))
    header = _header(adata, reference)
    contigrank_ = {c: i for i, c in enumerate(header.contigs)}
    var["rank_"] = var["chrom"].astype(str).map(contigrank_)
    var = var.sort_values(["rank_", "pos", "order_"])
    ref_l = np.asarray(adata.layers["ref"])
    alt_l = np.asarray(adata.layers["alt"])
    dp_l = np.asarray(adata.layers.get("depth", ref_l + alt_l))
    gt_l = np.asarray(adata.layers["genotype"])
    gq_l = np.asarray(adata.layers["gq"])
    pp_l = np.asarray(adata.layers["posterior"])
    cells = [str(c) for c in adata.obs_names]
    with atomic_path(path) as tmp, atomic_path(f"{path}.tbi") as tmp_tbi:
        plain = tmp.with_suffix("")  # write plain text, then bgzip+index with pysam
        with pysam.VariantFile(str(plain), "w", header=header) as out:
            for rec in var.itertuples():
                j = int(rec.order_)
                r = out.new_record(
                    contig=str(rec.chrom),
                    start=int(rec.pos) - 1,
                    alleles=(str(rec.ref), str(rec.alt)),
                )
                r.qual = float(rec.qual)
                for f in str(rec.filter).split(";"):
                    r.filter.add(f)
                r.info["PV"] = float(rec.p_variant)
                r.info["PGERM"] = float(rec.p_germline)
                r.info["NALT"] = int(rec.n_cells_alt)
                r.info["NEVAL"] = int(rec.n_cells_evaluable)
                r.info["CF"] = float(rec.fraction)
                for key, col in (("CFL", "fraction_low"), ("CFH", "fraction_high")):
                    if hasattr(rec, col):
                        r.info[key] = float(getattr(rec, col))
                if bool(getattr(rec, "single_cell", False)) and bool(
                    getattr(rec, "somatic", False)
                ):
                    r.info["SingleCell"] = True
                if bool(getattr(rec, "somatic", False)):
                    r.info["SOMATIC"] = True
                for key, col in (
                    ("GENE", "gene"),
                    ("CONSEQUENCE", "consequence"),
                    ("HGVSp", "HGVSp"),
                    ("FORCED", "forced"),
                ):
                    val = getattr(rec, col, "")
                    if isinstance(val, str) and val:
                        r.info[key] = _info_str(val)
                if bool(getattr(rec, "hotspot", False)):
                    r.info["HOTSPOT"] = True
                for i, cell in enumerate(cells):
                    s = r.samples[cell]
                    g = int(gt_l[i, j])
                    s["GT"] = _GT.get(g, (None, None))
                    s["AD"] = (int(ref_l[i, j]), int(alt_l[i, j]))
                    s["DP"] = int(dp_l[i, j])
                    s["GQ"] = int(gq_l[i, j])
                    s["CP"] = round(float(pp_l[i, j]), 4)
                out.write(r)
        pysam.tabix_compress(str(plain), str(tmp), force=True)
        plain.unlink()
        pysam.tabix_index(str(tmp), preset="vcf", force=True, keep_original=True)
        os.replace(f"{tmp}.tbi", tmp_tbi)
    return path


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
    obs = adata.obs
    roles = obs["role"].astype(str).str.lower() if "role" in obs else pd.Series("ctc", obs.index)
    draws = obs["draw"].astype(str) if "draw" in obs else pd.Series("1", obs.index)
    gt = np.asarray(adata.layers["genotype"])
    var = adata.var
    prev = adata.uns.get("snv", {}).get("prevalence")
    prev_at = (
        {(r.variant, r.draw): (r.mean, r.low, r.high) for r in prev.itertuples(index=False)}
        if isinstance(prev, pd.DataFrame) and len(prev)
        else {}
    )
    rows = []

    def name_of(rec: pd.Series) -> str:
        return _text(rec.get("HGVSp", "")) or (
            f"{rec['chrom']}:g.{rec['pos']}{rec['ref']}>{rec['alt']}"
        )

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
                    alteration=name_of(rec),
                    altered=altered,
                    evaluable=evaluable,
                    prevalence=prevalence,
                    evidence=evidence,
                    source=source,
                    origin="somatic",
                )
            )
    genes = load_predisposition_genes() if predisposition_genes is None else predisposition_genes
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
                    alteration=name_of(rec),
                    altered=altered,
                    evaluable=evaluable,
                    prevalence=_beta_interval(altered, evaluable),
                    evidence=evidence,
                    source=source,
                    origin="germline",
                )
            )
    origins = [r.pop("origin") for r in rows]
    frame = alterations_frame(rows)
    frame["origin"] = pd.Series(origins, index=frame.index, dtype=object)
    return frame


def plot_genotypes(
    adata: ad.AnnData,
    path: str | os.PathLike[str],
    *,
    only_somatic: bool = True,
    max_variants: int = 80,
) -> Path:
    """Draw the cells x variants genotype matrix (PNG), written atomically."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    var = adata.var
    if adata.n_obs == 0 or adata.n_vars == 0:
        fig, ax = plt.subplots(figsize=(4, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "no cell or no candidate variant", ha="center", va="center")
        path = Path(path)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120, format="png")
        plt.close(fig)
        return path
    cols = np.flatnonzero(var["somatic"].to_numpy(bool)) if only_somatic else np.arange(len(var))
    cols = cols[:max_variants]
    gt = np.asarray(adata.layers["genotype"])[:, cols].astype(float)
    labels = [
        (var["gene"].iloc[j] + " " + var["HGVSp"].iloc[j]).strip()
        if "gene" in var and (var["HGVSp"].iloc[j] or var["gene"].iloc[j])
        else f"{var['chrom'].iloc[j]}:{var['pos'].iloc[j]}"
        for j in cols
    ]
    fig, ax = plt.subplots(
        figsize=(max(4, 0.3 * len(cols) + 3.5), max(3, 0.28 * adata.n_obs + 1.5))
    )
    cmap = ListedColormap(["#d9d9d9", "#f7f7f7", "#fdae61", "#d7191c"])
    ax.imshow(gt + 1, cmap=cmap, vmin=0, vmax=3, aspect="auto", interpolation="nearest")
    ax.set_yticks(range(adata.n_obs), [str(c) for c in adata.obs_names], fontsize=7)
    ax.set_xticks(range(len(cols)), labels, rotation=90, fontsize=7)
    from matplotlib.patches import Patch

    colours = dict(zip(["not evaluable", "ref/ref", "het", "alt/alt"], cmap.colors, strict=True))
    ax.legend(
        handles=[Patch(facecolor=c, edgecolor="grey", label=k) for k, c in colours.items()],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=7,
        frameon=False,
    )
    ax.set_title("Per-cell genotypes", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path
