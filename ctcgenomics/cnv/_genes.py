"""Gene-level copy-number calls, focal versus arm-level, from bins or CNVkit files."""

from __future__ import annotations

import logging
import os
from importlib import resources

import anndata as ad
import numpy as np
import pandas as pd

from ctcgenomics.cnv._config import CNVConfig
from ctcgenomics.cnv._errors import CNVInputError

log = logging.getLogger(__name__)

CALLS = ("AMPLIFICATION", "GAIN", "NEUTRAL", "LOSS", "DELETION")
GENE_CALL_COLUMNS = (
    "cell", "gene", "chrom", "start", "end", "copy_number", "ploidy", "call", "extent",
    "segment_start", "segment_end", "arm",
)  # fmt: skip
_EXTRA_COLUMNS = (
    "minor_cn", "loh", "readout_cn", "readout_low", "readout_high", "readout_call", "warning",
    "qc_pass",
)  # fmt: skip
GENE_TABLE = resources.files("ctcgenomics") / "data/annotation/gencode_v44_genes_hg38.tsv.gz"
"""The packaged GENCODE v44 gene table (bgzipped, tabix-indexed)."""
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
        path = GENE_TABLE
    frame = pd.read_csv(path, sep="\t", dtype={"#contig": str, "contig": str})
    frame = frame.rename(columns={"#contig": "chrom", "contig": "chrom", "gene_name": "gene"})
    missing = {"chrom", "start", "end", "gene"} - set(frame.columns)
    if missing:
        raise CNVInputError(
            f"{path}: a gene table needs columns contig, start, end, gene_name (missing "
            f"{sorted(missing)})"
        )
    return frame.drop_duplicates("gene").reset_index(drop=True)


# Bins spanning less than this (a segment, a panel's contigs) look their genes up through
# the packaged table's tabix index; more read the whole table (~0.1 s).
_TABIX_MAX_SPAN_BP = 300_000_000


def _packaged_genes_near(var: pd.DataFrame) -> pd.DataFrame | None:
    """Return the packaged genes on the bins' stretch of each contig (tabix index).

    ``None`` when the bins span too much of the genome for that to pay. Contigs are
    fetched in the bins' order and a repeated name keeps its first row among them (PAR
    genes: chrX before chrY, as in :func:`read_gene_table`); a multi-copy family name
    (Y_RNA, U6) that the whole table places on another contig first is kept here.
    """
    import pysam

    reach = var.groupby(var["chrom"].astype(str), sort=False, observed=True).agg(
        start=("start", "min"), end=("end", "max")
    )
    if int((reach["end"] - reach["start"]).sum()) > _TABIX_MAX_SPAN_BP:
        return None
    path = GENE_TABLE
    rows: list[list[str]] = []
    with pysam.TabixFile(str(path)) as tbx:
        header = tbx.header[-1].lstrip("#").split("\t")
        contigs = set(tbx.contigs)
        for chrom, (start, end) in reach.iterrows():
            name = chrom if chrom in contigs else f"chr{chrom}"
            if name in contigs:
                rows += [line.split("\t") for line in tbx.fetch(name, int(start), int(end))]
    frame = pd.DataFrame(rows, columns=header).rename(
        columns={"contig": "chrom", "gene_name": "gene"}
    )
    frame = frame.astype({"start": np.int64, "end": np.int64})
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


