"""Score the RNA signatures on 100,000 cells x 20,000 genes: ctcgenomics vs scanpy.

Synthetic scale-up of real profiles: cells are resampled from the bundled breast CTC/WBC
matrix (example/breast_ctc_wbc.h5ad), genes tiled to 20,000, counts thinned binomially
to vary library size. Both tools score the same sets on the same log-normalised CSR
matrix in the same run; prints wall times, their ratio and peak memory (tracemalloc).

    python benchmarks/bench_rna_scoring.py [--cells 100000] [--genes 20000]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

import anndata as ad
import numpy as np
import scanpy as sc
import scipy.sparse as sp

from ctcgenomics.rna import load_gene_sets, score_gene_sets
from ctcgenomics.rna._genesets import SIGNATURE_SETS

EXAMPLE = Path(__file__).resolve().parents[1] / "example" / "breast_ctc_wbc.h5ad"


def synthetic(n_cells: int, n_genes: int, seed: int = 0) -> ad.AnnData:
    real = ad.read_h5ad(EXAMPLE)
    x = sp.csr_matrix(real.X, dtype=np.float32)[:, :n_genes]
    names = list(real.var_names[:n_genes])
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, x.shape[0], n_cells)
    big = x[rows]
    big.data = rng.binomial(np.round(big.data).astype(np.int64), 0.5).astype(np.float32)
    big.eliminate_zeros()
    adata = ad.AnnData(X=big)
    adata.var_names = names + [f"SYN{i}" for i in range(n_genes - len(names))]
    adata.obs_names = [f"c{i}" for i in range(n_cells)]
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    return adata


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--genes", type=int, default=20_000)
    args = parser.parse_args()
    adata = synthetic(args.cells, args.genes)
    print(f"matrix: {adata.n_obs} x {adata.n_vars}, nnz {adata.X.nnz:,}")
    all_sets = load_gene_sets()
    names = sorted({s for v in SIGNATURE_SETS.values() for s in v})
    sets = {n: all_sets[n] for n in names}
    tracemalloc.start()
    t0 = time.perf_counter()
    ours, _ = score_gene_sets(adata, sets)
    t_ours = time.perf_counter() - t0
    peak_ours = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    for n in names:
        sc.tl.score_genes(adata, sets[n], score_name=n, random_state=0)
    t_sc = time.perf_counter() - t0
    peak_sc = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    corr = np.mean([np.corrcoef(ours[n], adata.obs[n])[0, 1] for n in names])
    print(f"{len(names)} sets")
    print(f"ctcgenomics score_gene_sets: {t_ours:.2f} s, peak {peak_ours / 2**20:.0f} MiB")
    print(f"scanpy score_genes:          {t_sc:.2f} s, peak {peak_sc / 2**20:.0f} MiB")
    print(f"wall-time ratio ctcgenomics / scanpy = {t_ours / t_sc:.3f}")
    print(f"mean Pearson r between the two tools' scores = {corr:.3f}")


if __name__ == "__main__":
    main()
