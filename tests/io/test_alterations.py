import math

import pytest

from ctcgenomics.io import (
    AlterationTableError,
    alteration_row,
    alterations_frame,
    prevalence_ci,
    read_alterations,
    write_alterations,
)


def test_wilson_interval_matches_closed_form():
    # Wilson score interval for 3/8 at 95%, from its closed form.
    n, k, z = 8, 3, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    prev, low, high = prevalence_ci(k, n)
    assert prev == pytest.approx(0.375)
    assert low == pytest.approx(centre - half) and high == pytest.approx(centre + half)


def test_no_evaluable_cells_gives_nan():
    assert all(math.isnan(v) for v in prevalence_ci(0, 0))


def test_bad_counts():
    with pytest.raises(ValueError):
        prevalence_ci(5, 3)
    with pytest.raises(AlterationTableError, match="unknown alteration kind"):
        alteration_row(
            patient="P",
            draw="D",
            gene="G",
            alteration="X",
            kind="cnv",
            n_cells_altered=1,
            n_cells_evaluable=2,
        )


def test_round_trip_and_validation(tmp_path):
    rows = [
        alteration_row(
            patient="P1",
            draw="D1",
            gene="ERBB2",
            alteration="AMPLIFICATION",
            kind="copy_number",
            n_cells_altered=4,
            n_cells_evaluable=5,
        )
    ]
    path = tmp_path / "alt.tsv"
    write_alterations(alterations_frame(rows), path)
    back = read_alterations(path)
    assert back.loc[0, "gene"] == "ERBB2" and back.loc[0, "prevalence"] == pytest.approx(0.8)
    text = path.read_text().replace("copy_number", "cnv")
    path.write_text(text)
    with pytest.raises(AlterationTableError, match="line 2: kind 'cnv'"):
        read_alterations(path)
