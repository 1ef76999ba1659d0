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


def test_cnv_count_does_not_import_pandas(tmp_path):
    # The per-cell counting job: pandas would be most of its run time.
    import pandas as pd
    import pysam

    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 2000}]}
    bam = tmp_path / "c.bam"
    with pysam.AlignmentFile(str(bam), "wb", header=header) as out:
        seg = pysam.AlignedSegment(out.header)
        seg.query_name, seg.reference_id, seg.reference_start = "r1", 0, 100
        seg.mapping_quality, seg.cigarstring, seg.query_sequence = 60, "10M", "ACGTACGTAC"
        out.write(seg)
    pysam.index(str(bam))
    bins = tmp_path / "bins.tsv"
    pd.DataFrame(
        {"chrom": "chr1", "start": [0, 1000], "end": [1000, 2000], "gc": 0.4, "n_fraction": 0.0}
    ).to_csv(bins, sep="\t", index=False)
    code = (
        "import sys; from ctcgenomics.cli import main\n"
        "try:\n"
        f"    main(['cnv', 'count', '--bam', {str(bam)!r}, '--bins', {str(bins)!r}, "
        f"'--cell', 'C1', '--out', {str(tmp_path / 'c.tsv')!r}])\n"
        "except SystemExit as end:\n"
        "    print(end.code, 'pandas' in sys.modules, 'anndata' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "False", "False"], out.stderr
    assert (tmp_path / "c.tsv").read_text().splitlines()[-2:] == [
        "chr1\t0\t1000\t1",
        "chr1\t1000\t2000\t0",
    ]
