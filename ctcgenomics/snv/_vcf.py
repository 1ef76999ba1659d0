"""The multi-sample VCF of the genotyped cells (FORMAT ``GT:AD:DP:GQ:CP``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pysam

from ctcgenomics.io._atomic import atomic_path
from ctcgenomics.io.provenance import PROVENANCE_KEY, provenance
from ctcgenomics.snv._filters import FILTER_DESCRIPTIONS

if TYPE_CHECKING:  # anndata is imported where an AnnData is made or read
    import anndata as ad

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
    _library_lines(header, adata.uns.get("snv", {}).get("library_check"))
    _identity_lines(header, adata.uns.get("snv", {}).get("identity_check"))
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


def _library_lines(header: pysam.VariantHeader, table: object) -> None:
    """One ``##ctcgenomicsLibrary`` line per cell: declared and used library kind.

    With the posterior probability that the library is unamplified (``PUnamplified``).
    """
    if table is None or not hasattr(table, "itertuples"):
        return
    for row in table.itertuples(index=False):
        items = [
            ("ID", str(row.cell)),
            ("Declared", str(row.declared)),
            ("Used", str(row.used)),
            ("Rho", f"{row.rho:.4g}"),
            ("Statistic", f"{row.statistic:.4g}"),
            ("Sites", str(int(row.n_sites))),
        ]
        if hasattr(row, "p_unamplified"):  # older tables lack it
            items.append(("PUnamplified", f"{row.p_unamplified:.4g}"))
        header.add_meta("ctcgenomicsLibrary", items=items)


def _identity_lines(header: pysam.VariantHeader, table: object) -> None:
    """One ``##ctcgenomicsIdentity`` line per tested cell: same-person check."""
    if table is None or not hasattr(table, "itertuples"):
        return
    for row in table.itertuples(index=False):
        items = [
            ("ID", str(row.cell)),
            ("Against", str(row.against).replace(" ", "_")),
            ("Verdict", str(row.verdict).replace(" ", "_")),
            ("Informative", str(int(row.n_informative))),
            ("Opposite", str(int(row.n_opposite))),
            ("Expected", f"{row.expected:.4g}"),
            ("P", f"{row.p_value:.4g}"),
        ]
        header.add_meta("ctcgenomicsIdentity", items=items)


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
