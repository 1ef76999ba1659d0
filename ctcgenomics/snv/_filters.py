"""Site filters, named as in the VCF FILTER column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from ctcgenomics._keys import output_namer
from ctcgenomics.snv._genotype import GenotypeParams, cell_roles

if TYPE_CHECKING:  # anndata is imported where an AnnData is made or read
    import anndata as ad

FILTER_DESCRIPTIONS: dict[str, str] = {
    "PASS": "All filters passed",
    "LowQual": "Posterior of a somatic variant in the CTCs below min_qual (Phred)",
    "LowDepth": "Fewer than min_evaluable_cells CTCs with min_cell_depth reads",
    "StrandBias": "Alternative reads (all cells pooled) nearly all on one strand (minor-strand "
    "fraction < strand_min_fraction) and Fisher's exact test of ref/alt by strand p < "
    "strand_bias_p",
    "CellPrivateLowVAF": "Alternative reads in one CTC only, at an allele fraction below "
    "private_min_vaf (typical of amplification errors)",
    "NearIndel": "SNV within near_indel_bp of a supported indel (misalignment)",
    "PossibleGermline": "Not excluded as germline: germline posterior above "
    "max_germline_posterior (e.g. shallow or missing WBCs)",
    "Germline": "Germline (posterior >= germline_posterior from WBC reads, allele balance "
    "across cells and germline/population VCFs, or a known germline site)",
}


@dataclass(frozen=True)
class FilterParams:
    """Thresholds of the site filters.

    Parameters
    ----------
    min_qual
        Minimum Phred-scaled posterior that the variant is present in some CTC.
    min_evaluable_cells
        Minimum CTCs with enough reads (see ``GenotypeParams.min_cell_depth``).
    strand_bias_p
        Fisher's exact p-value below which strand bias is flagged.
    strand_min_fraction
        ... and only when the alternative reads' minor strand is below this fraction
        (with hundreds of pooled reads, Fisher's test alone flags harmless imbalance).
    private_min_vaf
        A variant seen in one CTC only must reach this allele fraction there (0 = off:
        the genotype model weighs amplification artefacts by their allele fraction).
    near_indel_bp
        Distance to a supported indel within which SNVs are flagged.
    max_germline_posterior
        A somatic call needs a germline posterior at most this. The default, 0.1, is the
        complement of the default ``min_qual`` (a somatic posterior >= 0.9 already leaves
        at most 0.1 to every other explanation), so it adds no cut of its own; it names
        the reason (``PossibleGermline``) where germline is what holds a site back. Set it
        lower to trade recall for fewer germline look-alikes: with two amplified WBCs a
        clonal variant keeps a germline posterior of a few per cent (both WBCs may have
        dropped the allele), and a 1 % cut held back most clonal variants (docs/snv.md).
    """

    min_qual: float = 10.0
    min_evaluable_cells: int = 1
    strand_bias_p: float = 1e-3
    strand_min_fraction: float = 0.1
    private_min_vaf: float = 0.0
    near_indel_bp: int = 5
    max_germline_posterior: float = 0.1


def apply_filters(
    adata: ad.AnnData,
    *,
    params: FilterParams | None = None,
    min_cell_depth: int = GenotypeParams.min_cell_depth,
    genotype_key: str = "snv",
    reference_key: str = "role",
    reference_cat: str | Sequence[str] = "wbc",
    key_added: str = "snv_filters",
    copy: bool = False,
) -> ad.AnnData | None:
    """Set ``var["filter"]`` (``PASS`` or ``;``-joined names) and ``var["somatic"]``.

    Parameters
    ----------
    adata
        Output of :func:`~ctcgenomics.snv.genotype`.
    params
        Thresholds.
    min_cell_depth
        Reads a CTC needs to count towards ``min_evaluable_cells``.
    genotype_key
        The ``key_added`` of the :func:`~ctcgenomics.snv.genotype` run to filter.
    reference_key, reference_cat
        ``obs`` column and value(s) marking the normal cells (WBCs); the others are the
        tumour cells whose depth ``LowDepth`` counts.
    key_added
        ``adata.uns`` key receiving the parameters and filter descriptions. Any key but
        the default also prefixes the ``var`` columns written (``f"{key_added}_filter"``,
        ``..._somatic``, ``..._strand_bias_p``).
    copy
        Return a copy instead of modifying ``adata``.
    """
    gt_name = output_namer(genotype_key, "snv")
    site_cols = ("qual", "p_variant", "p_germline", "germline", "n_cells_alt_reads", "max_cell_vaf")
    needed = [gt_name(c) for c in site_cols if gt_name(c) not in adata.var]
    if needed:
        raise KeyError(
            f"apply_filters: adata.var lacks {needed}; run "
            f"ctc.snv.genotype(adata, key_added={genotype_key!r}) first"
        )
    adata = adata.copy() if copy else adata
    params = params or FilterParams()
    var = adata.var
    site = {c: var[gt_name(c)].to_numpy() for c in site_cols}
    is_ctc = cell_roles(adata, reference_key, reference_cat) == "ctc"
    n = np.asarray(adata.layers["ref"]) + np.asarray(adata.layers["alt"])
    n_cov = (n[is_ctc] >= min_cell_depth).sum(axis=0)
    flags: list[list[str]] = [[] for _ in range(adata.n_vars)]
    strand_p = np.ones(adata.n_vars)
    minor = np.ones(adata.n_vars)
    tables = var[["pooled_ref_fwd", "pooled_ref_rev", "pooled_alt_fwd", "pooled_alt_rev"]]
    for i, (rf, rr, af, ar) in enumerate(tables.to_numpy(dtype=int)):
        if af + ar >= 3 and rf + rr > 0:
            minor[i] = min(af, ar) / (af + ar)
            if minor[i] < params.strand_min_fraction:
                # scipy.stats only here: its import costs about a second per run
                from scipy.stats import fisher_exact

                strand_p[i] = fisher_exact([[rf, rr], [af, ar]]).pvalue
    kind = var["kind"].to_numpy()
    chrom, pos = var["chrom"].to_numpy(), var["pos"].to_numpy()
    supported = (
        (kind == "indel")
        & (var["pooled_alt_fwd"] + var["pooled_alt_rev"] >= 3).to_numpy()
        & (site["p_variant"] >= 0.5)
    )
    max_germline = params.max_germline_posterior
    indel_pos = {(c, p) for c, p in zip(chrom[supported], pos[supported], strict=True)}
    for i, f in enumerate(flags):
        if site["qual"][i] < params.min_qual:
            f.append("LowQual")
        if n_cov[i] < params.min_evaluable_cells:
            f.append("LowDepth")
        if strand_p[i] < params.strand_bias_p and minor[i] < params.strand_min_fraction:
            f.append("StrandBias")
        if site["n_cells_alt_reads"][i] <= 1 and site["max_cell_vaf"][i] < params.private_min_vaf:
            f.append("CellPrivateLowVAF")
        if kind[i] == "snv" and any(
            (chrom[i], pos[i] + d) in indel_pos
            for d in range(-params.near_indel_bp, params.near_indel_bp + 1)
        ):
            f.append("NearIndel")
        if site["germline"][i]:
            f.append("Germline")
        elif site["p_germline"][i] > max_germline:
            f.append("PossibleGermline")
    name = output_namer(key_added, "snv_filters")
    var[name("strand_bias_p")] = strand_p
    var[name("filter")] = [";".join(f) if f else "PASS" for f in flags]
    var[name("somatic")] = var[name("filter")].eq("PASS").to_numpy()
    adata.uns[key_added] = {"params": asdict(params), "descriptions": FILTER_DESCRIPTIONS}
    return adata if copy else None