def classify(
    copy_number: np.ndarray,
    ploidy: np.ndarray,
    config: CNVConfig,
    *,
    base_scale: np.ndarray | None = None,
) -> np.ndarray:
    """Call each copy number relative to the cell's ploidy.

    With ``b = max(1, round(2 s), round(ploidy * s))`` (``s`` = ``base_scale``, the
    germline level relative to the autosomes: 0.5 on a male's chrX and chrY, so one copy
    there is neutral): the cell's base, or the germline where the cell is below it (a
    hypodiploid cell at ploidy 1.45 keeps a base of 2, so its one-copy segments are
    losses, as they are at its doubled alternative scale; at ploidy < 1.5 rounding alone
    made them neutral). ``DELETION`` if ``cn <= deep_deletion_cn``, ``LOSS`` if ``cn < b``,
    ``AMPLIFICATION`` if ``cn >= amplification_ratio * b``, ``GAIN`` if ``cn > b``,
    else ``NEUTRAL``; empty string where ``cn`` is NaN.
    """
    cn = np.asarray(copy_number, dtype=float)
    scale = 1.0 if base_scale is None else np.asarray(base_scale, dtype=float)
    base = np.maximum(1, np.rint(np.asarray(ploidy, dtype=float) * scale))
    base = np.maximum(base, np.rint(2.0 * np.broadcast_to(scale, base.shape)))
    out = np.full(cn.shape, "NEUTRAL", dtype=object)
    out[cn > base] = "GAIN"
    out[cn >= config.amplification_ratio * base] = "AMPLIFICATION"
    out[cn < base] = "LOSS"
    out[cn <= config.deep_deletion_cn] = "DELETION"
    out[~np.isfinite(cn)] = ""
    return out


def _to_bin_contig_names(frame: pd.DataFrame, bin_chroms: set[str]) -> pd.DataFrame:
    """``frame`` with its ``chrom`` names in the bins' convention (``chr17`` or ``17``).

    The packaged gene and cytoband tables are UCSC-style (``chr17``); bins from an
    Ensembl/NCBI-style reference name the same GRCh38 contig ``17``. A name that is not
    among the bins but whose other spelling is takes that spelling (``chrM``/``MT`` are
    not mapped: mitochondrial bins carry no gene calls).
    """
    names = frame["chrom"].astype(str)
    rename = {}
    for name in names.unique():  # a few dozen contigs, not one string op per gene
        alt = name[3:] if name.startswith("chr") else f"chr{name}"
        if name not in bin_chroms and alt in bin_chroms:
            rename[name] = alt
    if not rename:
        return frame
    return frame.assign(chrom=names.map(lambda c: rename.get(c, c)).to_numpy())


