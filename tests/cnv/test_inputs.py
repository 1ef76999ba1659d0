"""Inputs users have (count tables, matched normal, allele counts), bad input, sex
chromosomes, the gene-level read-out and input checks of the public functions."""

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import ctcgenomics as ctc
from ctcgenomics.cnv import CNVInputError
from ctcgenomics.cnv._genes import gene_regions
from ctcgenomics.cnv._tables import check_same_bins
from ctcgenomics.simulate import genome_bins, germline_cn, simulate_counts


def _small(seed=0, *, sex="female", contigs=None, n_ctc=6, n_wbc=4, amplification="MDA"):
    contigs = contigs or {f"c{i}": 20_000_000 for i in range(1, 5)}
    bins = genome_bins(contigs, bin_size=200_000, seed=seed)
    ga, gb = germline_cn(bins, sex)
    a, b = ga.copy(), gb.copy()
    c1 = np.flatnonzero(bins["chrom"] == "c1")
    a[c1[:50]], b[c1[:50]] = 2, 1  # c1p gain to 3
    cells = pd.DataFrame(
        {"clone": ["normal"] * n_wbc + ["T"] * n_ctc, "role": ["wbc"] * n_wbc + ["ctc"] * n_ctc},
        index=[f"W{i}" for i in range(n_wbc)] + [f"T{i}" for i in range(n_ctc)],
    )
    cells["sex"] = sex
    return simulate_counts(
        bins, {"normal": (ga, gb), "T": (a, b)}, cells, seed=seed, reads_per_bin=400,
        het_snps_per_bin=200, normal_reads_per_bin=5000, amplification=amplification,
    )  # fmt: skip


def test_count_table_wide_long_and_h5ad_agree(tmp_path):
    sim = _small()
    wide = pd.concat(
        [sim.bins[["chrom", "start", "end"]], pd.DataFrame(sim.counts.T, columns=sim.cells.index)],
        axis=1,
    )
    wide.to_csv(tmp_path / "wide.tsv", sep="\t", index=False)
    long = wide.melt(id_vars=["chrom", "start", "end"], var_name="cell", value_name="count")
    long.to_csv(tmp_path / "long.tsv.gz", sep="\t", index=False)
    h5 = ad.AnnData(sim.counts.astype(np.float32), var=sim.bins[["chrom", "start", "end"]].copy())
    h5.obs_names = list(sim.cells.index)
    h5.var_names = [str(i) for i in range(h5.n_vars)]
    h5.write_h5ad(tmp_path / "t.h5ad")
    tables = [ctc.cnv.read_count_table(tmp_path / n) for n in ("wide.tsv", "long.tsv.gz", "t.h5ad")]
    for t in tables:
        assert t.cells == list(sim.cells.index)
        np.testing.assert_array_equal(t.counts, sim.counts)
        assert t.bins[["chrom", "start", "end"]].equals(sim.bins[["chrom", "start", "end"]])
    # bins x cells h5ad (coordinates in obs) is read too
    h5.T.write_h5ad(tmp_path / "t2.h5ad")
    np.testing.assert_array_equal(ctc.cnv.read_count_table(tmp_path / "t2.h5ad").counts, sim.counts)


def test_other_tools_coordinate_column_names_are_read(tmp_path):
    sim = _small()
    counts = pd.DataFrame(sim.counts.T, columns=sim.cells.index)
    coords = sim.bins[["chrom", "start", "end"]]
    for names in (
        ["CHR", "START", "END"],
        ["seqnames", "start", "end"],
        ["Chromosome", "Start", "Stop"],
    ):
        wide = pd.concat([coords.set_axis(names, axis=1), counts], axis=1)
        wide.to_csv(tmp_path / "wide.tsv", sep="\t", index=False)
        table = ctc.cnv.read_count_table(tmp_path / "wide.tsv")
        assert table.cells == list(sim.cells.index), names
        assert table.bins[["chrom", "start", "end"]].equals(coords), names
    h5 = ad.AnnData(
        sim.counts.astype(np.float32), var=coords.set_axis(["chr", "start", "end"], axis=1)
    )
    h5.obs_names = list(sim.cells.index)
    h5.var_names = [str(i) for i in range(h5.n_vars)]
    h5.write_h5ad(tmp_path / "t.h5ad")
    np.testing.assert_array_equal(ctc.cnv.read_count_table(tmp_path / "t.h5ad").counts, sim.counts)


