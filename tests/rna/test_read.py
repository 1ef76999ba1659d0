import gzip

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.io
import scipy.sparse as sp

from ctcgenomics.rna import CountMatrixError, read_counts

from .conftest import EXAMPLE

COUNTS = pd.DataFrame(
    [[1, 0, 3], [0, 2, 5]], index=["cellA", "cellB"], columns=["EPCAM", "KRT8", "PTPRC"]
)


def assert_reads_as_counts(path):
    """The file at ``path`` holds COUNTS in some layout."""
    adata = read_counts(path)
    assert list(adata.obs_names) == ["cellA", "cellB"]
    assert list(adata.var_names) == ["EPCAM", "KRT8", "PTPRC"]
    np.testing.assert_array_equal(adata.X.toarray(), COUNTS.to_numpy())


@pytest.mark.parametrize("genes_by_cells", [True, False])
@pytest.mark.parametrize("gz", [True, False])
def test_csv_orientation_detected(tmp_path, genes_by_cells, gz):
    frame = COUNTS.T if genes_by_cells else COUNTS
    path = tmp_path / ("m.csv.gz" if gz else "m.csv")
    frame.to_csv(path)
    adata = read_counts(path)
    assert list(adata.obs_names) == ["cellA", "cellB"]
    assert list(adata.var_names) == ["EPCAM", "KRT8", "PTPRC"]
    np.testing.assert_array_equal(adata.X.toarray(), COUNTS.to_numpy())
    expected = "genes x cells" if genes_by_cells else "cells x genes"
    assert adata.uns["rna_read"]["orientation"] == expected


def test_ensembl_ids_to_symbols_duplicates_summed_unknown_reported(tmp_path):
    # ENSG00000119888 = EPCAM, ENSG00000141736 = ERBB2 (GENCODE)
    frame = pd.DataFrame(
        [[1, 2, 4, 7], [3, 0, 1, 0]],
        index=["c1", "c2"],
        columns=["ENSG00000119888.11", "ENSG00000119888", "ENSG00000141736", "ENSG00000999999"],
    )
    path = tmp_path / "m.tsv"
    frame.to_csv(path, sep="\t")
    adata = read_counts(path)
    assert list(adata.var_names) == ["EPCAM", "ERBB2", "ENSG00000999999"]
    np.testing.assert_array_equal(adata.X.toarray(), [[3, 4, 7], [3, 1, 0]])
    assert adata.uns["rna_read"]["unknown_ids"] == ["ENSG00000999999"]


def write_10x(folder, *, skip=None):
    folder.mkdir()
    features = (
        "ENSG00000119888\tEPCAM\tGene Expression\nENSG00000161638\tKRT8\tGene Expression\n"
        "ENSG00000081237\tPTPRC\tGene Expression\n"
    )

    def write_matrix(path):
        # closed explicitly: an open gzip handle loses its tail (Python 3.12, newer scipy)
        with gzip.open(path, "wb") as handle:
            scipy.io.mmwrite(handle, sp.coo_matrix(COUNTS.T.to_numpy()))

    def write_text(text):
        def write(path):
            with gzip.open(path, "wt") as handle:
                handle.write(text)

        return write

    files = {
        "matrix.mtx.gz": write_matrix,
        "features.tsv.gz": write_text(features),
        "barcodes.tsv.gz": write_text("cellA\ncellB\n"),
    }
    for name, write in files.items():
        if name != skip:
            write(folder / name)


def test_10x_folder(tmp_path):
    write_10x(tmp_path / "mtx")
    adata = read_counts(tmp_path / "mtx")
    assert list(adata.var_names) == ["EPCAM", "KRT8", "PTPRC"]
    np.testing.assert_array_equal(adata.X.toarray(), COUNTS.to_numpy())


@pytest.mark.parametrize("skip", ["matrix.mtx.gz", "features.tsv.gz", "barcodes.tsv.gz"])
def test_10x_folder_missing_file_named(tmp_path, skip):
    write_10x(tmp_path / "mtx", skip=skip)
    with pytest.raises(CountMatrixError, match=skip.split(".")[0]):
        read_counts(tmp_path / "mtx")


