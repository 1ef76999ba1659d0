# Loads and validates the config and the sample sheets; input functions shared by rules.
import hashlib
import json
from pathlib import Path

from snakemake.utils import validate

from ctcgenomics.io.sheets import check_sheets_agree, read_cell_sheet, read_patient_sheet


validate(config, "../schemas/config.schema.yaml", set_default=True)

# Reads of the simulated example are produced by the workflow itself; real data must exist.
CELLS = read_cell_sheet(config["cells"], check_files=not config.get("example_simulation"))
PATIENTS = read_patient_sheet(config["patients"])
check_sheets_agree(CELLS, PATIENTS, cells_path=config["cells"])

REF_DIR = "resources/reference"
GENOME = f"{REF_DIR}/genome.fa"
BWA_INDEX = multiext(GENOME, ".amb", ".ann", ".bwt", ".pac", ".sa")
BIN_SIZE = config["bins"]["size"]
BINS = f"{REF_DIR}/bins_{BIN_SIZE}.tsv"
# A short hash of the whole validated config, printed in reports (methods section).
CONFIG_HASH = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]

# Each stage file registers a function returning its final targets; `rule all` asks for
# the targets of the stages switched on in config["stages"].
STAGE_TARGETS = {}


wildcard_constraints:
    cell="[A-Za-z0-9_.-]+",
    patient="[A-Za-z0-9_.-]+",


def stage_on(stage):
    return config["stages"].get(stage, True)


def all_targets(wildcards):
    targets = []
    for stage, func in STAGE_TARGETS.items():
        if stage_on(stage) or stage == "qc":
            targets.extend(func())
    return targets


def cells_of(patient=None, assays=None, roles=None):
    """Cell IDs of a patient (all patients if None), optionally filtered by assay/role."""
    sel = CELLS
    if patient is not None:
        sel = sel[sel["patient"] == patient]
    if assays is not None:
        sel = sel[sel["assay"].isin(assays)]
    if roles is not None:
        sel = sel[sel["role"].isin(roles)]
    return list(sel["cell"])


def patients_with(assays):
    return sorted(CELLS.loc[CELLS["assay"].isin(assays), "patient"].unique())


def cell_bam(cell):
    return f"results/bam/{cell}.bam"
