# Single-cell RNA arm: one job per patient over all its draws in the RNA sheet.
# Input functions and final targets: common.smk.


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
        status="results/rna/{patient}/status.json",
    params:
        outdir=lambda wildcards, output: str(Path(output.h5ad).parent),
        rna=rna_params_json,
        on_error=ON_STAGE_ERROR,
        guarded=guarded_outputs,
    threads: 1
    resources:
        mem_mb=rna_mem_mb,
        runtime=lambda wildcards, attempt: 60 * attempt,
    log:
        "logs/rna/{patient}.log",
    benchmark:
        "results/benchmarks/rna/{patient}.tsv"
    shell:
        "ctcg guard --stage rna --patient {wildcards.patient:q} --status {output.status:q}"
        " --log {log:q} --on-error {params.on_error} --outputs {params.guarded:q} --"
        " ctcg rna --sheet {input.sheet:q} --patients {input.patients:q}"
        " --patient {wildcards.patient:q}"
        " --outdir {params.outdir:q} --params-json {params.rna:q} > {log:q} 2>&1"
