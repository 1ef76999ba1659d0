# Reference preparation: plain FASTA + faidx + .dict + bwa index, and the bin table.
# Snakemake rebuilds them when the configured FASTA changes: another path, or new content
# (its checksum is the rule parameter `identity`, see common.smk).


rule prepare_reference:
    input:
        fasta=config["reference"]["fasta"],
    output:
        fasta=GENOME,
        fai=f"{GENOME}.fai",
        dict=f"{REF_DIR}/genome.dict",
        index=BWA_INDEX,
    params:
        outdir=lambda wildcards, output: str(Path(output.fasta).parent),
        identity=REFERENCE_IDENTITY,
    threads: 1
    resources:
        mem_mb=reference_mem_mb,
        runtime=reference_runtime,
    log:
        "logs/prepare_reference/reference.log",
    benchmark:
        "results/benchmarks/prepare_reference/reference.tsv"
    shell:
        "ctcg reference --fasta {input.fasta:q} --outdir {params.outdir:q}"
        " --identity {params.identity:q} > {log:q} 2>&1"


rule make_bins:
    input:
        fasta=GENOME,
        fai=f"{GENOME}.fai",
    output:
        f"{REF_DIR}/bins_{{size}}.tsv",
    wildcard_constraints:
        size="[0-9]+",
    threads: 1
    resources:
        **scaled(mem_mb=2000, runtime=30),
    log:
        "logs/make_bins/{size}.log",
    benchmark:
        "results/benchmarks/make_bins/{size}.tsv"
    shell:
        "ctcg bins --reference {input.fasta:q} --size {wildcards.size} --out {output:q} > {log:q} 2>&1"
