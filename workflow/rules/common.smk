# Loads and validates the config and the sample sheets; input functions and final targets
# of every stage (the stage files hold rules only).
import hashlib
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
from snakemake.utils import validate

from ctcgenomics.align._reference import reference_identity
from ctcgenomics.io.config import validate_config
from ctcgenomics.io.sheets import (
    check_sheets_agree,
    option_safe_path,
    read_cell_sheet,
    read_patient_sheet,
)


# Strict: an unknown key is an error naming the closest valid key; defaults filled in.
validate_config(
    config,
    Path(workflow.current_basedir).parent / "schemas" / "config.schema.yaml",
    source="the workflow configuration (config/config.yaml and any --configfile/--config)",
)


def _option_safe_config_paths():
    """Config values that name files reach command lines: make none readable as an option."""
    for key in ("cells", "patients", "rna_sheet", "example_simulation"):
        if config.get(key):
            config[key] = option_safe_path(config[key])
    config["reference"]["fasta"] = option_safe_path(config["reference"]["fasta"])
    for section, keys in (("snv", ("targets", "gtf", "germline_sites", "hotspots")),
                          ("actionability", ("civic", "kb"))):
        for key in keys:
            if config.get(section, {}).get(key):
                config[section][key] = option_safe_path(config[section][key])
    alleles = config["cnv"]["alleles"]
    if alleles.get("germline_sites"):
        alleles["germline_sites"] = option_safe_path(alleles["germline_sites"])
    if config.get("snv", {}).get("sites"):
        config["snv"]["sites"] = [option_safe_path(p) for p in config["snv"]["sites"]]


_option_safe_config_paths()

# Reads of the simulated example are produced by the workflow itself; real data must exist.
# A cohort with RNA data only may give a cell sheet with a header and no rows.
CELLS = read_cell_sheet(
    config["cells"], check_files=not config.get("example_simulation"), allow_empty=True
)
PATIENTS = read_patient_sheet(config["patients"])
check_sheets_agree(CELLS, PATIENTS, cells_path=config["cells"])

# config["rna_sheet"] null = no RNA arm; a named sheet that is missing is an error.
RNA_SHEET_PATH = config.get("rna_sheet")
if RNA_SHEET_PATH:
    if not Path(RNA_SHEET_PATH).is_file():
        raise FileNotFoundError(
            f"RNA sheet {RNA_SHEET_PATH} (config key rna_sheet) does not exist; "
            "fix the path or set rna_sheet: null"
        )
    RNA = pd.read_csv(RNA_SHEET_PATH, sep="\t", dtype=str, keep_default_na=False, comment="#")
    validate(RNA, "../schemas/rna.schema.yaml", set_default=True)
else:
    RNA = pd.DataFrame(columns=["patient", "draw", "path"])
if CELLS.empty and RNA.empty:
    raise ValueError(
        f"{config['cells']} lists no cells and there is no RNA sheet (config key rna_sheet): "
        "nothing to analyse; add one row per sequenced cell"
    )

REF_DIR = "resources/reference"
# Path and checksum of the configured FASTA: a rule parameter, so another file, or new
# content at the same path, rebuilds the prepared reference; a missing file is an error.
REFERENCE_IDENTITY = reference_identity(
    config["reference"]["fasta"], cache=f"{REF_DIR}/source_checksums.json"
)
GENOME = f"{REF_DIR}/genome.fa"
BWA_INDEX = multiext(GENOME, ".amb", ".ann", ".bwt", ".pac", ".sa")
BIN_SIZE = config["bins"]["size"]
BINS = f"{REF_DIR}/bins_{BIN_SIZE}.tsv"
# A short hash of the whole validated config, printed in reports (methods section).
CONFIG_HASH = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]


wildcard_constraints:
    cell="[A-Za-z0-9][A-Za-z0-9_.-]*",
    patient="[A-Za-z0-9][A-Za-z0-9_.-]*",


def stage_on(stage):
    return config["stages"].get(stage, True)


# Assays each DNA stage reads, defined once (the SNV list comes from the config).
STAGE_ASSAYS = {"cnv": ["wgs"], "snv": list(config["snv"]["assays"])}
ASSAY_NAMES = {"wgs": "low-pass WGS", "panel": "a panel", "exome": "an exome"}
# How a per-patient stage that fails is handled: "report" (default) records the
# failure and lets the patient's report say so; "fail" stops the run (ctcg guard).
ON_STAGE_ERROR = config["on_stage_error"]


