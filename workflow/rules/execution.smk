# Execution on one machine or a cluster (docs/cluster.md): the steps that take seconds run
# on the submit host (localrules), and the list files the aggregation steps read their
# per-cell inputs from. Resources and helpers: common.smk.


localrules:
    path_list,
    qc_merge,
    cnv_export,
    merge_alterations,
    match,
    report,


rule path_list:
    output:
        intermediate("results/lists/{name}/{key}.txt"),
    params:
        paths=list_paths,
    wildcard_constraints:
        name="|".join(LIST_PATHS),
    threads: 1
    resources:
        **scaled(mem_mb=500, runtime=5),
    log:
        "logs/path_list/{name}/{key}.log",
    script:
        "../scripts/write_paths.py"
