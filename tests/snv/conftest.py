import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from simdata import panel_spec, population_vcf, simulate_and_align

DEEP_WBCS = ["P1_WBC1", "P1_WBC2"]
SHALLOW_WBCS = ["P1_sWBC1", "P1_sWBC2"]


@pytest.fixture(scope="session")
def panel_data(tmp_path_factory):
    """10 CTCs, 2 WBCs at 30-80x and 2 at 6x; dropout 10-40 % varying along the genome,
    MDA amplification errors, germline SNPs at 1e-3 per base (about 40 s to simulate and
    align)."""
    work = tmp_path_factory.mktemp("snv_panel")
    spec = panel_spec(
        work,
        n_shallow_wbc=2,
        dropout=(0.1, 0.4),
        dropout_varies=True,
        het_snp_rate=1e-3,
        n_background=10,
    )
    data = simulate_and_align(spec, work)
    cells = pd.DataFrame(
        {"role": [c["role"] for c in spec["cells"]], "draw": "D1"},
        index=[c["id"] for c in spec["cells"]],
    )
    data["cells"] = cells
    data["work"] = work
    data["population"] = population_vcf(data["truth"], work / "population.vcf", seed=11)
    return data


def call_subset(data, cells, **kw):
    import ctcgenomics as ctc

    return ctc.snv.call(
        {c: data["bams"][c] for c in cells},
        data["reference"],
        cells=data["cells"].loc[cells],
        targets=data["targets"],
        **kw,
    )


@pytest.fixture(scope="session")
def panel_calls(panel_data):
    """The 10 CTCs with the 2 deep WBCs, no population VCF."""
    ctcs = [c for c, r in panel_data["cells"]["role"].items() if r == "ctc"]
    return call_subset(panel_data, ctcs + DEEP_WBCS)