def why_not_run(stage, patient):
    """Why ``stage`` does not run for ``patient``, or None when it runs.

    The one place that decides which stages apply to a patient: the stage targets,
    the merged alterations and the report all ask it, and the report prints its reason.
    """
    if not stage_on(stage):
        return f"switched off in the configuration (stages.{stage}: false)"
    if stage in STAGE_ASSAYS:
        assays = STAGE_ASSAYS[stage]
        if not cells_of(patient, assays=assays, roles=["ctc"]):
            kinds = " or ".join(ASSAY_NAMES.get(a, a) for a in assays)
            return (f"no CTC of this patient was sequenced with {kinds} "
                    f"(assay {', '.join(assays)} in the cell sheet)")
    if stage == "rna" and patient not in set(RNA["patient"]):
        return "no single-cell RNA data for this patient (RNA sheet)"
    return None


def patients_running(stage):
    return [p for p in sorted(PATIENTS["patient"].unique()) if why_not_run(stage, p) is None]


def guarded_outputs(wildcards, output):
    """Outputs that `ctcg guard` writes in failed form if the stage fails."""
    return [str(path) for name, path in output.items() if name != "status"]


def all_targets(wildcards):
    targets = []
    for stage, func in STAGE_TARGETS.items():
        if stage_on(stage) or stage == "qc":
            targets.extend(func())
    return targets


# Per-cell and per-patient lookups are dictionaries: input functions run once per job, and
# a 50,000-cell cohort plans about 150,000 jobs (benchmarks/bench_cohort.py).
CELL_ROWS = CELLS.to_dict("index")
CELLS_BY_PATIENT = dict(tuple(CELLS.groupby("patient", sort=False)))


_CELLS_OF = {}


def cells_of(patient=None, assays=None, roles=None):
    """Cell IDs of a patient (all patients if None), optionally filtered by assay/role."""
    # Remembered: the input, parameter and resource functions of every job ask, and a
    # pandas selection costs about 1 ms (11 % of a 500-patient plan before).
    key = (patient, None if assays is None else tuple(assays),
           None if roles is None else tuple(roles))
    if key not in _CELLS_OF:
        _CELLS_OF[key] = _select_cells(patient, assays, roles)
    return list(_CELLS_OF[key])


def _select_cells(patient, assays, roles):
    sel = CELLS
    if patient is not None:
        sel = CELLS_BY_PATIENT.get(patient, CELLS.iloc[:0])
    if assays is not None:
        sel = sel[sel["assay"].isin(assays)]
    if roles is not None:
        sel = sel[sel["role"].isin(roles)]
    return list(sel["cell"])


def cell_bam(cell):
    return f"results/bam/{cell}.bam"


# --- align.smk: per-cell alignment or import of a given BAM ---


def align_input(wildcards):
    row = CELL_ROWS[wildcards.cell]
    if row["bam"]:
        return {"bam": row["bam"], "fasta": GENOME, "fai": f"{GENOME}.fai"}
    reads = {"fq1": row["fq1"]}
    if row["fq2"]:
        reads["fq2"] = row["fq2"]
    return {**reads, "fasta": GENOME, "index": BWA_INDEX}


def align_source(wildcards, input):
    """Arguments naming the cell's reads (a list; the shell directive quotes each item with :q)."""
    if "bam" in input.keys():
        return ["--bam", input.bam]
    return ["--fq1", input.fq1] + (["--fq2", input.fq2] if "fq2" in input.keys() else [])


# --- qc.smk: per-cell QC and the run's QC table ---


def qc_params_json(wildcards):
    """The qc: section plus the bins' N threshold (ctcgenomics.qc.QCParams layout), as JSON."""
    return json.dumps({**config["qc"], "max_n_fraction": config["bins"]["max_n_fraction"]})


def qc_targets():
    if CELLS.empty:
        return []  # RNA only: no DNA library to check
    reports = cell_products("stats", CELLS["cell"]) + cell_products("flagstat", CELLS["cell"])
    return ["results/qc/qc.tsv", "results/qc/ctcgenomics_qc_mqc.tsv", *dict.fromkeys(reports)]


# --- cnv.smk: single-cell copy number ---


