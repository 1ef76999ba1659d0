# Single-cell SNV/indel calling: one job per patient over all its panel/exome/wgs cells,
# with the patient's cnv.h5ad as an optional input (copy number at the sites)
# (assays chosen by config snv.assays). Outputs under results/snv/{patient}/.
# Input functions and final targets: common.smk.


rule snv:
    input:
        unpack(snv_inputs),
        paths="results/lists/snv_bams/{patient}.txt",
    output:
        vcf="results/snv/{patient}/snv.vcf.gz",
        tbi="results/snv/{patient}/snv.vcf.gz.tbi",
        h5ad="results/snv/{patient}/snv.h5ad",
        alterations="results/snv/{patient}/alterations.tsv",
        figure=report(
            "results/snv/{patient}/genotypes.png",
            caption="../report/snv_genotypes.rst",
            category="Mutations",
            subcategory="{patient}",
        ),
        status="results/snv/{patient}/status.json",
    params:
        options=snv_options,
        on_error=ON_STAGE_ERROR,
        guarded=guarded_outputs,
    threads: SNV["threads"]
    resources:
        mem_mb=snv_mem_mb,
        runtime=snv_runtime,
    log:
        "logs/snv/{patient}.log",
    benchmark:
        "results/benchmarks/snv/{patient}.tsv"
    shell:
        "ctcg guard --stage snv --patient {wildcards.patient:q} --status {output.status:q}"
        " --log {log:q} --on-error {params.on_error} --outputs {params.guarded:q} --"
        " ctcg snv --bams-from {input.paths:q} --threads {threads} --reference {input.ref:q}"
        " --cells {input.sheet:q}"
        " --patient {wildcards.patient:q} {params.options:q}"
        " --vcf {output.vcf:q} --h5ad {output.h5ad:q} --alterations {output.alterations:q}"
        " --figure {output.figure:q} > {log:q} 2>&1"
