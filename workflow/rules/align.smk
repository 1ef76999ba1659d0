# Per-cell alignment (bwa mem | samtools fixmate/sort/markdup) or import of a given BAM.
# Input functions: common.smk.


rule align:
    input:
        unpack(align_input),
    output:
        bam="results/bam/{cell}.bam",
        bai="results/bam/{cell}.bam.bai",
    params:
        source=align_source,
        wga=lambda wildcards: CELL_ROWS[wildcards.cell]["wga"],
        strict="--strict" if config["align"]["strict"] else "",
        sort_memory=config["align"]["sort_memory"],
    threads: config["align"]["threads"]
    resources:
        mem_mb=align_mem_mb,
        runtime=align_runtime,
        cell_slots=1,
    group:
        "per_cell"
    log:
        "logs/align/{cell}.log",
    benchmark:
        "results/benchmarks/align/{cell}.tsv"
    shell:
        "ctcg align --cell {wildcards.cell:q} --reference {input.fasta:q} {params.source:q}"
        " --out {output.bam:q} --threads {threads} --wga {params.wga:q}"
        " --sort-memory {params.sort_memory:q} {params.strict} --tool-log {log:q} 2>> {log:q}"