def cnv_params_json(wildcards):
    """The cnv: section (ctcgenomics.cnv.CNVConfig layout) plus the bins' N threshold, as JSON.

    Its alleles: part is rule cnv_alleles' (cnv_alleles_params_json).
    """
    params = {k: v for k, v in config["cnv"].items() if k != "alleles"}
    return json.dumps({**params, "max_n_fraction": config["bins"]["max_n_fraction"]})


def cnv_count_params_json(wildcards):
    """What `ctcg cnv count` reads of the cnv: section: a new calling parameter re-counts no cell."""
    return json.dumps({"min_mapq": config["cnv"]["min_mapq"]})


def cnv_counts_of(wildcards):
    return cell_products("counts", cells_of(wildcards.patient, assays=STAGE_ASSAYS["cnv"]))


def cnv_gene_counts_of(wildcards):
    """Reads over the configured genes (+- 50 kb) per cell, for the gene-level read-out."""
    return cell_products("genes", cells_of(wildcards.patient, assays=STAGE_ASSAYS["cnv"]))


CNV_ALLELES = config["cnv"]["alleles"]


def cnv_alleles_inputs(wildcards):
    """BAMs of the patient's low-pass cells (pooled for heterozygous SNPs), reference, sites."""
    cells = cells_of(wildcards.patient, assays=STAGE_ASSAYS["cnv"])
    files = {
        "bams": cell_products("bam", cells),
        "bais": cell_products("bai", cells),
        "paths": f"results/lists/cnv_bams/{wildcards.patient}.txt",
        "ref": GENOME,
        "fai": f"{GENOME}.fai",
    }
    if CNV_ALLELES["germline_sites"]:
        files["sites"] = CNV_ALLELES["germline_sites"]
    return files


def cnv_alleles_params_json(wildcards):
    """The cnv.alleles: parameters (ctcgenomics.cnv.HetSiteParams) and cnv.min_mapq, as JSON."""
    params = {k: v for k, v in CNV_ALLELES.items() if k not in ("enabled", "germline_sites")}
    return json.dumps({**params, "min_mapq": config["cnv"]["min_mapq"]})


def cnv_alleles_options(wildcards, input):
    """Options of `ctcg cnv alleles` (a list; the shell directive quotes each item)."""
    opts = ["--sites", input.sites] if "sites" in input.keys() else []
    return opts + ["--params-json", cnv_alleles_params_json(wildcards)]


def cnv_alleles_of(wildcards):
    """The patient's allele counts at heterozygous SNPs for cnv_call ([] when switched off)."""
    if not CNV_ALLELES["enabled"]:
        return []
    return [f"results/cnv/alleles/{wildcards.patient}.tsv"]


def cnv_genes_arg(wildcards):
    """The configured genes as one comma-separated word."""
    return ",".join(config["cnv"]["genes"] or [])


def cnv_targets():
    return [
        f"results/cnv/{p}/{name}"
        for p in patients_running("cnv")
        for name in ("cnv.h5ad", "heatmap.png", "profiles.pdf", "genes.tsv", "clones.tsv",
                     "alterations.tsv", "status.json", "copy_number.seg", "cna.txt",
                     "cells.bedGraph")
    ]


# --- snv.smk: single-cell SNV/indel calling ---
SNV = config["snv"]
# Keys of the snv: section that name inputs or run options (read above and below); every
# other key is a parameter of ctcgenomics.snv.SNVParams, passed as --params-json.
SNV_RUN_KEYS = ("assays", "threads", "targets", "sites", "hotspots", "germline_sites",
                "population_vcf", "population_af_field", "predisposition_genes", "use_cnv", "gtf")


def snv_params_json(wildcards):
    """The snv: section's parameters (SNVParams.from_mapping layout) as JSON."""
    return json.dumps({k: v for k, v in SNV.items() if k not in SNV_RUN_KEYS})


def snv_cells(wildcards):
    return cells_of(patient=wildcards.patient, assays=STAGE_ASSAYS["snv"])


