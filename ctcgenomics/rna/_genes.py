"""Gene identifiers: Ensembl IDs to HGNC symbols with the packaged GENCODE table."""

from __future__ import annotations

import logging
import re
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

log = logging.getLogger(__name__)

GENE_TABLE = (
    resources.files("ctcgenomics") / "data" / "annotation" / "gencode_v44_genes_hg38.tsv.gz"
)
_ENSEMBL = re.compile(r"^ENSG\d{11}(\.\d+)?(_PAR_Y)?$")


@cache
def gene_table() -> pd.DataFrame:
    """GENCODE v44 genes: ``gene_id`` (unversioned), ``gene_name``, position columns."""
    with resources.as_file(GENE_TABLE) as path:
        table = pd.read_csv(path, sep="\t")
    table = table.rename(columns={"#contig": "chromosome"})
    table["gene_id"] = table["gene_id"].str.replace(r"\.\d+(_PAR_Y)?$", "", regex=True)
    return table


def looks_like_ensembl(names: pd.Index | list[str]) -> np.ndarray:
    """Boolean mask of names that are human Ensembl gene IDs."""
    return np.array([bool(_ENSEMBL.match(str(n))) for n in names], dtype=bool)


def sum_duplicate_genes(adata: AnnData) -> AnnData:
    """Sum the columns of genes that share a name (keeps first-seen order).

    Summing (not keeping the first) preserves every count when several IDs map to one
    symbol, e.g. PAR genes or retired IDs.
    """
    names = pd.Index(adata.var_names)
    if names.is_unique:
        return adata
    codes, uniques = pd.factorize(names)
    agg = sp.csr_matrix(
        (np.ones(len(codes)), (np.arange(len(codes)), codes)), shape=(len(codes), len(uniques))
    )
    x = adata.X
    summed = (x @ agg) if sp.issparse(x) else np.asarray(x) @ agg.toarray()
    summed = sp.csr_matrix(summed) if sp.issparse(x) else summed
    log.info(
        "summed %d duplicated gene column(s) into %d gene(s)",
        len(names) - len(uniques),
        int((np.bincount(codes) > 1).sum()),
    )
    return AnnData(
        X=summed,
        obs=adata.obs.copy(),
        var=pd.DataFrame(index=pd.Index(uniques, dtype=str)),
        uns=dict(adata.uns),
    )


def harmonize_gene_names(adata: AnnData) -> tuple[AnnData, list[str]]:
    """Convert Ensembl gene IDs to symbols, sum duplicates, report unknown IDs.

    Parameters
    ----------
    adata
        Cells x genes with symbols or Ensembl IDs (versioned or not) as ``var_names``.

    Returns
    -------
    adata : AnnData
        With unique symbols as ``var_names`` (unknown Ensembl IDs are kept as IDs).
    unknown : list of str
        Ensembl IDs absent from GENCODE v44.
    """
    names = pd.Index(adata.var_names.astype(str))
    ens = looks_like_ensembl(names)
    unknown: list[str] = []
    if ens.any():
        table = gene_table().drop_duplicates("gene_id").set_index("gene_id")["gene_name"]
        stripped = names.str.replace(r"\.\d+(_PAR_Y)?$", "", regex=True)
        symbols = stripped.map(table)
        new = np.where(ens & symbols.notna(), symbols.astype(object), names.astype(object))
        unknown = list(names[ens & symbols.isna()])
        if unknown:
            log.warning(
                "%d Ensembl ID(s) not in GENCODE v44 kept as IDs, e.g. %s",
                len(unknown),
                unknown[:5],
            )
        log.info("converted %d Ensembl IDs to gene symbols", int((ens & symbols.notna()).sum()))
        adata = adata.copy()
        adata.var_names = pd.Index(new.astype(str))
    return sum_duplicate_genes(adata), unknown
