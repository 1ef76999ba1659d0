"""Empirical-Bayes rates: a site's prior comes from the other sites, not from itself."""

import numpy as np
import pandas as pd
from synthetic import make_reference, ref_reads, snv_reads, write_bam

import ctcgenomics as ctc
from ctcgenomics.snv._genotype import NOT_EVALUABLE

POS0 = 1000


def _one_carrier_panel(tmp, seq, alt, depth):
    """Three CTCs, CTC0 heterozygous for ``alt`` at POS0 (half its reads), two WBCs."""
    bams, roles = {}, []
    for i in range(3):
        reads = ref_reads(seq, POS0 - 25, depth)
        other = snv_reads(seq, POS0 - 25, POS0, alt, depth) if i == 0 else reads
        bams[f"CTC{i}"] = write_bam(tmp / f"CTC{i}.bam", seq, reads + other, cell=f"CTC{i}")
        roles.append("ctc")
    for i in range(2):
        reads = ref_reads(seq, POS0 - 25, 2 * depth)
        bams[f"WBC{i}"] = write_bam(tmp / f"WBC{i}.bam", seq, reads, cell=f"WBC{i}")
        roles.append("wbc")
    cells = pd.DataFrame({"role": roles, "draw": "D1"}, index=pd.Index(list(bams), name="cell"))
    return bams, cells


def test_single_ctc_variant_gains_confidence_with_depth(tmp_path):
    # Truth: CTC0 carries the allele, CTC1-2 and the WBCs do not. On a one-site panel
    # the site used to raise whichever rate it leaned to (somatic, or CTC0's artefact
    # rate), so the EM settled in either state and the call flipped with depth.
    fa, seq = make_reference(tmp_path)
    alt = "A" if seq[POS0] != "A" else "C"
    p_variant = []
    for depth in (6, 25, 100, 1000):
        tmp = tmp_path / str(depth)
        tmp.mkdir()
        bams, cells = _one_carrier_panel(tmp, seq, alt, depth)
        adata = ctc.snv.call(bams, fa, cells=cells, hotspots=None)
        j = list(adata.var_names).index(f"syn:{POS0 + 1}:{seq[POS0]}>{alt}")
        gt = pd.Series(adata.layers["genotype"][:, j], index=adata.obs_names)
        # never the wrong call: the carrier is not ref/ref, no WBC is a carrier
        assert gt["CTC0"] != 0, depth
        assert set(gt[["WBC0", "WBC1"]]) <= {0, NOT_EVALUABLE}, depth
        p_variant.append(float(adata.var["p_variant"].iloc[j]))
    assert np.all(np.diff(p_variant) >= -1e-6), p_variant
    assert p_variant[-1] > 0.5, p_variant
