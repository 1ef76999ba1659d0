# Patient report: one self-contained HTML page + JSON per patient, from the outputs of the
# stages that are switched on and apply to the patient (the others are reported as not run).
import shlex

REPORT_STAGES = ("cnv", "snv", "rna", "actionability")


def report_inputs(wildcards):
    """Per-patient outputs of the stages that are on and apply to this patient."""
    p = wildcards.patient
    files = {"patients": config["patients"], "cells": config["cells"], "qc": "results/qc/qc.tsv"}
    if stage_on("cnv") and cells_of(patient=p, assays=["wgs"]):
        files["cnv"] = f"results/cnv/{p}/cnv.h5ad"
        files["cnv_clones"] = f"results/cnv/{p}/clones.tsv"
    snv_assays = config.get("snv", {}).get("assays", ["panel", "exome"])
    if stage_on("snv") and cells_of(patient=p, assays=snv_assays):
        files["snv"] = f"results/snv/{p}/snv.h5ad"
    rna = globals().get("RNA")  # parsed by workflow/rules/rna.smk when it is included
    if stage_on("rna") and rna is not None and p in set(rna["patient"]):
        files["rna"] = f"results/rna/{p}/cells.tsv"
    if stage_on("actionability"):
        files["alterations"] = f"results/{p}/alterations.tsv"
        files["actionability"] = f"results/{p}/actionability.tsv"
    return files


def report_options(wildcards, input):
    """`ctcg report` options for the inputs present, shell-quoted."""
    opts = []
    for key in ("cnv", "cnv_clones", "snv", "rna", "alterations", "actionability"):
        if key in input.keys():
            opts += [f"--{key.replace('_', '-')}", input[key]]
    off = [s for s in REPORT_STAGES if not stage_on(s)]
    if off:
        opts += ["--stages-off", ",".join(off)]
    opts += ["--config-hash", CONFIG_HASH]
    opts += ["--reference", f"{config['reference']['fasta']} ({config['reference']['build']})"]
    return " ".join(shlex.quote(str(o)) for o in opts)


def report_targets():
    return [f"results/{p}/{name}" for p in sorted(PATIENTS["patient"].unique())
            for name in ("report.html", "report.json")]


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
    log:
        "logs/report/{patient}.log",
    benchmark:
        "results/benchmarks/report/{patient}.tsv"
    shell:
        "ctcg report --patient {wildcards.patient} --patients {input.patients}"
        " --cells {input.cells} --qc {input.qc} {params.options}"
        " --html {output.html} --json {output.json} > {log} 2>&1"


STAGE_TARGETS["report"] = report_targets
