# Per-cell steps of large cohorts: one job per batch of up to execution.cells_per_job cells
# of a patient's draw (`ctcg cells` runs align, qc cell and cnv count for each cell in turn,
# into the per-cell paths and logs). Used only when cells_per_job > 1 (auto: past 1,000
# cells); otherwise the per-cell rules align, qc_cell and cnv_count run. See docs/cluster.md.
# Input functions and resources: common.smk.


rule cell_batch:
    input:
        unpack(cell_batch_inputs),
    output:
        manifest="results/cells/{patient}/{draw}/batch{index}.tsv",
    params:
        batch=cell_batch_params,
        on_error=ON_STAGE_ERROR,
    wildcard_constraints:
        draw="[A-Za-z0-9][A-Za-z0-9_.-]*",
        index="[0-9]+",
    threads: config["align"]["threads"]
    resources:
        mem_mb=align_mem_mb,
        runtime=cell_batch_runtime,
    log:
        "logs/cell_batch/{patient}/{draw}/batch{index}.log",
    benchmark:
        "results/benchmarks/cell_batch/{patient}/{draw}/batch{index}.tsv"
    shell:
        "ctcg cells --reference {input.fasta:q} --bins {input.bins:q} --params-json {params.batch:q}"
        " --manifest {output.manifest:q} --on-error {params.on_error} > {log:q} 2>&1"