def test_qdnaseq_export_is_read_as_bins_and_cells(tmp_path):
    """QDNAseq's exportBins: feature column, 1-based closed bins, GC in percent, use flag."""
    sim = _small()
    coords = sim.bins[["chrom", "start", "end"]]
    qdna = pd.DataFrame(
        {
            "feature": [f"{c}:{s + 1}-{e}" for c, s, e in coords.itertuples(index=False)],
            "chromosome": coords["chrom"].to_numpy(),
            "start": coords["start"].to_numpy() + 1,
            "end": coords["end"].to_numpy(),
            "bases": 100.0,
            "gc": sim.bins["gc"].to_numpy() * 100,
            "use": True,
        }
    )
    wide = pd.concat([qdna, pd.DataFrame(sim.counts.T, columns=sim.cells.index)], axis=1)
    wide.to_csv(tmp_path / "qdnaseq.tsv", sep="\t", index=False)
    table = ctc.cnv.read_count_table(tmp_path / "qdnaseq.tsv")
    assert table.cells == list(sim.cells.index)
    np.testing.assert_array_equal(table.counts, sim.counts)
    assert table.bins[["chrom", "start", "end"]].equals(coords)  # back to 0-based half-open
    np.testing.assert_allclose(table.bins["gc"], sim.bins["gc"])
    # a text column that is no known annotation is named, not read as a cell
    wide.rename(columns={"feature": "label"}).to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    with pytest.raises(CNVInputError, match="column 'label' is not numeric"):
        ctc.cnv.read_count_table(tmp_path / "t.tsv")
    # 0-based half-open tables with gaps (filtered bins) are left as they are
    gappy = pd.concat([coords, pd.DataFrame(sim.counts.T, columns=sim.cells.index)], axis=1)
    gappy = gappy.iloc[::2]
    gappy.to_csv(tmp_path / "gappy.tsv", sep="\t", index=False)
    got = ctc.cnv.read_count_table(tmp_path / "gappy.tsv").bins
    assert got[["chrom", "start", "end"]].equals(coords.iloc[::2].reset_index(drop=True))


def test_bad_tables_name_the_problem(tmp_path):
    sim = _small()
    wide = pd.concat(
        [sim.bins[["chrom", "start", "end"]], pd.DataFrame(sim.counts.T, columns=sim.cells.index)],
        axis=1,
    )
    wide.drop(columns="start").to_csv(tmp_path / "nostart.tsv", sep="\t", index=False)
    with pytest.raises(CNVInputError, match=r"missing bin column\(s\) \['start'\]"):
        ctc.cnv.read_count_table(tmp_path / "nostart.tsv")
    bad = wide.copy()
    bad.iloc[3, 3] = -1
    bad.to_csv(tmp_path / "neg.tsv", sep="\t", index=False)
    with pytest.raises(CNVInputError, match="must be >= 0"):
        ctc.cnv.read_count_table(tmp_path / "neg.tsv")
    other = sim.bins.copy()
    other.loc[7, "start"] += 1000
    with pytest.raises(CNVInputError, match=r"bin 8 is c1:1400000-1600000 but .* c1:1401000"):
        check_same_bins(sim.bins, other, what="table", reference_name="bins")


def test_bins_out_of_genomic_order_are_refused_and_contig_order_is_free():
    sim = _small()
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells[["role"]])
    shuffled = adata[:, np.random.default_rng(0).permutation(adata.n_vars)].copy()
    with pytest.raises(CNVInputError, match=r"not in genomic order.*sort them"):
        ctc.cnv.call_copy_number(shuffled)
    c1 = np.flatnonzero(adata.var["chrom"] == "c1")
    split = np.r_[c1[:50], np.flatnonzero(adata.var["chrom"] == "c2"), c1[50:]]
    with pytest.raises(CNVInputError, match="c1 appears again"):
        ctc.cnv.call_copy_number(adata[:, split].copy())
    # Contigs in any order (here last to first) are fine: only order within one matters.
    by_contig = np.concatenate(
        [np.flatnonzero(adata.var["chrom"] == c) for c in ["c4", "c3", "c2", "c1"]]
    )
    reordered = adata[:, by_contig].copy()
    ctc.cnv.call_copy_number(reordered)
    ctc.cnv.call_copy_number(adata)
    cn = pd.DataFrame(adata.layers["copy_number"], columns=adata.var_names)
    cn_reordered = pd.DataFrame(reordered.layers["copy_number"], columns=reordered.var_names)
    assert (cn_reordered[cn.columns].to_numpy() == cn.to_numpy()).mean() > 0.99