def snv_inputs(wildcards):
    cells = snv_cells(wildcards)
    files = {
        "bams": cell_products("bam", cells),
        "bais": cell_products("bai", cells),
        "ref": GENOME,
        "fai": f"{GENOME}.fai",
        "sheet": config["cells"],
    }
    for key in ("targets", "gtf", "germline_sites"):
        if SNV.get(key):
            files[key] = SNV[key]
    if SNV.get("sites"):
        files["sites"] = SNV["sites"]
    if SNV.get("hotspots") not in (None, "", "packaged", "none"):
        files["hotspots"] = SNV["hotspots"]
    for key in ("population_vcf", "predisposition_genes"):
        if SNV.get(key):
            files[key] = SNV[key]
    # Copy number of the patient's low-pass cells (same cells or same draw) for expected
    # allele fractions under loss and gain.
    if SNV["use_cnv"] and stage_on("cnv") and cells_of(wildcards.patient, ["wgs"]):
        files["cnv"] = f"results/cnv/{wildcards.patient}/cnv.h5ad"
    return files


def snv_options(wildcards, input):
    """Optional arguments and parameters of `ctcg snv` (a list; the shell directive quotes each item)."""
    opts = []
    if "targets" in input.keys():
        opts += ["--targets", input.targets]
    if "gtf" in input.keys():
        opts += ["--gtf", input.gtf]
    if "germline_sites" in input.keys():
        opts += ["--germline-sites", input.germline_sites]
    if "sites" in input.keys():
        opts += ["--sites", *input.sites]
    if "population_vcf" in input.keys():
        opts += ["--population-vcf", input.population_vcf,
                 "--population-af-field", SNV["population_af_field"]]
    if "predisposition_genes" in input.keys():
        opts += ["--predisposition-genes", input.predisposition_genes]
    if "cnv" in input.keys():
        opts += ["--cnv", input.cnv]
    opts += ["--hotspots", input.hotspots if "hotspots" in input.keys()
             else SNV["hotspots"] or "packaged"]
    opts += ["--params-json", snv_params_json(wildcards)]
    return [str(o) for o in opts]


def snv_targets():
    return [
        f"results/snv/{p}/{name}"
        for p in patients_running("snv")
        for name in ("snv.vcf.gz", "snv.vcf.gz.tbi", "snv.h5ad", "alterations.tsv",
                     "genotypes.png", "status.json")
    ]


# --- rna.smk: single-cell RNA arm ---
RNA_OUTPUTS = ("rna.h5ad", "cells.tsv", "alterations.tsv", "emt_stemness.png",
               "markers_dotplot.png", "umap.png")


def rna_inputs(wildcards):
    return {"sheet": RNA_SHEET_PATH, "patients": config["patients"],
            "matrices": sorted(set(RNA.loc[RNA["patient"] == wildcards.patient, "path"]))}


def rna_params_json(wildcards):
    """The rna: section (ctcgenomics.rna.RNAParams layout) as JSON."""
    return json.dumps(config["rna"])


def rna_targets():
    return [f"results/rna/{p}/{name}" for p in patients_running("rna")
            for name in (*RNA_OUTPUTS, "status.json")]


# --- actionability.smk: merged alteration tables, knowledge-base matching ---
ACT = config["actionability"]


def module_alterations(wildcards):
    """Alteration tables of the stages that run for this patient."""
    p = wildcards.patient
    return [f"results/{stage}/{p}/alterations.tsv" for stage in ("cnv", "snv", "rna")
            if why_not_run(stage, p) is None]


def match_options(wildcards):
    """Options of `ctcg match` (a list; the shell directive quotes each item with :q)."""
    # civic and kb name inputs; every other key is a parameter of MatchParams.
    params = {k: v for k, v in ACT.items() if k not in ("civic", "kb")}
    opts = ["--params-json", json.dumps(params)]
    for key in ("civic", "kb"):
        if ACT.get(key):
            opts += [f"--{key}", option_safe_path(ACT[key])]
    return opts


def match_extra_inputs(wildcards):
    return [option_safe_path(ACT[k]) for k in ("civic", "kb") if ACT.get(k)]


def actionability_targets():
    return [f"results/{p}/{name}" for p in sorted(PATIENTS["patient"].unique())
            for name in ("actionability.json", "actionability.tsv", "actionability.status.json",
                         "alterations.status.json")]


# --- report.smk: the patient report ---
REPORT_STAGES = ("cnv", "snv", "rna", "actionability")


