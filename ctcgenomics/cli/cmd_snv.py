"""``ctcg snv``: call SNVs/indels across one patient's single cells."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ctcgenomics.cli._params import add_params_options, params_from_args
from ctcgenomics.cli._paths import add_from_option, input_paths, read_path_list
from ctcgenomics.io.provenance import stamp

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "snv",
        help="single-cell SNV/indel calling with allelic dropout (multi-sample VCF, h5ad)",
        description=(
            "Pooled candidate discovery over a patient's cells, forced genotyping of hotspots "
            "and user sites, a dropout-aware genotype model across cells, germline removal "
            "with WBCs, named filters, annotation and per-draw prevalence."
        ),
    )
    p.add_argument(
        "--bams",
        nargs="*",
        help="indexed BAMs, one per cell, named {cell}.bam (read group = cell); with none "
        "(a patient without panel/exome cells) empty outputs are written",
    )
    add_from_option(p, "bams", "BAMs")
    p.add_argument("--reference", required=True, help="FASTA the BAMs were aligned to")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="processes reading the BAMs in parallel, window by window (same calls)",
    )
    p.add_argument(
        "--cells",
        help="cell sheet TSV (columns cell, role, draw[, patient]); "
        "without it every BAM is a CTC of draw '1'",
    )
    p.add_argument("--patient", required=True, help="patient ID (alterations rows)")
    p.add_argument("--targets", help="BED of panel/exome targets (default: whole genome)")
    p.add_argument(
        "--sites",
        nargs="*",
        default=[],
        help="VCF (alleles) or BED (regions) to genotype in any case",
    )
    p.add_argument(
        "--hotspots",
        default="packaged",
        help="hotspot VCF; 'packaged' (cancerhotspots.org v2) or 'none'",
    )
    p.add_argument("--germline-sites", help="VCF of the patient's known germline variants")
    p.add_argument(
        "--population-vcf",
        help="population-frequency VCF of the targets (e.g. gnomAD sites; never downloaded)",
    )
    p.add_argument("--population-af-field", default="AF", help="INFO field of the allele frequency")
    p.add_argument(
        "--cnv",
        help="cnv.h5ad of the CNV step: copy number at the sites (cells linked by ID or by the "
        "cell sheet's optional cnv_cell column; others take their draw's distribution)",
    )
    p.add_argument(
        "--predisposition-genes",
        help="TSV with a 'gene' column (default: the packaged cancer-predisposition list)",
    )
    p.add_argument("--gtf", help="GTF/GFF3 of the same assembly, for consequence and HGVSp")
    p.add_argument("--vcf", required=True, help="output multi-sample VCF (.vcf.gz, tabix index)")
    p.add_argument("--h5ad", required=True, help="output cells x variants AnnData")
    p.add_argument("--alterations", required=True, help="output alterations TSV")
    p.add_argument("--figure", help="output genotype-matrix PNG")
    add_params_options(p, "snv: section")
    p.set_defaults(func=_run)


def _cells_table(args: argparse.Namespace, bams: dict[str, str]):
    from ctcgenomics.cli import CLIError
    from ctcgenomics.io.sheets import SheetError, cell_table

    try:
        table = cell_table(args.cells, list(bams))
    except SheetError as err:
        raise CLIError(str(err)) from None
    if args.cells:
        _warn_cells_without_bam(args.cells, args.patient, bams)
    return table


def _warn_cells_without_bam(path: str, patient: str, bams: dict[str, str]) -> None:
    from ctcgenomics.io.sheets import patient_cells

    absent = [c for c in patient_cells(path, patient, assays=("panel", "exome")) if c not in bams]
    if absent:
        log.warning(
            "%s: %d panel/exome cell(s) of patient %s have no BAM in this run and are left out: %s",
            path,
            len(absent),
            patient,
            ", ".join(absent),
        )


def _write_alterations(frame, path: str) -> None:
    """Write the table with its optional ``origin`` column (somatic/germline)."""
    from ctcgenomics.io import alterations as altio

    columns = list(altio.ALTERATION_COLUMNS)
    if "origin" in columns or "origin" in getattr(altio, "OPTIONAL_COLUMNS", ()):
        altio.write_alterations(frame, path)
        return
    # The shared writer predates the optional origin column of the agreed vocabulary:
    # write the same TSV with origin appended.
    with altio.atomic_open(path, newline="") as handle:
        frame.loc[:, [*columns, "origin"]].to_csv(
            handle, sep="\t", index=False, float_format="%.4g"
        )


def _run(args: argparse.Namespace) -> int:
    from ctcgenomics import snv
    from ctcgenomics._ids import validate_id
    from ctcgenomics.cli import CLIError
    from ctcgenomics.io import atomic_path
    from ctcgenomics.snv._alteration_rows import load_predisposition_genes
    from ctcgenomics.snv._call import empty_calls

    patient = validate_id(args.patient, what="patient")
    bams = {}
    if args.bams is None and not args.bams_from:
        input_paths(None, None, "bams")  # the shared error: give --bams or --bams-from
    # Zero BAMs (a patient without panel/exome cells) is valid: empty outputs below.
    listed = read_path_list(args.bams_from) if args.bams_from else []
    for path in [*(args.bams or []), *listed]:
        name = Path(path).name
        cell = name.removesuffix(".bam").removesuffix(".cram")
        cell = validate_id(cell, what="cell", where=str(path))
        if cell in bams:
            raise CLIError(f"cell {cell} has two BAMs ({bams[cell]}, {path}); pass one per cell")
        bams[cell] = path
    params = params_from_args(args, snv.SNVParams)
    hotspots: object = True
    if args.hotspots == "none":
        hotspots = None
    elif args.hotspots != "packaged":
        hotspots = args.hotspots
    if not bams:
        log.warning(
            "patient %s: no BAM given (no panel/exome cell): writing empty SNV outputs", patient
        )
        adata = empty_calls()
    else:
        cells = _cells_table(args, bams)
        link = None
        if args.cnv and "cnv_cell" in cells.columns:
            link = {c: v for c, v in cells["cnv_cell"].items() if isinstance(v, str) and v}
        try:
            adata = snv.call(
                bams,
                args.reference,
                cells=cells,
                targets=args.targets,
                sites=args.sites,
                hotspots=hotspots,
                germline_sites=args.germline_sites,
                population_vcf=args.population_vcf,
                population_af_field=args.population_af_field,
                copy_number=args.cnv,
                cn_link=link,
                gtf=args.gtf,
                params=params,
                threads=args.threads,
            )
        except KeyError as err:
            raise CLIError(str(err).strip("'\"")) from err
    adata.obs["patient"] = patient
    stamp(adata, "snv", adata.uns.get("snv", {}).get("params"))
    snv.write_vcf(adata, args.vcf, args.reference)
    with atomic_path(args.h5ad) as tmp:
        adata.write_h5ad(tmp)
    genes = (
        load_predisposition_genes(args.predisposition_genes) if args.predisposition_genes else None
    )
    rows = snv.alteration_rows(adata, patient=patient, predisposition_genes=genes)
    _write_alterations(rows, args.alterations)
    if args.figure:
        from ctcgenomics import pl  # matplotlib only with --figure

        pl.genotype_matrix(adata, save=args.figure)
    log.info(
        "patient %s: %d somatic variants, %d germline predisposition rows written to %s",
        patient,
        int(adata.var["somatic"].sum()) if adata.n_vars else 0,
        int((rows["origin"] == "germline").sum()) if len(rows) else 0,
        args.vcf,
    )
    return 0
