"""Count tables in other single-cell DNA tools' shapes: CSV, DLP+/HMMcopy ``reads.csv``,
readCounter ``.wig`` folders, CopyKit-like h5ad, contigs named ``1`` against ``chr1``.

Each is written from simulated counts with known copy number, read back to the same
counts and bins (0-based half-open), and called to the truth through the API or the CLI.
"""

import gzip
import logging

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import ctcgenomics as ctc
from ctcgenomics.cli import main
from ctcgenomics.cnv import CNVInputError
from ctcgenomics.cnv._tables import clip_contig_ends, match_contig_names, read_normal
from ctcgenomics.simulate import genome_bins, germline_cn, simulate_counts

CONTIGS = {"chr1": 30_000_000, "chr2": 24_000_000, "chr3": 20_000_000, "chrX": 20_000_000}


def _sim(seed=0, n=12):
    """Male cells in 500 kb bins: 4 diploid, the others with a chr1 gain and a chr3 loss."""
    bins = genome_bins(CONTIGS, bin_size=500_000, seed=seed)
    ga, gb = germline_cn(bins, "male")
    a, b = ga.copy(), gb.copy()
    chrom = bins["chrom"].to_numpy()
    a[(chrom == "chr1") & (bins["start"].to_numpy() >= 15_000_000)] = 2
    b[chrom == "chr3"] = 0
    cells = pd.DataFrame({"clone": ["normal"] * 4 + ["T"] * (n - 4), "sex": "male"})
    cells.index = [f"SA1-A{i:02d}" for i in range(n)]
    sim = simulate_counts(
        bins, {"normal": (ga, gb), "T": (a, b)}, cells, seed=seed, reads_per_bin=200
    )
    sim.bins["chrom"] = sim.bins["chrom"].str.removeprefix("chr")  # GRCh37 style: 1, 2, X
    return sim


def _wide(sim):
    counts = pd.DataFrame(sim.counts.T, columns=sim.cells.index)
    return pd.concat([sim.bins[["chrom", "start", "end"]], counts], axis=1)


def _dlp(sim, gc_unknown=(3, 17)):
    """DLP+ reads.csv: 1-based closed bins, cell_id, reads, gc (-1: unknown), derived columns."""
    gc = sim.bins["gc"].to_numpy().copy()
    gc[list(gc_unknown)] = -1
    rows = []
    for i, cell in enumerate(sim.cells.index):
        reads = sim.counts[i]
        rows.append(
            pd.DataFrame({
                "chr": sim.bins["chrom"], "start": sim.bins["start"] + 1,
                "end": sim.bins["end"], "reads": reads, "gc": gc, "map": 0.99,
                "cor_gc": reads / reads.mean(), "copy": 2 * reads / reads.mean(),
                "state": 2, "valid": True, "ideal": gc > 0, "modal_curve": 1.0,
                "multiplier": 2, "cell_id": cell,
            })
        )  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def _assert_same(table, sim):
    assert table.cells == list(sim.cells.index)
    np.testing.assert_array_equal(table.counts, sim.counts)
    pd.testing.assert_frame_equal(
        table.bins[["chrom", "start", "end"]], sim.bins[["chrom", "start", "end"]]
    )


def _right(adata, sim):
    """Share of used autosomal bins called at their true copy number, per cell."""
    used = adata.var["used"].to_numpy() & (adata.var["chrom"].to_numpy() != "X")
    return (np.asarray(adata.layers["copy_number"])[:, used] == sim.truth[:, used]).mean(axis=1)


def test_comma_separated_wide_and_long_tables_are_read(tmp_path):
    sim = _sim()
    wide = _wide(sim)
    wide.to_csv(tmp_path / "wide.csv", index=False)
    long = wide.melt(id_vars=["chrom", "start", "end"], var_name="cell", value_name="count")
    long.to_csv(tmp_path / "long.csv.gz", index=False)
    wide.to_csv(tmp_path / "wide.txt", sep=" ", index=False)
    for name in ("wide.csv", "long.csv.gz", "wide.txt"):
        _assert_same(ctc.cnv.read_count_table(tmp_path / name), sim)
    wide.to_csv(tmp_path / "semi.csv", sep=";", index=False)
    with pytest.raises(CNVInputError, match=r"semi.csv: the header line .* has one column"):
        ctc.cnv.read_count_table(tmp_path / "semi.csv")


