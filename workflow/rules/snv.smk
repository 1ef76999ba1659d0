# Single-cell SNV/indel calling: one job per patient over all its panel/exome/wgs cells
# (assays chosen by config snv.assays). Outputs under results/snv/{patient}/.
import shlex

SNV = config.get("snv", {})
SNV_ASSAYS = SNV.get("assays", ["panel", "exome"])


def snv_cells(wildcards):
    return cells_of(patient=wildcards.patient, assays=SNV_ASSAYS)


def snv_inputs(wildcards):
    cells = snv_cells(wildcards)
    files = {
        "bams": [cell_bam(c) for c in cells],
        "bais": [cell_bam(c) + ".bai" for c in cells],
        "ref": GENOME,
        "fai": GENOME + ".fai",
        "sheet": config["cells"],
    }
    for key in ("targets", "gtf", "germline_sites"):
        if SNV.get(key):
            files[key] = SNV[key]
    if SNV.get("sites"):
        files["sites"] = SNV["sites"]
    if SNV.get("hotspots") not in (None, "", "packaged", "none"):
        files["hotspots"] = SNV["hotspots"]
    return files


def snv_options(wildcards, input):
    """Optional arguments and thresholds of `ctcg snv`, shell-quoted."""
    s, pr, fl = SNV, SNV.get("priors", {}), SNV.get("filters", {})
    opts = []
    if "targets" in input.keys():
        opts += ["--targets", input.targets]
    if "gtf" in input.keys():
        opts += ["--gtf", input.gtf]
    if "germline_sites" in input.keys():
        opts += ["--germline-sites", input.germline_sites]
    if "sites" in input.keys():
        opts += ["--sites", *input.sites]
    opts += ["--hotspots", input.hotspots if "hotspots" in input.keys()
             else s.get("hotspots") or "packaged"]
    if s.get("count_orphans"):
        opts.append("--count-orphans")
    for flag, value in [
        ("--min-base-quality", s.get("min_base_quality", 20)),
        ("--min-mapq", s.get("min_mapq", 20)),
        ("--min-alt-reads", s.get("min_alt_reads", 3)),
        ("--min-pooled-vaf", s.get("min_pooled_vaf", 0.01)),
        ("--min-cell-depth", s.get("min_cell_depth", 5)),
        ("--min-genotype-posterior", s.get("min_genotype_posterior", 0.9)),
        ("--prior-somatic", pr.get("somatic", 0.01)),
        ("--prior-hotspot", pr.get("hotspot", 0.1)),
        ("--artefact-rate", pr.get("artefact_rate", 0.002)),
        ("--dropout-prior", pr.get("dropout", 0.15)),
        ("--min-qual", fl.get("min_qual", 20)),
        ("--min-evaluable-cells", fl.get("min_evaluable_cells", 2)),
        ("--strand-bias-p", fl.get("strand_bias_p", 0.001)),
        ("--private-min-vaf", fl.get("private_min_vaf", 0.35)),
        ("--near-indel-bp", fl.get("near_indel_bp", 5)),
    ]:
        opts += [flag, str(value)]
    return " ".join(shlex.quote(str(o)) for o in opts)


def snv_targets():
    return [
        f"results/snv/{p}/{name}"
        for p in patients_with(SNV_ASSAYS)
        for name in ("snv.vcf.gz", "snv.vcf.gz.tbi", "snv.h5ad", "alterations.tsv",
                     "genotypes.png")
    ]


rule snv:
    input:
        unpack(snv_inputs),
    output:
        vcf="results/snv/{patient}/snv.vcf.gz",
        tbi="results/snv/{patient}/snv.vcf.gz.tbi",
        h5ad="results/snv/{patient}/snv.h5ad",
        alterations="results/snv/{patient}/alterations.tsv",
        figure=report(
            "results/snv/{patient}/genotypes.png",
            caption="../report/snv_genotypes.rst",
            category="Mutations",
            subcategory="{patient}",
        ),
    params:
        options=snv_options,
    threads: 1
    log:
        "logs/snv/{patient}.log",
    benchmark:
        "results/benchmarks/snv/{patient}.tsv"
    shell:
        "ctcg snv --bams {input.bams} --reference {input.ref} --cells {input.sheet}"
        " --patient {wildcards.patient} {params.options}"
        " --vcf {output.vcf} --h5ad {output.h5ad} --alterations {output.alterations}"
        " --figure {output.figure} > {log} 2>&1"


STAGE_TARGETS["snv"] = snv_targets