def test_h5ad_with_filter(tmp_path):
    adata = ad.AnnData(
        X=COUNTS.to_numpy(float),
        obs=pd.DataFrame({"p": ["x", "y"]}, index=COUNTS.index),
        var=pd.DataFrame(index=COUNTS.columns),
    )
    adata.write_h5ad(tmp_path / "m.h5ad")
    out = read_counts(tmp_path / "m.h5ad", obs_filter='p == "y"')
    assert list(out.obs_names) == ["cellB"]


@pytest.mark.parametrize(
    ("values", "match"),
    [([[1, -1, 0], [0, 2, 1]], "negative values in cell"), ([[1, np.nan, 0], [0, 2, 1]], "NaN")],
)
def test_bad_values(tmp_path, values, match):
    frame = pd.DataFrame(values, index=["cellA", "cellB"], columns=COUNTS.columns)
    frame.to_csv(tmp_path / "m.csv")
    with pytest.raises(CountMatrixError, match=match):
        read_counts(tmp_path / "m.csv")


def test_duplicated_barcodes(tmp_path):
    frame = COUNTS.copy()
    frame.index = ["cellA", "cellA"]
    frame.to_csv(tmp_path / "m.csv")
    with pytest.raises(CountMatrixError, match=r"duplicated cell barcode.*cellA"):
        read_counts(tmp_path / "m.csv")


def test_empty_matrix(tmp_path):
    adata = ad.AnnData(X=np.zeros((0, 3)), var=pd.DataFrame(index=COUNTS.columns))
    adata.write_h5ad(tmp_path / "e.h5ad")
    with pytest.raises(CountMatrixError, match="empty matrix"):
        read_counts(tmp_path / "e.h5ad")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_counts(tmp_path / "nope.h5ad")


def _counts_h5ad(tmp_path, transform):
    import scanpy as sc

    from ctcgenomics.rna._simulate import simulate_draw

    a = simulate_draw(10, 30, n_genes=2000, depth=3000, seed=4)
    if transform in ("normalised", "log1p"):
        sc.pp.normalize_total(a, target_sum=1e4)
    if transform == "log1p":
        sc.pp.log1p(a)
    path = tmp_path / f"{transform}.h5ad"
    a.write_h5ad(path)
    return path


@pytest.mark.parametrize(
    ("holds", "declared", "message"),
    [
        # issue 13: a log-normalised matrix was accepted as counts and changed the calls
        ("log1p", "counts", "looks log-transformed.*values: log1p"),
        ("normalised", "counts", "looks normalised.*values: normalised"),
        ("counts", "normalised", "looks raw counts.*values: counts"),
        ("counts", "log1p", "not log-scale.*values: counts or normalised"),
        ("log1p", "normalised", "looks log-transformed"),
    ],
)
def test_values_that_do_not_fit_the_declaration_are_refused(tmp_path, holds, declared, message):
    with pytest.raises(CountMatrixError, match=message):
        read_counts(_counts_h5ad(tmp_path, holds), values=declared)


@pytest.mark.parametrize("holds", ["counts", "normalised", "log1p"])
def test_values_that_fit_are_read(tmp_path, holds):
    out = read_counts(_counts_h5ad(tmp_path, holds), values=holds)
    assert out.uns["rna_read"]["values"] == holds


def test_estimated_counts_pass_as_counts():
    # the unCTC matrix holds RSEM-style estimated counts (two decimals, 67% non-integer)
    out = read_counts(EXAMPLE, values="counts")
    assert out.uns["rna_read"]["value_summary"]["integer_fraction"] < 0.5


