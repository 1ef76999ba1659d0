"""Same-person check of the CTCs against the WBCs (ctcgenomics/snv/_identity.py).

Known truth: count-level pairs of one person or of two people (test_real_pair.py), the
simulated panel of the suite (10 CTCs with dropout 10-40 % varying along the genome, 2
deep WBCs: one person), and too small a region.
"""

import numpy as np
import pandas as pd
import pysam
from test_real_pair import DATA, _call, _pair_counts

import ctcgenomics as ctc
from ctcgenomics.snv._identity import IdentityParams, identity_test
from ctcgenomics.snv._vcf import write_vcf


def _check(seed: int, wbc_wga: str, **kw) -> pd.Series:
    adata, _ = _pair_counts(seed, wbc_wga, **kw)
    ctc.snv.genotype(adata)
    table = adata.uns["snv"]["identity_check"]
    assert len(table) == 1 and table.loc[0, "cell"] == "CTC"
    return table.iloc[0]


def test_one_person_is_never_different():
    """MDA CTC (dropout 10 %, Beta(8, 8) het fractions) with a bulk or an MDA WBC of
    the same person: "same" from 100 kb (>= 54 informative sites) to 1 Mb."""
    for seed in (1, 2, 3):
        for wga in ("none", "MDA"):
            for length in (100_000, 400_000, 1_000_000):
                row = _check(seed, wga, length=length, same_person=True)
                assert row["verdict"] == "same", (seed, wga, length, row.to_dict())


def test_two_people_with_a_bulk_library_are_different(caplog):
    """Two people, bulk WBC (MDA or bulk CTC) or bulk CTC with an MDA WBC: "different"
    at 400 kb and 1 Mb (~400-1000 informative sites, >= 18 opposite homozygotes against
    < 0.2 expected), with a WARNING naming the cell. 100 kb (~100 sites): 2 and 5
    opposite homozygotes against ~0.01; 3 are needed."""
    for seed in (1, 2):
        for length in (400_000, 1_000_000):
            row = _check(seed, "none", length=length)
            assert row["verdict"] == "different", (seed, length, row.to_dict())
            assert row["n_opposite"] >= 18 and row["expected"] < 0.2
            row = _check(seed, "MDA", length=length, ctc_amplified=False)
            assert row["verdict"] == "different"
    rows = [_check(seed, "none", length=100_000) for seed in (1, 2)]
    assert [r["verdict"] for r in rows] == ["same", "different"]
    assert "CTC CTC and the WBCs look like different individuals" in caplog.text
    assert "check the sample sheet" in caplog.text


def test_too_few_sites_is_not_evaluable():
    """10 kb: ~10 informative sites (< 30): no verdict, whatever the count."""
    for seed in (1, 2):
        row = _check(seed, "none", length=10_000)
        assert row["verdict"] == "not evaluable" and row["n_informative"] < 30


def test_expectation_follows_dropout():
    """Synthetic counts: het sites at depth 30 in two amplified cells with dropout 0.4
    and 0.3 (no chance sampling of one allele at rho 0): ~0.4 x 0.3 / 4 / (1 - 0.06)
    opposite homozygotes per site in the CTC's direction; a WBC pair counts both."""
    n_sites = 200
    depth = np.full((3, n_sites), 30)
    alt = np.full((3, n_sites), 15)
    dropout = np.array([[0.4], [0.3], [0.3]]) * np.ones((1, n_sites))
    table = identity_test(
        alt, depth, dropout, np.zeros(3), np.array(["C", "W1", "W2"]),
        np.array([True, False, False]), np.array([False, True, True]),
    )  # fmt: skip
    assert list(table["cell"]) == ["C", "W1", "W2"]
    per_site = 0.2 * 0.15 * 0.15 / (1 - 2 * 0.2 * 0.15 * 0.15)  # pool of two WBCs
    assert np.isclose(table.loc[0, "expected"], n_sites * per_site)
    w = 0.15 * 0.15
    assert np.isclose(table.loc[1, "expected"], n_sites * 2 * w / (1 - 2 * w))
    assert (table["verdict"] == "same").all() and (table["n_opposite"] == 0).all()
    few = identity_test(
        alt, depth, dropout, np.zeros(3), np.array(["C", "W1", "W2"]),
        np.array([True, False, False]), np.array([False, True, True]),
        IdentityParams(min_sites=n_sites + 1),
    )  # fmt: skip
    assert (few["verdict"] == "not evaluable").all()


def test_panel_of_one_person(panel_calls):
    """The suite's simulated panel (10 CTCs, dropout 10-40 % varying along the genome,
    2 deep WBCs): no cell is "different"."""
    table = panel_calls.uns["snv"]["identity_check"]
    assert len(table) == 12
    assert not (table["verdict"] == "different").any(), table.to_string()


def test_vcf_header_of_the_real_pair(tmp_path):
    """1000 Genomes HG00100 (CTC) and HG00102 (bulk WBC) over 4.2 kb: too few sites."""
    adata = _call("HG00100", "HG00102", "none")
    row = adata.uns["snv"]["identity_check"].iloc[0]
    assert row["verdict"] == "not evaluable"
    out = tmp_path / "o.vcf.gz"
    write_vcf(adata, out, DATA / "ref.fa")
    with pysam.VariantFile(str(out)) as vcf:
        lines = [str(r) for r in vcf.header.records if r.key == "ctcgenomicsIdentity"]
    assert len(lines) == 1 and 'Verdict="not_evaluable"' in lines[0]
