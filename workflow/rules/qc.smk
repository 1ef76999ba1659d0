# Per-cell sequencing QC and the run's QC table (also as MultiQC custom content).


rule qc_cell:
    input:
        bam="results/bam/{cell}.bam",
        bai="results/bam/{cell}.bam.bai",
        bins=BINS,
    output:
        "results/qc/cells/{cell}.tsv",
    params:
        q=config["qc"],
        max_n=config["bins"]["max_n_fraction"],
    log:
        "logs/qc_cell/{cell}.log",
    benchmark:
        "results/benchmarks/qc_cell/{cell}.tsv"
    shell:
        "ctcg qc cell --bam {input.bam} --bins {input.bins} --cell {wildcards.cell}"
        " --out {output} --min-mapq {params.q[min_mapq]} --max-n-fraction {params.max_n}"
        " --min-reads {params.q[min_reads]} --min-mapped-pct {params.q[min_mapped_pct]}"
        " --max-duplicate-pct {params.q[max_duplicate_pct]} --max-mapd {params.q[max_mapd]}"
        " --min-breadth {params.q[min_breadth]} > {log} 2>&1"


rule qc_merge:
    input:
        expand("results/qc/cells/{cell}.tsv", cell=CELLS["cell"]),
    output:
        table="results/qc/qc.tsv",
        multiqc="results/qc/ctcgenomics_qc_mqc.tsv",
    log:
        "logs/qc_merge/qc.log",
    benchmark:
        "results/benchmarks/qc_merge/qc.tsv"
    shell:
        "ctcg qc merge {input} --out {output.table} --multiqc {output.multiqc} > {log} 2>&1"


def qc_targets():
    return ["results/qc/qc.tsv", "results/qc/ctcgenomics_qc_mqc.tsv"]


STAGE_TARGETS["qc"] = qc_targets
