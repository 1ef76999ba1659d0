"""Free text from the sheets and tables reaches the page as text, never as markup."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from ctcgenomics.report import make_report
from tests.report.synthetic import build_patient

THERAPY = '<script>alert("x")</script> letrozole & \'palbociclib\' "q"'
EVIDENCE = "<img src=x onerror=alert(1)> CN 8 & more"


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def hostile_html(tmp_path_factory):
    inputs = build_patient(tmp_path_factory.mktemp("hostile"), therapy=THERAPY, evidence=EVIDENCE)
    return make_report(inputs, "P01").to_html()


def test_no_injected_elements(hostile_html):
    parser = _Collector()
    parser.feed(hostile_html)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags
    imgs = [a for t, a in parser.tags if t == "img"]
    assert imgs and all(a["src"].startswith("data:image/png;base64,") for a in imgs)
    assert not any("onerror" in a for _, a in parser.tags)


def test_values_shown_as_text(hostile_html):
    parser = _Collector()
    parser.feed(hostile_html)
    text = "".join(parser.text)
    # the parser unescapes entities: the reader sees exactly what was in the sheet
    assert THERAPY in text
    assert EVIDENCE in text
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; letrozole &amp; &#39;palbociclib&#39;"
        in (hostile_html)
    )
