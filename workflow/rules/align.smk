# Per-cell alignment (bwa mem | samtools fixmate/sort/markdup) or import of a given BAM.


def align_input(wildcards):
    row = CELLS.loc[wildcards.cell]
    if row["bam"]:
        return {"bam": row["bam"], "fasta": GENOME, "fai": f"{GENOME}.fai"}
    reads = {"fq1": row["fq1"]}
    if row["fq2"]:
        reads["fq2"] = row["fq2"]
    return {**reads, "fasta": GENOME, "index": BWA_INDEX}


def align_source(wildcards, input):
    if "bam" in input.keys():
        return f"--bam {input.bam}"
    return f"--fq1 {input.fq1}" + (f" --fq2 {input.fq2}" if "fq2" in input.keys() else "")


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