def test_dlp_hmmcopy_reads_csv_is_read_with_its_gc(tmp_path, caplog):
    sim = _sim()
    dlp = _dlp(sim)
    dlp.to_csv(tmp_path / "reads.csv.gz", index=False)
    with caplog.at_level(logging.INFO):
        table = ctc.cnv.read_count_table(tmp_path / "reads.csv.gz")
    _assert_same(table, sim)  # 1-based closed bins back to 0-based half-open
    assert "converted to 0-based" in caplog.text and "'copy'" in caplog.text
    gc = sim.bins["gc"].to_numpy().copy()
    gc[[3, 17]] = np.nan  # HMMcopy's -1: unknown
    np.testing.assert_allclose(table.bins["gc"], gc)
    np.testing.assert_allclose(table.bins["mappability"], 0.99)
    # cells that disagree on a bin's GC: warned, median taken
    dlp.loc[dlp["cell_id"] == sim.cells.index[0], "gc"] += 0.2
    dlp.to_csv(tmp_path / "gcdiff.csv", index=False)
    with caplog.at_level(logging.WARNING):
        table = ctc.cnv.read_count_table(tmp_path / "gcdiff.csv")
    assert "gc differs between cells" in caplog.text
    np.testing.assert_allclose(table.bins["gc"], gc)


def test_dlp_records_without_reads_or_with_two_count_columns_are_named(tmp_path):
    sim = _sim()
    dlp = _dlp(sim)
    bad = dlp.copy()
    row = int(np.flatnonzero((bad["cell_id"] == "SA1-A02") & (bad["chr"] == "2"))[0])
    bad.loc[bad.index[row], "reads"] = np.nan
    bad.to_csv(tmp_path / "nan.csv", index=False)
    with pytest.raises(CNVInputError, match=rf"nan.csv: line {row + 2} \(cell SA1-A02, bin 2:0-"):
        ctc.cnv.read_count_table(tmp_path / "nan.csv")
    dlp.assign(counts=dlp["reads"]).to_csv(tmp_path / "two.csv", index=False)
    with pytest.raises(CNVInputError, match=r"\['reads', 'counts'\] could each be the count"):
        ctc.cnv.read_count_table(tmp_path / "two.csv")
    dlp.drop(index=5).to_csv(tmp_path / "hole.csv", index=False)
    with pytest.raises(CNVInputError, match=r"cell SA1-A00 has no row for bin 1:2500000-3000000"):
        ctc.cnv.read_count_table(tmp_path / "hole.csv")


def test_dlp_reads_csv_is_called_to_the_truth_by_the_cli(tmp_path):
    sim = _sim(1)
    dlp = _dlp(sim)
    dlp.loc[
        dlp["start"].isin(sim.bins["start"].iloc[[40, 41]] + 1) & (dlp["chr"] == "1"), "map"
    ] = 0.5
    dlp.to_csv(tmp_path / "reads.csv.gz", index=False)
    out = tmp_path / "out"
    args = ["cnv", "call", "--count-table", str(tmp_path / "reads.csv.gz"), "--patient", "P1"]
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--outdir", str(out), "--no-plots"])
    assert exit_.value.code == 0
    adata = ad.read_h5ad(out / "cnv.h5ad")
    assert adata.uns["ctc_cnv"]["gc_corrected"] and adata.uns["ctc_cnv"]["sex"] == "male"
    assert list(adata.var["exclude_reason"].iloc[[3, 17]]) == ["gc", "gc"]
    assert list(adata.var["exclude_reason"].iloc[[40, 41]]) == ["mappability"] * 2  # map 0.5
    right = _right(adata, sim)
    assert np.median(right) >= 0.97 and np.mean(right >= 0.9) >= 0.8, right


def _write_wig(path, sim, i, *, gz=False):
    lines = []
    for chrom, part in sim.bins.groupby("chrom", sort=False):
        lines.append(f"fixedStep chrom={chrom} start=1 step=500000 span=500000")
        lines += [str(int(v)) for v in sim.counts[i, part.index]]
    text = "\n".join(lines) + "\n"
    if gz:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)


