"""Start-up cost of `ctcg snv`: no plotting or single-cell analysis stack on its path.

Issue 19 (performance): for a panel the command's run time is mostly Python start-up,
so `ctcg snv` must import only what it uses. Each check runs in a fresh interpreter.
"""

import subprocess
import sys

from synthetic import make_reference, snv_cells, snv_command

# Never needed unless a figure is asked for (matplotlib) or never needed at all.
HEAVY = ("matplotlib", "scanpy", "sklearn", "statsmodels", "numba", "seaborn")


def _modules_after(code: str) -> set[str]:
    """Run ``code`` in a fresh interpreter; return the top-level modules it imported."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def test_snv_help_imports_only_its_command_module():
    mods = _modules_after(
        "from ctcgenomics.cli import main\n"
        "try:\n"
        "    main(['snv', '--help'])\n"
        "except SystemExit as end:\n"
        "    assert end.code == 0, end.code\n"
    )
    commands = {m for m in mods if m.startswith("ctcgenomics.cli.cmd_")}
    assert commands == {"ctcgenomics.cli.cmd_snv"}
    loaded = {m.split(".")[0] for m in mods}
    assert not loaded & {*HEAVY, "anndata", "pandas", "numpy", "scipy", "pysam"}


def test_importing_the_snv_library_loads_anndata_only_when_an_anndata_is_made():
    # anndata (with zarr and h5py) is a third of the command's start-up: the snv modules
    # import it where an AnnData is built or read, and workers count meanwhile.
    loaded = {m.split(".")[0] for m in _modules_after("import ctcgenomics.snv")}
    assert not loaded & {*HEAVY, "anndata", "zarr", "h5py"}


def test_full_help_still_lists_every_command():
    out = subprocess.run(
        [sys.executable, "-m", "ctcgenomics", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    for name in ("align", "bins", "cnv", "kb", "match", "qc", "report", "rna", "snv"):
        assert f"\n    {name} " in out.stdout, name


def test_snv_run_does_not_import_plotting_or_analysis_stack(tmp_path):
    # The whole command on a few tiny cells, no figure asked: matplotlib and scanpy stay out.
    fa, seq = make_reference(tmp_path)
    bams, sheet, _ = snv_cells(tmp_path, seq, n_ctc=2, n_wbc=1)
    out = tmp_path / "out"
    args = snv_command(bams, fa, sheet, out)
    mods = _modules_after(
        "from ctcgenomics.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as end:\n"
        "    assert end.code == 0, end.code\n"
    )
    assert (out / "snv.h5ad").exists() and (out / "alterations.tsv").exists()
    assert not {m.split(".")[0] for m in mods} & set(HEAVY)
    # scipy.stats (most of a second: every distribution is built at import) is not needed
    # for a run without strand-biased candidates; the model uses scipy.special only.
    assert "scipy.stats" not in mods
    # Only the snv command module, and no other subpackage's analysis code.
    assert {m for m in mods if m.startswith("ctcgenomics.cli.cmd_")} == {"ctcgenomics.cli.cmd_snv"}
    assert not {m for m in mods if m.startswith(("ctcgenomics.cnv", "ctcgenomics.rna"))}


def test_hgvsp_parser_loads_no_other_actionability_module():
    # The alterations table of `ctcg snv` checks protein changes with this parser; the
    # knowledge base, matcher and report modules of the package are not needed for it.
    mods = _modules_after("import ctcgenomics.actionability._hgvs")
    used = {m for m in mods if m.startswith("ctcgenomics.actionability.")}
    assert used == {"ctcgenomics.actionability._hgvs"}, used