def report_inputs(wildcards):
    """Per-patient outputs of the stages that are on and apply to this patient."""
    p = wildcards.patient
    files = {"patients": config["patients"], "cells": config["cells"]}
    if not CELLS.empty:
        files["qc"] = "results/qc/qc.tsv"
    if why_not_run("cnv", p) is None:
        files["cnv"] = f"results/cnv/{p}/cnv.h5ad"
        files["cnv_clones"] = f"results/cnv/{p}/clones.tsv"
        files["cnv_status"] = f"results/cnv/{p}/status.json"
    if why_not_run("snv", p) is None:
        files["snv"] = f"results/snv/{p}/snv.h5ad"
        files["snv_status"] = f"results/snv/{p}/status.json"
    if why_not_run("rna", p) is None:
        files["rna"] = f"results/rna/{p}/cells.tsv"
        files["rna_status"] = f"results/rna/{p}/status.json"
    if stage_on("actionability"):
        files["alterations"] = f"results/{p}/alterations.tsv"
        files["actionability"] = f"results/{p}/actionability.tsv"
        files["alterations_status"] = f"results/{p}/alterations.status.json"
        files["actionability_status"] = f"results/{p}/actionability.status.json"
    return files


def report_options(wildcards, input):
    """`ctcg report` options for the inputs present (a list; the shell directive quotes each item)."""
    opts = []
    for key in ("qc", "cnv", "cnv_clones", "snv", "rna", "alterations", "actionability"):
        if key in input.keys():
            opts += [f"--{key.replace('_', '-')}", input[key]]
    for key in input.keys():
        if key.endswith("_status"):
            opts += ["--status", f"{key.removesuffix('_status')}={input[key]}"]
    for stage in REPORT_STAGES:
        reason = why_not_run(stage, wildcards.patient)
        if reason:
            opts += ["--not-run", f"{stage}={reason}"]
    opts += ["--config-hash", CONFIG_HASH]
    opts += ["--reference", f"{config['reference']['fasta']} ({config['reference']['build']})"]
    return [str(o) for o in opts]


def report_targets():
    return [f"results/{p}/{name}" for p in sorted(PATIENTS["patient"].unique())
            for name in ("report.html", "report.json")]


# The final-targets function of each stage; `rule all` asks for the targets of the stages
# switched on in config["stages"] (QC always), in this order.
STAGE_TARGETS = {
    "qc": qc_targets,
    "cnv": cnv_targets,
    "snv": snv_targets,
    "rna": rna_targets,
    "actionability": actionability_targets,
    "report": report_targets,
}


# --- execution: resources of every rule, intermediates, input lists (docs/cluster.md) ---
# Each rule declares threads, mem_mb and runtime (minutes). Where a step's needs grow
# with its inputs they are sized from them; every retry (--retries) asks for `attempt`
# times as much, so a job killed for memory or time comes back bigger.
EXECUTION = config.get("execution", {})


def intermediate(path):
    """`path` as temp() (deleted once its consumers ran) unless execution.keep_intermediate."""
    return path if EXECUTION.get("keep_intermediate") else temp(path)


def _plain_mb(path, size_mb):
    # gzip/bgzip FASTA and FASTQ hold about 3.5 bytes of text per stored byte.
    return size_mb * (3.5 if str(path).endswith(".gz") else 1.0)


def _sort_memory_mb():
    value = config["align"]["sort_memory"]
    return int(value[:-1]) * {"K": 1 / 1024, "M": 1, "G": 1024}[value[-1]]


def reference_mem_mb(wildcards, input, attempt):
    # bwa index (bwtsw) needs about 5.4 bytes per reference base.
    return int((1000 + 6 * _plain_mb(input.fasta, input.size_mb)) * attempt)


def reference_runtime(wildcards, input, attempt):
    # bwa index of a 3.1 Gb genome takes about an hour.
    return int((10 + _plain_mb(input.fasta, input.size_mb) / 50) * attempt)


def align_mem_mb(wildcards, input, threads, attempt):
    # bwa mem holds the index (its .bwt, .pac and .sa); samtools sort holds sort_memory per
    # thread.
    index_mb = sum(os.path.getsize(f) for f in input.index) / 1e6 if "index" in input.keys() else 0
    return int((1000 + 1.2 * index_mb + _sort_memory_mb() * threads) * attempt)