@pytest.mark.parametrize("recase", [str.capitalize, str.lower])
def test_symbols_in_another_case_are_matched_and_classified(tmp_path, recase):
    # Mouse-style (Krt8, Ptprc) or lower-case symbols: matched to the human symbols of the
    # same letters, recorded, and the cells classified as with the original names.
    from ctcgenomics.rna import classify_cells
    from ctcgenomics.rna._simulate import simulate_draw

    draw = simulate_draw(20, 60, n_genes=1500, depth=5_000, seed=4)
    other = draw.copy()
    other.var_names = [recase(g) for g in draw.var_names]
    other.write_h5ad(tmp_path / "m.h5ad")
    back = read_counts(tmp_path / "m.h5ad")
    case = back.uns["rna_read"]["gene_names"]
    assert case["recased"] and case["exact_share"] < 0.05
    assert case["case_insensitive_share"] > 0.95
    assert list(back.var_names) == list(draw.var_names)
    classify_cells(back, tumour_type="BRCA", cnv=False)
    classify_cells(draw, tumour_type="BRCA", cnv=False)
    np.testing.assert_array_equal(back.obs["cell_class"], draw.obs["cell_class"])
    # a CSV of lower-case genes x cells: the orientation is still found
    frame = pd.DataFrame(draw.X[:5].toarray(), index=draw.obs_names[:5], columns=other.var_names)
    frame.T.to_csv(tmp_path / "m.csv")
    assert read_counts(tmp_path / "m.csv").uns["rna_read"]["orientation"] == "genes x cells"


def test_human_symbols_keep_their_case(tmp_path):
    frame = pd.DataFrame([[1, 2, 3, 4]], index=["c1"], columns=["EPCAM", "C1orf112", "KRT8", "Xyz"])
    frame.to_csv(tmp_path / "m.csv")
    adata = read_counts(tmp_path / "m.csv")
    assert list(adata.var_names) == ["EPCAM", "C1orf112", "KRT8", "Xyz"]
    assert not adata.uns["rna_read"]["gene_names"]["recased"]


def test_versioned_ids_composite_labels_and_mixed_columns(tmp_path):
    # ENSG00000141736 = ERBB2, ENSG00000119888 = EPCAM, ENSG00000081237 = PTPRC
    frame = pd.DataFrame(
        [[1, 2, 4, 8, 16]],
        index=["c1"],
        columns=[
            "ENSG00000141736.14",
            "ENSG00000119888.11|EPCAM",
            "PTPRC_ENSG00000081237",
            "KRT8",
            "ENSG00000141736.14_PAR_Y",
        ],
    )
    frame.to_csv(tmp_path / "m.tsv", sep="\t")
    adata = read_counts(tmp_path / "m.tsv")
    assert list(adata.var_names) == ["ERBB2", "EPCAM", "PTPRC", "KRT8"]
    np.testing.assert_array_equal(adata.X.toarray(), [[17, 2, 4, 8]])


def test_duplicated_header_names_are_not_renamed(tmp_path):
    # pandas renames a repeated header to "KRT8.1"; duplicated genes must be summed and
    # duplicated cells refused instead.
    path = tmp_path / "m.csv"
    path.write_text(",EPCAM,KRT8,KRT8\ncellA,1,2,3\ncellB,0,1,1\n")
    adata = read_counts(path)
    assert list(adata.var_names) == ["EPCAM", "KRT8"]
    np.testing.assert_array_equal(adata.X.toarray(), [[1, 5], [0, 2]])
    path.write_text("gene,cellA,cellA\nEPCAM,1,2\nKRT8,3,4\n")
    with pytest.raises(CountMatrixError, match="duplicated cell barcode"):
        read_counts(path)


def test_r_style_table_without_a_row_name_header(tmp_path):
    # R's write.table: the header has no field over the row names
    path = tmp_path / "m.txt"
    path.write_text("cellA\tcellB\nEPCAM\t1\t0\nKRT8\t0\t2\nPTPRC\t3\t5\n")
    assert_reads_as_counts(path)


