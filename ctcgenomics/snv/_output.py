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
from ctcgenomics.snv._filters import FILTER_DESCRIPTIONS

log = logging.getLogger(__name__)

_GT = {0: (0, 0), 1: (0, 1), 2: (1, 1)}


def _header(adata: ad.AnnData, reference: str | os.PathLike[str]) -> pysam.VariantHeader:
    header = pysam.VariantHeader()
    with pysam.FastaFile(str(reference)) as fasta:
        for name, length in zip(fasta.references, fasta.lengths, strict=True):
            header.contigs.add(name, length=length)
    header.add_meta("source", "ctcgenomics snv")
    header.add_meta("reference", str(reference))
    for name, desc in FILTER_DESCRIPTIONS.items():
        if name != "PASS":
            header.filters.add(name, None, None, desc)
    for key, num, typ, desc in [
        ("SOMATIC", 0, "Flag", "Somatic variant in CTCs that passed all filters"),
        ("PV", 1, "Float", "Posterior that the variant is present in at least one CTC"),
        ("PGERM", 1, "Float", "Posterior that the variant is present in the WBCs"),
        ("NALT", 1, "Integer", "CTCs called carrying the allele"),
        ("NEVAL", 1, "Integer", "CTCs with an evaluable genotype"),
        ("CF", 1, "Float", "Posterior mean fraction of CTCs carrying the allele"),
        ("GENE", 1, "String", "Gene symbol"),
        ("CSQ", 1, "String", "Consequence (Sequence Ontology term)"),
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
                if bool(getattr(rec, "somatic", False)):
                    r.info["SOMATIC"] = True
                for key, col in (
                    ("GENE", "gene"),
                    ("CSQ", "consequence"),
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


def alteration_rows(
    adata: ad.AnnData, *, patient: str, source: str = "ctcgenomics.snv"
) -> pd.DataFrame:
    """Prevalence of each somatic variant across each draw's CTCs, as alterations rows.

    A CTC is altered if its genotype is het or alt/alt, evaluable if it has a genotype
    (not ``./.``: enough reads and no possibly dropped allele). The alteration is the
    HGVSp short form where there is one, else ``chrom:g.posREF>ALT``.

    Returns
    -------
    pandas.DataFrame
        Rows of the alterations table (``kind`` ``mutation``).
    """
    obs = adata.obs
    roles = obs["role"].astype(str).str.lower() if "role" in obs else pd.Series("ctc", obs.index)
    draws = obs["draw"].astype(str) if "draw" in obs else pd.Series("1", obs.index)
    gt = np.asarray(adata.layers["genotype"])
    rows = []
    somatic = adata.var["somatic"].to_numpy(bool)
    for j in np.flatnonzero(somatic):
        rec = adata.var.iloc[j]
        name = rec.get("HGVSp", "") or f"{rec['chrom']}:g.{rec['pos']}{rec['ref']}>{rec['alt']}"
        for draw in sorted(draws[roles == "ctc"].unique()):
            sel = ((roles == "ctc") & (draws == draw)).to_numpy()
            g = gt[sel, j]
            rows.append(
                alteration_row(
                    patient=patient,
                    draw=draw,
                    gene=str(rec.get("gene", "")),
                    alteration=name,
                    kind="mutation",
                    n_cells_altered=int((g > 0).sum()),
                    n_cells_evaluable=int((g >= 0).sum()),
                    evidence=(
                        f"{rec['chrom']}:{rec['pos']} {rec['ref']}>{rec['alt']}; "
                        f"QUAL {rec['qual']:.0f}; {rec.get('consequence', '')}"
                    ).strip("; "),
                    source=source,
                )
            )
    return alterations_frame(rows)


def plot_genotypes(
    adata: ad.AnnData,
    path: str | os.PathLike[str],
    *,
    only_somatic: bool = True,
    max_variants: int = 80,
) -> Path:
    """Draw the cells x variants genotype matrix (PNG), written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    var = adata.var
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
