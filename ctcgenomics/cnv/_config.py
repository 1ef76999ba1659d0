"""Parameters of copy-number calling, with the defaults of the config schema.

One flat frozen dataclass mirrors the ``cnv:`` section of ``config/config.yaml`` (its
``alleles:`` part is :class:`~ctcgenomics.cnv.HetSiteParams`) and holds the defaults:
the config schema's defaults are checked equal to them by a test (docs/design.md,
Parameters). The bin size is the
workflow's ``bins.size`` (the bin table is built once for QC and copy number).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ctcgenomics._params import check_keys

DEFAULT_GENES: tuple[str, ...] = (
    "ERBB2", "MYC", "CCND1", "FGFR1", "EGFR", "MET", "CDK4", "MDM2", "PIK3CA", "AR",
    "PTEN", "RB1", "TP53", "BRCA1", "BRCA2", "CDKN2A",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class CNVConfig:
    """Copy-number parameters (the ``cnv:`` config section).

    Attributes
    ----------
    min_mapq
        Minimum mapping quality of a counted read.
    max_n_fraction
        Bins with a larger fraction of N bases are not used.
    blacklist
        BED file of regions to exclude (e.g. the ENCODE blacklist), or ``None``.
    mappability
        Per-bin (or bedGraph) mappability track, or ``None``.
    min_mappability
        Bins with lower mean mappability are not used (when a track is given).
    min_gc, max_gc
        Bins outside this GC range are not used (GC fit is unreliable there).
    gc_lowess_frac
        LOWESS span of the per-cell GC correction.
    gc_min_bins
        Fewest bins in each local GC fit (widens the span on short references, where a
        narrow one erases copy-number segments that happen to be GC-extreme).
    panel_of_normals
        Divide out bin-specific bias estimated from the WBCs of the same patient.
    min_pon_cells
        Fewest WBCs needed to build the panel of normals (and fewest flat cells for the
        in-run reference).
    in_run_reference
        Without WBCs (or too few) and without a matched normal, take the run's own cells
        whose first-pass autosomes sit at one integer state as the panel of normals for
        a second pass (``uns reference = in_run_diploid``).
    outlier_window, outlier_sd
        A bin further than ``outlier_sd`` noise SDs from the running median of
        ``outlier_window`` bins is replaced by that median.
    transition_prob
        Probability of a change of level between adjacent bins in the segmentation HMM.
    wave_span_bp
        Genomic span of whole-genome-amplification coverage waves. The noise of the
        segmentation HMM and of segment means is a long-run (Newey-West) SD; its
        autocovariance lags reach this span and its running-median window 2.5 times
        it (never fewer than 10 lags and 25 bins), so waves count as noise at any bin
        size instead of being cut into segments when bins are small.
    level_step
        Spacing of the HMM's ratio levels (a fraction of the cell's mean).
    max_ratio
        Ratios above this are clipped before segmentation (levels cover 0..max_ratio).
    min_ploidy, max_ploidy, ploidy_step
        Grid of the scale (ploidy) search for CTCs.
    level_cv
        Relative SD of a segment's level that does not average out along the segment
        (allelic dropout reads heterozygous regions low against LOH regions; residual
        GC bias). Stops the scale search from fitting such bias with a doubled ploidy,
        but also blurs the one-copy steps that reveal a doubled cell: 0 (off) by
        default; 0.03-0.1 only where LOH-vs-heterozygous depth bias is known to be
        larger than the odd states of doubled cells (see docs/cnv.md).
    level_cv_from_wbc
        Estimate the level error from the run's WBCs (how far their segments sit from
        copy number 2 beyond sampling error) and fit CTCs with the larger of it and
        ``level_cv``. Where the WBCs are clean it is about 0 (doubled cells keep their
        one-copy steps); under strong amplification waves it stops wave segments
        from passing as the odd states of a doubled cell.
    ploidy_penalty
        Weight of the Occam term (per segment, times log ploidy) of the scale search,
        which makes the lowest ploidy consistent with the data win.
    wbc_min_ploidy, wbc_max_ploidy
        Search range for WBCs, which anchor diploid.
    max_cn
        Largest integer copy number reported.
    min_reads_per_bin
        Cells with fewer mean reads per used bin are not called (``too_few_reads``).
    max_mapd
        Cells with a larger MAPD fail QC (``high_mapd``).
    max_breakpoint_fraction
        Cells with more breakpoints than this fraction of used bins fail QC.
    min_ploidy_confidence
        Cells with a lower ploidy confidence fail QC (``ambiguous_ploidy``).
    max_wbc_aneuploid_fraction
        A WBC with copy number other than 2 in more than this fraction of used bins
        fails QC (``wbc_not_diploid``): the diploid controls expose run-level noise.
    amplification_ratio
        Gene copy number at or above this multiple of the cell's ploidy is an
        ``AMPLIFICATION`` (below it, above ploidy, a ``GAIN``).
    deep_deletion_cn
        Gene copy number at or below this is a ``DELETION`` (above it, below ploidy, a
        ``LOSS``).
    arm_fraction
        A call whose segment covers at least this fraction of the arm is arm-level,
        otherwise focal.
    genes
        Genes reported in the alterations table.
    clone_linkage, clone_max_distance, min_clone_size
        Hierarchical clustering of CTC copy-number profiles: linkage method, cut height
        (mean absolute copy-number difference per bin) and smallest clone.
    group_cut
        Cells are grouped for joint segmentation and the clone prior by clustering their
        denoised profiles; the tree is cut at this multiple of the median distance of a
        cell to its nearest neighbour (the distance of two cells that differ by noise).
    group_min_distance
        After the first round, cells are regrouped by their integer profiles (copy number
        over multiplier, and minor-allele fraction), with a cut of at least this mean
        absolute difference per bin (e.g. a quarter of the level over 4 % of the genome).
    clone_prior_weight
        Pseudo-votes, spread over all copy numbers, of the empirical-Bayes prior a cell's
        segment gets from the other members of its group: with ``n`` other members all
        agreeing, another integer needs about ``log((n + w) (max_cn + 1) / w)`` nats of
        the cell's own evidence.
    max_prior_cells
        At most this many other members (a random, seeded subset) vote in a cell's
        clone prior, which bounds its cost in large groups.
    own_breakpoint_z
        A cell's own breakpoint is kept in the refit (besides its group's) only where the
        segment means on either side differ by more than this many SDs, the level error
        from amplification waves included.
    gc_with_normal
        With a matched normal, still fit each cell's own GC curve (when the bins have GC
        content): single-cell amplification adds GC bias that a bulk normal lacks.
    """

    min_mapq: int = 20
    max_n_fraction: float = 0.1
    blacklist: str | None = None
    mappability: str | None = None
    min_mappability: float = 0.8
    min_gc: float = 0.25
    max_gc: float = 0.75
    gc_lowess_frac: float = 0.3
    gc_min_bins: int = 100
    panel_of_normals: bool = True
    min_pon_cells: int = 3
    in_run_reference: bool = False
    outlier_window: int = 3
    outlier_sd: float = 5.0
    transition_prob: float = 1e-4
    wave_span_bp: int = 250_000
    level_step: float = 0.08
    max_ratio: float = 6.0
    min_ploidy: float = 1.5
    max_ploidy: float = 6.0
    ploidy_step: float = 0.01
    level_cv: float = 0.0
    level_cv_from_wbc: bool = True
    ploidy_penalty: float = 2.0
    wbc_min_ploidy: float = 1.6
    wbc_max_ploidy: float = 2.4
    max_cn: int = 20
    min_reads_per_bin: float = 20.0
    max_mapd: float = 0.45
    max_breakpoint_fraction: float = 0.1
    min_ploidy_confidence: float = 0.2
    max_wbc_aneuploid_fraction: float = 0.05
    amplification_ratio: float = 2.5
    deep_deletion_cn: int = 0
    arm_fraction: float = 0.5
    genes: tuple[str, ...] = DEFAULT_GENES
    clone_linkage: str = "average"
    clone_max_distance: float = 0.25
    min_clone_size: int = 2
    clone_prior_weight: float = 1.0
    max_prior_cells: int = 30
    own_breakpoint_z: float = 3.0
    clone_scale_window: float = 0.15
    clone_scale_min_cells: int = 10
    group_features: str = "both"
    merge_allelic_effect: float = 0.14
    consensus_noise: str = "white"
    focal_alpha: float = 0.01
    gc_with_normal: bool = True

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None = None, **overrides: Any) -> CNVConfig:
        """Build a config from a mapping (e.g. ``config["cnv"]``), rejecting unknown keys.

        Raises
        ------
        ValueError
            If a key is not a parameter (naming the key and the closest known key) or a
            value is out of range.
        """
        merged = {**(values or {}), **overrides}
        check_keys(merged, (f.name for f in dataclasses.fields(cls)), "cnv")
        if "genes" in merged and merged["genes"] is not None:
            merged["genes"] = tuple(merged["genes"])
        for key in ("blacklist", "mappability"):
            if merged.get(key) in ("", None):
                merged[key] = None
        cfg = cls(**merged)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        """Check ranges that the schema cannot express (orderings between keys)."""
        if not 0 < self.min_ploidy < self.max_ploidy:
            raise ValueError(
                f"cnv.min_ploidy ({self.min_ploidy}) must be > 0 and < cnv.max_ploidy "
                f"({self.max_ploidy})"
            )
        if not 0 < self.wbc_min_ploidy < self.wbc_max_ploidy:
            raise ValueError("cnv.wbc_min_ploidy must be > 0 and < cnv.wbc_max_ploidy")
        if not 0 <= self.min_gc < self.max_gc <= 1:
            raise ValueError("cnv.min_gc and cnv.max_gc must satisfy 0 <= min_gc < max_gc <= 1")
        if self.level_cv < 0:
            raise ValueError("cnv.level_cv must be >= 0")
        if self.gc_min_bins < 0:
            raise ValueError("cnv.gc_min_bins must be >= 0")
        if self.ploidy_penalty < 0:
            raise ValueError("cnv.ploidy_penalty must be >= 0")
        if not 0 < self.transition_prob < 0.5:
            raise ValueError("cnv.transition_prob must be in (0, 0.5)")
        if self.outlier_window < 3 or self.outlier_window % 2 == 0:
            raise ValueError("cnv.outlier_window must be an odd number >= 3")

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters as a plain, h5ad-serialisable dict (``None`` -> ``""``)."""
        out: dict[str, Any] = {}
        for key, value in dataclasses.asdict(self).items():
            if value is None:
                value = ""
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out
