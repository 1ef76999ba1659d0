"""``ctcg cnv``: single-cell copy number (count, call, genes from CNVkit files)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ctcgenomics._ids import validate_id
from ctcgenomics.cli import CLIError
from ctcgenomics.cli._params import add_params_options, params_from_args
from ctcgenomics.cli._paths import add_from_option, input_paths

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "cnv",
        help="single-cell copy number: count reads in bins, call, gene-level calls",
        description="Copy number of single cells from low-pass WGS (see docs/cnv.md).",
    )
    sub = p.add_subparsers(dest="cnv_command", metavar="<step>", required=True)

    c = sub.add_parser("count", help="count reads per bin in one cell's BAM")
    c.add_argument("--bam", required=True)
    c.add_argument("--bins", required=True, help="bin table TSV (chrom start end gc n_fraction)")
    c.add_argument("--cell", required=True)
    c.add_argument("--out", required=True, help="counts TSV, e.g. results/cnv/counts/C1.tsv")
    add_params_options(c, "cnv: section (min_mapq is used)")
    c.add_argument(
        "--genes",
        help="comma-separated genes whose reads (gene +- 50 kb, packaged GENCODE v44 hg38) "
        "are counted too, for the gene-level read-out (e.g. ERBB2 at 500 kb bins)",
    )
    c.add_argument("--genes-out", help="gene-region counts TSV (with --genes)")
    c.set_defaults(func=run_count)

    k = sub.add_parser(
        "call",
        help="call copy number, QC, genes and clones for one patient",
        description="Give per-cell counts files (--counts/--counts-from, with --bins and "
        "--sheet) or one cells x bins count table (--count-table: wide or long TSV/CSV, "
        "h5ad, or a folder of readCounter .wig files). Optional: allele counts at "
        "heterozygous SNPs (--alleles), a matched bulk normal as the reference (--normal), "
        "the patient's sex (--sex or the patient "
        "sheet's sex column). Bins without GC content (a gc column) are called without "
        "each cell's own GC correction, with a warning.",
    )
    k.add_argument("--counts", nargs="+", help="counts TSVs of ctcg cnv count")
    add_from_option(k, "counts", "counts TSVs of ctcg cnv count")
    k.add_argument(
        "--count-table",
        help="cells x bins counts (instead of --counts/--counts-from): a wide table (chrom "
        "start end and one column per cell) or a long one (cell chrom start end count; "
        "CHISEL's and DLP/HMMcopy reads.csv columns accepted), tab- or comma-separated, "
        "plain or gzipped; an h5ad; or a folder of HMMcopy readCounter .wig files, one per "
        "cell (cell = file name). 0-based half-open bins; 1-based closed bins (QDNAseq, "
        "HMMcopy) are converted",
    )
    k.add_argument(
        "--bins",
        help="bin table TSV (chrom start end gc n_fraction); required with --counts, optional "
        "with --count-table (must then list the same bins; gives GC)",
    )
    k.add_argument(
        "--sheet",
        help="cell sheet TSV (patient draw cell role ...); required with --counts; with "
        "--count-table it gives draws and roles (cells not in it are CTCs of draw 'D1')",
    )
    k.add_argument(
        "--alleles",
        help="allele counts TSV: cell chrom start end a_count b_count (per bin) or cell chrom "
        "pos ref_count alt_count (per SNP); 'table' takes them from a long --count-table",
    )
    k.add_argument(
        "--normal",
        help="matched bulk normal counts per bin (chrom start end count), the reference instead "
        "of the WBCs; 'table' takes NORM_COUNT/normal_count from a long --count-table",
    )
    k.add_argument("--sex", choices=["female", "male"], help="patient's sex (chrX/chrY levels)")
    k.add_argument(
        "--gene-counts", nargs="+", help="gene-region counts of ctcg cnv count --genes-out"
    )
    add_from_option(k, "gene-counts", "gene-region counts of ctcg cnv count --genes-out")
    k.add_argument("--patients", help="patient sheet TSV (its sex column is used)")
    k.add_argument("--patient", required=True)
    k.add_argument("--outdir", required=True, help="e.g. results/cnv/P01")
    add_params_options(k, "cnv: section (with bins.max_n_fraction)")
    k.add_argument(
        "--no-plots",
        action="store_true",
        help="skip heatmap.png and profiles.pdf (and loading matplotlib), e.g. for quick "
        "re-calls of large cohorts; figures of an earlier run in --outdir are removed",
    )
    k.set_defaults(func=run_call)

    a = sub.add_parser(
        "alleles",
        help="heterozygous germline SNPs of a patient and each cell's allele counts there",
        description="Find heterozygous germline SNPs in the pooled cells (bcftools mpileup "
        "candidates, a per-site genotype likelihood over the cells) or take them from a VCF "
        "(--sites), and count each cell's reference and alternative reads there (the per-SNP "
        "input of ctcg cnv call --alleles). Cell IDs are the BAM names without .bam.",
    )
    a.add_argument("--bams", nargs="+", help="the patient's low-pass cell BAMs (indexed)")
    add_from_option(a, "bams", "cell BAMs")
    a.add_argument("--fasta", help="reference FASTA of the BAMs (needed without --sites)")
    a.add_argument(
        "--sites",
        help="VCF of germline sites: the patient's genotypes (one sample: its heterozygous "
        "SNVs are used) or a population VCF (sites-only: candidates tested, prior 2p(1-p) "
        "from INFO/AF)",
    )
    a.add_argument(
        "--out", required=True, help="allele counts TSV (cell chrom pos ref_count alt_count)"
    )
    a.add_argument("--sites-out", help="heterozygous sites TSV (pooled reads and posterior)")
    add_params_options(a, "cnv.alleles: section (with cnv.min_mapq)")
    a.set_defaults(func=run_alleles)

    g = sub.add_parser("genes", help="gene-level calls from CNVkit .cnr (and .cns) files")
    g.add_argument("--cnr", required=True)
    g.add_argument("--cns", help="CNVkit segments of the same sample (for focal vs arm)")
    g.add_argument("--sample", default="sample")
    g.add_argument("--ploidy", type=float, default=2.0)
    g.add_argument("--purity", type=float, default=1.0)
    g.add_argument("--genes", help="comma-separated genes (default: every gene in the .cnr)")
    g.add_argument("--out", required=True, help="gene calls TSV")
    add_params_options(g, "cnv: section")
    g.set_defaults(func=run_genes)


def _config(args: argparse.Namespace):
    from ctcgenomics.cnv import CNVConfig

    return params_from_args(args, CNVConfig)


def run_count(args: argparse.Namespace) -> int:
    from ctcgenomics.cnv._counting import count_cell, write_counts
    from ctcgenomics.io.bins import read_bin_intervals

    cell = validate_id(args.cell, what="cell")
    bins = read_bin_intervals(args.bins)  # no pandas: this job runs once per cell
    min_mapq = _config(args).min_mapq
    counts, status = count_cell(args.bam, bins, min_mapq=min_mapq)
    write_counts(args.out, bins, counts, cell=cell, status=status)
    log.info("%s: %d reads in %d bins (%s)", cell, int(counts.sum()), len(counts), status)
    if args.genes_out:
        from ctcgenomics.cnv._counting import count_regions, write_region_counts
        from ctcgenomics.cnv._genes import gene_regions

        names = [g.strip() for g in (args.genes or "").split(",") if g.strip()]
        regions = gene_regions(names)  # no genes: a header-only file
        n = count_regions(args.bam, regions, min_mapq=min_mapq) if status == "ok" else None
        if n is None:
            import numpy as np

            n = np.zeros(len(regions["gene"]), dtype=np.int64)
        write_region_counts(args.genes_out, regions, n, cell=cell)
    return 0


def run_alleles(args: argparse.Namespace) -> int:
    from ctcgenomics.cnv._germline import (
        HetSiteParams,
        germline_allele_counts,
        write_allele_table,
    )

    paths = input_paths(args.bams, args.bams_from, "bams")
    bams: dict[str, str] = {}
    for path in paths:
        cell = Path(path).name.removesuffix(".bam")
        cell = validate_id(cell, what="cell", where=str(path))
        if cell in bams:
            raise CLIError(f"cell {cell} has two BAMs ({bams[cell]}, {path}); pass one per cell")
        bams[cell] = path
    if not args.sites and not args.fasta:
        raise CLIError("give --fasta (to find heterozygous SNPs in the cells) or --sites VCF")
    params = params_from_args(args, HetSiteParams)
    sites, counts = germline_allele_counts(bams, args.fasta, sites=args.sites, params=params)
    write_allele_table(counts, args.out)
    if args.sites_out:
        write_allele_table(sites, args.sites_out)
    log.info(
        "%d heterozygous sites; %d allele reads over %d cells",
        len(sites),
        int(counts["ref_count"].sum() + counts["alt_count"].sum()) if len(counts) else 0,
        counts["cell"].nunique() if len(counts) else 0,
    )
    return 0


def _cells_meta(sheet_path: str, patient: str, cells: list[str]):
    from ctcgenomics.io.sheets import SheetError, cell_table

    try:
        meta = cell_table(sheet_path, cells, patient=patient, required=("cell", "draw", "role"))
    except SheetError as err:
        raise CLIError(str(err)) from None
    meta["patient"] = patient
    return meta.loc[:, ["patient", "draw", "role"]]


def _table_meta(sheet_path: str | None, patient: str, cells: list[str], obs):
    """Cell metadata for a count table: from the sheet where given, else obs, else CTC."""
    import pandas as pd

    from ctcgenomics.io.sheets import SheetError, cell_table, patient_cells

    meta = pd.DataFrame(index=pd.Index(cells))
    meta["patient"] = patient
    meta["draw"] = obs["draw"].astype(str) if "draw" in obs else "D1"
    meta["role"] = obs["role"].astype(str) if "role" in obs else "ctc"
    if sheet_path:
        try:
            listed = set(patient_cells(sheet_path, None))
            known = [c for c in cells if c in listed]
            _unlisted_cells(sheet_path, [c for c in cells if c not in listed], listed, known)
            sheet = cell_table(
                sheet_path, known, patient=patient, required=("cell", "draw", "role")
            )
        except SheetError as err:
            raise CLIError(str(err)) from None
        meta.loc[known, "draw"] = sheet["draw"].to_numpy()
        meta.loc[known, "role"] = sheet["role"].to_numpy()
    return meta


def _unlisted_cells(sheet_path: str, missing: list[str], listed: set[str], known: list) -> None:
    """Say which table cells the sheet lacks (CTCs of D1); refuse a sheet that names none.

    A sheet of other IDs (a prefix, another case) made every WBC a CTC, and the run went
    on without a reference, the log naming no cell.
    """
    if not missing:
        return
    folded = {c.lower(): c for c in listed}
    near = [f"{c} ~ {folded[c.lower()]}" for c in missing if c.lower() in folded][:3]
    hint = f" (the sheet has them in another case: {', '.join(near)})" if near else ""
    names = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
    if not known:
        raise CLIError(
            f"{sheet_path}: none of the count table's {len(missing)} cells is in the cell "
            f"sheet (table: {names}){hint}; name the cells in the sheet as in the table"
        )
    log.warning(
        "%s: %d cell(s) of the count table are not in the cell sheet and are taken as CTCs "
        "of draw D1: %s%s",
        sheet_path, len(missing), names, hint,
    )  # fmt: skip


def _gene_calls(adata, cfg):
    """Gene calls, or none (with the reason in ``uns``) on bins of another build."""
    import pandas as pd

    from ctcgenomics import cnv

    try:
        return cnv.gene_calls(adata, config=cfg)
    except cnv.CNVInputError as err:
        # Bins of another build than the packaged GRCh38 gene table: the copy number per
        # bin stands, gene calls would be wrong; none are made and the reason is kept.
        log.warning("no gene-level calls: %s", err)
        adata.uns["ctc_cnv"]["gene_calls_skipped"] = str(err)
        no_genes = pd.DataFrame(columns=["chrom", "start", "end", "gene"])
        return cnv.gene_calls(adata, config=cfg, gene_table=no_genes)


def _patient_sex(path: str | None, patient: str) -> str | None:
    if not path:
        return None
    from ctcgenomics.io.sheets import read_patient_sheet

    sheet = read_patient_sheet(path)
    rows = sheet[sheet["patient"] == patient]
    if rows.empty:
        raise CLIError(f"{path}: patient {patient} is not in the patient sheet")
    sex = str(rows["sex"].iloc[0])
    return sex if sex in ("female", "male") else None


def run_call(args: argparse.Namespace) -> int:
    import numpy as np

    from ctcgenomics import cnv
    from ctcgenomics.cnv._counting import read_count_files, read_count_tags, read_region_counts
    from ctcgenomics.cnv._tables import (
        check_same_bins,
        clip_contig_ends,
        match_contig_names,
        read_normal,
    )
    from ctcgenomics.io import atomic_open, write_alterations
    from ctcgenomics.io.bins import read_bin_table

    patient = validate_id(args.patient, what="patient")
    cfg = _config(args)
    normal = alleles = None
    if args.count_table and (args.counts or args.counts_from):
        raise CLIError("give either --count-table or --counts/--counts-from, not both")
    if args.count_table:
        table = cnv.read_count_table(args.count_table)
        for cell in table.cells:
            validate_id(cell, what="cell", where=str(args.count_table))
        bins = table.bins
        if args.bins:
            ref = read_bin_table(args.bins)
            names = {
                "what": f"count table {args.count_table}",
                "reference_name": f"bin table {args.bins}",
            }
            own = clip_contig_ends(match_contig_names(table.bins, ref, **names), ref, **names)
            check_same_bins(own, ref, **names)
            bins = ref
        meta = _table_meta(args.sheet, patient, table.cells, table.obs)
        matrix, status = table.counts, None
        if args.normal == "table":
            if table.normal is None:
                raise CLIError(f"{args.count_table}: --normal table, but it has no normal counts")
            normal = table.normal
        if args.alleles == "table":
            if table.alleles is None:
                raise CLIError(f"{args.count_table}: --alleles table, but it has no allele counts")
            alleles = table.alleles
    else:
        if not (args.bins and args.sheet):
            raise CLIError("--counts needs --bins and --sheet")
        paths = {}
        for path in input_paths(args.counts, args.counts_from, "counts"):
            tags = read_count_tags(path)  # header line only: tables are read once below
            cell = validate_id(
                tags.get("cell", Path(path).name.split(".")[0]), what="cell", where=str(path)
            )
            paths[cell] = path
        meta = _cells_meta(args.sheet, patient, list(paths))
        matrix, status = read_count_files(paths, meta)
        bins = read_bin_table(args.bins)
        frame, _ = cnv.read_bin_counts(next(iter(paths.values())))
        check_same_bins(
            frame, bins, what=f"counts {next(iter(paths.values()))}",
            reference_name=f"bin table {args.bins}",
        )  # fmt: skip
    if args.normal and args.normal != "table":
        normal = read_normal(args.normal, bins)
    if args.alleles and args.alleles != "table":
        alleles = args.alleles
    sex = args.sex or _patient_sex(args.patients, patient)
    adata = cnv.counts_anndata(matrix, bins, meta, status=status)
    gene_counts = bool(args.gene_counts or args.gene_counts_from)
    if gene_counts:
        region_paths = {}
        for path in input_paths(args.gene_counts, args.gene_counts_from, "gene-counts"):
            cell = read_count_tags(path).get("cell", Path(path).name.split(".")[0])
            region_paths[cell] = path
        missing = [c for c in adata.obs_names if c not in region_paths]
        if missing:
            raise CLIError(f"--gene-counts lacks cells {missing[:5]} of the counts")
        region_counts = read_region_counts({c: region_paths[c] for c in adata.obs_names})
        adata.obsm["gene_counts"] = region_counts.to_numpy()
        gene_regions_table = region_counts.attrs["regions"]
    blacklist = cnv.read_blacklist(cfg.blacklist, bins) if cfg.blacklist else None
    mappability = cnv.read_mappability(cfg.mappability, bins) if cfg.mappability else None
    cnv.call_copy_number(
        adata,
        config=cfg,
        blacklist=blacklist,
        mappability=mappability,
        normal=normal,
        alleles=alleles,
        sex=sex,
    )
    if gene_counts:
        adata.uns["ctc_cnv"]["gene_regions"] = gene_regions_table
    cnv.call_clones(adata, config=cfg)
    genes = _gene_calls(adata, cfg)
    configured = genes[genes["gene"].isin(cfg.genes)]
    adata.uns["ctc_cnv"]["gene_warnings"] = (
        configured.loc[configured["warning"] != "", ["gene", "warning"]]
        .drop_duplicates("gene")
        .reset_index(drop=True)
    )
    reported = genes[genes["gene"].isin(cfg.genes)]
    alterations = cnv.cnv_alterations(
        reported, adata.obs, patient=patient, source=f"ctcgenomics.cnv ({Path(args.outdir).name})"
    )
    out = Path(args.outdir)
    cnv.write_cnv_h5ad(adata, out / "cnv.h5ad")
    with atomic_open(out / "genes.tsv", newline="") as handle:
        genes.to_csv(handle, sep="\t", index=False, float_format="%.4g")
    with atomic_open(out / "segments.tsv", newline="") as handle:
        adata.uns["ctc_cnv"]["segments"].to_csv(handle, sep="\t", index=False, float_format="%.4g")
    with atomic_open(out / "clones.tsv", newline="") as handle:
        adata.uns["clone"]["table"].to_csv(handle, sep="\t", index=False, float_format="%.4g")
    with atomic_open(out / "cells.tsv", newline="") as handle:
        cols = [
            "patient",
            "draw",
            "role",
            "count_status",
            "mean_reads_per_bin",
            "ploidy",
            "ploidy_confidence",
            "mapd",
            "overdispersion",
            "n_breakpoints",
            "ploidy_identifiable",
            "ploidy_alternative",
            "ploidy_evidence",
            "n_focal_amplicons",
            "n_deep_deletions",
            "qc_pass",
            "qc_reason",
            "clone",
        ]
        adata.obs.loc[:, cols].rename_axis("cell").to_csv(handle, sep="\t", float_format="%.4g")
    write_alterations(alterations, out / "alterations.tsv")
    if args.no_plots:
        # Figures of an earlier call would not match these tables.
        for name in ("heatmap.png", "profiles.pdf"):
            (out / name).unlink(missing_ok=True)
    else:
        from ctcgenomics import pl  # matplotlib loads here, on first use

        pl.cnv_heatmap(adata, save=out / "heatmap.png")
        pl.cnv_profiles(adata, out / "profiles.pdf")
    n_pass = int(np.sum(adata.obs["qc_pass"]))
    log.info(
        "%s: %d cells, %d pass QC, %d clones, %d alteration rows",
        patient,
        adata.n_obs,
        n_pass,
        len(adata.uns["clone"]["table"]),
        len(alterations),
    )
    return 0


def run_genes(args: argparse.Namespace) -> int:
    from ctcgenomics import cnv
    from ctcgenomics.io import atomic_open

    cfg = _config(args)
    bins = cnv.read_cnvkit(args.cnr)
    segs = cnv.read_cnvkit(args.cns) if args.cns else None
    genes = [g.strip() for g in args.genes.split(",")] if args.genes else None
    calls = cnv.gene_calls_from_log2(
        bins,
        segments=segs,
        genes=genes,
        sample=args.sample,
        ploidy=args.ploidy,
        purity=args.purity,
        config=cfg,
    )
    with atomic_open(args.out, newline="") as handle:
        calls.to_csv(handle, sep="\t", index=False, float_format="%.4g")
    log.info(
        "%s: %d genes, %d altered", args.cnr, len(calls), int((calls["call"] != "NEUTRAL").sum())
    )
    return 0
