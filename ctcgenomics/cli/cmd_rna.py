"""``ctcg rna``: the single-cell RNA arm for one patient (all draws of the RNA sheet)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ctcgenomics._ids import validate_id
from ctcgenomics.cli import CLIError
from ctcgenomics.cli._params import add_params_options, params_mapping
from ctcgenomics.io.provenance import stamp

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

SHEET_COLUMNS = ("patient", "draw", "path")


def tumour_type_of(patients: str | Path, patient: str) -> str:
    """Return the patient's ``tumour_type`` in the patient sheet (one code for all draws)."""
    import pandas as pd

    sheet = pd.read_csv(patients, sep="\t", dtype=str, keep_default_na=False, comment="#")
    if "tumour_type" not in sheet.columns or "patient" not in sheet.columns:
        raise CLIError(f"{patients}: the patient sheet needs columns patient and tumour_type")
    codes = sorted(set(sheet.loc[sheet["patient"] == patient, "tumour_type"]) - {""})
    if len(codes) != 1:
        raise CLIError(
            f"{patients}: patient {patient} needs exactly one tumour_type across its draws, "
            f"found {codes or 'none'}"
        )
    return codes[0]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "rna",
        help="single-cell RNA: QC, CTC/WBC/platelet classes, EMT/stemness/biomarker phenotypes",
        description="Read each count matrix the RNA sheet lists for a patient, classify cells, "
        "score signatures and write rna.h5ad, cells.tsv, alterations.tsv and plots.",
    )
    p.add_argument(
        "--sheet",
        required=True,
        help="RNA sheet TSV: patient draw path [format obs_filter layer values gene_symbols]",
    )
    p.add_argument("--patient", required=True)
    tt = p.add_mutually_exclusive_group(required=True)
    tt.add_argument(
        "--patients", help="patient sheet TSV; the patient's tumour_type (OncoTree) is read from it"
    )
    tt.add_argument("--tumour-type", help="OncoTree code of the patient's tumour, e.g. BRCA")
    p.add_argument("--outdir", required=True, help="e.g. results/rna/P01")
    add_params_options(p, "rna: section")
    p.set_defaults(func=run)


def read_sheet(path: str | Path, patient: str) -> pd.DataFrame:
    """Rows of the RNA sheet for ``patient``; paths are relative to the working directory."""
    import pandas as pd

    sheet = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in SHEET_COLUMNS if c not in sheet.columns]
    if missing:
        raise CLIError(
            f"{path}: RNA sheet lacks column(s) {missing}; header needs " + "\t".join(SHEET_COLUMNS)
        )
    for i, row in enumerate(sheet.itertuples(index=False), start=2):
        validate_id(row.patient, what="patient", where=f"{path}, line {i}")
        validate_id(row.draw, what="draw", where=f"{path}, line {i}")
    rows = sheet[sheet["patient"] == patient]
    if rows.empty:
        raise CLIError(f"{path}: no rows for patient {patient!r}")
    if rows["draw"].duplicated().any():
        raise CLIError(f"{path}: patient {patient} lists a draw twice; one matrix per draw")
    if "values" in rows:
        bad = sorted(set(rows["values"]) - {"", "counts", "normalised", "log1p"})
        if bad:
            raise CLIError(
                f"{path}: values {bad} for patient {patient}; use counts, normalised or log1p"
            )
    return rows


def run(args: argparse.Namespace) -> int:
    import anndata as ad

    from ctcgenomics.io._atomic import atomic_open, atomic_path
    from ctcgenomics.io.alterations import write_alterations
    from ctcgenomics.rna import CountMatrixError, read_counts
    from ctcgenomics.rna._defaults import merge_params
    from ctcgenomics.rna._expression_alterations import expression_alterations
    from ctcgenomics.rna._pipeline import (
        analyse,
        cells_table,
    )
    from ctcgenomics.rna._programmes import programmes_for

    patient = validate_id(args.patient, what="patient")
    try:
        params = merge_params(params_mapping(args))  # checked before any matrix is read
    except ValueError as err:
        raise CLIError(f"--params-json/--params: {err}") from None
    tumour_type = args.tumour_type or tumour_type_of(args.patients, patient)
    programmes_for(tumour_type)  # an unknown code fails before any matrix is read
    parts = []
    declared = set()
    for _, row in read_sheet(args.sheet, patient).iterrows():
        values = row.get("values", "") or "counts"
        declared.add(values)
        try:
            a = read_counts(
                row["path"],
                fmt=row.get("format", "") or "auto",
                layer=row.get("layer", "") or None,
                obs_filter=row.get("obs_filter", "") or None,
                values=values,
                gene_symbols=row.get("gene_symbols", "") or None,
            )
        except (CountMatrixError, FileNotFoundError) as err:
            raise CLIError(f"{args.sheet}, patient {patient}, draw {row['draw']}: {err}") from None
        a.obs["draw"] = row["draw"]
        a.obs_names = [f"{row['draw']}:{c}" for c in a.obs_names]
        parts.append(a)
    adata = ad.concat(parts, join="inner", merge="same") if len(parts) > 1 else parts[0]
    if adata.n_vars == 0:
        raise CLIError(f"{args.sheet}: the matrices of patient {patient} share no genes")
    if len(declared) > 1:
        raise CLIError(
            f"{args.sheet}: patient {patient} mixes values {sorted(declared)} across draws; "
            "give every draw of a patient in the same form"
        )
    adata.obs["patient"] = patient
    declared_values = declared.pop()
    analyse(adata, params, tumour_type=tumour_type, values=declared_values)
    out = Path(args.outdir)
    for col in adata.obs.columns:  # h5ad needs plain string/categorical columns
        if adata.obs[col].dtype == object:
            adata.obs[col] = adata.obs[col].astype(str)
    stamp(adata, "rna", {**params, "values": declared_values})
    with atomic_path(out / "rna.h5ad") as tmp:
        adata.write_h5ad(tmp)
    with atomic_open(out / "cells.tsv", newline="") as handle:
        cells_table(adata).to_csv(handle, sep="\t", index=False, float_format="%.5g")
    write_alterations(expression_alterations(adata, patient), out / "alterations.tsv")
    from ctcgenomics import pl

    pl.emt_stemness(adata, save=out / "emt_stemness.png")
    pl.rna_markers(adata, save=out / "markers_dotplot.png")
    pl.rna_umap(adata, save=out / "umap.png")
    log.info("wrote %s", out)
    return 0
