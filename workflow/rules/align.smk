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
        wga=lambda wildcards: CELLS.loc[wildcards.cell, "wga"],
        strict="--strict" if config["align"]["strict"] else "",
        sort_memory=config["align"]["sort_memory"],
    threads: config["align"]["threads"]
    log:
        "logs/align/{cell}.log",
    benchmark:
        "results/benchmarks/align/{cell}.tsv"
    shell:
        "ctcg align --cell {wildcards.cell} --reference {input.fasta} {params.source}"
        " --out {output.bam} --threads {threads} --wga {params.wga}"
        " --sort-memory {params.sort_memory} {params.strict} --tool-log {log} 2>> {log}"
