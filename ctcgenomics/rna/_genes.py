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


def sum_duplicate_genes(adata: AnnData, *, log_base: float | None = None) -> AnnData:
    """Sum the columns of genes that share a name (keeps first-seen order).

    Summing (not keeping the first) preserves every count when several IDs map to one
    symbol, e.g. PAR genes, retired IDs or a symbol column with repeats. Log-scale values
    ``log_b(v + 1)`` (``log_base`` b) are summed on the linear scale.
    """
    names = pd.Index(adata.var_names)
    if names.is_unique:
        return adata
    codes, uniques = pd.factorize(names)
    summed = combine_columns(adata.X, codes, len(uniques), log_base=log_base)
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


def combine_columns(x, codes: np.ndarray, n_out: int, *, log_base: float | None = None):
    """Sum the columns of ``x`` with the same code (``-1``: dropped); CSR if ``x`` is sparse.

    Log-scale values ``log_b(v + 1)`` (``log_base`` b; None: linear values) are summed on
    the linear scale, ``log_b(sum(b**x - 1) + 1)``.
    """
    k = None if log_base is None else float(np.log(log_base))
    codes = np.asarray(codes)
    keep = codes >= 0
    agg = sp.csr_matrix(
        (np.ones(int(keep.sum())), (np.flatnonzero(keep), codes[keep])), shape=(len(codes), n_out)
    )
    if sp.issparse(x):
        m = sp.csr_matrix(x, dtype=np.float64, copy=True)
        if k is not None:
            m.data = np.expm1(m.data * k)
        out = sp.csr_matrix(m @ agg)
        if k is not None:
            out.data = np.log1p(out.data) / k
        return out
    m = np.asarray(x, dtype=np.float64)
    m = np.expm1(m * k) if k is not None else m
    out = m @ agg.toarray()
    return np.log1p(out) / k if k is not None else out


_COPY_SUFFIX = re.compile(r"^(.+?)[-.](\d{1,2})$")
"""A copy of a repeated name made unique: ``KRT18-1`` (scanpy), ``KRT18.1`` (R, pandas)."""


