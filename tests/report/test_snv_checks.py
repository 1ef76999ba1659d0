"""The SNV stage's data checks (same-person verdicts, switched libraries) in the report."""

from __future__ import annotations

from html.parser import HTMLParser

import anndata as ad
import pandas as pd
import pytest

from ctcgenomics.report import make_report
from tests.report.synthetic import build_patient

HOSTILE = 'P01_D2_CTC3p<script>alert("x")</script>&'


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _with_checks(root, identity: pd.DataFrame | None, library: pd.DataFrame | None):
    inputs = build_patient(root)
    adata = ad.read_h5ad(inputs.snv)
    uns = {}
    if identity is not None:
        uns["identity_check"] = identity
    if library is not None:
        uns["library_check"] = library
    adata.uns["snv"] = uns
    adata.write_h5ad(inputs.snv)
    return inputs


def _identity() -> pd.DataFrame:
    rows = [
        ("P01_D1_CTC1p", "ctc", "pooled WBCs", 120, 2, 1.4, 0.41, "same"),
        (HOSTILE, "ctc", "pooled WBCs", 95, 31, 0.6, 1e-40, "different"),
        ("P01_D1_CTC2p", "ctc", "pooled WBCs", 12, 0, 0.1, 1.0, "not evaluable"),
        ("P01_D1_WBC1p", "wbc", "other WBCs", 80, 1, 0.9, 0.6, "same"),
    ]
    cols = ["cell", "role", "against", "n_informative", "n_opposite", "expected", "p_value",
            "verdict"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _library() -> pd.DataFrame:
    return pd.DataFrame(
        {"cell": ["P01_D1_WBC1p", "P01_D1_CTC1p"], "declared": ["MDA", "MDA"],
         "used": ["none", "MDA"], "rho": [0.001, 0.12], "statistic": [42.5, 0.3],
         "overdispersed": [0.0, 30.0], "n_sites": [57, 60]}
    )  # fmt: skip


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    inputs = _with_checks(tmp_path_factory.mktemp("checks"), _identity(), _library())
    return make_report(inputs, "P01")


def test_different_verdict_gives_an_escaped_warning(checked):
    mu = checked.data["sections"]["mutations"]
    assert len(mu["identity_warnings"]) == 1
    warning = mu["identity_warnings"][0]
    assert HOSTILE in warning and "31 of 95 informative sites" in warning
    assert "~0.6 expected" in warning and "check the sample sheet" in warning
    html = checked.to_html()
    parser = _Text()
    parser.feed(html)
    assert "script" not in parser.tags
    text = "".join(parser.text)
    assert f"CTC {HOSTILE} and the WBCs look like different individuals" in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in html
    assert 'class="flag identity"' in html


def test_sample_swap_is_in_the_summary(checked):
    html = checked.to_html()
    summary = html.split('<section id="summary">')[1].split("</section>")[0]
    assert "Possible sample swap (see Mutations)." in summary
    assert "&lt;script&gt;" in summary and "<script>" not in summary


def test_identity_table_keeps_not_evaluable(checked):
    mu = checked.data["sections"]["mutations"]
    verdicts = {r["cell"]: r["verdict"] for r in mu["identity"]}
    assert verdicts["P01_D1_CTC2p"] == "not evaluable"
    html = checked.to_html()
    row = next(tr for tr in html.split("<tr") if "<td>P01_D1_CTC2p</td>" in tr)
    assert "not evaluable" in row and "same person" not in row


def test_switched_library_is_listed(checked):
    switched = checked.data["sections"]["mutations"]["library_switched"]
    assert [r["cell"] for r in switched] == ["P01_D1_WBC1p"]
    text = checked.to_html()
    assert "Library of P01_D1_WBC1p: declared MDA, modelled as none" in text
    assert "Library of P01_D1_CTC1p" not in text


@pytest.mark.parametrize("identity", [None, "empty", "malformed"])
def test_absent_or_old_checks_render_without_them(tmp_path, identity):
    table = {
        None: None,
        "empty": _identity().iloc[:0],
        "malformed": _identity().drop(columns="verdict"),
    }[identity]
    report = make_report(_with_checks(tmp_path, table, None), "P01")
    mu = report.data["sections"]["mutations"]
    assert mu["status"] == "ok"
    assert (mu["identity"], mu["identity_warnings"], mu["library_switched"]) == ([], [], [])
    html = report.to_html()
    assert "Data checks" not in html and "different individuals" not in html


def test_snv_not_run_has_no_checks(tmp_path):
    inputs = build_patient(tmp_path, with_stages=("qc", "cnv", "rna", "actionability"))
    report = make_report(inputs, "P01")
    assert report.data["sections"]["mutations"]["status"] == "not_run"
    assert "Data checks" not in report.to_html()


def test_switched_library_gives_its_posterior_when_the_output_has_it(tmp_path):
    library = _library().assign(p_unamplified=[0.993, 0.002])
    report = make_report(_with_checks(tmp_path, None, library), "P01")
    switched = report.data["sections"]["mutations"]["library_switched"]
    assert [r["p_unamplified"] for r in switched] == [0.993]
    assert "posterior probability of an unamplified library 0.993" in report.to_html()
