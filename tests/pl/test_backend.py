"""The figures never choose a matplotlib backend, and importing them loads no matplotlib."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO

DRAW = """
import sys, numpy as np, pandas as pd, anndata as ad
import ctcgenomics as ctc
assert "matplotlib" not in sys.modules, "ctc.pl loaded matplotlib on import"
{setup}
cn = np.array([[2, 2, 3, 3], [2, 2, 2, 2], [1, 1, 2, 2]], float)
obs = pd.DataFrame({"role": ["ctc", "wbc", "ctc"]}, index=["a", "b", "c"])
var = pd.DataFrame({"chrom": ["chr1", "chr1", "chr2", "chr2"]}, index=list("wxyz"))
cnv = ad.AnnData(obs=obs, var=var, layers={"copy_number": cn})
ctc.pl.cnv_heatmap(cnv, save="heat.png")
snv = ad.AnnData(obs=obs, var=var, layers={"genotype": (cn - 1).astype(int)})
ctc.pl.genotype_matrix(snv, variants=None, save="gt.png")
ctc.pl.emt_stemness(obs.assign(emt_score=1.0, stemness=0.0, cell_class="CTC"), save="emt.svg")
import matplotlib
print(matplotlib.rcParams._get_backend_or_none() if {chosen} else matplotlib.get_backend())
"""


def _run(tmp_path, code, env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=tmp_path, env=env).stdout.strip()  # fmt: skip


def test_figures_leave_the_backend_unset_and_unchanged(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = str(REPO)
    # No backend configured: drawing and saving resolve none (no GUI is started).
    code = DRAW.replace("{setup}", "").replace("{chosen}", "True")
    assert _run(tmp_path, code, env) == "None"
    assert {p.name for p in tmp_path.iterdir()} == {"heat.png", "gt.png", "emt.svg"}
    # A notebook's own (non-Agg) backend is kept.
    setup = "import matplotlib; matplotlib.use('pdf')"
    code = DRAW.replace("{setup}", setup).replace("{chosen}", "False")
    assert _run(tmp_path, code, env) == "pdf"
    assert (tmp_path / "heat.png").read_bytes()[:4] == b"\x89PNG"
