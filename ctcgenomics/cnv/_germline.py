"""Heterozygous germline SNPs of a patient and each cell's reads of their two alleles.

The copy-number caller reads B-allele counts at heterozygous germline SNPs (allele-aware
scale, whole-genome-doubling identifiability, LOH; ``_alleles.py``). This module finds
those sites from the patient's own low-pass cells and counts each cell's reads there.

Sites. A germline heterozygous SNP is shared by every cell of the patient, so the cells
are pooled (WBCs alone are too few: 2-4 cells of ~0.5x each). Candidates are positions
where the pooled reads show a second allele at least twice (``bcftools mpileup``, one
streaming pass in C over all BAMs); each candidate is then tested on its per-cell counts
with a genotype likelihood per site:

- hom-ref: each cell's alt reads are sequencing errors (rate ``error_rate``) or, with
  probability ``artefact_rate`` per cell, a cell-private amplification error read at
  half the cell's reads;
- hom-alt: the mirror image;
- het: each cell's alt fraction is 1/2 (germline, balanced) or anything in (0, 1)
  (tumour imbalance, LOH, MDA allelic dropout), half and half: ``0.5 Bin(a | n, 1/2) +
  0.5 / (n + 1)`` (the uniform mixture of binomials).

Summed over cells (alt reads spread over cells are germline-like, alt reads piled in
one cell artefact-like) and weighed with the prior (``het_prior``: human
heterozygosity ~1e-3 per bp; ``2 p (1 - p)`` from a population VCF's ``AF``), a site is
kept at a posterior of at least ``min_posterior`` (0.95: at most ~5 % of the kept
sites are expected false). Under the defaults one alt read cannot reach it (odds
< 0.5), hence the two-read candidate filter.

Given sites. With a VCF of the patient's germline genotypes (one sample, e.g. the
bulk normal's calls) its heterozygous SNVs are used as they are; with a sites-only
population VCF its biallelic SNVs are the candidates, tested as above with their
allele-frequency prior.

Counts. Each cell's reads at the sites (pysam; primary, non-duplicate, QC-passed reads
with MAPQ >= ``min_mapq``, bases >= ``min_base_quality``, one read per fragment) are
written per SNP as ``cell chrom pos ref_count alt_count``, the format
:func:`~ctcgenomics.cnv.read_allele_counts` and ``ctcg cnv call --alleles`` read.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pysam
from scipy.special import expit
from scipy.stats import binom

from ctcgenomics._params import build
from ctcgenomics._progress import progress
from ctcgenomics.cnv._errors import CNVInputError

log = logging.getLogger(__name__)

SITE_COLUMNS = ("chrom", "pos", "ref", "alt", "ref_reads", "alt_reads", "n_cells", "posterior")
ALLELE_COLUMNS = ("cell", "chrom", "pos", "ref_count", "alt_count")

# unmapped | secondary | QC fail | duplicate | supplementary
_SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800
_MATCH_OPS = (0, 7, 8)  # M, =, X


@dataclass(frozen=True)
class HetSiteParams:
    """Read filters and the genotype model of the germline heterozygous-site test.

    Parameters
    ----------
    min_mapq
        Reads below this mapping quality are not counted.
    min_base_quality
        Bases below this Phred quality are not counted.
    het_prior
        Prior probability of a heterozygous SNP per base (human ~1e-3); hom-alt gets half.
    error_rate
        Probability that a read shows the candidate's other allele by sequencing error.
    artefact_rate
        Probability per cell and site of a cell-private amplification error.
    min_posterior
        Posterior of heterozygosity a site needs.
    """

    min_mapq: int = 20
    min_base_quality: int = 20
    het_prior: float = 1e-3
    error_rate: float = 0.001
    artefact_rate: float = 1e-4
    min_posterior: float = 0.95

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None = None) -> HetSiteParams:
        """Parameters from a mapping (the config's ``cnv.alleles`` parameters, ``min_mapq``).

        Raises
        ------
        ValueError
            For an unknown key (naming the closest valid key) or a value out of range.
        """
        params = build(cls, values, "cnv.alleles")
        params.check()
        return params

    def check(self) -> None:
        """Raise ``ValueError`` naming the first parameter out of range."""
        for name in ("het_prior", "error_rate", "artefact_rate"):
            v = getattr(self, name)
            if not 0 < v < 0.5:
                raise ValueError(f"HetSiteParams.{name} = {v}: must be in (0, 0.5)")
        if not 0 < self.min_posterior < 1:
            raise ValueError(
                f"HetSiteParams.min_posterior = {self.min_posterior}: must be in (0, 1)"
            )


def het_posterior(
    site: np.ndarray,
    ref: np.ndarray,
    alt: np.ndarray,
    n_sites: int,
    params: HetSiteParams,
    prior: np.ndarray | None = None,
) -> np.ndarray:
    """Posterior probability that each site is a germline heterozygous SNP.

    Parameters
    ----------
    site
        Site index (0 .. ``n_sites`` - 1) of each (cell, site) row.
    ref, alt
        Reads of the reference and the alternative allele in that cell at that site.
    n_sites
        Number of sites.
    params
        The model (see the module docstring).
    prior
        Per-site prior of heterozygosity (e.g. ``2 p (1 - p)`` from a population VCF);
        ``params.het_prior`` where missing.

    Returns
    -------
    numpy.ndarray
        Posterior per site (sites without reads keep their prior).
    """
    site = np.asarray(site, dtype=np.int64)
    r = np.asarray(ref, dtype=np.int64)
    a = np.asarray(alt, dtype=np.int64)
    n = r + a
    e, u = params.error_rate, params.artefact_rate

    def private(k: np.ndarray) -> np.ndarray:  # k reads of the allele absent from the genome
        return np.logaddexp(
            np.log1p(-u) + binom.logpmf(k, n, e), np.log(u) + binom.logpmf(k, n, 0.5)
        )

    het = np.logaddexp(np.log(0.5) + binom.logpmf(a, n, 0.5), np.log(0.5) - np.log(n + 1.0))
    per_site = [
        np.bincount(site, weights=x, minlength=n_sites) for x in (private(a), private(r), het)
    ]
    l_ref, l_alt, l_het = per_site
    p_het = np.full(n_sites, params.het_prior) if prior is None else np.asarray(prior, float)
    p_het = np.where(np.isfinite(p_het) & (p_het > 0), p_het, params.het_prior)
    p_het = np.clip(p_het, 1e-12, 0.5)
    p_alt = p_het / 2
    log_other = np.logaddexp(np.log1p(-p_het - p_alt) + l_ref, np.log(p_alt) + l_alt)
    return expit(np.log(p_het) + l_het - log_other)


def candidate_sites(
    bams: Sequence[str | os.PathLike[str]],
    fasta: str | os.PathLike[str],
    *,
    params: HetSiteParams | None = None,
    min_alt_reads: int = 2,
) -> pd.DataFrame:
    """Positions where the pooled reads of ``bams`` show a second allele ``min_alt_reads`` times.

    One ``bcftools mpileup`` pass over all BAMs (C, streaming; no base-alignment quality
    recomputation, so base qualities are filtered as the counts are), SNVs only.

    Returns
    -------
    pandas.DataFrame
        ``chrom, pos`` (1-based), ``ref, alt`` (the most frequent other base).

    Raises
    ------
    CNVInputError
        When bcftools is missing or fails (its message included).
    """
    params = params or HetSiteParams()
    if shutil.which("bcftools") is None:
        raise CNVInputError(
            "bcftools is not on PATH: it finds candidate heterozygous SNPs; install it "
            "(make setup, or apt-get install bcftools) or give germline sites as a VCF"
        )
    if not bams:
        return pd.DataFrame(columns=["chrom", "pos", "ref", "alt"])
    mpileup = [
        "bcftools", "mpileup", "--fasta-ref", os.fspath(fasta), "--no-BAQ", "--skip-indels",
        "--count-orphans", "--ignore-RG", "--annotate", "INFO/AD",
        "--min-MQ", str(params.min_mapq), "--min-BQ", str(params.min_base_quality),
        "--max-depth", "10000", "--output-type", "u", *map(os.fspath, bams),
    ]  # fmt: skip
    keep = f"INFO/AD[1]>={int(min_alt_reads)} && INFO/AD[0]>=1"
    view = ["bcftools", "view", "--include", keep, "--output-type", "u"]
    query = ["bcftools", "query", "--format", r"%CHROM\t%POS\t%REF\t%ALT{0}\n"]
    p1 = subprocess.Popen(mpileup, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p2 = subprocess.Popen(view, stdin=p1.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p1.stdout.close()  # so mpileup sees a closed pipe if view stops
    out, err2 = p2.communicate()
    err1 = p1.stderr.read()
    p1.wait()
    if p1.returncode or p2.returncode:
        raise CNVInputError(
            "bcftools mpileup failed while looking for heterozygous SNPs "
            f"({(err1 or err2).decode(errors='replace').strip()[-500:]}); check that the BAMs "
            f"are indexed and aligned to {fasta}"
        )
    q = subprocess.run(query, input=out, capture_output=True, check=False)
    if q.returncode:
        raise CNVInputError(f"bcftools query failed: {q.stderr.decode(errors='replace')[-500:]}")
    rows = [line.split("\t") for line in q.stdout.decode().splitlines() if line]
    frame = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"])
    frame["pos"] = frame["pos"].astype(np.int64)
    snv = frame["alt"].str.fullmatch("[ACGT]") & frame["ref"].str.upper().str.fullmatch("[ACGT]")
    frame = frame[snv].reset_index(drop=True)
    frame["ref"] = frame["ref"].str.upper()
    return frame


def read_germline_sites(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, bool]:
    """Read germline SNP sites from a VCF (biallelic SNVs only).

    Parameters
    ----------
    path
        VCF/BCF (bgzipped or not). With samples, the first sample's genotypes are the
        patient's: its heterozygous SNVs are returned. Without samples (a population
        VCF), every biallelic SNV is a candidate with ``prior`` ``2 p (1 - p)`` from
        ``INFO/AF`` (missing when there is no AF).

    Returns
    -------
    sites : pandas.DataFrame
        ``chrom, pos, ref, alt, prior``.
    genotyped : bool
        Whether the sites are the patient's heterozygous genotypes (no test needed).

    Raises
    ------
    CNVInputError
        When the file cannot be read as a VCF.
    """
    try:
        vcf = pysam.VariantFile(os.fspath(path))
    except (OSError, ValueError) as err:
        raise CNVInputError(
            f"{path}: cannot be read as a VCF of germline sites ({err}); give a VCF/BCF "
            "(config cnv.alleles.germline_sites) or leave it empty to find sites in the cells"
        ) from err
    samples = list(vcf.header.samples)
    has_af = "AF" in vcf.header.info
    rows = []
    with vcf:
        for rec in vcf:
            if not rec.alts or len(rec.alts) != 1 or len(rec.ref) != 1 or len(rec.alts[0]) != 1:
                continue
            ref, alt = rec.ref.upper(), rec.alts[0].upper()
            if ref not in "ACGT" or alt not in "ACGT":
                continue
            prior = np.nan
            if samples:
                gt = rec.samples[samples[0]].get("GT")
                if gt is None or None in gt or len(set(gt)) != 2:
                    continue
            elif has_af and rec.info.get("AF") is not None:
                af = rec.info["AF"]
                p = float(af[0] if isinstance(af, tuple) else af)
                prior = 2 * p * (1 - p)
            rows.append((rec.chrom, rec.pos, ref, alt, prior))
    frame = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt", "prior"])
    return frame, bool(samples)


def count_site_alleles(
    bam: str | os.PathLike[str],
    sites: pd.DataFrame,
    *,
    min_mapq: int = HetSiteParams.min_mapq,
    min_base_quality: int = HetSiteParams.min_base_quality,
) -> pd.DataFrame:
    """Count one cell's reads of each site's reference and alternative base.

    Reads are filtered by flag (unmapped, secondary, supplementary, QC-fail, duplicate)
    and MAPQ; bases by quality; the two mates of a fragment count once. Each read's
    aligned blocks are walked once (a few sites per read at germline density), which is
    faster in Python than pysam's column pileup.

    Parameters
    ----------
    bam
        Sorted, indexed BAM of one cell.
    sites
        ``chrom, pos`` (1-based), ``ref, alt``.

    Returns
    -------
    pandas.DataFrame
        ``chrom, pos, ref_count, alt_count`` for every site (zeros where uncovered), in
        the order of ``sites``.
    """
    ref_count = np.zeros(len(sites), dtype=np.int64)
    alt_count = np.zeros(len(sites), dtype=np.int64)
    chroms = sites["chrom"].astype(str).to_numpy()
    with pysam.AlignmentFile(os.fspath(bam), "rb") as handle:
        contigs = set(handle.references)
        for chrom in pd.unique(chroms):
            if chrom not in contigs:
                continue
            idx = np.flatnonzero(chroms == chrom)
            order = idx[np.argsort(sites["pos"].to_numpy()[idx], kind="stable")]
            pos0 = sites["pos"].to_numpy()[order].astype(np.int64) - 1
            refb = sites["ref"].astype(str).str.upper().to_numpy()[order]
            altb = sites["alt"].astype(str).str.upper().to_numpy()[order]
            seen: set[tuple[str, int]] = set()
            for read in handle.fetch(chrom, int(pos0[0]), int(pos0[-1]) + 1):
                if read.flag & _SKIP_FLAGS or read.mapping_quality < min_mapq:
                    continue
                lo = np.searchsorted(pos0, read.reference_start)
                hi = np.searchsorted(pos0, read.reference_end)
                if lo == hi:
                    continue
                seq, qual = read.query_sequence, read.query_qualities
                if seq is None or qual is None:
                    continue
                rpos, qpos = read.reference_start, 0
                for op, ln in read.cigartuples:
                    if op in _MATCH_OPS:
                        a = np.searchsorted(pos0, rpos)
                        b = np.searchsorted(pos0, rpos + ln)
                        for k in range(a, b):
                            q = qpos + int(pos0[k]) - rpos
                            if qual[q] < min_base_quality:
                                continue
                            key = (read.query_name, k)
                            if key in seen:  # the mate counted this base already
                                continue
                            seen.add(key)
                            base = seq[q].upper()
                            if base == refb[k]:
                                ref_count[order[k]] += 1
                            elif base == altb[k]:
                                alt_count[order[k]] += 1
                        rpos += ln
                        qpos += ln
                    elif op in (2, 3):  # deletion, skip
                        rpos += ln
                    elif op in (1, 4):  # insertion, soft clip
                        qpos += ln
    return pd.DataFrame(
        {
            "chrom": chroms,
            "pos": sites["pos"].to_numpy().astype(np.int64),
            "ref_count": ref_count,
            "alt_count": alt_count,
        }
    )


def germline_allele_counts(
    bams: Mapping[str, str | os.PathLike[str]],
    fasta: str | os.PathLike[str] | None = None,
    *,
    sites: str | os.PathLike[str] | pd.DataFrame | None = None,
    params: HetSiteParams | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Heterozygous germline SNPs of a patient and each cell's allele counts there.

    Parameters
    ----------
    bams
        Cell ID -> sorted, indexed BAM (the patient's low-pass cells; WBCs and CTCs).
    fasta
        Reference FASTA (indexed) the BAMs are aligned to; needed to find sites.
    sites
        Optional germline sites: a VCF (see :func:`read_germline_sites`) or a DataFrame
        ``chrom, pos, ref, alt`` (tested like a population VCF). ``None``: found in the
        pooled cells.
    params
        Read filters and the genotype model.

    Returns
    -------
    sites : pandas.DataFrame
        The heterozygous sites: ``chrom, pos, ref, alt, ref_reads, alt_reads`` (pooled),
        ``n_cells`` (cells with reads), ``posterior`` (1 for genotyped sites).
    counts : pandas.DataFrame
        ``cell, chrom, pos, ref_count, alt_count`` (rows with reads only), the per-SNP
        format of :func:`~ctcgenomics.cnv.read_allele_counts`.

    Notes
    -----
    A cell whose BAM cannot be read is left out with a warning (its ploidy is then
    flagged unidentifiable by the caller); one bad cell does not stop the patient.
    """
    params = params or HetSiteParams()
    params.check()
    genotyped = False
    if isinstance(sites, pd.DataFrame):
        missing = sorted({"chrom", "pos", "ref", "alt"} - set(sites.columns))
        if missing:
            raise CNVInputError(
                f"germline sites lack column(s) {missing}; give chrom, pos (1-based), ref, alt"
            )
        cand = sites.loc[:, ["chrom", "pos", "ref", "alt"]].copy()
        cand["prior"] = sites["prior"] if "prior" in sites else np.nan
    elif sites is not None:
        cand, genotyped = read_germline_sites(sites)
    else:
        if fasta is None:
            raise CNVInputError(
                "finding heterozygous SNPs in the cells needs the reference FASTA (fasta=); "
                "or give germline sites (sites=)"
            )
        readable = {c: p for c, p in bams.items() if _usable(c, p)}
        cand = candidate_sites(list(readable.values()), fasta, params=params)
        cand["prior"] = np.nan
    cand = cand.reset_index(drop=True)
    per_cell = []
    desc = f"allele counts at {len(cand)} SNPs"
    for cell, bam in progress(bams.items(), desc=desc, logger=log, unit="cell"):
        if not _usable(cell, bam):
            continue
        try:
            got = count_site_alleles(
                bam, cand, min_mapq=params.min_mapq, min_base_quality=params.min_base_quality
            )
        except (OSError, ValueError) as err:
            log.warning("%s: allele counts skipped for cell %s (%s)", bam, cell, err)
            continue
        got["site"] = np.arange(len(cand))
        got["cell"] = cell
        per_cell.append(got[(got["ref_count"] + got["alt_count"]) > 0])
    long = (
        pd.concat(per_cell, ignore_index=True)
        if per_cell
        else pd.DataFrame(columns=[*ALLELE_COLUMNS, "site"])
    )
    site = long["site"].to_numpy(dtype=np.int64)
    r = long["ref_count"].to_numpy(dtype=np.int64)
    a = long["alt_count"].to_numpy(dtype=np.int64)
    n_sites = len(cand)
    out = cand.loc[:, ["chrom", "pos", "ref", "alt"]].copy()
    out["ref_reads"] = np.bincount(site, weights=r, minlength=n_sites).astype(np.int64)
    out["alt_reads"] = np.bincount(site, weights=a, minlength=n_sites).astype(np.int64)
    out["n_cells"] = np.bincount(site, minlength=n_sites)
    if genotyped:
        out["posterior"] = 1.0
        keep = np.ones(n_sites, dtype=bool)
    else:
        out["posterior"] = het_posterior(site, r, a, n_sites, params, cand["prior"].to_numpy())
        keep = out["posterior"].to_numpy() >= params.min_posterior
    log.info(
        "%d of %d candidate sites heterozygous (%s)",
        int(keep.sum()),
        n_sites,
        "genotyped VCF" if genotyped else f"posterior >= {params.min_posterior}",
    )
    kept = np.flatnonzero(keep)
    counts = long[np.isin(site, kept)].loc[:, list(ALLELE_COLUMNS)].reset_index(drop=True)
    return out.iloc[kept].reset_index(drop=True).loc[:, list(SITE_COLUMNS)], counts


def _usable(cell: str, bam: str | os.PathLike[str]) -> bool:
    """Whether a cell's BAM has reads to count (a failed alignment is reported, not fatal)."""
    from ctcgenomics.align._bwa import failed_reason

    if not os.path.exists(bam):
        log.warning("%s: BAM of cell %s not found; no allele counts for it", bam, cell)
        return False
    reason = failed_reason(bam)
    if reason is not None:
        log.warning(
            "%s: alignment of cell %s failed earlier (%s); no allele counts", bam, cell, reason
        )
        return False
    return True


def write_allele_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a table as TSV atomically (allele counts or sites)."""
    from ctcgenomics.io import atomic_path

    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False)