def test_readcounter_wig_folder_is_one_cell_per_file(tmp_path):
    sim = _sim(2)
    folder = tmp_path / "wig"
    folder.mkdir()
    for i, cell in enumerate(sim.cells.index):
        gz = i % 2 == 1
        _write_wig(folder / (f"{cell}.wig.gz" if gz else f"{cell}.wig"), sim, i, gz=gz)
    gc = sim.bins["gc"].to_numpy().round(6)
    gc[5] = -1  # gcCounter: no GC known
    lines = []
    for chrom, part in sim.bins.groupby("chrom", sort=False):
        lines.append(f"fixedStep chrom={chrom} start=1 step=500000 span=500000")
        lines += [f"{v:g}" for v in gc[part.index]]
    (folder / "hg19.gc.wig").write_text("\n".join(lines) + "\n")
    table = ctc.cnv.read_count_table(folder)
    order = np.argsort(sim.cells.index)
    assert table.cells == sorted(sim.cells.index)  # the gc wig is no cell
    np.testing.assert_array_equal(table.counts, sim.counts[order])
    np.testing.assert_allclose(table.bins["gc"], np.where(gc < 0, np.nan, gc))
    # readCounter's last bin of a contig is full-size; a bin table clips it
    bins = sim.bins.assign(chrom="chr" + sim.bins["chrom"])
    full = bins["end"].to_numpy() - bins["start"].to_numpy() == 500_000
    assert full.all()  # contigs of whole bins here: clip a shorter reference to test it
    ref = bins.copy()
    ref.loc[ref.groupby("chrom").tail(1).index, "end"] -= 123
    names = {"what": "wig", "reference_name": "bins"}
    own = clip_contig_ends(match_contig_names(table.bins, ref, **names), ref, **names)
    pd.testing.assert_frame_equal(own[["chrom", "start", "end"]], ref[["chrom", "start", "end"]])
    (folder / "two words.wig").write_text((folder / f"{sim.cells.index[0]}.wig").read_text())
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["cnv", "call", "--count-table", str(folder), "--patient", "P1", "--outdir", str(out)])
    assert exit_.value.code != 0
    (tmp_path / "var.wig").write_text("variableStep chrom=1\n1 5\n")
    (tmp_path / "bare.wig").write_text("5\n6\n")
    with pytest.raises(CNVInputError, match=r"bare.wig: line 1: '5' comes before any fixedStep"):
        ctc.cnv.read_count_table(tmp_path / "bare.wig")
    with pytest.raises(
        CNVInputError, match=r"var.wig: line 1: 'variableStep chrom=1' comes before"
    ):
        ctc.cnv.read_count_table(tmp_path / "var.wig")


def test_wig_folder_with_a_chr_bin_table_is_called_by_the_cli(tmp_path):
    sim = _sim(3)
    folder = tmp_path / "wig"
    folder.mkdir()
    for i, cell in enumerate(sim.cells.index):
        _write_wig(folder / f"{cell}.wig", sim, i)
    bins_path = tmp_path / "bins.tsv"
    sim.bins.assign(chrom="chr" + sim.bins["chrom"]).to_csv(bins_path, sep="\t", index=False)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main([
            "cnv", "call", "--count-table", str(folder), "--bins", str(bins_path),
            "--patient", "P1", "--outdir", str(out), "--no-plots",
        ])  # fmt: skip
    assert exit_.value.code == 0
    adata = ad.read_h5ad(out / "cnv.h5ad")
    assert adata.var["chrom"].iloc[0] == "chr1" and adata.uns["ctc_cnv"]["gc_corrected"]
    truth = sim.truth[np.argsort(np.argsort(sim.cells.index))]  # table rows: sorted cells
    used = adata.var["used"].to_numpy() & (adata.var["chrom"].to_numpy() != "chrX")
    right = (np.asarray(adata.layers["copy_number"])[:, used] == truth[:, used]).mean(axis=1)
    assert np.median(right) >= 0.97, right


def test_copykit_like_h5ad_with_one_based_float_coordinates(tmp_path):
    sim = _sim()
    var = pd.DataFrame({
        "chr": sim.bins["chrom"].to_numpy(), "start": sim.bins["start"].to_numpy() + 1.0,
        "end": sim.bins["end"].to_numpy() * 1.0, "gc_content": sim.bins["gc"].to_numpy(),
    })  # fmt: skip
    var.index = [f"bin{i}" for i in range(len(var))]
    adata = ad.AnnData(sim.counts.astype(np.float32), var=var)
    adata.obs_names = list(sim.cells.index)
    adata.T.write_h5ad(tmp_path / "bins_by_cells.h5ad")
    table = ctc.cnv.read_count_table(tmp_path / "bins_by_cells.h5ad")
    _assert_same(table, sim)
    np.testing.assert_allclose(table.bins["gc"], sim.bins["gc"])


