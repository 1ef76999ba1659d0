# Single-cell RNA arm: one job per patient over all its draws in the RNA sheet.
import json
import shlex

import pandas as pd

# config["rna_sheet"] null = no RNA arm; a named sheet that is missing is an error.
RNA_SHEET_PATH = config.get("rna_sheet")
if RNA_SHEET_PATH:
    if not Path(RNA_SHEET_PATH).is_file():
        raise FileNotFoundError(
            f"RNA sheet {RNA_SHEET_PATH} (config key rna_sheet) does not exist; "
            "fix the path or set rna_sheet: null"
        )
    RNA = pd.read_csv(RNA_SHEET_PATH, sep="\t", dtype=str, keep_default_na=False, comment="#")
    validate(RNA, "../schemas/rna.schema.yaml", set_default=True)
else:
    RNA = pd.DataFrame(columns=["patient", "draw", "path"])

RNA_OUTPUTS = ("rna.h5ad", "cells.tsv", "alterations.tsv", "emt_stemness.png",
               "markers_dotplot.png", "umap.png")


def rna_inputs(wildcards):
    return {"sheet": RNA_SHEET_PATH,
            "matrices": sorted(set(RNA.loc[RNA["patient"] == wildcards.patient, "path"]))}


def rna_params_json(wildcards):
    return shlex.quote(json.dumps(config.get("rna", {})))


def rna_targets():
    return [f"results/rna/{p}/{name}" for p in sorted(RNA["patient"].unique())
            for name in RNA_OUTPUTS]


rule rna:
    input:
        unpack(rna_inputs),
    output:
        h5ad="results/rna/{patient}/rna.h5ad",
        cells="results/rna/{patient}/cells.tsv",
        alterations="results/rna/{patient}/alterations.tsv",
        emt=report(
            "results/rna/{patient}/emt_stemness.png",
            caption="../report/rna_emt_stemness.rst",
            category="Cell states",
            subcategory="{patient}",
        ),
        dotplot="results/rna/{patient}/markers_dotplot.png",
        umap="results/rna/{patient}/umap.png",
    params:
        outdir=lambda wildcards, output: str(Path(output.h5ad).parent),
        rna=rna_params_json,
    threads: 1
    log:
        "logs/rna/{patient}.log",
    benchmark:
        "results/benchmarks/rna/{patient}.tsv"
    shell:
        "ctcg rna --sheet {input.sheet} --patient {wildcards.patient}"
        " --outdir {params.outdir} --params-json {params.rna} > {log} 2>&1"


STAGE_TARGETS["rna"] = rna_targets
