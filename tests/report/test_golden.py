"""Golden JSON of the demo patient P01, plus checks against the simulation truth.

The demo (``config/example_simulation.yaml``, seed 7) plants: TP53 p.R175H (chr17:7675088
C>T) in every CTC clone (homozygous after the 17p loss) and in no WBC; SLC16A13 p.F158L
only in P01_D2_CTC2p, CTC4p and CTC5p; 4 WGS + 6 panel CTC libraries per draw; CTC counts
14 and 31 in 7.5 mL. Those facts are asserted first, for every part the run has.

The golden file holds the stable content (no timestamps, versions, paths or hashes).
Regenerate it after a deliberate change with

    CTCG_UPDATE_GOLDEN=1 .venv/bin/pytest tests/report/test_golden.py -m slow

and review the diff against the truth above before committing it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "P01_report.json"
VOLATILE = {"generated", "ctcgenomics_version", "tool_versions", "reference", "config_hash",
            "knowledge_base", "kb"}  # fmt: skip
F158L_CELLS = {"P01_D2_CTC2p", "P01_D2_CTC4p", "P01_D2_CTC5p"}

pytestmark = pytest.mark.slow


def stable(value: object) -> object:
    """Drop volatile keys (recursively) and round floats for comparison."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def assert_close(got: object, want: object, path: str = "$") -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict), path
        assert sorted(got) == sorted(want), f"{path}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            assert_close(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: length differs"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_close(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and not isinstance(got, bool):
        assert isinstance(got, int | float), path
        assert math.isclose(got, want, rel_tol=1e-3, abs_tol=1e-6), f"{path}: {got} != {want}"
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


@pytest.fixture(scope="module")
def demo_report(demo_workdir) -> dict:
    return json.loads((Path(demo_workdir) / "results" / "P01" / "report.json").read_text())


def test_demo_report_matches_simulation_truth(demo_report):
    s = demo_report["sections"]
    # The demo has every kind of data: every section must have run, and no stage failed.
    assert {k: v["status"] for k, v in s.items() if v["status"] != "ok"} == {}
    assert s["summary"]["failed"] == {} and s["summary"]["headline"] == ""
    draws = {d["draw"]: d for d in s["summary"]["draws"]}
    assert [d["draw"] for d in s["summary"]["draws"]] == ["D1", "D2"]
    assert (draws["D1"]["ctc_count"], draws["D2"]["ctc_count"]) == (14, 31)
    for d in draws.values():
        assert d["ctc_sequenced"] == 10
        assert {a: c["sequenced"] for a, c in d["by_assay"].items()} == {"panel": 6, "wgs": 4}
    mu = s["mutations"]
    variants = {(v["gene"], v["hgvsp"]): v for v in mu["variants"]}
    r175h = variants[("TP53", "p.R175H")]
    assert r175h["wbc_altered"] == 0
    assert sum(r175h["ctc_altered"]) >= 8  # of 12 panel CTCs, allowing dropout
    carriers = set(mu["carriers"][r175h["variant"]])
    assert carriers and all("CTC" in c for c in carriers)
    if ("SLC16A13", "p.F158L") in variants:
        f158l = variants[("SLC16A13", "p.F158L")]
        assert set(mu["carriers"][f158l["variant"]]) <= F158L_CELLS
        assert f158l["per_draw"][0]["n_cells_altered"] == 0
    cn = s["copy_number"]
    roles = {c["cell"]: c["role"] for c in cn["cells"]}
    assert sum(r == "wbc" for r in roles.values()) == 4
    assert sum(r == "ctc" for r in roles.values()) == 8


def test_demo_report_golden(demo_report):
    got = stable(demo_report)
    if os.environ.get("CTCG_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    assert GOLDEN.is_file(), (
        f"{GOLDEN} is missing; create it with CTCG_UPDATE_GOLDEN=1 (see the module docstring)"
    )
    assert_close(got, json.loads(GOLDEN.read_text()))