def test_normal_and_bins_named_without_chr_are_matched(tmp_path, caplog):
    sim = _sim()
    table_bins = sim.bins.assign(chrom="chr" + sim.bins["chrom"])
    normal = sim.bins[["chrom", "start", "end"]].assign(count=np.arange(len(sim.bins)) + 100)
    normal.to_csv(tmp_path / "normal.csv", index=False)
    with caplog.at_level(logging.INFO):
        values = read_normal(tmp_path / "normal.csv", table_bins)
    np.testing.assert_array_equal(values, normal["count"])
    assert "read as the count table's (1 -> chr1" in caplog.text
    other = table_bins.assign(chrom=table_bins["chrom"].str.replace("chr3", "chr4"))
    with pytest.raises(CNVInputError, match=r"normal.csv: bin \d+ is 3:0-500000 but .* chr4:0"):
        read_normal(tmp_path / "normal.csv", other)
    (tmp_path / "t.rds").write_bytes(b"X\n")
    with pytest.raises(CNVInputError, match=r"t.rds: not a count table; write it as a table"):
        ctc.cnv.read_count_table(tmp_path / "t.rds")


def test_contigs_that_are_not_chromosomes_are_left_out(tmp_path):
    # readCounter without -c counts every contig: chrM read as an amplification and the
    # decoy as a deletion in every cell, and they pulled the diploid cells to ploidy 4.
    sim = _sim(4)
    extra = pd.DataFrame({
        "chrom": ["MT", "GL000192.1", "hs37d5", "hs37d5"], "start": [0, 0, 0, 500_000],
        "end": [16_569, 500_000, 500_000, 1_000_000],
    })  # fmt: skip
    rng = np.random.default_rng(0)
    junk = pd.DataFrame(rng.poisson(40_000, (4, len(sim.cells))), columns=sim.cells.index)
    wide = pd.concat([_wide(sim), pd.concat([extra, junk], axis=1)], ignore_index=True)
    wide.to_csv(tmp_path / "all_contigs.tsv", sep="\t", index=False)
    _assert_same(ctc.cnv.read_count_table(tmp_path / "all_contigs.tsv"), sim)


def test_bins_named_by_region_cells_in_rows_and_h5ad_var_names(tmp_path):
    sim = _sim(5)
    coords = sim.bins[["chrom", "start", "end"]].itertuples(index=False)
    names = [f"chr{c}:{s + 1}-{e}" for c, s, e in coords]  # 1-based, as R writes them
    rows = pd.DataFrame(sim.counts, columns=names)
    rows.insert(0, "cell_id", sim.cells.index)
    rows.to_csv(tmp_path / "cells_by_bins.csv.gz", index=False)
    table = ctc.cnv.read_count_table(tmp_path / "cells_by_bins.csv.gz")
    np.testing.assert_array_equal(table.counts, sim.counts)
    assert table.cells == list(sim.cells.index)
    expected = sim.bins[["chrom", "start", "end"]].assign(chrom="chr" + sim.bins["chrom"])
    pd.testing.assert_frame_equal(table.bins[["chrom", "start", "end"]], expected)
    adata = ad.AnnData(sim.counts.astype(np.float32))
    adata.obs_names, adata.var_names = list(sim.cells.index), names
    adata.write_h5ad(tmp_path / "named.h5ad")
    table = ctc.cnv.read_count_table(tmp_path / "named.h5ad")
    np.testing.assert_array_equal(table.counts, sim.counts)
    pd.testing.assert_frame_equal(table.bins[["chrom", "start", "end"]], expected)


def test_r_write_csv_row_names_quotes_and_scientific_coordinates(tmp_path):
    # R's write.csv: a row-names column with an empty name, quoted text, 1-based starts
    # and round coordinates as 1e+06; a row-names column used to be read as a cell.
    sim = _sim(6)
    lines = ['"","chr","start","end",' + ",".join(f'"{c}"' for c in sim.cells.index)]
    for k, (c, s, e) in enumerate(sim.bins[["chrom", "start", "end"]].itertuples(index=False)):
        counts = ",".join(str(v) for v in sim.counts[:, k])
        lines.append(f'"{k + 1}","{c}",{s + 1},{e:g},{counts}')
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    _assert_same(ctc.cnv.read_count_table(tmp_path / "r.csv"), sim)