def test_matched_normal_reference_zero_bins_excluded_gc_optional(caplog):
    sim = _small(1)
    normal = sim.normal.astype(float).copy()
    normal[[10, 11]] = 0
    bins = sim.bins.drop(columns="gc")
    adata = ctc.cnv.counts_anndata(sim.counts, bins, sim.cells[["role"]])
    ctc.cnv.call_copy_number(adata, normal=normal, alleles=sim.alleles)
    reasons = adata.var["exclude_reason"].to_numpy()
    assert reasons[10] == "normal_zero" and reasons[11] == "normal_zero"
    assert adata.uns["ctc_cnv"]["reference"] == "normal"
    used = adata.var["used"].to_numpy()
    acc = (adata.layers["copy_number"][:, used] == sim.truth[:, used]).mean(axis=1)
    assert np.median(acc) >= 0.95, acc
    # Without GC or a normal: a warning, not a refused run (the WBC panel divides out the
    # bias the cells share; each cell's own GC curve stays).
    plain = ctc.cnv.counts_anndata(sim.counts, bins, sim.cells[["role"]])
    with caplog.at_level("WARNING"):
        ctc.cnv.call_copy_number(plain)
    assert "no gc column" in caplog.text
    assert plain.uns["ctc_cnv"]["gc_corrected"] is False
    assert adata.uns["ctc_cnv"]["gc_corrected"] is False  # a normal needs none
    acc = (plain.layers["copy_number"][:, used] == sim.truth[:, used]).mean(axis=1)
    assert np.median(acc) >= 0.95, acc


def test_allele_counts_for_unknown_cells_are_an_error():
    sim = _small(2)
    alleles = sim.alleles.copy()
    alleles.loc[alleles.index[:3], "cell"] = "NOT_A_CELL"
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells[["role"]])
    with pytest.raises(CNVInputError, match=r"not in the count table.*NOT_A_CELL"):
        ctc.cnv.call_copy_number(adata, alleles=alleles)


def test_cell_without_het_snp_reads_is_flagged_unidentifiable():
    sim = _small(3)
    alleles = sim.alleles[sim.alleles["cell"] != "T0"]
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells[["role"]])
    ctc.cnv.call_copy_number(adata, alleles=alleles)
    assert not adata.obs.loc["T0", "ploidy_identifiable"]
    assert "no heterozygous-SNP reads" in adata.obs.loc["T0", "ploidy_evidence"]


@pytest.mark.parametrize("given", [True, False])
def test_male_cells_are_not_x_losses(given):
    contigs = {"c1": 30_000_000, "c2": 30_000_000, "chrX": 20_000_000, "chrY": 10_000_000}
    sim = _small(4, sex="male", contigs=contigs)
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells[["role"]])
    ctc.cnv.call_copy_number(adata, alleles=sim.alleles, sex="male" if given else None)
    assert adata.uns["ctc_cnv"]["sex"] == "male"
    assert ("inferred" in adata.uns["ctc_cnv"]["sex_source"]) != given
    chrom = adata.var["chrom"].to_numpy()
    used = adata.var["used"].to_numpy()
    x = (chrom == "chrX") & used
    cn = adata.layers["copy_number"]
    nonpar = x & (adata.var["start"].to_numpy() > 3_000_000)
    assert np.mean(cn[:, nonpar] == 1) >= 0.95  # one copy: the germline level
    assert np.all(np.abs(adata.obs["ploidy"] - sim.cells["true_ploidy"]) < 0.25)
    genes = pd.DataFrame(
        {"chrom": ["chrX"], "start": [10_000_000], "end": [10_050_000], "gene": ["XGENE"]}
    )
    calls = ctc.cnv.gene_calls(adata, gene_table=genes)
    assert (calls["call"] == "NEUTRAL").all(), calls


