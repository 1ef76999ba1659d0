"""The workflow runs as a Snakemake module from another directory (snakemake-workflows)."""

from __future__ import annotations

from tests.conftest import REPO, run_snakemake
from tests.workflow.conftest import PATIENTS, write_config


def test_used_as_a_module_from_another_directory(tiny_reads, tmp_path):
    fq = tiny_reads / "fastq"
    (tmp_path / "cells.tsv").write_text(
        "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\n"
        f"T1\tD1\tT1_D1_CTC1\twgs\tctc\tMDA\t{fq}/T1_D1_CTC1_R1.fastq.gz"
        f"\t{fq}/T1_D1_CTC1_R2.fastq.gz\n"
    )
    (tmp_path / "patients.tsv").write_text(PATIENTS)
    write_config(tmp_path, stages={"cnv": True, "snv": True, "rna": True})
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(
        'configfile: "config.yaml"\n\n\n'
        "module ctcgenomics:\n"
        f'    snakefile:\n        "{REPO / "workflow" / "Snakefile"}"\n'
        "    config:\n        config\n\n\n"
        "use rule * from ctcgenomics as ctcg_*\n\n\n"
        "rule all:\n    input:\n        rules.ctcg_all.input,\n    default_target: True\n"
    )
    proc = run_snakemake(tmp_path, "--snakefile", str(snakefile), "-n")
    out = proc.stdout + proc.stderr
    for rule in ("ctcg_align", "ctcg_cnv_call", "ctcg_report"):
        assert rule in out, rule