def align_runtime(wildcards, input, threads, attempt):
    # About 30 minutes per GB of gzipped reads on one thread (bwa mem, human genome).
    reads_mb = sum(os.path.getsize(input[k]) for k in ("fq1", "fq2") if k in input.keys()) / 1e6
    return int((10 + 30 * reads_mb / 1000 / threads) * attempt)


def cnv_call_mem_mb(wildcards, input, attempt):
    # Measured (docs/cnv.md): 1.4 GB for 5,000 cells x 6,000 bins, 600 MB of counts files.
    return int((1000 + 3 * (input.size_mb + _batched_mb(LIST_PATHS["cnv_counts"](wildcards.patient)))) * attempt)


def cnv_call_runtime(wildcards, input, attempt):
    # About 50 ms per cell at 6,000 bins (docs/cnv.md).
    return int((10 + (input.size_mb + _batched_mb(LIST_PATHS["cnv_counts"](wildcards.patient))) / 10) * attempt)


def cnv_alleles_runtime(wildcards, input, attempt):
    # One bcftools mpileup pass over all the patient's BAMs, then one read pass per BAM.
    return int((10 + (input.size_mb + _batched_mb(LIST_PATHS["cnv_bams"](wildcards.patient))) / 20) * attempt)


def cnv_export_mem_mb(wildcards, input, attempt):
    # Reads the patient's copy-number AnnData (cells x bins) once.
    return int((1000 + 4 * input.size_mb) * attempt)


def snv_mem_mb(wildcards, input, threads, attempt):
    # Each pileup worker holds one window's per-cell base counts.
    return int((2000 + 20 * len(snv_cells(wildcards)) * threads) * attempt)


def snv_runtime(wildcards, input, threads, attempt):
    bams = [cell_bam(c) for c in snv_cells(wildcards)]
    bam_mb = _batched_mb(bams) if BATCHED else sum(os.path.getsize(f) for f in input.bams) / 1e6
    return int((15 + bam_mb / 50 / threads) * attempt)


def rna_mem_mb(wildcards, input, attempt):
    # A count matrix is densified for scoring: allow ten times its size on disk.
    return int((2000 + 10 * input.size_mb) * attempt)


def scaled(mem_mb=1000, runtime=30):
    """Fixed resources, multiplied by the attempt: for steps whose needs hardly vary."""
    return {
        "mem_mb": lambda wildcards, attempt: mem_mb * attempt,
        "runtime": lambda wildcards, attempt: runtime * attempt,
    }


# Aggregation steps read their per-cell inputs from a list file written by rule path_list
# (results/lists/{name}/{key}.txt), never from the command line: a shell command is one
# argument of at most 128 KiB, which about 3,600 per-cell paths fill.
LIST_PATHS = {
    "qc_cells": lambda key: cell_paths("qc", CELLS["cell"]),
    "cnv_counts": lambda key: cell_paths("counts", cells_of(key, assays=STAGE_ASSAYS["cnv"])),
    "cnv_gene_counts": lambda key: cell_paths("genes", cells_of(key, assays=STAGE_ASSAYS["cnv"])),
    "cnv_bams": lambda key: cell_paths("bam", cells_of(key, assays=STAGE_ASSAYS["cnv"])),
    "snv_bams": lambda key: cell_paths("bam", snv_cells(SimpleNamespace(patient=key))),
}


def list_paths(wildcards):
    return LIST_PATHS[wildcards.name](wildcards.key)


# --- per-cell steps: one job per cell, or one job per batch of cells (cells_per_job) ---
# Snakemake's plan grows with its jobs and files (about 0.05 s per cell at three per-cell
# jobs; docs/cluster.md): past a few thousand cells the per-cell steps run as batch jobs of
# up to N cells of one patient's draw (rule cell_batch, `ctcg cells`). A batch tracks one
# manifest; its cells' files are written at the same per-cell paths, untracked, so the
# steps that read them ask for the batch manifests instead.
CELL_PATHS = {
    "bam": "results/bam/{cell}.bam",
    "bai": "results/bam/{cell}.bam.bai",
    "qc": "results/qc/cells/{cell}.tsv",
    "stats": "results/qc/samtools/{cell}.stats",
    "flagstat": "results/qc/samtools/{cell}.flagstat",
    "counts": "results/cnv/counts/{cell}.tsv",
    "genes": "results/cnv/counts/{cell}.genes.tsv",
}
CELL_LOGS = {step: f"logs/{step}/{{cell}}.log" for step in ("align", "qc_cell", "cnv_count")}
AUTO_BATCH_ABOVE_CELLS, AUTO_CELLS_PER_JOB = 1000, 20
CELLS_PER_JOB = EXECUTION.get("cells_per_job", "auto")
if CELLS_PER_JOB == "auto":
    CELLS_PER_JOB = 1 if len(CELLS) <= AUTO_BATCH_ABOVE_CELLS else AUTO_CELLS_PER_JOB