def test_a_gc_column_without_values_is_dropped_not_every_bin(tmp_path, caplog):
    sim = _sim(7)
    dlp = _dlp(sim, gc_unknown=range(len(sim.bins)))  # gc -1 throughout
    dlp.to_csv(tmp_path / "reads.csv", index=False)
    with caplog.at_level(logging.WARNING):
        table = ctc.cnv.read_count_table(tmp_path / "reads.csv")
    assert "gc" not in table.bins and "column gc has no value in any bin" in caplog.text
    _assert_same(table, sim)


def test_gzip_without_gz_suffix_and_binary_files(tmp_path):
    sim = _sim(8)
    _wide(sim).to_csv(tmp_path / "wide.csv", index=False, compression="gzip")  # no .gz
    _assert_same(ctc.cnv.read_count_table(tmp_path / "wide.csv"), sim)
    (tmp_path / "counts.loom").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CNVInputError, match=r"counts.loom: not a text table"):
        ctc.cnv.read_count_table(tmp_path / "counts.loom")


def _call_cli(table, out):
    args = ["cnv", "call", "--count-table", str(table), "--patient", "P1"]
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--outdir", str(out), "--no-plots"])
    assert exit_.value.code == 0
    return ad.read_h5ad(out / "cnv.h5ad")


def test_reference_gap_without_wbcs_or_normal_is_not_a_deletion_in_every_cell(tmp_path):
    # A whole-genome table lists bins of reference gaps (hg19 chr13p, centromeres) with
    # no reads in any cell. Without WBCs or a normal they were called copy number 0 in
    # every cell, diploid ones included; a deletion of the tumour cells only is still one.
    sim = _sim(8, n=16)
    chrom = sim.bins["chrom"].to_numpy()
    gap = np.flatnonzero(chrom == "2")[10:20]  # 5 Mb with no reads anywhere
    deleted = np.flatnonzero(chrom == "1")[8:11]  # 3 bins deleted in the tumour cells
    tumour = (sim.cells["clone"] == "T").to_numpy()
    sim.counts[:, gap] = 0
    sim.counts[np.ix_(tumour, deleted)] = 0
    _wide(sim).to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    adata = _call_cli(tmp_path / "t.tsv", tmp_path / "out")
    reason = adata.var["exclude_reason"].to_numpy()
    assert set(reason[gap]) == {"no_reads_any_cell"}
    cn = np.asarray(adata.layers["copy_number"])
    assert (cn[np.ix_(tumour, deleted)] == 0).all()
    assert (cn[np.ix_(~tumour, deleted)] == 2).all()
    zero_somewhere = (cn == 0).any(axis=0) & adata.var["used"].to_numpy()
    assert set(np.flatnonzero(zero_somewhere)) == set(deleted)
    # The gap pulled the diploid cells' ploidy to 1.68-1.86 (bins right 0.6-0.9).
    normal = ~tumour
    np.testing.assert_allclose(adata.obs["ploidy"].to_numpy()[normal], 2.0, atol=0.05)
    assert (_right(adata, sim)[normal] >= 0.97).all()