def test_female_y_bins_are_not_used():
    contigs = {"c1": 30_000_000, "c2": 30_000_000, "chrX": 20_000_000, "chrY": 10_000_000}
    sim = _small(5, sex="female", contigs=contigs)
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells[["role"]])
    ctc.cnv.call_copy_number(adata)
    assert adata.uns["ctc_cnv"]["sex"] == "female"
    y = adata.var["chrom"].to_numpy() == "chrY"
    assert not adata.var["used"].to_numpy()[y].any()


def test_gene_readout_measures_an_amplicon_diluted_in_a_500kb_bin():
    """ERBB2-like: 200 kb at copy number 10 inside a 500 kb bin (bin level: ~5 copies)."""
    fine = genome_bins({f"c{i}": 20_000_000 for i in range(1, 5)}, bin_size=25_000, seed=1)
    ga, gb = germline_cn(fine, "female")
    a, b = ga.copy(), gb.copy()
    amp = (fine["chrom"].to_numpy() == "c2") & (fine["start"].between(5_150_000, 5_325_000))
    a[amp] = 9  # 9|1 over 8 fine bins = 200 kb
    cells = pd.DataFrame(
        {"clone": ["normal"] * 4 + ["T"] * 6, "role": ["wbc"] * 4 + ["ctc"] * 6},
        index=[f"W{i}" for i in range(4)] + [f"T{i}" for i in range(6)],
    )
    sim = simulate_counts(fine, {"normal": (ga, gb), "T": (a, b)}, cells, seed=1,
                          reads_per_bin=20, gc_strength=0)  # fmt: skip
    coarse = genome_bins({f"c{i}": 20_000_000 for i in range(1, 5)}, bin_size=500_000, seed=1)
    counts = sim.counts.reshape(len(cells), -1, 20).sum(axis=2)
    adata = ctc.cnv.counts_anndata(counts, coarse, cells[["role"]])
    ctc.cnv.call_copy_number(adata)
    gene = pd.DataFrame(
        {"chrom": ["c2"], "start": [5_200_000], "end": [5_240_000], "gene": ["ERBB2LIKE"]}
    )
    regions = gene_regions(["ERBB2LIKE"], gene_table=gene)
    inside = (
        (fine["chrom"].to_numpy() == "c2")
        & (fine["start"] >= regions["start"][0])
        & (fine["end"] <= regions["end"][0])
    )
    adata.obsm["gene_counts"] = sim.counts[:, inside].sum(axis=1, keepdims=True)
    adata.uns["ctc_cnv"]["gene_regions"] = regions
    calls = ctc.cnv.gene_calls(adata, gene_table=gene).set_index("cell")
    tumour = cells.index[cells["role"] == "ctc"]
    est = calls.loc[tumour, "readout_cn"]
    # Truth 10; the bin of 500 kb reads about 5. Every interval excludes 2 copies, most
    # cover the truth; half or more reach amplification level at their lower end.
    assert ((est > 5) & (est < 16)).all() and 7 <= est.median() <= 13, calls
    assert (calls.loc[tumour, "readout_low"] > 2).all(), calls
    covers = (calls.loc[tumour, "readout_low"] <= 10) & (calls.loc[tumour, "readout_high"] >= 10)
    assert covers.mean() >= 0.8, calls
    assert (calls.loc[tumour, "call"] == "AMPLIFICATION").mean() >= 0.5, calls
    wbc = cells.index[cells["role"] == "wbc"]
    assert (calls.loc[wbc, "readout_high"] > 2).all() and (calls.loc[wbc, "readout_low"] < 2).all()
    assert not calls.loc[wbc, "call"].isin(["AMPLIFICATION", "DELETION"]).any()


def test_gene_without_usable_bin_is_warned_and_recorded():
    sim = _small(6)
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells[["role"]])
    ctc.cnv.call_copy_number(
        adata, blacklist=pd.DataFrame({"chrom": ["c3"], "start": [1_000_000], "end": [1_200_000]})
    )
    genes = pd.DataFrame(
        {"chrom": ["c3"], "start": [1_050_000], "end": [1_060_000], "gene": ["LOSTGENE"]}
    )
    calls = ctc.cnv.gene_calls(adata, gene_table=genes)
    assert calls["warning"].str.contains("not used").all()


