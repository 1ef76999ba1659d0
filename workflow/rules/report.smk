# Patient report: one self-contained HTML page + JSON per patient, from the outputs of the
# stages that are switched on and apply to the patient (the others are reported as not run).
# Input functions and final targets: common.smk.


rule report:
    input:
        unpack(report_inputs),
    output:
        html=report(
            "results/{patient}/report.html",
            caption="../report/patient_report.rst",
            category="Patient reports",
            labels={"patient": "{patient}", "file": "report.html"},
        ),
        json="results/{patient}/report.json",
    params:
        options=report_options,
    threads: 1
    resources:
        **scaled(mem_mb=2000, runtime=10),
    log:
        "logs/report/{patient}.log",
    benchmark:
        "results/benchmarks/report/{patient}.tsv"
    shell:
        "ctcg report --patient {wildcards.patient:q} --patients {input.patients:q}"
        " --cells {input.cells:q} {params.options:q}"
        " --html {output.html:q} --json {output.json:q} > {log:q} 2>&1"
