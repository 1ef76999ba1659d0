"""End-to-end SNV/indel calling for one patient's cells."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import anndata as ad
import pandas as pd

from ctcgenomics.snv._annotate import annotate
from ctcgenomics.snv._counts import CountParams
from ctcgenomics.snv._filters import FilterParams, apply_filters
from ctcgenomics.snv._genotype import GenotypeParams, genotype
from ctcgenomics.snv._pileup import CandidateParams, count_alleles
from ctcgenomics.snv._sites import load_hotspots, read_bed, read_sites

log = logging.getLogger(__name__)


@dataclass
class SNVParams:
    """All parameters of :func:`call` (each part documented in its own class)."""

    counts: CountParams = field(default_factory=CountParams)
    candidates: CandidateParams = field(default_factory=CandidateParams)
    genotype: GenotypeParams = field(default_factory=GenotypeParams)
    filters: FilterParams = field(default_factory=FilterParams)


def call(
    bams: Mapping[str, str | os.PathLike[str]],
    reference: str | os.PathLike[str],
    *,
    cells: pd.DataFrame | None = None,
    targets: str | os.PathLike[str] | None = None,
    sites: list[str | os.PathLike[str]] | None = None,
    hotspots: str | os.PathLike[str] | bool | None = True,
    germline_sites: str | os.PathLike[str] | None = None,
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
        out of somatic calls.
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
    target_df = read_bed(targets) if targets is not None else None
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
        known = read_sites(germline_sites)
        keys = set(zip(known["contig"], known["pos"], known["ref"], known["alt"], strict=True))
        adata.var["known_germline"] = [
            (r.chrom, r.pos, r.ref, r.alt) in keys for r in adata.var.itertuples()
        ]
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
    }
    log.info(
        "%d candidates, %d somatic PASS, %d germline",
        adata.n_vars,
        int(adata.var["somatic"].sum()),
        int(adata.var["germline"].sum()),
    )
    return adata