BATCHED = CELLS_PER_JOB > 1


def _cell_batches():
    """Manifest path of each batch -> its cells (sheet order), and each cell -> its manifest."""
    batches, batch_of = {}, {}
    if not BATCHED:
        return batches, batch_of
    for (patient, draw), rows in CELLS.groupby(["patient", "draw"], sort=False):
        cells = list(rows["cell"])
        for start in range(0, len(cells), CELLS_PER_JOB):
            manifest = f"results/cells/{patient}/{draw}/batch{start // CELLS_PER_JOB}.tsv"
            batches[manifest] = cells[start:start + CELLS_PER_JOB]
            batch_of.update(dict.fromkeys(batches[manifest], manifest))
    return batches, batch_of


CELL_BATCHES, BATCH_OF_CELL = _cell_batches()


def cell_paths(kind, cells):
    """The per-cell files of ``kind`` (a CELL_PATHS key) of ``cells``."""
    return [CELL_PATHS[kind].format(cell=c) for c in cells]


def cell_products(kind, cells):
    """What a job reading the per-cell files of ``kind`` depends on: the files themselves
    (per-cell jobs) or the manifests of the batches that write them (batch jobs)."""
    if not BATCHED:
        return cell_paths(kind, cells)
    return list(dict.fromkeys(BATCH_OF_CELL[c] for c in cells))


def _batched_mb(paths):
    """Size of per-cell files that batch jobs wrote (untracked, so not in input.size_mb)."""
    if not BATCHED:
        return 0
    return sum(os.path.getsize(p) for p in paths if os.path.exists(p)) / 1e6


def _batch_cells(wildcards):
    return CELL_BATCHES[f"results/cells/{wildcards.patient}/{wildcards.draw}/batch{wildcards.index}.tsv"]


def cell_batch_inputs(wildcards):
    cells = _batch_cells(wildcards)
    reads = [CELL_ROWS[c][k] for c in cells for k in ("bam", "fq1", "fq2") if CELL_ROWS[c][k]]
    files = {"reads": reads, "fasta": GENOME, "fai": f"{GENOME}.fai", "bins": BINS}
    if any(not CELL_ROWS[c]["bam"] for c in cells):
        files["index"] = BWA_INDEX
    return files


def cell_batch_params(wildcards):
    """The batch for `ctcg cells --params-json`: its cells and the per-cell rules' settings."""
    counted = stage_on("cnv") and cells_of(wildcards.patient, assays=STAGE_ASSAYS["cnv"])
    cnv_cells = set(counted or [])
    cells = [
        {"cell": c, "fq1": CELL_ROWS[c]["fq1"], "fq2": CELL_ROWS[c]["fq2"],
         "bam": CELL_ROWS[c]["bam"], "wga": CELL_ROWS[c]["wga"],
         "assay": CELL_ROWS[c]["assay"], "count": c in cnv_cells}
        for c in _batch_cells(wildcards)
    ]
    return json.dumps({
        "cells": cells,
        "paths": {k: v for k, v in CELL_PATHS.items() if k != "bai"},
        "logs": CELL_LOGS,
        "align": {k: config["align"][k] for k in ("threads", "sort_memory", "strict")},
        "qc": json.loads(qc_params_json(wildcards)),
        "cnv": {"count": json.loads(cnv_count_params_json(wildcards)),
                "genes": cnv_genes_arg(wildcards)},
    })


def cell_batch_runtime(wildcards, input, threads, attempt):
    # As align (30 min per GB of gzipped reads per thread), plus 2 min per cell for QC,
    # samtools stats and bin counts.
    reads_mb = sum(os.path.getsize(f) for f in input.reads) / 1e6
    return int((10 + 30 * reads_mb / 1000 / threads + 2 * len(_batch_cells(wildcards))) * attempt)
