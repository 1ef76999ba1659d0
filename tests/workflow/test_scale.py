"""Cohort scale without a cluster: input lists instead of argument lists, declared resources."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from ctcgenomics.cli import main
from tests.conftest import REPO, run_snakemake, snakemake_env
from tests.workflow.conftest import PATIENTS, write_config

QC_HEADER = "cell\ttotal_reads\tqc_pass\tqc_reason\n"


def test_qc_merge_reads_5000_files_from_a_list(tmp_path):
    """5,000 per-cell QC rows (about 190 KiB of paths: more than one argument may hold)."""
    cells = [f"P{i // 100:03d}_D1_CTC{i % 100:03d}" for i in range(5000)]
    paths = []
    for i, cell in enumerate(cells):
        path = tmp_path / "results/qc/cells" / f"{cell}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(QC_HEADER + f"{cell}\t{1000 + i}\t{i % 7 != 0}\t\n")
        paths.append(str(path))
    assert len("".join(f"'{p}' " for p in paths)) > 128 * 1024
    listing = tmp_path / "qc_cells.txt"
    listing.write_text("".join(f"{p}\n" for p in paths))
    with pytest.raises(SystemExit) as exc:
        main(["qc", "merge", "--inputs-from", str(listing), "--out", str(tmp_path / "qc.tsv")])
    assert exc.value.code == 0
    table = pd.read_csv(tmp_path / "qc.tsv", sep="\t")
    assert list(table["cell"]) == cells
    assert list(table["total_reads"]) == [1000 + i for i in range(5000)]
    assert (~table["qc_pass"]).sum() == len(range(0, 5000, 7))


def test_empty_input_list_is_a_clear_error(tmp_path, caplog):
    listing = tmp_path / "none.txt"
    listing.write_text("# no cells\n\n")
    with pytest.raises(SystemExit) as exc:
        main(["qc", "merge", "--inputs-from", str(listing), "--out", str(tmp_path / "qc.tsv")])
    assert exc.value.code == 1
    assert f"{listing} (--inputs-from) lists no files" in caplog.text
    assert not (tmp_path / "qc.tsv").exists()


def test_aggregation_commands_do_not_list_per_cell_files(tmp_path):
    """The shell commands of qc_merge, cnv_call and snv stay short whatever the cohort."""
    for name in ("config", "ctcgenomics", "example"):
        (tmp_path / name).symlink_to(REPO / name)
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
         "--directory", str(tmp_path), "--dry-run", "--printshellcmds"],
        capture_output=True, text=True, env=snakemake_env(), check=True,
    )  # fmt: skip
    text = proc.stdout + proc.stderr
    commands = re.findall(r"(ctcg (?:qc merge|cnv call|snv) .*)$", text, re.MULTILINE)
    assert len(commands) == 3, text[-3000:]
    for command in commands:
        assert "-from results/lists/" in command
        assert "results/qc/cells/" not in command
        assert "results/cnv/counts/" not in command
        assert "results/bam/" not in command


def _rule_blocks() -> dict[str, str]:
    blocks = {}
    for path in sorted((REPO / "workflow/rules").glob("*.smk")):
        text = path.read_text()
        starts = [m.start() for m in re.finditer(r"^ *rule \w+:", text, re.MULTILINE)]
        for start, end in zip(starts, [*starts[1:], len(text)], strict=False):
            name = re.match(r" *rule (\w+):", text[start:]).group(1)
            blocks[name] = text[start:end]
    return blocks


def test_every_rule_declares_threads_memory_and_runtime():
    blocks = _rule_blocks()
    assert {"align", "qc_cell", "cnv_count", "cnv_call", "snv", "report"} <= set(blocks)
    for name, block in blocks.items():
        assert "threads:" in block, name
        assert "**scaled(" in block or ("mem_mb=" in block and "runtime=" in block), name
    for name in ("align", "qc_cell", "cnv_count"):
        assert re.search(r'group:\s+"per_cell"', blocks[name]), name


@pytest.mark.slow
def test_keep_intermediate_keeps_per_cell_tables(tiny_reads, tmp_path):
    """Per-cell tables and lists are temp() unless `execution.keep_intermediate`."""
    fq = tiny_reads / "fastq"
    (tmp_path / "cells.tsv").write_text(
        "patient\tdraw\tcell\tassay\trole\twga\tfq1\tfq2\n"
        f"T1\tD1\tT1_D1_CTC1\twgs\tctc\tMDA\t{fq / 'T1_D1_CTC1_R1.fastq.gz'}"
        f"\t{fq / 'T1_D1_CTC1_R2.fastq.gz'}\n"
    )
    (tmp_path / "patients.tsv").write_text(PATIENTS)
    config = write_config(tmp_path, execution={"keep_intermediate": True})
    run_snakemake(tmp_path, "--configfile", str(config))
    assert (tmp_path / "results/qc/cells/T1_D1_CTC1.tsv").exists()
    listed = (tmp_path / "results/lists/qc_cells/all.txt").read_text().split()
    assert listed == ["results/qc/cells/T1_D1_CTC1.tsv"]
    # Without the switch (the default) the same run deletes them once merged.
    config = write_config(tmp_path)
    run_snakemake(tmp_path, "--configfile", str(config), "--forcerun", "qc_cell")
    assert not (tmp_path / "results/qc/cells/T1_D1_CTC1.tsv").exists()
    assert not (tmp_path / "results/lists/qc_cells/all.txt").exists()
    assert (tmp_path / "results/qc/qc.tsv").exists()
