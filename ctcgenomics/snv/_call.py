"""End-to-end SNV/indel calling for one patient's cells."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from ctcgenomics.align._reference import reference_contigs
from ctcgenomics.snv._annotate import annotate
from ctcgenomics.snv._copynumber import add_copy_number
from ctcgenomics.snv._filters import apply_filters
from ctcgenomics.snv._genotype import genotype
from ctcgenomics.snv._params import SNVParams
from ctcgenomics.snv._pileup import count_alleles
from ctcgenomics.snv._sites import (
    SiteFileError,
    load_hotspots,
    read_bed,
    read_sites,
    read_variant_sites,
)

if TYPE_CHECKING:  # anndata is imported where an AnnData is made or read
    import anndata as ad

log = logging.getLogger(__name__)


def call(
    bams: Mapping[str, str | os.PathLike[str]],
    reference: str | os.PathLike[str],
    *,
    cells: pd.DataFrame | None = None,
    targets: str | os.PathLike[str] | None = None,
    sites: list[str | os.PathLike[str]] | None = None,
    hotspots: str | os.PathLike[str] | bool | None = True,
    germline_sites: str | os.PathLike[str] | None = None,
    population_vcf: str | os.PathLike[str] | None = None,
    population_af_field: str = "AF",
    copy_number: ad.AnnData | str | os.PathLike[str] | None = None,
    cn_link: Mapping[str, str] | None = None,
    gtf: str | os.PathLike[str] | None = None,
    params: SNVParams | None = None,
    threads: int = 1,
) -> ad.AnnData:
    """Call somatic SNVs and indels across one patient's single cells.

    Pooled pileup over all cells finds candidates; hotspot alleles and user sites are
    genotyped in any case; per-cell counts feed the dropout-aware genotype model;
    WBC-supported sites are germline (used for dropout, kept out of somatic calls);
    filters are named as in the VCF; variants are annotated.

    Parameters
    ----------
    bams
        Cell ID -> BAM.
    reference
        Reference FASTA the BAMs were aligned to.
    cells
        Per-cell table indexed by cell with ``role`` (ctc/wbc) and ``draw`` (and
        optionally ``patient``); all cells are CTCs if omitted.
    targets
        BED of panel/exome targets; whole genome if omitted.
    sites
        VCFs (alleles) and/or BEDs (regions) to genotype whatever the pooled evidence.
    hotspots
        Hotspot VCF; ``True`` for the packaged cancerhotspots.org table, ``False``/None
        to skip.
    germline_sites
        VCF of known germline variants of the patient (e.g. from a bulk normal), kept
        out of somatic calls. Checked against the reference (build, contig names).
    population_vcf
        Population-frequency VCF of the examined regions (e.g. gnomAD sites for the
        panel; never downloaded): listed alleles get a germline prior from their
        frequency, unlisted ones a lower one. Checked like ``germline_sites``.
    population_af_field
        INFO field of the allele frequency in ``population_vcf``.
    copy_number
        The CNV step's ``cnv.h5ad`` (or its AnnData): copy number at each site for
        expected allele fractions under loss, gain and amplification
        (:func:`~ctcgenomics.snv.add_copy_number`).
    cn_link
        SNV cell -> CNV cell, when one amplified cell has a panel and a low-pass library
        under two IDs.
    gtf
        GTF/GFF3 of the same assembly for consequences and HGVSp of non-hotspot variants.
    params
        Thresholds and priors.
    threads
        Processes reading the BAMs in parallel (window by window); the calls do not
        depend on it.

    Returns
    -------
    anndata.AnnData
        Cells x variants: layers ``ref, alt, depth, genotype, posterior, gq``; ``var``
        with site posteriors, ``filter``, ``somatic`` and annotation; ``obs`` with
        per-cell dropout and error rates; ``uns["snv"]["params"]``.
    """
    params = params or SNVParams()
    cells = _check_inputs(bams, cells)
    target_df = None
    if targets is not None:
        target_df = read_bed(targets, contig_lengths=reference_contigs(reference))
        if target_df.empty:
            raise SiteFileError(
                f"targets {targets}: no region in the BED; give the panel/exome target BED, "
                "or no targets to call the whole genome"
            )
    hot = None
    if hotspots:
        # Panels and exomes only need the hotspots inside their targets.
        hot = load_hotspots(None if hotspots is True else hotspots, regions=target_df)
    forced = [] if hot is None else [hot.assign(source="hotspot:" + hot["source"])]
    regions = []
    for path in sites or []:
        s = read_sites(path)
        if (s["kind"] == "allele").any():
            forced.append(s[s["kind"] == "allele"].assign(source="user"))
        if (s["kind"] == "region").any():
            regions.append(s[s["kind"] == "region"])
    forced_alleles = pd.concat(forced, ignore_index=True) if forced else None
    forced_regions = pd.concat(regions, ignore_index=True) if regions else None
    adata = count_alleles(
        bams,
        reference,
        targets=target_df,
        forced_alleles=forced_alleles,
        forced_regions=forced_regions,
        count_params=params.counts,
        candidate_params=params.candidates,
        obs=cells,
        threads=threads,
    )
    if germline_sites is not None:
        known = read_variant_sites(
            germline_sites, reference, regions=target_df, what="germline VCF"
        )
        keys = set(zip(known["contig"], known["pos"], known["ref"], known["alt"], strict=True))
        adata.var["known_germline"] = [
            (r.chrom, r.pos, r.ref, r.alt) in keys for r in adata.var.itertuples()
        ]
    if population_vcf is not None:
        pop = read_variant_sites(
            population_vcf,
            reference,
            regions=target_df,
            af_field=population_af_field,
            what="population VCF",
        )
        af = {
            (c, p, r, a): f
            for c, p, r, a, f in pop[["contig", "pos", "ref", "alt", "af"]].itertuples(index=False)
        }
        adata.var["population_af"] = [
            af.get((r.chrom, r.pos, r.ref, r.alt), float("nan")) for r in adata.var.itertuples()
        ]
        adata.var["population_covered"] = adata.var["chrom"].isin(pop.attrs["contigs"]).to_numpy()
    if copy_number is not None:
        add_copy_number(
            adata,
            copy_number,
            link=cn_link,
            max_copy_number=params.genotype.model.max_copy_number,
        )
    genotype(adata, params=params.genotype)
    apply_filters(adata, params=params.filters, min_cell_depth=params.genotype.min_cell_depth)
    annotate(adata, hotspots=hot, gtf=gtf, reference=reference)
    for col in ("chrom", "ref", "alt", "kind", "forced", "filter", "gene", "consequence", "HGVSp"):
        adata.var[col] = adata.var[col].astype(str)
    adata.uns["snv"]["params"] |= {
        "min_base_quality": params.counts.min_base_quality,
        "min_mapping_quality": params.counts.min_mapping_quality,
        "targets": str(targets or ""),
        "gtf": str(gtf or ""),
        "germline_sites": str(germline_sites or ""),
        "population_vcf": str(population_vcf or ""),
    }
    log.info(
        "%d candidates, %d somatic PASS, %d germline",
        adata.n_vars,
        int(adata.var["somatic"].sum()),
        int(adata.var["germline"].sum()),
    )
    return adata


def _check_inputs(
    bams: Mapping[str, str | os.PathLike[str]], cells: pd.DataFrame | None
) -> pd.DataFrame | None:
    """Check the BAM mapping and the cell table against each other (clear errors)."""
    if not isinstance(bams, Mapping):
        raise TypeError(
            f"bams must map cell IDs to BAM paths (e.g. {{'CTC1': 'CTC1.bam'}}), got "
            f"{type(bams).__name__}"
        )
    if not bams:
        raise ValueError(
            "no BAM given: pass at least one cell, e.g. ctc.snv.call({'CTC1': 'CTC1.bam', "
            "'WBC1': 'WBC1.bam'}, 'genome.fa'); a patient without panel/exome cells has no "
            "SNV step"
        )
    if cells is None:
        return None
    if not isinstance(cells, pd.DataFrame):
        raise TypeError(
            "cells must be a DataFrame indexed by cell ID with a 'role' column (ctc/wbc), "
            f"got {type(cells).__name__}"
        )
    index = [str(c) for c in cells.index]
    repeated = sorted(set(pd.Index(index)[pd.Index(index).duplicated()]))
    if repeated:
        raise ValueError(
            f"cell table has more than one row for cell(s) {repeated}; cell IDs must be "
            "unique: keep one row per cell (e.g. cells[~cells.index.duplicated()] after "
            "checking which role is right)"
        )
    no_row = [c for c in bams if c not in index]
    if no_row:
        raise ValueError(
            f"cell table has no row for BAM cell(s) {no_row}; add them (with role ctc/wbc "
            "and draw) or leave out their BAMs"
        )
    no_bam = [c for c in index if c not in bams]
    if no_bam:
        raise ValueError(
            f"cell table lists cell(s) {no_bam} that have no BAM; pass their BAMs or drop "
            "those rows (e.g. cells.loc[list(bams)])"
        )
    if "role" not in cells:
        raise KeyError("cell table lacks a 'role' column; give each cell's role, 'ctc' or 'wbc'")
    bad = sorted(set(cells["role"].astype(str).str.lower()) - {"ctc", "wbc"})
    if bad:
        raise ValueError(f"cell table: role value(s) {bad}; use 'ctc' or 'wbc'")
    # Cell IDs are matched to the BAMs as strings (an integer index would match nothing).
    return cells.set_axis(pd.Index(index, name=cells.index.name or "cell"), axis=0)


def empty_calls() -> ad.AnnData:
    """Return a valid result with no cell and no variant (no panel/exome cell).

    It has every ``var`` column, layer and ``uns`` key of :func:`call`, so the VCF,
    h5ad, alterations table and figure of an empty run are written the usual way.
    """
    import anndata as ad
    import numpy as np

    var = pd.DataFrame(
        {
            "chrom": pd.Series(dtype=str),
            "pos": pd.Series(dtype=np.int64),
            "ref": pd.Series(dtype=str),
            "alt": pd.Series(dtype=str),
            "kind": pd.Series(dtype=str),
            "forced": pd.Series(dtype=str),
            "filter": pd.Series(dtype=str),
            "somatic": pd.Series(dtype=bool),
            "germline": pd.Series(dtype=bool),
            "single_cell": pd.Series(dtype=bool),
            "qual": pd.Series(dtype=float),
            "p_variant": pd.Series(dtype=float),
            "p_germline": pd.Series(dtype=float),
            "fraction": pd.Series(dtype=float),
            "fraction_low": pd.Series(dtype=float),
            "fraction_high": pd.Series(dtype=float),
            "n_cells_alt": pd.Series(dtype=np.int64),
            "n_cells_evaluable": pd.Series(dtype=np.int64),
            "gene": pd.Series(dtype=str),
            "consequence": pd.Series(dtype=str),
            "HGVSp": pd.Series(dtype=str),
        }
    )
    obs = pd.DataFrame(
        {"role": pd.Series(dtype=str), "draw": pd.Series(dtype=str)},
        index=pd.Index([], dtype=str, name="cell"),
    )
    var.index = pd.Index([], dtype=str)
    empty = np.zeros((0, 0))
    adata = ad.AnnData(
        X=empty.astype(np.float32),
        obs=obs,
        var=var,
        layers={
            "ref": empty.astype(np.int32),
            "alt": empty.astype(np.int32),
            "depth": empty.astype(np.int32),
            "genotype": empty.astype(np.int8),
            "posterior": empty.astype(np.float32),
            "gq": empty.astype(np.int16),
        },
    )
    adata.uns["snv"] = {"params": {}, "note": "no panel/exome cell for this patient"}
    return adata
