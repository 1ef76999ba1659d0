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
_ENSEMBL_IN_LABEL = re.compile(r"(?:^|[|:_ ])(ENSG\d{11}(?:\.\d+)?)(?:$|[|:_ ])")
"""An Ensembl ID inside a composite label (``ENSG00000141736.14|ERBB2``, ``ERBB2_ENSG...``)."""
GENOME_PREFIX = re.compile(r"^(GRCh3[78]|hg19|hg38|GRCm3[89]|mm10|mm39)_+(.+)$")
"""A multi-genome reference's prefix (Cell Ranger barnyard/xenograft: ``GRCh38_KRT8``)."""
_HUMAN_GENOMES = ("GRCh37", "GRCh38", "hg19", "hg38")
RECASE_MAX_EXACT = 0.10
"""Largest share of symbols matching the human table exactly for which case is repaired."""
RECASE_MIN_GAIN = 0.30
"""Smallest gain in matched share from case-insensitive matching that triggers it."""


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


@cache
def human_symbols() -> tuple[pd.Index, pd.Index, dict[str, str]]:
    """Human symbols, their upper-case forms, and upper-case -> symbol (built once)."""
    symbols = pd.Index(gene_table()["gene_name"].drop_duplicates())
    upper = pd.Index(symbols.str.upper())
    return symbols, upper, dict(zip(upper, symbols, strict=True))


PREVIOUS_SYMBOLS = resources.files("ctcgenomics") / "data" / "rna" / "previous_symbols_v1.tsv"


@cache
def previous_symbols() -> dict[str, str]:
    """Previous HGNC symbol -> current symbol of programme genes (``previous_symbols_v1.tsv``)."""
    with resources.as_file(PREVIOUS_SYMBOLS) as path:
        table = pd.read_csv(path, sep="\t", comment="#")
    return dict(zip(table["previous"], table["symbol"], strict=True))


def rename_previous_symbols(names: pd.Index) -> tuple[pd.Index, list[str]]:
    """Rename previous symbols of programme genes (``ACPP`` -> ``ACP3``).

    Only where the current symbol is absent from ``names`` (else the two would be summed
    with a gene the matrix already has) and the previous one is no current symbol.
    Returns the names and the renamed ``previous->current`` pairs.
    """
    present, current = set(names), set(human_symbols()[0])
    mapping = {
        old: new
        for old, new in previous_symbols().items()
        if old in present and new not in present and old not in current
    }
    if mapping:
        log.info("renamed previous gene symbol(s): %s", mapping)
    return pd.Index([mapping.get(n, n) for n in names]), [f"{o}->{n}" for o, n in mapping.items()]


def symbol_case_shares(names: pd.Index | list[str]) -> tuple[float, float]:
    """Shares of non-Ensembl ``names`` that are human symbols exactly and ignoring case."""
    names = pd.Index([str(n) for n in names])
    names = names[~looks_like_ensembl(names)]
    if len(names) == 0:
        return 1.0, 1.0
    symbols, upper, _ = human_symbols()
    exact = float(np.mean(names.isin(symbols)))
    folded = float(np.mean(names.str.upper().isin(upper)))
    return exact, folded


def harmonize_symbol_case(names: pd.Index | list[str]) -> tuple[pd.Index, dict[str, object]]:
    """Match symbols in another case (mouse ``Krt8``, all lower case) to human symbols.

    Only when almost no name matches the human table as written (share <=
    RECASE_MAX_EXACT) and case-insensitive matching gains at least RECASE_MIN_GAIN of the
    names: human matrices (0.85-1.0 exact) are never touched. Each matching name becomes
    the human symbol of the same letters (``Krt8`` -> ``KRT8``, ``c1orf112`` ->
    ``C1orf112``); the others are kept. For mouse data this is a symbol-level ortholog
    approximation: most marker genes share the symbol, some have no mouse ortholog
    (e.g. KLK3, SCGB2A2).

    Returns
    -------
    names : pandas.Index
        The (possibly re-cased) names.
    info : dict
        ``exact_share``, ``case_insensitive_share`` and ``recased`` (bool), for
        ``uns["rna_read"]["gene_names"]``.
    """
    names = pd.Index([str(n) for n in names])
    exact, folded = symbol_case_shares(names)
    recase = exact <= RECASE_MAX_EXACT and folded - exact >= RECASE_MIN_GAIN
    info: dict[str, object] = {
        "exact_share": round(exact, 4),
        "case_insensitive_share": round(folded, 4),
        "recased": bool(recase),
    }
    if not recase:
        return names, info
    canon = human_symbols()[2]
    new = pd.Index([canon.get(n.upper(), n) for n in names])
    log.warning(
        "%.0f%% of the gene names match human symbols as written but %.0f%% ignoring case "
        "(mouse-style or lower-case symbols): matched case-insensitively. For mouse data "
        "this is a symbol-level ortholog approximation.",
        100 * exact,
        100 * folded,
    )
    return new, info


