"""The workflow refuses a misspelled config key and never reuses a stale reference."""

from __future__ import annotations

import pysam
import yaml

from tests.conftest import PACKAGED_REFERENCE, run_snakemake
from tests.workflow.conftest import PATIENTS, write_config

GENOME = "resources/reference/genome.fa"


def _sheets(work, tiny_reads):
    fq = tiny_reads / "fastq"
    (work / "cells.tsv").write_text(
        "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\n"
        f"T1\tD1\tT1_D1_CTC1\twgs\tctc\tMDA\t{fq}/T1_D1_CTC1_R1.fastq.gz"
        f"\t{fq}/T1_D1_CTC1_R2.fastq.gz\n"
    )
    (work / "patients.tsv").write_text(PATIENTS)


def test_misspelled_keys_stop_the_run(tiny_reads, tmp_path):
    _sheets(tmp_path, tiny_reads)
    config = write_config(tmp_path)
    cfg = yaml.safe_load(config.read_text())
    cfg["qc"]["wgs"]["min_read"] = 5
    config.write_text(yaml.safe_dump(cfg))
    proc = run_snakemake(tmp_path, "--configfile", str(config), "-n", check=False)
    assert proc.returncode != 0
    assert (
        "unknown key 'min_read' in qc.wgs (did you mean 'min_reads'?)" in proc.stdout + proc.stderr
    )


def _fasta(path, start: int, mutate: bool = False) -> None:
    with pysam.FastaFile(str(PACKAGED_REFERENCE)) as ref:
        seq = ref.fetch("chr17", start, start + 20_000)
    if mutate:
        seq = seq[:100] + ("A" if seq[100] != "A" else "C") + seq[101:]
    path.write_text(">chr17\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + "\n")


def _plans_reference(work, config) -> bool:
    proc = run_snakemake(work, "--configfile", str(config), "-n", GENOME)
    return "prepare_reference" in proc.stdout + proc.stderr


def test_reference_identity_triggers_a_rebuild(tiny_reads, tmp_path):
    """Another FASTA, new content at the same path, or a missing file are never ignored."""
    _sheets(tmp_path, tiny_reads)
    _fasta(tmp_path / "ref.fa", 1_000_000)
    config = write_config(tmp_path, reference={"fasta": "ref.fa"})
    run_snakemake(tmp_path, "--configfile", str(config), "-p", GENOME)
    assert not _plans_reference(tmp_path, config)  # built and unchanged: nothing to do

    _fasta(tmp_path / "ref.fa", 1_000_000, mutate=True)  # same path, one base changed
    assert _plans_reference(tmp_path, config)
    run_snakemake(tmp_path, "--configfile", str(config), "-p", GENOME)
    assert not _plans_reference(tmp_path, config)

    _fasta(tmp_path / "other.fa", 2_000_000)  # another file
    other = write_config(tmp_path, reference={"fasta": "other.fa"})
    assert _plans_reference(tmp_path, other)

    missing = write_config(tmp_path, reference={"fasta": "gone.fa"})
    proc = run_snakemake(tmp_path, "--configfile", str(missing), "-n", GENOME, check=False)
    assert proc.returncode != 0
    assert "reference FASTA gone.fa does not exist; fix config key reference.fasta" in (
        proc.stdout + proc.stderr
    )
