"""``ctcg export``: results in the files other tools read (IGV, genome browsers, cBioPortal)."""

from __future__ import annotations

import argparse
import logging

from ctcgenomics._ids import validate_id

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="export results for other tools (copy number: IGV .seg, bedGraph, cBioPortal CNA)",
    )
    sub = p.add_subparsers(dest="export_command", metavar="<what>", required=True)
    c = sub.add_parser("cnv", help="a patient's copy number as .seg, per-cell bedGraph, CNA")
    c.add_argument("--h5ad", required=True, help="cnv.h5ad of ctcg cnv call")
    c.add_argument("--genes", required=True, help="genes.tsv of ctcg cnv call")
    c.add_argument("--patient", required=True)
    c.add_argument("--seg", required=True, help="IGV segment file to write (log2 ratio)")
    c.add_argument("--cna", required=True, help="cBioPortal discrete CNA table to write")
    c.add_argument(
        "--bedgraph", required=True, help="bedGraph to write: one track (log2 ratio) per cell"
    )
    c.set_defaults(func=run_cnv)


def run_cnv(args: argparse.Namespace) -> int:
    import anndata as ad
    import pandas as pd

    from ctcgenomics.cnv._export import (
        to_cbioportal_cna,
        to_seg,
        write_bedgraph_tracks,
        write_table,
    )

    patient = validate_id(args.patient, what="patient")
    adata = ad.read_h5ad(args.h5ad)
    write_table(to_seg(adata), args.seg)
    genes = pd.read_csv(args.genes, sep="\t", dtype={"cell": str, "gene": str})
    write_table(to_cbioportal_cna(genes), args.cna)
    write_bedgraph_tracks(adata, args.bedgraph, description=patient)
    log.info("%s: copy number exported to %s, %s and %s", patient, args.seg, args.cna,
             args.bedgraph)  # fmt: skip
    return 0