def split_genome_prefixes(adata: AnnData) -> tuple[AnnData, dict[str, int]]:
    """Keep the human genes of a multi-genome matrix (xenograft, barnyard), unprefixed.

    When at least half the names carry a genome prefix (``GRCh38_KRT8``, ``mm10___Krt8``),
    the human-prefixed genes lose the prefix and the other genome's genes are dropped:
    the programmes are human genes, and a mouse gene of the same letters is another
    gene. Returns the matrix and the number of genes kept and dropped per genome.
    """
    names = pd.Index(adata.var_names.astype(str))
    parts = names.str.extract(GENOME_PREFIX)
    prefixed = parts[0].notna().to_numpy()
    if prefixed.mean() < 0.5:
        return adata, {}
    human = parts[0].isin(_HUMAN_GENOMES).to_numpy()
    keep = human | ~prefixed
    counts = {str(k): int(v) for k, v in parts[0].value_counts().items()}
    log.warning(
        "multi-genome matrix (genes per genome prefix: %s): kept the human genes without "
        "their prefix, dropped %d gene(s) of other genomes",
        counts,
        int((~keep).sum()),
    )
    out = adata[:, keep].copy()
    out.var_names = pd.Index(np.where(human, parts[1], names)[keep].astype(str))
    return out, counts


def harmonize_gene_names(adata: AnnData) -> tuple[AnnData, list[str]]:
    """Convert Ensembl gene IDs to symbols, repair symbol case, sum duplicates.

    Parameters
    ----------
    adata
        Cells x genes with symbols or Ensembl IDs (versioned or not, alone or inside a
        composite label such as ``ENSG00000141736.14|ERBB2``, or with a genome prefix
        such as ``GRCh38_KRT8``) as ``var_names``.

    Returns
    -------
    adata : AnnData
        With unique symbols as ``var_names`` (unknown Ensembl IDs are kept as IDs);
        ``uns["gene_names"]`` says whether symbol case was repaired
        (:func:`harmonize_symbol_case`), which previous symbols were renamed
        (:func:`rename_previous_symbols`) and the genome prefixes of a multi-genome
        matrix (:func:`split_genome_prefixes`).
    unknown : list of str
        Ensembl IDs absent from GENCODE v44.
    """
    adata, genomes = split_genome_prefixes(adata)
    names = pd.Index(adata.var_names.astype(str))
    # a composite label holding an ID: the ID is the unambiguous part
    embedded = names.str.extract(_ENSEMBL_IN_LABEL, expand=False)
    composite = np.asarray(pd.notna(embedded)) & ~looks_like_ensembl(names)
    if composite.any():
        log.info("took the Ensembl ID of %d composite gene label(s)", int(composite.sum()))
        names = pd.Index(
            np.where(composite, np.asarray(embedded, dtype=object), names.astype(object))
        )
    ens = looks_like_ensembl(names)
    unknown: list[str] = []
    adata = adata.copy()
    if ens.any():
        table = gene_table().drop_duplicates("gene_id").set_index("gene_id")["gene_name"]
        stripped = names.str.replace(r"\.\d+(_PAR_Y)?$", "", regex=True)
        symbols = stripped.map(table)
        names = pd.Index(
            np.where(ens & symbols.notna(), symbols.astype(object), names.astype(object))
        )
        unknown = list(names[ens & symbols.isna()])
        if unknown:
            log.warning(
                "%d Ensembl ID(s) not in GENCODE v44 kept as IDs, e.g. %s",
                len(unknown),
                unknown[:5],
            )
        log.info("converted %d Ensembl IDs to gene symbols", int((ens & symbols.notna()).sum()))
    names, case_info = harmonize_symbol_case(names)
    names, renamed = rename_previous_symbols(names)
    adata.var_names = pd.Index(names.astype(str))
    adata.uns["gene_names"] = {
        **case_info,
        "previous_symbols_renamed": renamed,
        "genome_prefixes": genomes,
    }
    return sum_duplicate_genes(adata), unknown
