"""Open reports in headless Chromium: every section and figure renders, nothing is fetched.

Playwright drives the system Chromium (Debian ``chromium``, installed by ``make test``);
no browser is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ctcgenomics.report import make_report, write_report
from ctcgenomics.report._report import SECTIONS
from tests.report.browser import open_report
from tests.report.synthetic import build_patient
from tests.report.test_escaping import EVIDENCE, THERAPY

pytestmark = pytest.mark.browser


def _check_page(html: Path, tmp_path: Path, figures: set[str]):
    shot = tmp_path / "report.png"
    page = open_report(html, shot, tmp_path / "chromium-profile")
    own = html.resolve().as_uri()
    assert [u for u in page.requests if u != own and not u.startswith("data:")] == []
    assert page.console_errors == [] and page.page_errors == []
    assert page.section_ids == list(SECTIONS)
    assert {i["id"].removeprefix("fig-") for i in page.images} == figures
    assert all(i["complete"] and i["w"] > 0 and i["h"] > 0 for i in page.images)
    assert shot.stat().st_size > 10_000
    return page


def test_synthetic_report_in_chromium(tmp_path):
    inputs = build_patient(tmp_path / "in", therapy=THERAPY, evidence=EVIDENCE)
    report = make_report(inputs, "P01")
    html = tmp_path / "report.html"
    write_report(report, html, tmp_path / "report.json")
    page = _check_page(html, tmp_path, {"cnv_heatmap", "genotype_matrix", "emt_stemness",
                                        "timeline"})  # fmt: skip
    # hostile free text is displayed literally (and its <img src=x> was never requested)
    assert THERAPY in page.text and EVIDENCE in page.text


@pytest.mark.slow
def test_demo_report_in_chromium(demo_workdir, tmp_path):
    html = Path(demo_workdir) / "results" / "P01" / "report.html"
    report_json = html.with_suffix(".json")
    import json

    data = json.loads(report_json.read_text())
    expected = {f for sec in data["sections"].values() for f in sec.get("figures", [])}
    _check_page(html, tmp_path, expected)