def merge_copy_suffixes(names: pd.Index) -> tuple[pd.Index, list[str]]:
    """Undo ``make_unique``: ``KRT18-1`` / ``KRT18.1`` become ``KRT18`` when it is present.

    :meth:`anndata.AnnData.var_names_make_unique` and R's ``make.unique`` keep repeated
    symbols as ``KRT18``, ``KRT18-1``, ``KRT18-2``; the copies are the same gene's other
    IDs. A name is taken for a copy only when its stem is also a name of the matrix and
    the name itself is no human symbol, current or previous (``NKX2-1``, ``HLA-A``,
    ``MT-ND1`` are genes). Returns the names and the merged copies.
    """
    names = pd.Index([str(n) for n in names])
    parts = names.str.extract(_COPY_SUFFIX)
    present = set(names)
    known = set(human_symbols()[0]) | set(previous_symbols())
    copy = np.array(
        [
            isinstance(stem, str) and stem in present and name not in known
            for name, stem in zip(names, parts[0], strict=True)
        ],
        dtype=bool,
    )
    if not copy.any():
        return names, []
    merged = list(names[copy])
    log.info("took %d name(s) made unique (e.g. %s) as copies of their gene", len(merged),
             merged[:3])  # fmt: skip
    return pd.Index(np.where(copy, parts[0], names).astype(str)), merged


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
    names, every name is matched: each becomes the human symbol of the same letters
    (``Krt8`` -> ``KRT8``, ``c1orf112`` -> ``C1orf112``); the others are kept. For mouse
    data this is a symbol-level ortholog approximation: most marker genes share the
    symbol, some have no mouse ortholog (e.g. KLK3, SCGB2A2).

    Otherwise (mostly human case) only names in another case whose human symbol is not
    itself among the names are matched, with a warning: a table whose symbols were
    partly lower- or upper-cased (``Ptprc``, ``C17ORF49``) keeps those genes, and no
    name is merged with a gene the matrix already has. On the real human matrices
    shipped with the dependencies (oligodendroglioma, PBMC) this changes no name.

    Returns
    -------
    names : pandas.Index
        The (possibly re-cased) names.
    info : dict
        ``exact_share``, ``case_insensitive_share``, ``recased`` (bool: every name) and
        ``recased_names`` (names matched one by one), for
        ``uns["rna_read"]["gene_names"]``.
    """
    names = pd.Index([str(n) for n in names])
    exact, folded = symbol_case_shares(names)
    recase = exact <= RECASE_MAX_EXACT and folded - exact >= RECASE_MIN_GAIN
    info: dict[str, object] = {
        "exact_share": round(exact, 4),
        "case_insensitive_share": round(folded, 4),
        "recased": bool(recase),
        "recased_names": [],
    }
    symbols, _, canon = human_symbols()
    if not recase:
        present, known = set(names), set(symbols)
        fix = {
            n: canon[n.upper()]
            for n in present
            if n not in known and n.upper() in canon and canon[n.upper()] not in present
        }
        if fix:
            log.warning(
                "%d gene name(s) in another case than the human symbol (e.g. %s): matched to it",
                len(fix),
                ", ".join(f"{k}->{v}" for k, v in list(fix.items())[:3]),
            )
            info["recased_names"] = [f"{k}->{v}" for k, v in list(fix.items())[:100]]
        return pd.Index([fix.get(n, n) for n in names]), info
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


def harmonize_gene_names(
    adata: AnnData, *, log_base: float | None = None
) -> tuple[AnnData, list[str]]:
    """Convert Ensembl gene IDs to symbols, repair symbol case, sum duplicates.

    Parameters
    ----------
    adata
        Cells x genes with symbols or Ensembl IDs (versioned or not, alone or inside a
        composite label such as ``ENSG00000141736.14|ERBB2``, or with a genome prefix
        such as ``GRCh38_KRT8``) as ``var_names``.
    log_base
        Base of log-scale values ``log_b(v + 1)``: repeated genes are summed on the
        linear scale; None for linear values (counts, TPM).

    Returns
    -------
    adata : AnnData
        With unique symbols as ``var_names`` (unknown Ensembl IDs are kept as IDs);
        ``uns["gene_names"]`` says whether symbol case was repaired
        (:func:`harmonize_symbol_case`), which previous symbols were renamed
        (:func:`rename_previous_symbols`), which names made unique were merged
        (:func:`merge_copy_suffixes`) and the genome prefixes of a multi-genome matrix
        (:func:`split_genome_prefixes`).
    unknown : list of str
        Ensembl IDs absent from GENCODE v44.
    """
    adata, genomes = split_genome_prefixes(adata)
    names, unknown, info = harmonize_names(adata.var_names)
    adata = adata.copy()
    adata.var_names = names
    adata.uns["gene_names"] = {**info, "genome_prefixes": genomes}
    return sum_duplicate_genes(adata, log_base=log_base), unknown


def harmonize_names(names: pd.Index | list[str]) -> tuple[pd.Index, list[str], dict[str, object]]:
    """Harmonise gene names as :func:`harmonize_gene_names` does, without the matrix.

    No genome prefixes are split and the names may repeat. Returns the new names
    (Ensembl IDs as symbols, case repaired, previous symbols renamed, copies made unique
    merged into their gene), the Ensembl IDs absent from GENCODE v44, and what was done.
    """
    names = pd.Index([str(n) for n in names])
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
    names, copies = merge_copy_suffixes(names)
    names, renamed = rename_previous_symbols(names)
    info = {
        **case_info,
        "n_ensembl_converted": int(ens.sum()) - len(unknown),
        "previous_symbols_renamed": renamed,
        "copies_merged": copies[:100],
        "n_copies_merged": len(copies),
    }
    return pd.Index(names.astype(str)), unknown, info
