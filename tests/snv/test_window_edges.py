"""Indels at the edge of a counting window are called as anywhere else (whole genome)."""

import numpy as np
import pytest
from synthetic import make_reference, ref_reads, write_bam

import ctcgenomics as ctc
from ctcgenomics.snv._pileup import CandidateParams

EDGE = 1000  # max_chunk 1000 on the 3 kb reference: windows [0, 1000), [1000, 2000), ...
N_ALT, N_REF = 8, 8  # per cell, the truth of the simulated reads


def _indel_reads(seq, anchor, kind):
    start = anchor - 24
    if kind == "ins":
        # inserted bases unlike the anchor's, so left-alignment cannot move it off the edge
        base = next(b for b in "ACGT" if b != seq[anchor])
        alt = seq[start : anchor + 1] + 3 * base + seq[anchor + 1 : start + 47]
        cigar = "25M3I22M"
    else:
        alt = seq[start : anchor + 1] + seq[anchor + 4 : start + 53]
        cigar = "25M3D25M"
    return [(start, cigar, alt, i % 2 == 1) for i in range(N_ALT)] + ref_reads(seq, start, N_REF)


def _indels(adata):
    indel = (adata.var["kind"].astype(str) == "indel").to_numpy()
    var = adata.var.loc[indel, ["pos", "ref", "alt"]]
    return var, adata.layers["alt"][:, indel], adata.layers["ref"][:, indel]


@pytest.mark.parametrize("kind", ["ins", "del"])
@pytest.mark.parametrize("anchor", [EDGE - 2, EDGE - 1])  # a deletion crossing; the last base
def test_indel_at_window_edge_is_counted_once_with_all_its_reads(tmp_path, kind, anchor):
    fa, seq = make_reference(tmp_path)
    reads = _indel_reads(seq, anchor, kind)
    bams = {f"c{i}": write_bam(tmp_path / f"c{i}.bam", seq, reads, cell=f"c{i}") for i in (0, 1)}
    edge = ctc.snv.count_alleles(bams, fa, candidate_params=CandidateParams(max_chunk=EDGE))
    whole = ctc.snv.count_alleles(bams, fa)  # one window over the 3 kb: no edge near
    var, alt, ref = _indels(edge)
    assert len(var) == 1, var
    np.testing.assert_array_equal(alt, N_ALT)
    np.testing.assert_array_equal(ref, N_REF)
    # the same record as without a window edge
    assert var.reset_index(drop=True).equals(_indels(whole)[0].reset_index(drop=True))
