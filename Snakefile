# ctcgenomics: single-cell genomics of circulating tumour cells.
# Wiring only: rules live in workflow/rules/, logic in the ctcgenomics package.
from snakemake.utils import min_version

min_version("8.10")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/example.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/align.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/cnv.smk"
include: "workflow/rules/snv.smk"
include: "workflow/rules/rna.smk"
include: "workflow/rules/actionability.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        all_targets,
    default_target: True
