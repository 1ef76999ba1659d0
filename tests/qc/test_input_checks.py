"""Public QC, bin and report functions name what is wrong with their input, and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcgenomics as ctc
from tests.conftest import PACKAGED_REFERENCE

BINS = pd.DataFrame({"chrom": ["chr17"], "start": [0], "end": [1000]})


def test_cell_qc_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"BAM nope\.bam of cell c1 does not exist"):
        ctc.qc.cell_qc("nope.bam", BINS, cell="c1")
    (tmp_path / "c1.bam").write_bytes(b"")
    with pytest.raises(ValueError, match=r"bin table lacks column\(s\) \['chrom'"):
        ctc.qc.cell_qc(tmp_path / "c1.bam", pd.DataFrame({"x": [1]}), cell="c1")
    with pytest.raises(ValueError, match="unknown assay 'rna'"):
        ctc.qc.cell_qc(tmp_path / "c1.bam", BINS, cell="c1", assay="rna")
    with pytest.raises(ValueError, match="invalid cell"):
        ctc.qc.cell_qc(tmp_path / "c1.bam", BINS, cell="../c1")


def test_qc_table_and_mapd_inputs():
    with pytest.raises(ValueError, match=r"QC row of cell a lacks \['total_reads'"):
        ctc.qc.qc_table([{"cell": "a"}])
    with pytest.raises(ValueError, match=r"1-D\), got shape \(3, 3\)"):
        ctc.qc.mapd_raw(np.ones((3, 3)))


def test_bin_table_inputs():
    with pytest.raises(FileNotFoundError, match=r"reference FASTA noref\.fa does not exist"):
        ctc.io.bins.make_bin_table("noref.fa", 1000)
    assert len(ctc.io.bins.make_bin_table(PACKAGED_REFERENCE, 1_000_000)) == 8


def test_build_report_takes_loaded_inputs():
    with pytest.raises(TypeError, match=r"takes the LoadedInputs of ctc\.report\.load_inputs"):
        ctc.report.build_report({})
