# Actionability: merge a patient's per-module alteration tables (+ CTC enumeration from the
# patient sheet), then match them against the knowledge base (ctcg match).
# Input functions and final targets: common.smk.


rule merge_alterations:
    input:
        tables=module_alterations,
        patients=config["patients"],
    output:
        alterations="results/{patient}/alterations.tsv",
        status="results/{patient}/alterations.status.json",
    params:
        on_error=ON_STAGE_ERROR,
        guarded=guarded_outputs,
    threads: 1
    resources:
        **scaled(mem_mb=1000, runtime=10),
    log:
        "logs/merge_alterations/{patient}.log",
    benchmark:
        "results/benchmarks/merge_alterations/{patient}.tsv"
    shell:
        "ctcg guard --stage merge_alterations --patient {wildcards.patient:q} --status {output.status:q}"
        " --log {log:q} --on-error {params.on_error} --outputs {params.guarded:q} --"
        " ctcg merge-alterations {input.tables:q} --patients {input.patients:q}"
        " --patient {wildcards.patient:q} --out {output.alterations:q} > {log:q} 2>&1"


rule match:
    input:
        alterations="results/{patient}/alterations.tsv",
        patients=config["patients"],
        extra=match_extra_inputs,
    output:
        json="results/{patient}/actionability.json",
        tsv=report(
            "results/{patient}/actionability.tsv",
            caption="../report/actionability_table.rst",
            category="Therapies",
            subcategory="{patient}",
        ),
        status="results/{patient}/actionability.status.json",
    params:
        options=match_options,
        on_error=ON_STAGE_ERROR,
        guarded=guarded_outputs,
    threads: 1
    resources:
        **scaled(mem_mb=1000, runtime=10),
    log:
        "logs/match/{patient}.log",
    benchmark:
        "results/benchmarks/match/{patient}.tsv"
    shell:
        "ctcg guard --stage match --patient {wildcards.patient:q} --status {output.status:q}"
        " --log {log:q} --on-error {params.on_error} --outputs {params.guarded:q} --"
        " ctcg match --alterations {input.alterations:q} --patients {input.patients:q}"
        " --patient {wildcards.patient:q} --json {output.json:q} --tsv {output.tsv:q}"
        " {params.options:q} > {log:q} 2>&1"