@pytest.mark.parametrize(
    "func",
    [
        lambda a: ctc.cnv.call_copy_number(a),
        lambda a: ctc.cnv.gene_calls(a),
        lambda a: ctc.cnv.call_clones(a),
    ],
    ids=["call_copy_number", "gene_calls", "call_clones"],
)
def test_public_functions_name_missing_keys(func):
    adata = ad.AnnData(np.ones((3, 4), dtype=np.float32))
    with pytest.raises(CNVInputError, match=r"(var|layers|obs|uns).*(chrom|copy_number|ploidy)"):
        func(adata)


def test_cnv_alterations_names_missing_columns():
    with pytest.raises(CNVInputError, match="gene_calls lacks"):
        ctc.cnv.cnv_alterations(pd.DataFrame({"cell": ["a"]}), pd.DataFrame(), patient="P1")


@pytest.mark.parametrize(
    "func",
    [lambda a, p: ctc.pl.cnv_heatmap(a, save=p), lambda a, p: ctc.pl.cnv_profiles(a, p)],
    ids=["cnv_heatmap", "cnv_profiles"],
)
def test_plots_name_missing_keys(func, tmp_path):
    adata = ad.AnnData(np.ones((3, 4), dtype=np.float32))
    with pytest.raises(CNVInputError, match=r"var\['chrom'\].*call_copy_number"):
        func(adata, tmp_path / "x.pdf")


def test_key_added_names_every_output_and_the_reference_is_a_parameter():
    # A second call with another key and the WBCs marked in another column: every
    # output lands under the key's prefix, the default outputs are untouched, and the
    # calls equal the default call's (same reference cells, same model).
    sim = _small(2, n_ctc=4, n_wbc=4)
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells[["role"]])
    adata.obs["kind"] = np.where(adata.obs["role"] == "wbc", "Normal", "tumour")
    ctc.cnv.call_copy_number(adata)
    before = {k: adata.obs[k].copy() for k in adata.obs}
    ctc.cnv.call_copy_number(adata, key_added="alt", reference_key="kind", reference_cat="normal")
    for name in ("ratio", "copy_number", "minor_cn"):
        np.testing.assert_array_equal(adata.layers[f"alt_{name}"], adata.layers[name])
    for col in ("ploidy", "qc_pass", "qc_reason", "mapd", "group", "n_breakpoints"):
        np.testing.assert_array_equal(adata.obs[f"alt_{col}"], adata.obs[col])
        np.testing.assert_array_equal(adata.obs[col], before[col])
    for col in ("used", "exclude_reason", "pon", "germline_level"):
        np.testing.assert_array_equal(adata.var[f"alt_{col}"], adata.var[col])
    assert adata.uns["alt"]["reference"] == adata.uns["ctc_cnv"]["reference"]
    assert adata.uns["alt"]["params"]["reference_cat"] == ["normal"]
    genes = ["ERBB2", "MYC"]
    default = ctc.cnv.gene_calls(adata, genes=genes, gene_table=_gene_table(sim.bins))
    alt = ctc.cnv.gene_calls(adata, genes=genes, gene_table=_gene_table(sim.bins), key="alt")
    pd.testing.assert_frame_equal(alt, default)
    # Without reference cells every cell is called as a tumour cell (no WBC panel).
    none = ctc.cnv.call_copy_number(adata, key_added="none", reference_key="absent", copy=True)
    assert none.uns["none"]["reference"] == "none"


def _gene_table(bins):
    mid = bins.iloc[[10, 60]]
    return pd.DataFrame(
        {"chrom": mid["chrom"].to_numpy(), "start": mid["start"].to_numpy() + 1000,
         "end": mid["start"].to_numpy() + 5000, "gene": ["ERBB2", "MYC"]}
    )  # fmt: skip


def test_bins_without_reads_in_the_wbcs_are_a_reference_gap_not_a_deletion():
    # A block with no reads in any cell (unplaced sequence, a collapsed repeat) was called
    # copy number 0 in every WBC and CTC: a gene there would be a "deep deletion".
    sim = _small()
    counts = sim.counts.copy()
    gap = np.flatnonzero(sim.bins["chrom"] == "c3")[20:30]
    counts[:, gap] = 0
    # A real deep deletion (CTCs only, WBCs covered) stays called.
    homdel = np.flatnonzero(sim.bins["chrom"] == "c4")[40:44]
    ctcs = np.flatnonzero(sim.cells["role"] == "ctc")
    counts[np.ix_(ctcs, homdel)] = 0
    adata = ctc.cnv.counts_anndata(counts, sim.bins, sim.cells[["role"]])
    ctc.cnv.call_copy_number(adata)
    assert (adata.var["exclude_reason"].iloc[gap] == "wbc_no_reads").all()
    assert adata.var["used"].iloc[homdel].all()
    cn = np.asarray(adata.layers["copy_number"])
    assert not (cn[:, gap] == 0).any()
    assert (cn[np.ix_(ctcs, homdel)] == 0).all()


