"""Gene-level calls: CNVkit inputs (real hg19 data) and the packaged hg38 tables."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ctcgenomics as ctc
from ctcgenomics.cnv._genes import arms_from_cytobands, classify, read_gene_table

DATA = Path(__file__).parents[1] / "data" / "cnv"


def test_classify_relative_to_ploidy():
    cfg = ctc.cnv.CNVConfig()
    cn = np.array([0, 1, 2, 3, 4, 5, 3, 4, 10, np.nan])
    ploidy = np.array([2, 2, 2, 2, 2, 2, 4, 4, 4, 2.0])
    assert classify(cn, ploidy, cfg).tolist() == [
        "DELETION",
        "LOSS",
        "NEUTRAL",
        "GAIN",
        "GAIN",
        "AMPLIFICATION",
        "LOSS",
        "NEUTRAL",
        "AMPLIFICATION",
        "",
    ]


def test_cnvkit_amplicon_calls_follow_the_bins():
    cnr = ctc.cnv.read_cnvkit(DATA / "cnvkit_amplicon_hg19.cnr")
    cns = ctc.cnv.read_cnvkit(DATA / "cnvkit_amplicon_hg19.cns")
    calls = ctc.cnv.gene_calls_from_log2(cnr, segments=cns, genes=["ERBB2", "MET", "CDKN2A"])
    calls = calls.set_index("gene")
    # ERBB2's 29 bins span -2.4..+2.5 (failed amplicons and high bins); the weighted
    # median is the robust gene value, computed here independently with pandas.
    erbb2 = cnr[cnr["gene"].str.split(",").apply(lambda g: "ERBB2" in g)]
    order = erbb2.sort_values("log2")
    wmed = order["log2"].iloc[np.searchsorted(order["weight"].cumsum(), order["weight"].sum() / 2)]
    assert calls.loc["ERBB2", "log2"] == pytest.approx(wmed)
    assert calls.loc["ERBB2", "copy_number"] == np.rint(2 * 2**wmed)
    # The weighted median, log2 0.71, is 1.63-fold: 3.3 copies in a pure diploid sample
    # (the unweighted median, 0.83, would be 1.78-fold, 3.6 copies). The clinical
    # convention CNVkit itself follows (its `ampdel` filter: 5+ copies, 2.5-fold, is an
    # amplification) makes that a gain; CNVkit's own `call` puts this segment at CN 3.
    # The sample is close to pure: SMAD4 and CDKN2A sit at log2 -8 to -10 over many
    # amplicons, which contaminating normal DNA would hold above log2(1 - purity).
    assert 2 * 2**wmed < 2.5 * 2
    assert calls.loc["ERBB2", "call"] == "GAIN"
    assert calls.loc["ERBB2", "extent"] == "focal"
    # MET's 26 amplicons sit at log2 about +3.5 (over 20 copies): a focal amplification.
    assert calls.loc["MET", "call"] == "AMPLIFICATION"
    assert calls.loc["MET", "extent"] == "focal"
    # CDKN2A bins sit at log2 -10 (no reads): a homozygous deletion.
    assert calls.loc["CDKN2A", "call"] == "DELETION"


def test_cnvkit_amplicon_erbb2_is_an_amplification_at_tumour_purity_of_one_half():
    """Same bins, tumour fraction given: CN = (2 * 2**log2 - 2 * (1 - p)) / p.

    At log2 0.71 the tumour copy number reaches 4.5 (rounded 5, an amplification) at a
    purity of about 0.51; at 0.6 it is 4.1, a gain.
    """
    cnr = ctc.cnv.read_cnvkit(DATA / "cnvkit_amplicon_hg19.cnr")
    wmed = ctc.cnv.gene_calls_from_log2(cnr, genes=["ERBB2"]).iloc[0]["log2"]
    for purity in (0.4, 0.5, 0.6):
        call = ctc.cnv.gene_calls_from_log2(cnr, genes=["ERBB2"], purity=purity).iloc[0]
        tumour_cn = (2 * 2**wmed - 2 * (1 - purity)) / purity
        assert call["copy_number"] == np.rint(tumour_cn)
        assert call["call"] == ("AMPLIFICATION" if np.rint(tumour_cn) >= 5 else "GAIN")
    assert (
        ctc.cnv.gene_calls_from_log2(cnr, genes=["ERBB2"], purity=0.5).iloc[0]["call"]
        == "AMPLIFICATION"
    )


def test_cnvkit_panel_sample_without_erbb2_change():
    cnr = ctc.cnv.read_cnvkit(DATA / "cnvkit_p2-20_1_hg19.cnr")
    calls = ctc.cnv.gene_calls_from_log2(cnr, genes=["ERBB2"]).set_index("gene")
    assert calls.loc["ERBB2", "call"] == "NEUTRAL"


def test_lower_purity_raises_the_tumour_copy_number():
    cnr = ctc.cnv.read_cnvkit(DATA / "cnvkit_amplicon_hg19.cnr")
    pure = ctc.cnv.gene_calls_from_log2(cnr, genes=["ERBB2"]).iloc[0]
    half = ctc.cnv.gene_calls_from_log2(cnr, genes=["ERBB2"], purity=0.5).iloc[0]
    assert half["copy_number"] > pure["copy_number"]


def test_not_a_cnvkit_file(tmp_path):
    bad = tmp_path / "x.cnr"
    bad.write_text("a\tb\n1\t2\n")
    with pytest.raises(ctc.cnv.CNVInputError, match="not a CNVkit"):
        ctc.cnv.read_cnvkit(bad)


def test_packaged_tables_hold_published_coordinates():
    genes = read_gene_table().set_index("gene")
    # Ensembl/GENCODE gene ENSG00000141510 (TP53): GRCh38 chr17:7,661,779-7,687,538.
    assert genes.loc["TP53", "chrom"] == "chr17"
    assert genes.loc["TP53", "start"] == 7_661_778 and genes.loc["TP53", "end"] == 7_687_538
    arms = arms_from_cytobands().set_index(["chrom", "arm"])
    # hg38 chr17 centromere region: p arm ends at 25.1 Mb.
    assert arms.loc[("chr17", "p"), "end"] == 25_100_000
    assert arms.loc[("chr17", "q"), "start"] == 25_100_000


@pytest.mark.parametrize("contig", ["chr17", "17"])  # UCSC and Ensembl/NCBI GRCh38 names
def test_gene_calls_on_hg38_bins_use_packaged_arms(contig):
    bins = pd.DataFrame({"chrom": contig, "start": np.arange(0, 7_800_000, 100_000)})
    bins["end"] = bins["start"] + 100_000
    bins["gc"] = 0.5
    bins["n_fraction"] = 0.0
    cn = np.full(len(bins), 2.0)
    cn[15:18] = 9  # 1.5-1.8 Mb: focal amplification
    cn[60:] = 1  # 6.0-7.8 Mb (TP53 at 7.67 Mb): loss of 18 bins of a 78-bin 17p segment
    cells = pd.DataFrame({"draw": ["D1"], "role": ["ctc"]}, index=["c1"])
    adata = ctc.cnv.counts_anndata(np.ones((1, len(bins)), int), bins, cells)
    adata.layers["copy_number"] = cn[None, :].astype(np.float32)
    adata.obs["ploidy"] = 2.0
    adata.obs["qc_pass"] = True
    adata.var["used"] = True
    change = np.flatnonzero(np.diff(cn)) + 1
    starts, ends = np.r_[0, change], np.r_[change, len(cn)]
    adata.uns["ctc_cnv"] = {
        "segments": pd.DataFrame(
            {
                "cell": "c1",
                "chrom": contig,
                "start": starts * 100_000,
                "end": ends * 100_000,
                "start_bin": starts,
                "end_bin": ends,
                "n_bins": ends - starts,
                "mean_ratio": 1.0,
                "copy_number": cn[starts].astype(int),
            }
        )
    }
    genes = read_gene_table()
    in_amp = genes[
        (genes["chrom"] == "chr17") & (genes["start"] > 1_510_000) & (genes["end"] < 1_790_000)
    ]["gene"].iloc[0]
    calls = ctc.cnv.gene_calls(adata, genes=[in_amp, "TP53"]).set_index("gene")
    assert calls.loc[in_amp, "call"] == "AMPLIFICATION"
    assert calls.loc[in_amp, "extent"] == "focal"
    assert calls.loc["TP53", "call"] == "LOSS"
    assert calls.loc["TP53", "arm"] == f"{contig}p"  # named as the bins name the contig
    # A short stretch reads its packaged genes through the tabix index: the same calls
    # as from the whole table.
    # Names the whole table places on another contig first (multi-copy families: Y_RNA,
    # U6) are kept where the bins are.
    near = ctc.cnv.gene_calls(adata)
    whole = ctc.cnv.gene_calls(adata, gene_table=read_gene_table())
    assert len(whole) > 100
    shared = near[near["gene"].isin(whole["gene"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(shared, whole.reset_index(drop=True))
    copies = pd.read_csv(
        Path(ctc.__file__).parent / "data/annotation/gencode_v44_genes_hg38.tsv.gz", sep="\t"
    )["gene_name"].value_counts()
    assert (copies[near.loc[~near["gene"].isin(whole["gene"]), "gene"]] > 1).all()


def test_external_gene_log2_interval_covers_the_true_level():
    """Genes of 8-40 bins with known level and noisy bins: 95 % intervals cover it."""
    rng = np.random.default_rng(11)
    rows, truth = [], {}
    for g in range(300):
        n = int(rng.integers(8, 41))
        level = float(rng.normal(0, 1))
        truth[f"G{g}"] = level
        noise = 0.3 * rng.standard_normal(n)
        for j in range(n):
            start = g * 100_000 + j * 1_000
            rows.append(("chr1", start, start + 1_000, f"G{g}", level + noise[j], 1.0))
    bins = pd.DataFrame(rows, columns=["chrom", "start", "end", "gene", "log2", "weight"])
    calls = ctc.cnv.gene_calls_from_log2(bins)
    level = calls["gene"].map(truth)
    covered = (calls["log2_low"] <= level) & (level <= calls["log2_high"])
    # Binomial SD of the coverage over 300 genes is 1.3 %; percentile intervals of a
    # median run slightly short at small n.
    assert 0.89 <= covered.mean() <= 0.99
    assert (calls["n_bins"] == bins.groupby("gene").size().loc[calls["gene"]].to_numpy()).all()
    assert ((calls["log2_low"] <= calls["log2"]) & (calls["log2"] <= calls["log2_high"])).all()
    # Seeded: the same bins give the same intervals.
    again = ctc.cnv.gene_calls_from_log2(bins)
    pd.testing.assert_frame_equal(calls, again)


def test_external_gene_interval_needs_three_bins():
    bins = pd.DataFrame(
        {
            "chrom": "chr1",
            "start": [0, 100, 200, 300, 400],
            "end": [100, 200, 300, 400, 500],
            "gene": ["A", "A", "B", "B", "B"],
            "log2": [0.1, 0.3, 1.0, 1.2, 1.1],
        }
    )
    calls = ctc.cnv.gene_calls_from_log2(bins).set_index("gene")
    assert calls.loc["A", "n_bins"] == 2 and np.isnan(calls.loc["A", "log2_low"])
    assert calls.loc["B", "n_bins"] == 3
    assert calls.loc["B", "log2_low"] <= 1.1 <= calls.loc["B", "log2_high"]


def _called_on(bins: pd.DataFrame):
    cells = pd.DataFrame({"draw": ["D1"], "role": ["ctc"]}, index=["c1"])
    adata = ctc.cnv.counts_anndata(np.ones((1, len(bins)), int), bins, cells)
    adata.layers["copy_number"] = np.full((1, len(bins)), 2.0, np.float32)
    adata.obs["ploidy"] = 2.0
    adata.obs["qc_pass"] = True
    adata.var["used"] = True
    adata.uns["ctc_cnv"] = {
        "segments": pd.DataFrame(
            {"cell": "c1", "chrom": bins["chrom"], "start": bins["start"], "end": bins["end"],
             "start_bin": range(len(bins)), "end_bin": range(1, len(bins) + 1), "n_bins": 1,
             "mean_ratio": 1.0, "copy_number": 2}
        )
    }  # fmt: skip
    return adata


def test_gene_calls_refuse_bins_of_another_build():
    # GRCh37 chr1 is 249,250,621 bp, GRCh38 248,956,422: bins tiled to the GRCh37 end
    # would be matched to GRCh38 gene coordinates, every call off by up to megabases.
    ends = np.r_[np.arange(5_000_000, 249_250_621, 5_000_000), 249_250_621]
    hg19 = pd.DataFrame({"chrom": "1", "start": np.r_[0, ends[:-1]], "end": ends})
    with pytest.raises(ctc.cnv.CNVInputError, match=r"not GRCh38: 1 reaches 249,250,621"):
        ctc.cnv.gene_calls(_called_on(hg19))
    # With the user's own gene table of that build the calls are made.
    own = pd.DataFrame({"chrom": ["1"], "start": [1_000_000], "end": [1_100_000], "gene": ["G"]})
    assert ctc.cnv.gene_calls(_called_on(hg19), gene_table=own)["gene"].tolist() == ["G"]
    # GRCh38 bins to the contig end pass.
    ends38 = np.r_[np.arange(5_000_000, 248_956_422, 5_000_000), 248_956_422]
    hg38 = pd.DataFrame({"chrom": "chr1", "start": np.r_[0, ends38[:-1]], "end": ends38})
    assert (ctc.cnv.gene_calls(_called_on(hg38), genes=["NRAS"])["gene"] == "NRAS").all()