def test_genes_as_rows_with_id_and_symbol_columns(tmp_path):
    # GEO-style: gene_id, gene_name, then one column per cell; the symbol column labels
    path = tmp_path / "m.csv"
    path.write_text(
        "gene_id,gene_name,cellA,cellB\nENSG00000119888,EPCAM,1,0\n"
        "ENSG00000170421,KRT8,0,2\nENSG00000081237,PTPRC,3,5\n"
    )
    assert_reads_as_counts(path)
    # a non-numeric count is still refused
    path.write_text("gene,cellA,cellB\nEPCAM,1,x\nKRT8,0,2\n")
    with pytest.raises(CountMatrixError, match="non-numeric"):
        read_counts(path)


def test_previous_symbols_of_programme_genes_are_renamed(tmp_path):
    # Older annotations (GENCODE v32, 10x refdata 2020-A) call ACP3 "ACPP" and PMEL "SILV"
    frame = pd.DataFrame([[1, 2, 3, 4]], index=["c1"], columns=["ACPP", "SILV", "KLK3", "PTPRC"])
    frame.to_csv(tmp_path / "m.csv")
    adata = read_counts(tmp_path / "m.csv")
    assert list(adata.var_names) == ["ACP3", "PMEL", "KLK3", "PTPRC"]
    assert adata.uns["rna_read"]["gene_names"]["previous_symbols_renamed"] == [
        "ACPP->ACP3",
        "SILV->PMEL",
    ]
    # the current symbol already measured: the previous one is left alone
    frame.columns = ["ACPP", "ACP3", "KLK3", "PTPRC"]
    frame.to_csv(tmp_path / "m.csv")
    assert list(read_counts(tmp_path / "m.csv").var_names) == ["ACPP", "ACP3", "KLK3", "PTPRC"]


def test_h5ad_with_gene_names_in_a_var_column(tmp_path):
    # an R export without row names: positions as var_names, symbols in var["gene_symbols"]
    a = ad.AnnData(
        X=sp.csr_matrix(COUNTS.to_numpy(dtype=np.float32)),
        obs=pd.DataFrame(index=COUNTS.index),
        var=pd.DataFrame(
            {"gene_symbols": COUNTS.columns, "length": [1.0, 2.0, 3.0]},
            index=["1", "2", "3"],
        ),
    )
    a.write_h5ad(tmp_path / "m.h5ad")
    assert list(read_counts(tmp_path / "m.h5ad").var_names) == ["EPCAM", "KRT8", "PTPRC"]


def test_featurecounts_and_htseq_tables(tmp_path):
    # featureCounts: a '#' command line, then Geneid Chr Start End Strand Length samples;
    # merged HTSeq tables end with __no_feature-style summary rows
    path = tmp_path / "counts.txt"
    path.write_text(
        "# Program:featureCounts v2.0.1; Command:featureCounts -a genes.gtf\n"
        "Geneid\tChr\tStart\tEnd\tStrand\tLength\tcellA\tcellB\n"
        "EPCAM\tchr2\t100\t200\t+\t101\t1\t0\n"
        "KRT8\tchr12;chr12\t5;9\t7;12\t-;-\t6\t0\t2\n"
        "PTPRC\tchr1\t10\t90\t+\t81\t3\t5\n"
        "__no_feature\t\t\t\t\t\t900\t800\n"
    )
    assert_reads_as_counts(path)


def test_multi_genome_matrix_keeps_the_human_genes(tmp_path):
    # xenograft / barnyard references prefix each gene with its genome
    frame = COUNTS.copy()
    frame.columns = ["GRCh38_EPCAM", "GRCh38_KRT8", "GRCh38_PTPRC"]
    frame["mm10___Ptprc"] = [7, 9]
    frame.to_csv(tmp_path / "m.csv")
    adata = read_counts(tmp_path / "m.csv")
    assert list(adata.var_names) == ["EPCAM", "KRT8", "PTPRC"]
    np.testing.assert_array_equal(adata.X.toarray(), COUNTS.to_numpy())
    assert adata.uns["rna_read"]["gene_names"]["genome_prefixes"] == {"GRCh38": 3, "mm10": 1}