def test_qdnaseq_use_column_leaves_out_its_filtered_bins(tmp_path, caplog):
    # QDNAseq's fData: 1-based bins, gc and mappability in percent, use TRUE/FALSE.
    sim = _sim(9)
    n = len(sim.bins)
    use = np.ones(n, dtype=bool)
    use[[5, 6, 30]] = False
    table = pd.DataFrame({
        "chromosome": sim.bins["chrom"], "start": sim.bins["start"] + 1, "end": sim.bins["end"],
        "bases": 100.0, "gc": 100 * sim.bins["gc"], "mappability": 99.0, "blacklist": 0.0,
        "residual": 0.01, "use": np.where(use, "TRUE", "FALSE"),
    })  # fmt: skip
    table = pd.concat([table, pd.DataFrame(sim.counts.T, columns=sim.cells.index)], axis=1)
    table.to_csv(tmp_path / "qdnaseq.tsv", sep="\t", index=False)
    with caplog.at_level(logging.INFO):
        read = ctc.cnv.read_count_table(tmp_path / "qdnaseq.tsv")
    assert "3 bin(s) marked use = FALSE" in caplog.text
    np.testing.assert_array_equal(read.bins["table_use"].to_numpy(), use)
    adata = _call_cli(tmp_path / "qdnaseq.tsv", tmp_path / "out")
    assert list(adata.var["exclude_reason"].iloc[[5, 6, 30]]) == ["table_use"] * 3
    assert adata.var["used"].to_numpy()[use].mean() > 0.95
    table["use"] = "maybe"
    table.to_csv(tmp_path / "bad.tsv", sep="\t", index=False)
    with pytest.raises(CNVInputError, match="column 'use' holds 'maybe'"):
        ctc.cnv.read_count_table(tmp_path / "bad.tsv")


def test_rows_in_another_order_are_sorted_and_one_based_bins_still_recognised(tmp_path):
    # A shuffled or reversed export used to be refused ("bins are not in genomic order",
    # with a fix meant for AnnData users), and 1-based closed bins out of order were not
    # recognised as such.
    sim = _sim(10)
    wide = _wide(sim)
    wide["start"] += 1  # 1-based closed
    shuffled = wide.sample(frac=1.0, random_state=0)
    shuffled.to_csv(tmp_path / "shuffled.tsv", sep="\t", index=False)
    table = ctc.cnv.read_count_table(tmp_path / "shuffled.tsv")
    contigs = list(pd.unique(shuffled["chrom"]))
    order = sim.bins.assign(_c=sim.bins["chrom"].map(contigs.index))
    order = order.sort_values(["_c", "start"]).index.to_numpy()
    expected = sim.bins.iloc[order][["chrom", "start", "end"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(table.bins[["chrom", "start", "end"]], expected)
    np.testing.assert_array_equal(table.counts, sim.counts[:, order])
    adata = _call_cli(tmp_path / "shuffled.tsv", tmp_path / "out")
    assert adata.n_vars == len(sim.bins)


@pytest.mark.parametrize("suffix", [".tsv", ".h5ad"])
def test_a_bin_listed_twice_is_refused_by_name(tmp_path, suffix):
    # A table concatenated twice (or two runs merged) reached the caller as "bins are not
    # in genomic order ... sort them first" with an AnnData fix, for a sorted table.
    sim = _sim(3)
    wide = _wide(sim)
    doubled = pd.concat([wide, wide.iloc[[5]]], ignore_index=True)
    path = tmp_path / f"dup{suffix}"
    if suffix == ".tsv":
        doubled.to_csv(path, sep="\t", index=False)
    else:
        cells = list(sim.cells.index)
        var = doubled[["chrom", "start", "end"]].set_axis([f"b{i}" for i in range(len(doubled))])
        ad.AnnData(doubled[cells].T.to_numpy(), var=var).write_h5ad(path)
    b = sim.bins.iloc[5]
    with pytest.raises(CNVInputError, match=rf"bin {b.chrom}:{b.start}-{b.end} is listed twice"):
        ctc.cnv.read_count_table(path)


@pytest.mark.parametrize("suffix", [".tsv", ".h5ad"])
def test_a_cell_named_twice_is_refused_by_name(tmp_path, suffix):
    # pandas read a repeated column 'X' as a new cell 'X.1' (a CTC of draw D1 when the
    # sheet lacks it); a repeated h5ad cell went on as two cells of one name.
    sim = _sim(4)
    wide = _wide(sim)
    cells = list(sim.cells.index)
    twice = cells[5]
    names = ["chrom", "start", "end", *cells[:6], twice, *cells[7:]]
    path = tmp_path / f"dup{suffix}"
    if suffix == ".tsv":
        wide.set_axis(names, axis=1).to_csv(path, sep="\t", index=False)
    else:
        h5 = ad.AnnData(sim.counts.astype(np.float32), var=sim.bins[["chrom", "start", "end"]])
        h5.obs_names = names[3:]
        h5.var_names = [str(i) for i in range(h5.n_vars)]
        h5.write_h5ad(path)
    with pytest.raises(CNVInputError, match=rf"'{twice}' appears 2 times"):
        ctc.cnv.read_count_table(path)
