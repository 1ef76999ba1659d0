import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from simdata import panel_spec, simulate_and_align


@pytest.fixture(scope="session")
def panel_data(tmp_path_factory):
    """10 CTCs + 2 WBCs, panel around planted variants (about 25 s to simulate and align)."""
    work = tmp_path_factory.mktemp("snv_panel")
    spec = panel_spec(work)
    data = simulate_and_align(spec, work)
    cells = pd.DataFrame(
        {"role": [c["role"] for c in spec["cells"]], "draw": "D1"},
        index=[c["id"] for c in spec["cells"]],
    )
    data["cells"] = cells
    data["work"] = work
    return data


@pytest.fixture(scope="session")
def panel_calls(panel_data):
    import ctcgenomics as ctc

    return ctc.snv.call(
        panel_data["bams"],
        panel_data["reference"],
        cells=panel_data["cells"],
        targets=panel_data["targets"],
    )
