"""ctc.pl.timeline on known counts and prevalences."""

from __future__ import annotations

import numpy as np

import ctcgenomics as ctc

DRAWS = [
    {"draw": "D1", "draw_date": "2024-01-01", "ctc_count": 12, "ctc_sequenced": 8,
     "ctc_pass_qc": 6},
    {"draw": "D2", "draw_date": "2024-03-01", "ctc_count": None, "ctc_sequenced": 5,
     "ctc_pass_qc": 4},
]  # fmt: skip


def _series(gene, prevalences):
    points = [
        {"draw": d, "prevalence": p, "ci_low": max(p - 0.1, 0), "ci_high": min(p + 0.1, 1),
         "n_cells_altered": round(p * 4)}
        for d, p in zip(("D1", "D2"), prevalences, strict=True)
    ]  # fmt: skip
    return {"gene": gene, "alteration": "AMP", "points": points}


def test_timeline_counts_and_prevalence_lines():
    series = [_series("ERBB2", [0.25, 0.75]), _series("MYC", [0.0, 0.0])]
    fig = ctc.pl.timeline(DRAWS, series)
    top, bottom = fig.axes[:2]
    heights = [b.get_height() for b in top.patches]
    np.testing.assert_array_equal(heights, [12, np.nan, 8, 5, 6, 4])
    lines = [c for c in bottom.containers]
    assert len(lines) == 1  # MYC never altered: not drawn
    np.testing.assert_allclose(lines[0].lines[0].get_ydata(), [0.25, 0.75])
    assert bottom.get_legend().get_texts()[0].get_text() == "ERBB2 AMP"


def test_timeline_without_alterations_says_so():
    fig = ctc.pl.timeline(DRAWS, [_series("MYC", [0.0, 0.0])])
    assert fig.axes[1].texts[0].get_text() == "no alteration detected"