def _gene_bins(var: pd.DataFrame, genes: pd.DataFrame) -> pd.DataFrame:
    """Bin of largest overlap (the first on ties) for each gene that overlaps a bin."""
    frames = []
    var = var.reset_index(drop=True)
    g_chrom = genes["chrom"].astype(str).to_numpy()
    for chrom, idx in var.groupby("chrom", sort=False, observed=True).indices.items():
        g = genes[g_chrom == str(chrom)]
        if g.empty:
            continue
        starts = var["start"].to_numpy()[idx]
        ends = var["end"].to_numpy()[idx]
        g_start = g["start"].to_numpy()
        g_end = g["end"].to_numpy()
        # Bins are sorted and disjoint: the bins a gene can overlap are a contiguous
        # run, so only those (gene, bin) pairs are scored, all at once.
        lo = np.searchsorted(ends, g_start, side="right")
        n = np.maximum(np.searchsorted(starts, g_end, side="left") - lo, 0)
        gene_of = np.repeat(np.arange(len(g)), n)
        offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        b = lo[gene_of] + offset
        ov = np.minimum(ends[b], g_end[gene_of]) - np.maximum(starts[b], g_start[gene_of])
        keep = ov > 0
        gene_of, b, ov = gene_of[keep], b[keep], ov[keep]
        # Per gene, the largest overlap; the leftmost bin on ties (as np.argmax).
        order = np.lexsort((b, -ov, gene_of))
        first = order[np.r_[True, np.diff(gene_of[order]) != 0]] if order.size else order
        hit = gene_of[first]
        frames.append(
            pd.DataFrame(
                {
                    "gene": g["gene"].to_numpy()[hit],
                    "chrom": str(chrom),
                    "start": g_start[hit],
                    "end": g_end[hit],
                    "bin": idx[b[first]].astype(int),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["gene", "chrom", "start", "end", "bin"])
    return pd.concat(frames, ignore_index=True)


def _gene_arms(
    gb: pd.DataFrame,
    arms: pd.DataFrame,
    chrom_arr: np.ndarray,
    start_arr: np.ndarray,
    used: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arm of each gene (at its midpoint) and the used bins of each distinct arm.

    Returns the arm name per gene, the arm's row in the cumulative-count matrix per
    gene, that matrix (distinct arms x (bins + 1): used bins of the arm before each
    bin, so a segment's share of its arm costs O(1)), and the used bins per arm
    (at least 1). A gene on a contig without arms takes the whole contig as its arm.
    """
    mid = ((gb["start"] + gb["end"]) // 2).to_numpy()
    g_chrom = gb["chrom"].astype(str).to_numpy()
    a_chrom = arms["chrom"].astype(str).to_numpy()
    a_start = arms["start"].to_numpy()
    a_end = arms["end"].to_numpy()
    a_arm = arms["arm"].astype(str).to_numpy()
    row = np.full(len(gb), -1)
    for i in range(len(arms)):  # the first matching arm row wins
        hit = (row < 0) & (g_chrom == a_chrom[i]) & (a_start[i] <= mid) & (mid < a_end[i])
        row[hit] = i
    # One unit per matched arm row, or per contig for genes outside every arm.
    contigs, contig_of = np.unique(g_chrom, return_inverse=True)
    keys, unit_of = np.unique(np.where(row >= 0, row, len(arms) + contig_of), return_inverse=True)
    unit_names = np.empty(len(keys), dtype=object)
    cums = np.zeros((len(keys), len(chrom_arr) + 1), dtype=np.int64)
    for u, key in enumerate(keys):
        if key < len(arms):
            unit_names[u] = f"{a_chrom[key]}{a_arm[key]}"
            in_arm = (chrom_arr == a_chrom[key]) & (start_arr >= a_start[key])
            in_arm &= (start_arr < a_end[key]) & used
        else:
            unit_names[u] = contigs[key - len(arms)]
            in_arm = (chrom_arr == unit_names[u]) & used
        cums[u, 1:] = np.cumsum(in_arm)
    totals = np.maximum(cums[:, -1], 1)
    return unit_names[unit_of], unit_of, cums, totals


def check_hg38_bins(var: pd.DataFrame) -> None:
    """Refuse bins that reach past the GRCh38 end of their contig (another build).

    The packaged gene and cytoband tables are GRCh38. Bins of GRCh37/hg19 (chr1 ends at
    249,250,621 there, 248,956,422 in GRCh38) would be matched to GRCh38 gene
    coordinates: every gene call silently off by up to megabases. Contigs unknown to
    GRCh38 and bins that end before the contig's end (a segment, a panel) pass: only a
    bin ending past a GRCh38 contig end proves another build.
    """
    ends = arms_from_cytobands().groupby("chrom")["end"].max()
    ends = pd.concat([ends, ends.rename(index=lambda c: c[3:] if c.startswith("chr") else c)])
    reach = var.groupby(var["chrom"].astype(str), observed=True)["end"].max()
    past = [(c, int(e), int(ends[c])) for c, e in reach.items() if c in ends and e > ends[c]]
    if past:
        c, e, length = past[0]
        raise CNVInputError(
            f"the bins are not GRCh38: {c} reaches {e:,} bp, past its GRCh38 end ({length:,})"
            f"{f' (and {len(past) - 1} more contigs)' if len(past) > 1 else ''}; the "
            "packaged gene and arm tables are GRCh38 only. Give gene_table (chrom, start, "
            "end, gene of your build) and arms, or call on GRCh38 bins"
        )


def _log_coverage_warnings(warnings: dict[str, str], shown: int = 10) -> None:
    """One line per gene for a panel; a whole-genome gap would give thousands."""
    items = list(warnings.items())
    for gene, why in items[:shown]:
        log.warning("gene %s: %s", gene, why)
    if len(items) > shown:
        log.warning(
            "%d more gene(s) without a usable bin or with partial coverage (column "
            "'warning' of the gene calls)",
            len(items) - shown,
        )


def gene_calls(
    adata: ad.AnnData,
    *,
    genes: list[str] | tuple[str, ...] | None = None,
    gene_table: pd.DataFrame | None = None,
    arms: pd.DataFrame | None = None,
    config: CNVConfig | None = None,
    key: str = "ctc_cnv",
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
        :func:`read_gene_table` (packaged hg38 by default; bins of another build are
        refused then, see :func:`check_hg38_bins`).
    arms
        :func:`arms_from_cytobands` (packaged hg38 by default). Contigs without arms
        are treated as one arm.
    config
        Call thresholds (``amplification_ratio``, ``deep_deletion_cn``, ``arm_fraction``).
    key
        ``key_added`` of :func:`call_copy_number`: the ``uns`` key holding the segments
        and, when not the default, the prefix of the layers and columns it wrote.

    Returns
    -------
    pandas.DataFrame
        One row per called cell x gene, columns :data:`GENE_CALL_COLUMNS` plus
        ``qc_pass``. ``extent`` is ``arm`` when the segment carrying the gene covers at
        least ``arm_fraction`` of the arm's used bins, else ``focal``.
    """
    cfg = config or CNVConfig()
    adata = _default_names(adata, key)
    _check_called(adata, key, "gene_calls")
    if gene_table is None:
        check_hg38_bins(adata.var)
    table = gene_table
    if table is None:
        table = _packaged_genes_near(adata.var)
        table = read_gene_table() if table is None else table
    missing = {"chrom", "start", "end", "gene"} - set(table.columns)
    if missing:
        raise CNVInputError(
            f"gene_table lacks column(s) {sorted(missing)}; give chrom, start, end, gene "
            "(0-based half-open), or omit gene_table for the packaged GENCODE genes"
        )
    arms = arms_from_cytobands() if arms is None else arms
    if genes is not None:
        table = table[table["gene"].isin(list(genes))]
    var = adata.var.reset_index(drop=True)
    bin_chroms = set(var["chrom"].astype(str))
    table = _to_bin_contig_names(table, bin_chroms)
    arms = _to_bin_contig_names(arms, bin_chroms)
    gb = _gene_bins(var, table)
    if gb.empty:
        return pd.DataFrame(columns=[*GENE_CALL_COLUMNS, *_EXTRA_COLUMNS])
    used = var["used"].to_numpy() if "used" in var else np.ones(len(var), dtype=bool)
    warnings = gene_coverage_warnings(var, gb)
    _log_coverage_warnings(warnings)
    segs = adata.uns[key]["segments"]
    by_cell = {c: g for c, g in segs.groupby("cell", sort=False)}
    cn = np.asarray(adata.layers["copy_number"])
    minor = np.asarray(adata.layers["minor_cn"]) if "minor_cn" in adata.layers else None
    germline = var["germline_level"].to_numpy() if "germline_level" in var else None
    chrom_arr = var["chrom"].astype(str).to_numpy()
    start_arr = var["start"].to_numpy()
    arm_names, unit_of, arm_cums, arm_totals = _gene_arms(gb, arms, chrom_arr, start_arr, used)
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
        base_scale = germline[gene_bin] if germline is not None else np.ones(len(values))
        calls = classify(values, np.full(len(values), ploidy), cfg, base_scale=base_scale)
        which = np.searchsorted(s_bin1, gene_bin, side="right")
        j = np.minimum(which, len(cs) - 1)
        inside = (which < len(cs)) & (s_bin0[j] <= gene_bin)
        n_in = arm_cums[unit_of, s_bin1[j]] - arm_cums[unit_of, s_bin0[j]]
        extent = np.where(n_in / arm_totals[unit_of] >= cfg.arm_fraction, "arm", "focal")
        called = inside & (calls != "") & (calls != "NEUTRAL")
        out.append(
            pd.DataFrame(
                {
                    "cell": cell,
                    "gene": gb["gene"].to_numpy(),
                    "chrom": gb["chrom"].to_numpy(),
                    "start": gb["start"].to_numpy(),
                    "end": gb["end"].to_numpy(),
                    "copy_number": values,
                    "ploidy": ploidy,
                    "call": calls,
                    "extent": np.where(called, extent, "").astype(object),
                    "segment_start": np.where(inside, cs["start"].to_numpy()[j], -1),
                    "segment_end": np.where(inside, cs["end"].to_numpy()[j], -1),
                    "arm": arm_names,
                    "minor_cn": minor[ci, gene_bin] if minor is not None else np.nan,
                }
            )
        )
    frame = (
        pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=list(GENE_CALL_COLUMNS))
    )
    if "minor_cn" not in frame:
        frame["minor_cn"] = np.nan
    # LOH: no copy of one parental allele left (copy-neutral or with loss), where the
    # allelic evidence gave the segment's minor copy number.
    frame["loh"] = (frame["minor_cn"] == 0) & (frame["copy_number"] > 0)
    frame = _with_readout(frame, adata, gb, key, cfg)
    frame["warning"] = frame["gene"].map(warnings).fillna("")
    qc = adata.obs["qc_pass"] if "qc_pass" in adata.obs else pd.Series(True, adata.obs_names)
    frame["qc_pass"] = frame["cell"].map(qc).astype(bool)
    return frame


def gene_coverage_warnings(var: pd.DataFrame, gene_bins: pd.DataFrame) -> dict[str, str]:
    """Genes whose copy number rests on less than one usable bin, and why.

    A gene is read from the bin it overlaps most; where that bin is not used (N, GC,
    blacklist, mappability, a normal without reads) or is a contig's shortened last bin
    (less than half the median bin length), the gene's call is missing or rests on
    little data, which a report must say rather than show the gene as unaltered.
    """
    used = var["used"].to_numpy() if "used" in var else np.ones(len(var), dtype=bool)
    width = (var["end"] - var["start"]).to_numpy()
    median = float(np.median(width[used])) if used.any() else float(np.median(width))
    out = {}
    for row in gene_bins.itertuples():
        b = int(row.bin)
        if not used[b]:
            why = str(var["exclude_reason"].iloc[b]) if "exclude_reason" in var else ""
            out[row.gene] = (
                f"its bin {var['chrom'].iloc[b]}:{var['start'].iloc[b]}-{var['end'].iloc[b]} "
                f"is not used ({why or 'excluded'}): no copy number for this gene; use smaller "
                "bins or a longer reference"
            )
        elif width[b] < 0.5 * median:
            out[row.gene] = (
                f"its bin is a contig's shortened last bin ({width[b]:,} bp of {median:,.0f}): "
                "the call rests on few reads"
            )
    return out


def _default_names(adata: ad.AnnData, key: str) -> ad.AnnData:
    """Return ``adata`` with the outputs of ``call_copy_number(key_added=key)`` unprefixed.

    A shallow AnnData (arrays shared, not copied) when ``key`` is not the default, so the
    readers below use the documented names.
    """
    if key == "ctc_cnv":
        return adata
    prefix = f"{key}_"

    def unprefixed(frame: pd.DataFrame) -> pd.DataFrame:
        names = {c: c[len(prefix) :] for c in frame.columns if str(c).startswith(prefix)}
        return frame.drop(columns=[c for c in names.values() if c in frame]).rename(columns=names)

    # anndata >= 0.13 lists X as the layer None: keep only named layers.
    layers = {k: v for k, v in adata.layers.items() if isinstance(k, str)}
    for name in [k for k in layers if k.startswith(prefix)]:
        layers[name[len(prefix) :]] = layers.pop(name)
    return ad.AnnData(
        X=adata.X,
        obs=unprefixed(adata.obs),
        var=unprefixed(adata.var),
        layers=layers,
        obsm=dict(adata.obsm.items()),
        uns=dict(adata.uns),
    )


def _check_called(adata: ad.AnnData, key: str, what: str) -> None:
    """Name what a called AnnData lacks (call_copy_number first)."""
    need = [k for k in ("chrom", "start", "end") if k not in adata.var.columns]
    problems = []
    if need:
        problems.append(f"var lacks {need}")
    if "copy_number" not in adata.layers:
        problems.append("layers has no 'copy_number'")
    if "ploidy" not in adata.obs:
        problems.append("obs has no 'ploidy'")
    if key not in adata.uns or "segments" not in adata.uns.get(key, {}):
        problems.append(f"uns[{key!r}]['segments'] is missing")
    if problems:
        raise CNVInputError(
            f"{what} needs an AnnData called by ctc.cnv.call_copy_number ({'; '.join(problems)});"
            " run ctc.cnv.call_copy_number(adata) first (or pass key= the key it used)"
        )


def _with_readout(
    frame: pd.DataFrame, adata: ad.AnnData, gene_bins: pd.DataFrame, key: str, cfg: CNVConfig
) -> pd.DataFrame:
    """Add the gene-level read-out (reads over the gene and its flank) where counted.

    ``adata.obsm["gene_counts"]`` (cells x genes) and ``adata.uns[key]["gene_regions"]``
    (gene, chrom, start, end) come from ``ctcg cnv count --genes``. A region's expected
    reads at one copy are those of the bin it lies in (the cell's expected count at
    ratio 1 over its multiplier), scaled to the region's length; the copy number is the
    observed over that, with a 95 % interval from log-normal-Poisson noise (the cell's
    per-bin noise, larger for a region shorter than a bin: fewer amplification blocks
    average). ``AMPLIFICATION`` when the interval's lower end reaches
    ``amplification_ratio`` times the base, ``DELETION`` when its upper end is below
    half a copy; the gene's call is raised to the read-out's amplification (a one-bin
    amplicon diluted in a 500 kb bin), and a deletion needs both.
    """
    cols = ("readout_cn", "readout_low", "readout_high", "readout_call")
    for c in cols:
        frame[c] = np.nan if c != "readout_call" else ""
    counts = adata.obsm.get("gene_counts") if hasattr(adata, "obsm") else None
    regions = adata.uns.get(key, {}).get("gene_regions")
    if counts is None or regions is None or frame.empty or "ratio" not in adata.layers:
        return frame
    counts = pd.DataFrame(np.asarray(counts), index=adata.obs_names, columns=list(regions["gene"]))
    var = adata.var.reset_index(drop=True)
    width = (var["end"] - var["start"]).to_numpy().astype(float)
    ratio = np.asarray(adata.layers["ratio"], dtype=float)
    raw = np.asarray(adata.layers["counts"], dtype=float) if "counts" in adata.layers else None
    mult = adata.obs["multiplier"].to_numpy() if "multiplier" in adata.obs else None
    if raw is None or mult is None:
        return frame
    reg = regions.set_index("gene")
    bin_of = dict(zip(gene_bins["gene"], gene_bins["bin"], strict=True))
    row_of = {c: i for i, c in enumerate(adata.obs_names)}
    noise = adata.obs["noise_sd"].to_numpy() if "noise_sd" in adata.obs else None
    for k in frame.index[frame["gene"].isin(reg.index)]:
        gene, cell = frame.at[k, "gene"], frame.at[k, "cell"]
        i, b = row_of[cell], bin_of.get(gene)
        if b is None or not (ratio[i, b] > 0) or not np.isfinite(mult[i]):
            continue
        expected_bin = raw[i, b] / ratio[i, b]  # reads at ratio 1 (multiplier copies)
        length = float(reg.at[gene, "end"] - reg.at[gene, "start"])
        per_copy = expected_bin / mult[i] * length / width[b]
        y = float(counts.at[cell, gene])
        est = y / max(per_copy, 1e-9)
        sigma_bin = np.log1p(noise[i]) if noise is not None and np.isfinite(noise[i]) else 0.3
        sigma = np.sqrt(sigma_bin**2 * max(1.0, width[b] / length) + 1.0 / (y + 0.5))
        low, high = est * np.exp(-1.96 * sigma), est * np.exp(1.96 * sigma)
        base = max(1.0, float(np.rint(frame.at[k, "ploidy"])))
        call = ""
        if low >= cfg.amplification_ratio * base:
            call = "AMPLIFICATION"
        elif high < 0.5:
            call = "DELETION"
        frame.loc[k, list(cols)] = [est, low, high, call]
        if call == "AMPLIFICATION" and frame.at[k, "call"] != "AMPLIFICATION":
            frame.at[k, "call"] = "AMPLIFICATION"
            frame.at[k, "extent"] = "focal"
        elif frame.at[k, "call"] == "DELETION" and low >= 0.5:
            # The bin says none left, the gene's own reads say otherwise.
            frame.at[k, "call"] = "LOSS" if frame.at[k, "copy_number"] < base else "NEUTRAL"
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


def _weighted_median(values: np.ndarray, weights: np.ndarray, axis: int = -1) -> np.ndarray:
    """Return the weighted median along ``axis``.

    The first sorted value whose cumulative weight reaches half the total, vectorised
    over the other axes (for bootstrap resamples).
    """
    values = np.moveaxis(np.asarray(values, float), axis, -1)
    weights = np.moveaxis(np.asarray(weights, float), axis, -1)
    order = np.argsort(values, axis=-1)
    v = np.take_along_axis(values, order, axis=-1)
    cum = np.cumsum(np.take_along_axis(weights, order, axis=-1), axis=-1)
    first = np.argmax(cum >= 0.5 * cum[..., -1:], axis=-1)
    return np.take_along_axis(v, first[..., None], axis=-1)[..., 0]


def _median_interval(
    values: np.ndarray,
    weights: np.ndarray,
    rng: np.random.Generator,
    *,
    level: float = 0.95,
    n_resamples: int = 999,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the weighted median over a gene's bins.

    Written with numpy rather than ``scipy.stats.bootstrap``: SciPy's set-up costs about
    5 ms per call, minutes for the 20,000 genes of a whole-genome ``.cnr``; this is the
    same percentile method on all resamples at once.
    """
    n = len(values)
    if n < 3:
        return float("nan"), float("nan")
    idx = rng.integers(0, n, size=(n_resamples, n))
    medians = _weighted_median(values[idx], weights[idx])
    low, high = np.quantile(medians, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


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
    when present), robust to single failed amplicons; ``log2_low``/``log2_high`` are a
    95 % percentile bootstrap interval of it over the gene's bins (``n_bins``; NaN with
    fewer than 3 bins, seeded, so reruns give the same interval). The call is made on
    the point value; the interval shows how far the bins let it move.

    With ``segments``, the extent is ``arm`` when the segments overlapping the gene hold
    at least ``arm_fraction`` of the chromosome's bins, else ``focal`` (arm coordinates
    of other builds such as hg19 are not packaged, so the whole chromosome stands in for
    the arm). The copy number is ``(ploidy * 2**log2 - 2 * (1 - purity)) / purity``,
    rounded, then called with :func:`classify`.

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
    rng = np.random.default_rng(0)
    rows = []
    for gene, grp in exploded.groupby("gene", sort=True):
        w = grp[weight_col].to_numpy(float) if weight_col else np.ones(len(grp))
        values, w = grp["log2"].to_numpy(float), np.maximum(w, 1e-6)
        log2 = float(_weighted_median(values, w))
        interval = _median_interval(values, w, rng)
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
                *interval,
                len(values),
                extent,
                s0,
                s1,
                chrom,
            )
        )
    columns = [*GENE_CALL_COLUMNS[:7], "log2", "log2_low", "log2_high", "n_bins"]
    frame = pd.DataFrame(rows, columns=[*columns, *GENE_CALL_COLUMNS[8:]])
    frame.insert(7, "call", classify(frame["copy_number"].to_numpy(), frame["ploidy"], cfg))
    frame.loc[frame["call"] == "NEUTRAL", "extent"] = ""
    frame["qc_pass"] = True
    return frame


def gene_regions(
    genes: list[str] | tuple[str, ...],
    *,
    gene_table: pd.DataFrame | None = None,
    flank: int | None = None,
) -> pd.DataFrame:
    """Regions counted for the gene-level read-out: each gene plus ``flank`` either side.

    Genes not in the table are left out (with a log line).
    """
    from ctcgenomics.cnv._counting import GENE_FLANK

    flank = GENE_FLANK if flank is None else flank
    table = read_gene_table() if gene_table is None else gene_table
    sub = table[table["gene"].isin(list(genes))].drop_duplicates("gene")
    unknown = sorted(set(genes) - set(sub["gene"]))
    if unknown:
        log.info("gene read-out: %s not in the gene table", ", ".join(unknown))
    return pd.DataFrame(
        {
            "gene": sub["gene"].to_numpy(),
            "chrom": sub["chrom"].astype(str).to_numpy(),
            "start": np.maximum(sub["start"].to_numpy() - flank, 0),
            "end": sub["end"].to_numpy() + flank,
        }
    ).reset_index(drop=True)
