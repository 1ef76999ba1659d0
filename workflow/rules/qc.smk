# Per-cell sequencing QC and the run's QC table (also as MultiQC custom content), with
# samtools stats/flagstat per cell: `multiqc results/qc` shows them together.
# Input functions and final targets: common.smk.


rule qc_cell:
    input:
        bam="results/bam/{cell}.bam",
        bai="results/bam/{cell}.bam.bai",
        bins=BINS,
    output:
        table=intermediate("results/qc/cells/{cell}.tsv"),
        stats="results/qc/samtools/{cell}.stats",
        flagstat="results/qc/samtools/{cell}.flagstat",
    params:
        assay=lambda wildcards: CELL_ROWS[wildcards.cell]["assay"],
        qc=qc_params_json,
    threads: 1
    resources:
        **scaled(mem_mb=1000, runtime=30),
        cell_slots=1,
    group:
        "per_cell"
    log:
        "logs/qc_cell/{cell}.log",
    benchmark:
        "results/benchmarks/qc_cell/{cell}.tsv"
    shell:
        "ctcg qc cell --bam {input.bam:q} --bins {input.bins:q} --cell {wildcards.cell:q}"
        " --out {output.table:q} --assay {params.assay:q} --params-json {params.qc:q}"
        " --samtools-stats {output.stats:q} --flagstat {output.flagstat:q} > {log:q} 2>&1"


rule qc_merge:
    input:
        cells=cell_products("qc", CELLS["cell"]),
        paths="results/lists/qc_cells/all.txt",
    output:
        table=report("results/qc/qc.tsv", caption="../report/qc_table.rst", category="QC"),
        multiqc="results/qc/ctcgenomics_qc_mqc.tsv",
    threads: 1
    resources:
        **scaled(mem_mb=2000, runtime=10),
    log:
        "logs/qc_merge/qc.log",
    benchmark:
        "results/benchmarks/qc_merge/qc.tsv"
    shell:
        "ctcg qc merge --inputs-from {input.paths:q} --out {output.table:q}"
        " --multiqc {output.multiqc:q} > {log:q} 2>&1"
