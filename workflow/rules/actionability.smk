# Actionability: merge a patient's per-module alteration tables (+ CTC enumeration from the
# patient sheet), then match them against the knowledge base (ctcg match).
import shlex

ACT = config.get("actionability", {})


def _has_rna(patient):
    rna = globals().get("RNA")  # defined by rna.smk when that file is included
    return rna is not None and patient in set(rna["patient"])


def module_alterations(wildcards):
    """Alteration tables that exist for this patient given the stages and its cells."""
    p = wildcards.patient
    tables = []
    if stage_on("cnv") and cells_of(p, assays=["wgs"], roles=["ctc"]):
        tables.append(f"results/cnv/{p}/alterations.tsv")
    if stage_on("snv") and cells_of(p, assays=["panel", "exome", "wgs"], roles=["ctc"]):
        tables.append(f"results/snv/{p}/alterations.tsv")
    if stage_on("rna") and _has_rna(p):
        tables.append(f"results/rna/{p}/alterations.tsv")
    return tables


def match_options(wildcards):
    opts = [f"--clonal-threshold {float(ACT.get('clonal_threshold', 0.8))}"]
    if not ACT.get("include_level4", True):
        opts.append("--no-level4")
    if ACT.get("civic"):
        opts.append(f"--civic {shlex.quote(str(ACT['civic']))}")
    if ACT.get("kb"):
        opts.append(f"--kb {shlex.quote(str(ACT['kb']))}")
    return " ".join(opts)


def match_extra_inputs(wildcards):
    return [str(ACT[k]) for k in ("civic", "kb") if ACT.get(k)]


def actionability_targets():
    return [f"results/{p}/actionability.{ext}" for p in sorted(PATIENTS["patient"].unique())
            for ext in ("json", "tsv")]


rule merge_alterations:
    input:
        tables=module_alterations,
        patients=config["patients"],
    output:
        "results/{patient}/alterations.tsv",
    log:
        "logs/merge_alterations/{patient}.log",
    benchmark:
        "results/benchmarks/merge_alterations/{patient}.tsv"
    shell:
        "ctcg merge-alterations {input.tables} --patients {input.patients}"
        " --patient {wildcards.patient} --out {output} > {log} 2>&1"


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
    params:
        options=match_options,
    log:
        "logs/match/{patient}.log",
    benchmark:
        "results/benchmarks/match/{patient}.tsv"
    shell:
        "ctcg match --alterations {input.alterations} --patients {input.patients}"
        " --patient {wildcards.patient} --json {output.json} --tsv {output.tsv}"
        " {params.options} > {log} 2>&1"


STAGE_TARGETS["actionability"] = actionability_targets
