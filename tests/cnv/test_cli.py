"""``ctcg cnv`` on counts files and CNVkit files."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from cnv_sim import simulate_counts

import ctcgenomics as ctc
from ctcgenomics.cli import main
from ctcgenomics.cnv._counting import write_counts
from ctcgenomics.io import read_alterations

DATA = __import__("pathlib").Path(__file__).parents[1] / "data" / "cnv"


def test_cnv_call_writes_every_output(tmp_path):
    sim = simulate_counts(seed=6, bias_sd=0.05, bias_length=2.0)
    bins = sim.bins.copy()
    bins_path = tmp_path / "bins.tsv"
    bins.to_csv(bins_path, sep="\t", index=False)
    paths = []
    for i, cell in enumerate(sim.cells.index):
        p = tmp_path / "counts" / f"{cell}.tsv"
        write_counts(p, bins, sim.counts[i], cell=cell)
        paths.append(str(p))
    sheet = sim.cells.reset_index(names="cell")[["patient", "draw", "cell", "role"]]
    sheet["assay"] = "wgs"
    sheet_path = tmp_path / "cells.tsv"
    sheet.to_csv(sheet_path, sep="\t", index=False)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "cnv",
                "call",
                "--counts",
                *paths,
                "--bins",
                str(bins_path),
                "--sheet",
                str(sheet_path),
                "--patient",
                "P1",
                "--outdir",
                str(out),
                "--params-json",
                '{"genes": ["NOSUCHGENE"]}',
            ]
        )
    assert exit_.value.code == 0
    for name in (
        "cnv.h5ad",
        "heatmap.png",
        "profiles.pdf",
        "genes.tsv",
        "segments.tsv",
        "clones.tsv",
        "cells.tsv",
        "alterations.tsv",
    ):
        assert (out / name).stat().st_size > 0, name
    adata = ctc.cnv.read_cnv_h5ad(out / "cnv.h5ad")
    assert adata.uns["ctcgenomics"]["version"] == ctc.__version__
    assert adata.uns["ctcgenomics"]["stage"] == "cnv"
    assert set(adata.layers) >= {"counts", "ratio", "copy_number"}
    assert {
        "ploidy",
        "ploidy_confidence",
        "mapd",
        "overdispersion",
        "n_breakpoints",
        "qc_pass",
        "qc_reason",
        "clone",
    } <= set(adata.obs.columns)
    assert {"chrom", "start", "end", "gc", "mappability", "used"} <= set(adata.var.columns)
    assert isinstance(adata.uns["ctc_cnv"]["segments"], pd.DataFrame)
    acc = (adata.layers["copy_number"] == sim.truth).mean(axis=1)
    assert np.median(acc) > 0.95
    clones = pd.read_csv(out / "clones.tsv", sep="\t")
    assert set(clones["draws"]) == {"D1,D2"}
    assert read_alterations(out / "alterations.tsv").empty  # hg38 genes are not on c1..c6


def test_cnv_call_no_plots_skips_figures_and_matplotlib(tmp_path):
    sim = simulate_counts(seed=7, n_contigs=2, n_wbc=3, n_ctc=2, n_wgd=0)
    bins_path = tmp_path / "bins.tsv"
    sim.bins.to_csv(bins_path, sep="\t", index=False)
    paths = []
    for i, cell in enumerate(sim.cells.index):
        p = tmp_path / "counts" / f"{cell}.tsv"
        write_counts(p, sim.bins, sim.counts[i], cell=cell)
        paths.append(str(p))
    sheet = sim.cells.reset_index(names="cell")[["patient", "draw", "cell", "role"]]
    sheet.to_csv(tmp_path / "cells.tsv", sep="\t", index=False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "heatmap.png").write_bytes(b"from an earlier call")
    argv = [
        "cnv", "call", "--counts", *paths, "--bins", str(bins_path),
        "--sheet", str(tmp_path / "cells.tsv"), "--patient", "P1", "--outdir", str(out),
        "--no-plots",
    ]  # fmt: skip
    # A fresh interpreter: other tests load matplotlib into this one.
    code = (
        "import sys\nfrom ctcgenomics.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as exit_:\n    assert not exit_.code\n"
        "print('matplotlib' in sys.modules, 'scipy.optimize' in sys.modules)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
    )
    # Neither matplotlib nor scipy.optimize (~0.4 s of start-up; allele counts only).
    assert run.stdout.strip() == "False False"
    for name in ("cnv.h5ad", "genes.tsv", "segments.tsv", "clones.tsv", "cells.tsv"):
        assert (out / name).stat().st_size > 0, name
    assert not (out / "heatmap.png").exists()  # stale figure removed
    assert not (out / "profiles.pdf").exists()


def test_cnv_call_rejects_bad_params(tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "cnv",
                "call",
                "--counts",
                "x.tsv",
                "--bins",
                "b.tsv",
                "--sheet",
                "s.tsv",
                "--patient",
                "P1",
                "--outdir",
                str(tmp_path),
                "--params-json",
                '{"no_such_key": 1}',
            ]
        )
    assert exit_.value.code == 1


def test_cnv_genes_from_cnvkit(tmp_path):
    out = tmp_path / "genes.tsv"
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "cnv",
                "genes",
                "--cnr",
                str(DATA / "cnvkit_amplicon_hg19.cnr"),
                "--cns",
                str(DATA / "cnvkit_amplicon_hg19.cns"),
                "--genes",
                "ERBB2,CDKN2A",
                "--out",
                str(out),
            ]
        )
    assert exit_.value.code == 0
    calls = pd.read_csv(out, sep="\t").set_index("gene")
    assert calls.loc["CDKN2A", "call"] == "DELETION"


def test_config_schema_defaults_equal_the_library_defaults():
    """Every CNVConfig field is in the workflow schema with the same default."""
    import dataclasses
    from pathlib import Path

    import yaml

    schema = yaml.safe_load(
        (Path(__file__).parents[2] / "workflow/schemas/config.schema.yaml").read_text()
    )
    cnv = schema["properties"]["cnv"]["properties"]
    bins = schema["properties"]["bins"]["properties"]
    for field in dataclasses.fields(ctc.cnv.CNVConfig):
        entry = cnv.get(field.name) or bins.get(field.name)
        assert entry is not None, f"cnv.{field.name} is not in the config schema"
        default = list(field.default) if isinstance(field.default, tuple) else field.default
        assert entry.get("default") == default, field.name


def test_cnv_call_on_another_build_keeps_the_bins_and_skips_gene_calls(tmp_path):
    # A GRCh37 count table (chr1 tiled to 249,250,621): copy number per bin is called,
    # gene calls (packaged GRCh38 coordinates) are not made, and the log says why.
    rng = np.random.default_rng(0)
    ends = np.r_[np.arange(5_000_000, 249_250_621, 5_000_000), 249_250_621]
    bins = pd.DataFrame({"chrom": "1", "start": np.r_[0, ends[:-1]], "end": ends})
    bins["gc"] = rng.uniform(0.38, 0.46, len(bins))
    bins["n_fraction"] = 0.0
    cells = [f"W{i}" for i in range(4)] + [f"T{i}" for i in range(3)]
    table = bins[["chrom", "start", "end"]].copy()
    for c in cells:
        table[c] = rng.poisson(2000, len(bins))
    table.to_csv(tmp_path / "table.tsv", sep="\t", index=False)
    bins.to_csv(tmp_path / "bins.tsv", sep="\t", index=False)
    sheet = pd.DataFrame(
        {"patient": "P1", "draw": "D1", "cell": cells, "role": ["wbc"] * 4 + ["ctc"] * 3}
    )
    sheet.to_csv(tmp_path / "cells.tsv", sep="\t", index=False)
    out = tmp_path / "out"
    args = ["cnv", "call", "--count-table", str(tmp_path / "table.tsv"), "--bins"]
    args += [str(tmp_path / "bins.tsv"), "--sheet", str(tmp_path / "cells.tsv")]
    args += ["--patient", "P1", "--outdir", str(out), "--no-plots"]
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 0
    adata = ctc.cnv.read_cnv_h5ad(out / "cnv.h5ad")
    assert (np.asarray(adata.layers["copy_number"]) == 2).mean() > 0.95
    assert "not GRCh38" in adata.uns["ctc_cnv"]["gene_calls_skipped"]
    assert pd.read_csv(out / "genes.tsv", sep="\t").empty


def test_cell_sheet_that_misses_the_table_cells_is_named(tmp_path, caplog):
    # A sheet of other IDs made every WBC a CTC of D1 and the run went on without a
    # reference; the log named no cell.
    from ctcgenomics.cli.cmd_cnv import _table_meta

    cells = ["W0", "W1", "T0", "T1"]
    sheet = pd.DataFrame(
        {"patient": "P1", "draw": "D2", "cell": ["w0", "w1", "T0", "T1"], "role": "wbc"}
    )
    sheet.to_csv(tmp_path / "cells.tsv", sep="\t", index=False)
    with caplog.at_level("WARNING"):
        meta = _table_meta(str(tmp_path / "cells.tsv"), "P1", cells, pd.DataFrame(index=cells))
    assert meta["role"].tolist() == ["ctc", "ctc", "wbc", "wbc"]
    assert "2 cell(s) of the count table are not in the cell sheet" in caplog.text
    assert "W0 ~ w0" in caplog.text
    sheet["cell"] = ["S-" + c for c in cells]
    sheet.to_csv(tmp_path / "cells.tsv", sep="\t", index=False)
    table = pd.DataFrame({"chrom": "chr1", "start": [0, 1000], "end": [1000, 2000]})
    for c in cells:
        table[c] = [100, 120]
    table.to_csv(tmp_path / "table.tsv", sep="\t", index=False)
    args = ["cnv", "call", "--count-table", str(tmp_path / "table.tsv"), "--sheet"]
    args += [str(tmp_path / "cells.tsv"), "--patient", "P1", "--outdir", str(tmp_path / "o")]
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code != 0
    assert "none of the count table's 4 cells is in the cell sheet" in caplog.text
    assert not (tmp_path / "o" / "cnv.h5ad").exists()
