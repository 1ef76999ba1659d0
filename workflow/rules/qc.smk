# Per-cell sequencing QC and the run's QC table (also as MultiQC custom content).


def qc_thresholds(wildcards):
    assay = CELLS.loc[wildcards.cell, "assay"]
    t = config["qc"]["wgs" if assay == "wgs" else "targeted"]
    args = [
        f"--assay {assay}",
        f"--min-reads {t['min_reads']}",
        f"--min-mapped-pct {t['min_mapped_pct']}",
        f"--max-duplicate-pct {t['max_duplicate_pct']}",
        f"--min-breadth {t['min_breadth']}",
    ]
    if "max_mapd" in t:
        args.append(f"--max-mapd {t['max_mapd']}")
    return " ".join(args)


rule qc_cell:
    input:
        bam="results/bam/{cell}.bam",
        bai="results/bam/{cell}.bam.bai",
        bins=BINS,
    output:
        "results/qc/cells/{cell}.tsv",
    params:
        thresholds=qc_thresholds,
        min_mapq=config["qc"]["min_mapq"],
        max_n=config["bins"]["max_n_fraction"],
    log:
        "logs/qc_cell/{cell}.log",
    benchmark:
        "results/benchmarks/qc_cell/{cell}.tsv"
    shell:
        "ctcg qc cell --bam {input.bam} --bins {input.bins} --cell {wildcards.cell}"
        " --out {output} --min-mapq {params.min_mapq} --max-n-fraction {params.max_n}"
        " {params.thresholds} > {log} 2>&1"


rule qc_merge:
    input:
        expand("results/qc/cells/{cell}.tsv", cell=CELLS["cell"]),
    output:
        table=report("results/qc/qc.tsv", caption="../report/qc_table.rst", category="QC"),
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
