"""Gene-level copy-number calls, focal versus arm-level, from bins or CNVkit files."""

from __future__ import annotations

import os
from importlib import resources

import anndata as ad
import numpy as np
import pandas as pd

from ctcgenomics.cnv._config import CNVConfig
from ctcgenomics.cnv._errors import CNVInputError

CALLS = ("AMPLIFICATION", "GAIN", "NEUTRAL", "LOSS", "DELETION")
GENE_CALL_COLUMNS = (
    "cell", "gene", "chrom", "start", "end", "copy_number", "ploidy", "call", "extent",
    "segment_start", "segment_end", "arm",
)  # fmt: skip
_NON_GENES = {"", "-", "Antitarget", "Background", "antitarget", "background"}


def read_gene_table(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Read a gene table (packaged GENCODE v44 hg38 by default).

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom, start, end, gene`` (0-based half-open) plus ``gene_id,
        strand, gene_type``; one row per gene name (the first when a name repeats).
    """
    if path is None:
        path = resources.files("ctcgenomics") / "data/annotation/gencode_v44_genes_hg38.tsv.gz"
    frame = pd.read_csv(path, sep="\t", dtype={"#contig": str, "contig": str})
    frame = frame.rename(columns={"#contig": "chrom", "contig": "chrom", "gene_name": "gene"})
    missing = {"chrom", "start", "end", "gene"} - set(frame.columns)
    if missing:
        raise CNVInputError(
            f"{path}: a gene table needs columns contig, start, end, gene_name (missing "
            f"{sorted(missing)})"
        )
    return frame.drop_duplicates("gene").reset_index(drop=True)


def arms_from_cytobands(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Chromosome arms (``chrom, start, end, arm``) from a UCSC cytoband BED.

    Defaults to the packaged hg38 cytobands. Arm ``p`` spans the bands named ``p*``,
    ``q`` those named ``q*``.
    """
    if path is None:
        path = resources.files("ctcgenomics") / "data/annotation/cytobands_hg38.bed"
    bands = pd.read_csv(
        path,
        sep="\t",
        header=None,
        comment="#",
        dtype={0: str, 3: str},
        usecols=[0, 1, 2, 3],
        names=["chrom", "start", "end", "band"],
    )
    bands["arm"] = bands["band"].str[0]
    bands = bands[bands["arm"].isin(["p", "q"])]
    return (
        bands.groupby(["chrom", "arm"], sort=False)
        .agg(start=("start", "min"), end=("end", "max"))
        .reset_index()
        .loc[:, ["chrom", "start", "end", "arm"]]
    )


def classify(copy_number: np.ndarray, ploidy: np.ndarray, config: CNVConfig) -> np.ndarray:
    """Call each copy number relative to the cell's ploidy.

    With ``b = max(1, round(ploidy))``: ``DELETION`` if ``cn <= deep_deletion_cn``,
    ``LOSS`` if ``cn < b``, ``AMPLIFICATION`` if ``cn >= amplification_ratio * b``,
    ``GAIN`` if ``cn > b``, else ``NEUTRAL``; empty string where ``cn`` is NaN.
    """
    cn = np.asarray(copy_number, dtype=float)
    base = np.maximum(1, np.rint(np.asarray(ploidy, dtype=float)))
    out = np.full(cn.shape, "NEUTRAL", dtype=object)
    out[cn > base] = "GAIN"
    out[cn >= config.amplification_ratio * base] = "AMPLIFICATION"
    out[cn < base] = "LOSS"
    out[cn <= config.deep_deletion_cn] = "DELETION"
    out[~np.isfinite(cn)] = ""
    return out


def _gene_bins(var: pd.DataFrame, genes: pd.DataFrame) -> pd.DataFrame:
    """Bin of largest overlap for each gene that overlaps a bin."""
    rows = []
    var = var.reset_index(drop=True)
    for chrom, idx in var.groupby("chrom", sort=False).indices.items():
        g = genes[genes["chrom"] == chrom]
        if g.empty:
            continue
        starts = var["start"].to_numpy()[idx]
        ends = var["end"].to_numpy()[idx]
        for gene in g.itertuples(index=False):
            ov = np.minimum(ends, gene.end) - np.maximum(starts, gene.start)
            if ov.max() > 0:
                rows.append((gene.gene, chrom, gene.start, gene.end, int(idx[np.argmax(ov)])))
    return pd.DataFrame(rows, columns=["gene", "chrom", "start", "end", "bin"])


def _arm_of(chrom: str, pos: int, arms: pd.DataFrame) -> tuple[str, int, int]:
    hit = arms[(arms["chrom"] == chrom) & (arms["start"] <= pos) & (arms["end"] > pos)]
    if hit.empty:
        return chrom, -1, -1  # no arm information: the whole contig counts as one arm
    row = hit.iloc[0]
    return f"{chrom}{row['arm']}", int(row["start"]), int(row["end"])


def gene_calls(
    adata: ad.AnnData,
    *,
    genes: list[str] | tuple[str, ...] | None = None,
    gene_table: pd.DataFrame | None = None,
    arms: pd.DataFrame | None = None,
    config: CNVConfig | None = None,
    key: str = "cnv",
) -> pd.DataFrame:
    """Gene-level copy number and calls per cell from a called AnnData.

    Parameters
    ----------
    adata
        Output of :func:`call_copy_number` (``layers["copy_number"]``, ``obs["ploidy"]``,
        ``uns[key]["segments"]``).
    genes
        Gene names to report; ``None`` for every gene of ``gene_table`` in the bins.
    gene_table
        :func:`read_gene_table` (packaged hg38 by default).
    arms
        :func:`arms_from_cytobands` (packaged hg38 by default). Contigs without arms
        are treated as one arm.
    config
        Call thresholds (``amplification_ratio``, ``deep_deletion_cn``, ``arm_fraction``).
    key
        Key of ``adata.uns`` holding the segments.

    Returns
    -------
    pandas.DataFrame
        One row per called cell x gene, columns :data:`GENE_CALL_COLUMNS` plus
        ``qc_pass``. ``extent`` is ``arm`` when the segment carrying the gene covers at
        least ``arm_fraction`` of the arm's used bins, else ``focal``.
    """
    cfg = config or CNVConfig()
    table = read_gene_table() if gene_table is None else gene_table
    arms = arms_from_cytobands() if arms is None else arms
    if genes is not None:
        table = table[table["gene"].isin(list(genes))]
    var = adata.var.reset_index(drop=True)
    gb = _gene_bins(var, table)
    if gb.empty:
        return pd.DataFrame(columns=[*GENE_CALL_COLUMNS, "qc_pass"])
    used = var["used"].to_numpy() if "used" in var else np.ones(len(var), dtype=bool)
    segs = adata.uns[key]["segments"]
    by_cell = {c: g for c, g in segs.groupby("cell", sort=False)}
    cn = np.asarray(adata.layers["copy_number"])
    chrom_arr = var["chrom"].astype(str).to_numpy()
    start_arr = var["start"].to_numpy()
    # Used bins of each gene's arm, as a cumulative count for O(1) segment overlaps.
    arm_names, arm_cums, arm_totals = [], [], []
    for g in gb.itertuples():
        arm, a0, a1 = _arm_of(g.chrom, (g.start + g.end) // 2, arms)
        in_arm = (chrom_arr == g.chrom) & used
        if a0 >= 0:
            in_arm &= (start_arr >= a0) & (start_arr < a1)
        arm_names.append(arm)
        arm_cums.append(np.concatenate([[0], np.cumsum(in_arm)]))
        arm_totals.append(max(int(in_arm.sum()), 1))
    gene_bin = gb["bin"].to_numpy()
    out = []
    for ci, cell in enumerate(adata.obs_names):
        ploidy = float(adata.obs["ploidy"].iloc[ci])
        if not np.isfinite(ploidy) or cell not in by_cell:
            continue
        cs = by_cell[cell]
        s_bin0 = cs["start_bin"].to_numpy()
        s_bin1 = cs["end_bin"].to_numpy()
        values = cn[ci, gene_bin]
        calls = classify(values, np.full(len(values), ploidy), cfg)
        which = np.searchsorted(s_bin1, gene_bin, side="right")
        for k, g in enumerate(gb.itertuples()):
            j = which[k]
            s0, s1, extent = -1, -1, ""
            if j < len(cs) and s_bin0[j] <= g.bin:
                s0, s1 = int(cs["start"].iloc[j]), int(cs["end"].iloc[j])
                if calls[k] not in ("", "NEUTRAL"):
                    n_in = arm_cums[k][s_bin1[j]] - arm_cums[k][s_bin0[j]]
                    extent = "arm" if n_in / arm_totals[k] >= cfg.arm_fraction else "focal"
            out.append(
                (
                    cell,
                    g.gene,
                    g.chrom,
                    g.start,
                    g.end,
                    values[k],
                    ploidy,
                    calls[k],
                    extent,
                    s0,
                    s1,
                    arm_names[k],
                )
            )
    frame = pd.DataFrame(out, columns=list(GENE_CALL_COLUMNS))
    qc = adata.obs["qc_pass"] if "qc_pass" in adata.obs else pd.Series(True, adata.obs_names)
    frame["qc_pass"] = frame["cell"].map(qc).astype(bool)
    return frame


def read_cnvkit(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CNVkit ``.cnr`` (bins) or ``.cns`` (segments) table.

    Raises
    ------
    CNVInputError
        If the columns ``chromosome, start, end, gene, log2`` are missing.
    """
    frame = pd.read_csv(path, sep="\t", dtype={"chromosome": str, "gene": str})
    need = {"chromosome", "start", "end", "gene", "log2"}
    if not need <= set(frame.columns):
        raise CNVInputError(
            f"{path}: not a CNVkit .cnr/.cns table (need columns {sorted(need)}, found "
            f"{list(frame.columns)})"
        )
    frame["gene"] = frame["gene"].fillna("-")
    return frame.rename(columns={"chromosome": "chrom"})


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, 0.5 * cum[-1])])


def gene_calls_from_log2(
    bins: pd.DataFrame,
    *,
    segments: pd.DataFrame | None = None,
    genes: list[str] | tuple[str, ...] | None = None,
    sample: str = "sample",
    ploidy: float = 2.0,
    purity: float = 1.0,
    config: CNVConfig | None = None,
) -> pd.DataFrame:
    """Gene-level calls from external bin log2 ratios (e.g. CNVkit ``.cnr``/``.cns``).

    A gene's log2 ratio is the weighted median of its bins (CNVkit's ``weight`` column
    when present), robust to single failed amplicons. With ``segments``, the extent is
    ``arm`` when the segments overlapping the gene hold at least ``arm_fraction`` of the
    chromosome's bins, else ``focal`` (arm coordinates of other builds such as hg19
    are not packaged, so the whole chromosome stands in for the arm). The copy number is
    ``(ploidy * 2**log2 - 2 * (1 - purity)) / purity``, rounded, then called with
    :func:`classify`.

    Parameters
    ----------
    bins
        :func:`read_cnvkit` of a ``.cnr`` (gene names in its ``gene`` column,
        comma-separated).
    segments
        :func:`read_cnvkit` of the matching ``.cns``, optional.
    genes
        Genes to report (default every gene named in the bins).
    sample
        Name written in the ``cell`` column.
    ploidy, purity
        Sample ploidy and tumour purity.
    config
        Call thresholds.
    """
    cfg = config or CNVConfig()
    if not 0 < purity <= 1:
        raise CNVInputError(f"purity must be in (0, 1], got {purity}")
    names = bins["gene"].astype(str).str.split(",")
    exploded = bins.assign(gene=names).explode("gene")
    exploded = exploded[~exploded["gene"].isin(_NON_GENES)]
    if genes is not None:
        exploded = exploded[exploded["gene"].isin(list(genes))]
    weight_col = "weight" if "weight" in exploded else None
    rows = []
    for gene, grp in exploded.groupby("gene", sort=True):
        w = grp[weight_col].to_numpy(float) if weight_col else np.ones(len(grp))
        log2 = _weighted_median(grp["log2"].to_numpy(float), np.maximum(w, 1e-6))
        cn = max(0.0, (ploidy * 2.0**log2 - 2.0 * (1.0 - purity)) / purity)
        chrom = str(grp["chrom"].iloc[0])
        start, end = int(grp["start"].min()), int(grp["end"].max())
        s0, s1, extent = -1, -1, ""
        if segments is not None:
            seg = segments[
                (segments["chrom"] == chrom) & (segments["start"] < end) & (segments["end"] > start)
            ]
            if not seg.empty:
                s0, s1 = int(seg["start"].min()), int(seg["end"].max())
                on_chrom = bins[bins["chrom"] == chrom]
                share = ((on_chrom["start"] >= s0) & (on_chrom["end"] <= s1)).mean()
                extent = "arm" if share >= cfg.arm_fraction else "focal"
        rows.append(
            (
                sample,
                gene,
                chrom,
                start,
                end,
                float(np.rint(cn)),
                ploidy,
                log2,
                extent,
                s0,
                s1,
                chrom,
            )
        )
    frame = pd.DataFrame(rows, columns=[*GENE_CALL_COLUMNS[:7], "log2", *GENE_CALL_COLUMNS[8:]])
    frame.insert(7, "call", classify(frame["copy_number"].to_numpy(), frame["ploidy"], cfg))
    frame.loc[frame["call"] == "NEUTRAL", "extent"] = ""
    frame["qc_pass"] = True
    return frame
