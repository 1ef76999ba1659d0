# Single-cell copy number: one counting job per low-pass WGS cell, one job per patient
# finding heterozygous germline SNPs and counting each cell's alleles there (switch:
# cnv.alleles.enabled), one calling job per patient (all its draws). Logic lives in `ctcg cnv`; see docs/cnv.md.
# Input functions and final targets: common.smk.


rule cnv_count:
    input:
        bam="results/bam/{cell}.bam",
        bai="results/bam/{cell}.bam.bai",
        bins=BINS,
    output:
        counts=intermediate("results/cnv/counts/{cell}.tsv"),
        genes=intermediate("results/cnv/counts/{cell}.genes.tsv"),
    params:
        cnv=cnv_count_params_json,
        genes=cnv_genes_arg,
    threads: 1
    resources:
        **scaled(mem_mb=1000, runtime=30),
        cell_slots=1,
    group:
        "per_cell"
    log:
        "logs/cnv_count/{cell}.log",
    benchmark:
        "results/benchmarks/cnv_count/{cell}.tsv"
    shell:
        "ctcg cnv count --bam {input.bam:q} --bins {input.bins:q} --cell {wildcards.cell:q}"
        " --params-json {params.cnv:q} --out {output.counts:q} --genes {params.genes:q}"
        " --genes-out {output.genes:q} > {log:q} 2>&1"


rule cnv_alleles:
    input:
        unpack(cnv_alleles_inputs),
    output:
        alleles="results/cnv/alleles/{patient}.tsv",
        sites="results/cnv/alleles/{patient}.sites.tsv",
    params:
        options=cnv_alleles_options,
    threads: 1
    resources:
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
        runtime=cnv_alleles_runtime,
    log:
        "logs/cnv_alleles/{patient}.log",
    benchmark:
        "results/benchmarks/cnv_alleles/{patient}.tsv"
    shell:
        "ctcg cnv alleles --bams-from {input.paths:q} --fasta {input.ref:q}"
        " --out {output.alleles:q} --sites-out {output.sites:q} {params.options:q} > {log:q} 2>&1"


rule cnv_call:
    input:
        counts=cnv_counts_of,
        alleles=cnv_alleles_of,
        paths="results/lists/cnv_counts/{patient}.txt",
        gene_counts=cnv_gene_counts_of,
        gene_paths="results/lists/cnv_gene_counts/{patient}.txt",
        bins=BINS,
        sheet=config["cells"],
        patients=config["patients"],
    output:
        h5ad="results/cnv/{patient}/cnv.h5ad",
        heatmap=report(
            "results/cnv/{patient}/heatmap.png",
            caption="../report/cnv_heatmap.rst",
            category="Copy number",
            subcategory="{patient}",
        ),
        profiles="results/cnv/{patient}/profiles.pdf",
        genes="results/cnv/{patient}/genes.tsv",
        segments="results/cnv/{patient}/segments.tsv",
        clones="results/cnv/{patient}/clones.tsv",
        cells="results/cnv/{patient}/cells.tsv",
        alterations="results/cnv/{patient}/alterations.tsv",
        status="results/cnv/{patient}/status.json",
    params:
        outdir=lambda wildcards, output: str(Path(output.h5ad).parent),
        cnv=cnv_params_json,
        alleles=lambda wildcards: ["--alleles", *cnv_alleles_of(wildcards)] if cnv_alleles_of(wildcards) else [],
        on_error=ON_STAGE_ERROR,
        guarded=guarded_outputs,
    threads: 1
    resources:
        mem_mb=cnv_call_mem_mb,
        runtime=cnv_call_runtime,
    log:
        "logs/cnv_call/{patient}.log",
    benchmark:
        "results/benchmarks/cnv_call/{patient}.tsv"
    shell:
        "ctcg guard --stage cnv --patient {wildcards.patient:q} --status {output.status:q}"
        " --log {log:q} --on-error {params.on_error} --outputs {params.guarded:q} --"
        " ctcg cnv call --counts-from {input.paths:q} --bins {input.bins:q}"
        " --sheet {input.sheet:q}"
        " --patient {wildcards.patient:q} --outdir {params.outdir:q}"
        " --gene-counts-from {input.gene_paths:q} --patients {input.patients:q}"
        " --params-json {params.cnv:q} {params.alleles:q} > {log:q} 2>&1"


rule cnv_export:
    input:
        h5ad="results/cnv/{patient}/cnv.h5ad",
        genes="results/cnv/{patient}/genes.tsv",
        cnv_status="results/cnv/{patient}/status.json",
    output:
        seg="results/cnv/{patient}/copy_number.seg",
        cna="results/cnv/{patient}/cna.txt",
        bedgraph="results/cnv/{patient}/cells.bedGraph",
        status="results/cnv/{patient}/export.status.json",
    params:
        on_error=ON_STAGE_ERROR,
        guarded=guarded_outputs,
    threads: 1
    resources:
        mem_mb=cnv_export_mem_mb,
        runtime=lambda wildcards, attempt: 10 * attempt,
    log:
        "logs/cnv_export/{patient}.log",
    benchmark:
        "results/benchmarks/cnv_export/{patient}.tsv"
    shell:
        "ctcg guard --stage cnv_export --patient {wildcards.patient:q} --status {output.status:q}"
        " --log {log:q} --on-error {params.on_error} --outputs {params.guarded:q} --"
        " ctcg export cnv --h5ad {input.h5ad:q} --genes {input.genes:q}"
        " --patient {wildcards.patient:q} --seg {output.seg:q} --cna {output.cna:q}"
        " --bedgraph {output.bedgraph:q} > {log:q} 2>&1"