def test_cells_of_two_patients_are_called_patient_by_patient(tmp_path):
    # One AnnData for a cohort: each patient is called with its own WBCs, sex and
    # clones, exactly as alone; groups never span patients.
    female, male = _small(0), _small(1, sex="male", contigs={"c1": 20_000_000, "chrX": 20_000_000})
    parts = []
    for p, sim in (("P1", female), ("P2", male)):
        a = ctc.cnv.counts_anndata(
            sim.counts, sim.bins, sim.cells[["role", "sex"]].assign(patient=p)
        )
        a.obs_names = [f"{p}_{c}" for c in a.obs_names]
        parts.append(a)
    # Same bins for both (the male's layout), so one AnnData holds the cohort.
    male_bins = parts[1].var
    parts[0] = ctc.cnv.counts_anndata(
        _small(0, contigs={"c1": 20_000_000, "chrX": 20_000_000}).counts,
        male_bins[["chrom", "start", "end", "gc"]].reset_index(drop=True),
        parts[0].obs,
    )
    parts[0].obs_names = list(parts[0].obs_names)
    cohort = ad.concat(parts, merge="same")
    cohort.var = parts[1].var.copy()
    alone = [p.copy() for p in parts]
    for a in alone:
        ctc.cnv.call_copy_number(a)
    ctc.cnv.call_copy_number(cohort)
    for a in alone:
        rows = cohort.obs_names.get_indexer(a.obs_names)
        np.testing.assert_array_equal(cohort.layers["copy_number"][rows], a.layers["copy_number"])
        np.testing.assert_array_equal(cohort.obs["ploidy"].to_numpy()[rows], a.obs["ploidy"])
    summary = cohort.uns["ctc_cnv"]
    assert [summary["patients"][p]["sex"] for p in ("P1", "P2")] == ["female", "male"]
    groups = cohort.obs.groupby("patient", observed=True)["group"].agg(lambda g: set(g) - {-1})
    assert not groups["P1"] & groups["P2"]
    assert set(summary["segments"]["cell"]) == set(cohort.obs_names[cohort.obs["qc_pass"]])
    ctc.cnv.call_clones(cohort)
    clones = cohort.obs.groupby("patient", observed=True)["clone"].agg(set)
    assert not (clones["P1"] & clones["P2"]) - {"normal", "unassigned", ""}
    cohort.write_h5ad(tmp_path / "cohort.h5ad")  # the joined uns is writable
    with pytest.raises(CNVInputError, match="matched normal belongs to one patient"):
        ctc.cnv.call_copy_number(cohort, normal=np.ones(cohort.n_vars), copy=True)


def test_repeated_bin_in_anndata_is_named_not_called_unsorted():
    sim = _small()
    adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells[["role"]])
    cols = np.r_[np.arange(10), 9, np.arange(10, adata.n_vars)]
    doubled = adata[:, cols].copy()
    doubled.var_names_make_unique()
    with pytest.raises(CNVInputError, match=r"bin c1:1800000 is listed twice"):
        ctc.cnv.call_copy_number(doubled)


def test_stated_sex_the_wbcs_contradict_is_warned_about(caplog):
    # Male cells called with --sex female ran without a word: chrX at two copies in every
    # cell and a WBC level error several times the usual. The stated sex is kept.
    contigs = {"c1": 20_000_000, "c2": 20_000_000, "chrX": 20_000_000, "chrY": 10_000_000}
    sim = _small(1, sex="male", contigs=contigs)
    for stated, warned in (("female", True), ("male", False)):
        adata = ctc.cnv.counts_anndata(sim.counts, sim.bins, sim.cells[["role"]])
        caplog.clear()
        with caplog.at_level("WARNING"):
            ctc.cnv.call_copy_number(adata, sex=stated)
        assert adata.uns["ctc_cnv"]["sex"] == stated
        assert ("disagrees with the reference's depth, which reads male" in caplog.text) is warned
