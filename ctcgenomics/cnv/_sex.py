"""Sex chromosomes: expected germline copy number per bin, and the patient's sex from data.

Ploidy is fitted on the autosomes; chrX and chrY bins are compared with the copy number
the patient's sex implies (female X 2, Y 0; male X 1, Y 1), so a male cell is not called
an X loss. The pseudo-autosomal region 1 (PAR1) at the start of chrX is diploid in both
sexes (the GRCh38 analysis set masks the chrY copy with N, so its reads map to chrX);
PAR bins on chrY are not used. PAR2 is handled the same way on full-length chrX.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

X_NAMES = ("chrX", "X")
Y_NAMES = ("chrY", "Y")
SEXES = ("female", "male")
#: PAR1 and PAR2 on chrX (0-based half-open) for GRCh38 and GRCh37. PAR2 is only applied
#: when the bins reach it (a full-length chrX).
PARS = {
    "hg38": ((10_000, 2_781_479), (155_701_382, 156_030_895)),
    "hg19": ((60_000, 2_699_520), (154_931_043, 155_260_560)),
}


def is_sex_chromosome(chrom: np.ndarray) -> np.ndarray:
    """Whether each contig name is chrX/chrY (or X/Y)."""
    chrom = np.asarray(chrom).astype(str)
    return np.isin(chrom, X_NAMES + Y_NAMES)


def _par_mask(bins: pd.DataFrame) -> np.ndarray:
    """Bins (on chrX or chrY) whose midpoint lies in a pseudo-autosomal region."""
    chrom = bins["chrom"].astype(str).to_numpy()
    mid = ((bins["start"] + bins["end"]) // 2).to_numpy()
    sex = is_sex_chromosome(chrom)
    if not sex.any():
        return np.zeros(len(bins), dtype=bool)
    x = np.isin(chrom, X_NAMES)
    x_end = int(bins.loc[x, "end"].max()) if x.any() else 0
    # GRCh38 chrX is 156.0 Mb, GRCh37 155.3 Mb: bins reaching past 155.5 Mb are GRCh38.
    pars = PARS["hg38"] if x_end > 155_500_000 or not x.any() else PARS["hg19"]
    out = np.zeros(len(bins), dtype=bool)
    for lo, hi in pars:
        out |= sex & (mid >= lo) & (mid < hi)
    return out


def germline_levels(bins: pd.DataFrame, sex: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Return the expected germline copy number relative to the autosomes (1 = two copies).

    Parameters
    ----------
    bins
        Bin table (``chrom, start, end``).
    sex
        ``female``, ``male`` or ``None`` (unknown: sex-chromosome bins are not used).

    Returns
    -------
    level : numpy.ndarray
        1 for autosomes and PARs on chrX; for a male 0.5 on chrX and chrY; for a female 1
        on chrX; 0 where no copy is expected (female chrY).
    unusable : numpy.ndarray
        Bins that must not be used for that reason (female chrY, PAR bins on chrY,
        sex chromosomes when the sex is unknown).
    """
    chrom = bins["chrom"].astype(str).to_numpy()
    x, y = np.isin(chrom, X_NAMES), np.isin(chrom, Y_NAMES)
    par = _par_mask(bins)
    level = np.ones(len(bins))
    unusable = y & par
    if sex is None:
        unusable |= x | y
    elif sex == "male":
        level[(x & ~par) | y] = 0.5
    elif sex == "female":
        level[y] = 0.0
        unusable |= y
    else:
        raise ValueError(f"sex must be 'female', 'male' or None, got {sex!r}")
    return level, unusable


def infer_sex(counts: np.ndarray, bins: pd.DataFrame, usable: np.ndarray) -> tuple[str | None, str]:
    """Infer the sex from reads on chrX and chrY relative to the autosomes.

    ``counts`` are reads per bin of diploid references (WBCs or a matched normal; summed
    over rows). chrY non-PAR bins with at least 15 % of the autosomal depth per bp mean a
    Y chromosome (male), under 5 % none; without usable chrY bins, chrX at about half the
    autosomal depth (< 0.75) means male, about equal (> 0.8) female.

    Returns
    -------
    sex : str or None
        ``female``, ``male``, or ``None`` when the data cannot tell (no sex chromosomes in
        the bins, or ambiguous depth).
    evidence : str
        The depths the decision rests on, for the log and ``uns``.
    """
    chrom = bins["chrom"].astype(str).to_numpy()
    width = (bins["end"] - bins["start"]).to_numpy().astype(float)
    total = np.asarray(counts, dtype=float)
    if total.ndim == 2:
        total = total.sum(axis=0)
    per_bp = total / np.maximum(width, 1.0)
    par = _par_mask(bins)
    auto = usable & ~is_sex_chromosome(chrom)
    x = usable & np.isin(chrom, X_NAMES) & ~par
    y = np.isin(chrom, Y_NAMES) & ~par & (bins.get("n_fraction", 0) < 0.5)
    if not auto.any() or not (x.any() or y.any()):
        return None, "no sex-chromosome bins"
    base = float(np.median(per_bp[auto]))
    if base <= 0:
        return None, "no autosomal reads"
    rx = float(np.median(per_bp[x]) / base) if x.any() else float("nan")
    ry = float(np.median(per_bp[y]) / base) if y.any() else float("nan")
    evidence = f"chrX/autosome depth {rx:.2f}, chrY/autosome depth {ry:.2f}"
    if np.isfinite(ry):
        if ry >= 0.15:
            return "male", evidence
        if ry < 0.05 and (not np.isfinite(rx) or rx > 0.75):
            return "female", evidence
    if np.isfinite(rx):
        if rx < 0.7:
            return "male", evidence
        if rx > 0.8:
            return "female", evidence
    return None, evidence
