import math

import numpy as np
import pytest

from ctcgenomics.align import align_cell
from ctcgenomics.io.bins import make_bin_table
from ctcgenomics.qc import QCThresholds, cell_qc, mapd_raw, qc_table, to_multiqc
from ctcgenomics.qc._metrics import QC_COLUMNS
from tests._reads import write_pairs


def test_mapd_ignores_copy_number_steps():
    counts = np.r_[np.full(50, 100.0), np.full(50, 300.0)]
    assert mapd_raw(counts) == 0.0


def test_mapd_of_poisson_counts_matches_theory():
    rng = np.random.default_rng(0)
    lam = 400
    counts = rng.poisson(lam, 20_000)
    # log2 ratio of neighbours ~ N(0, sqrt(2/lam)/ln 2); median |x| = 0.6745 sd
    expected = 0.6745 * math.sqrt(2 / lam) / math.log(2)
    assert mapd_raw(counts) == pytest.approx(expected, rel=0.05)


def test_cell_qc_against_known_reads(genome, tmp_path):
    n = 4000
    r1, r2, _ = write_pairs(genome, tmp_path, n, seed=3)
    bam = align_cell(r1, r2, genome, tmp_path / "c.bam", cell="c").bam
    bins = make_bin_table(genome, 200_000)
    bins = bins[bins.n_fraction < 0.1]
    row = cell_qc(bam, bins, cell="c", thresholds=QCThresholds(min_reads=1000))
    assert row["total_reads"] == 2 * n
    assert row["mapped_pct"] > 99
    assert row["insert_size_median"] == 300
    assert row["duplicate_pct"] < 1
    genome_len = 7_843_138
    assert row["mean_depth"] == pytest.approx(2 * n * 100 / genome_len, rel=0.02)
    assert 0 < row["breadth_1x"] <= row["mean_depth"]
    assert row["qc_pass"] and row["qc_reason"] == ""
    strict = cell_qc(bam, bins, cell="c", thresholds=QCThresholds(min_reads=10 * n))
    assert not strict["qc_pass"] and "too few reads" in strict["qc_reason"]


def test_multiqc_table_has_header():
    row = dict.fromkeys(QC_COLUMNS, float("nan")) | {"cell": "c", "total_reads": 5,
                                                     "qc_pass": True, "qc_reason": ""}  # fmt: skip
    text = to_multiqc(qc_table([row]))
    assert text.startswith("# id: 'ctcgenomics_cell_qc'")
    assert "\tpass\t" in text
