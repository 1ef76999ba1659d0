"""Programme scoring and the CTC call on 100,000 cells x 20,000 genes vs scanpy.

The matrix is simulated (ctcgenomics.rna._simulate: 2% CTCs among leukocytes, about 2,000
counts per cell) and tiled to 20,000 genes. In the same run it times
``score_programmes`` (every packaged programme, decoys included, per-cell rank tests) and
``sc.tl.score_genes`` on the same gene sets, prints their RATIO, and times
``classify_cells`` (scoring + posterior + the copy-number term's profiles of the cells the
programmes leave uncertain) with its peak memory (tracemalloc).

    python benchmarks/bench_rna_classify.py [--cells 100000] [--genes 20000]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import anndata as ad
import numpy as np
import scanpy as sc
import scipy.sparse as sp

from ctcgenomics.rna import classify_cells, score_programmes
from ctcgenomics.rna._programmes import load_programmes
from ctcgenomics.rna._simulate import simulate_draw


def big_matrix(n_cells: int, n_genes: int) -> ad.AnnData:
    base = simulate_draw(200, 9_800, depth=2_000, n_genes=n_genes - 1_000, seed=0)
    reps = int(np.ceil(n_cells / base.n_obs))
    x = sp.vstack([base.X] * reps).tocsr()[:n_cells]
    a = ad.AnnData(X=x, var=base.var.copy())
    a.obs_names = [f"c{i}" for i in range(n_cells)]
    a.obs["truth"] = np.tile(base.obs["truth"].to_numpy(), reps)[:n_cells]
    return a


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--genes", type=int, default=20_000)
    args = parser.parse_args()
    adata = big_matrix(args.cells, args.genes)
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    print(f"matrix: {adata.n_obs} x {adata.n_vars}, nnz {adata.X.nnz:,}")
    score_programmes(adata[:100].copy(), tumour_type="BRCA")  # numba compile, not timed
    sets = {n: list(p.genes) for n, p in load_programmes().items()}
    t0 = time.perf_counter()
    score_programmes(adata, tumour_type="BRCA")
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for name, genes in sets.items():
        sc.tl.score_genes(adata, genes, score_name=f"sc_{name}", random_state=0)
    t_sc = time.perf_counter() - t0
    print(f"{len(sets)} programmes (+ decoys) scored")
    print(f"ctcgenomics score_programmes: {t_ours:.2f} s")
    print(f"scanpy score_genes:           {t_sc:.2f} s")
    print(f"RATIO score_programmes / score_genes = {t_ours / t_sc:.3f}")
    tracemalloc.start()
    t0 = time.perf_counter()
    classify_cells(adata, tumour_type="BRCA")
    t_cls = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    y = (adata.obs["truth"] == "CTC").to_numpy()
    c = (adata.obs["cell_class"] == "CTC").to_numpy()
    print(f"classify_cells: {t_cls:.2f} s, peak {peak / 2**30:.2f} GiB (tracemalloc)")
    print(f"sensitivity {c[y].mean():.3f}, specificity {(~c[~y]).mean():.4f} (simulated truth)")
    print(f"copy-number term: {adata.uns['cell_class']['cnv']['status']}")


if __name__ == "__main__":
    main()
