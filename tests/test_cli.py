import subprocess
import sys

import ctcgenomics as ctc
from ctcgenomics.cli import build_parser


def test_api_is_importable_lazily():
    assert ctc.__version__
    assert hasattr(ctc.align, "align_cell") and hasattr(ctc.qc, "cell_qc")


def test_every_subcommand_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"align", "qc", "reference", "bins"} <= set(sub.choices)
    for name in sub.choices:
        out = subprocess.run(
            [sys.executable, "-m", "ctcgenomics", name, "--help"], capture_output=True, text=True
        )
        assert out.returncode == 0, (name, out.stderr)
        assert "usage: ctcg" in out.stdout


def test_error_is_one_clear_line(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ctcgenomics",
            "bins",
            "--reference",
            str(tmp_path / "missing.fa"),
            "--size",
            "1000",
            "--out",
            str(tmp_path / "b.tsv"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "b.tsv").exists()


def test_cli_start_up_does_not_import_heavy_libraries():
    # `ctcg <step>` runs once per cell in the workflow: start-up must stay cheap, so
    # command modules import the library lazily inside their functions.
    code = (
        "import sys; from ctcgenomics.cli import build_parser; build_parser(); "
        "heavy = [m for m in ('scanpy', 'anndata', 'scipy', 'matplotlib', 'sklearn', 'pysam', "
        "'pandas', 'numpy', 'jsonschema', 'yaml') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
