"""Whole-genome hg19 count tables as another tool's user has them: no FASTA, WBCs or normal.

Each run simulates one patient with ``ctcgenomics.simulate`` (MDA noise, 150 reads per
bin): GRCh37 lengths, contigs ``1..22, X, Y`` (no Y for a female), 500 kb bins, a fifth
of the cells diploid and two clones with 6 and 6 + 3 random arm or chromosome gains and
losses, no cell labels. It writes a wide TSV without GC and a comma-separated table with
a ``gc`` column, calls each with ``ctcg cnv call --count-table T --patient P1 --outdir O
--no-plots`` (nothing else given) and prints the share of each cell's used autosomal
bins called at the true copy number, the cells fitted at twice their true ploidy (and
how many of those are flagged not identifiable), the sex and the wall time; then the
median share of bins right per cell kind (diploid cells, clone ``A``, clone ``B``) and
the false gains and losses (bins) per diploid cell.

``--shared-bias SD --stretches N`` add a per-bin bias all cells share (log-normal, plus
``N`` contiguous low-mappability stretches of up to ``--stretch-bins`` bins;
``simulate._arm_patient.shared_bin_bias``),
as real count tables carry; ``--params-json`` is passed to ``ctcg cnv call``.

Run: .venv/bin/python benchmarks/bench_cnv_tables.py [--runs 0:40:male 1:20:female ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RUNS = ["0:40:male", "1:20:female", "2:60:male", "3:40:female", "4:30:male"]


def simulate(
    seed: int, n_cells: int, sex: str, out: Path, bias: float = 0.0, stretches: int = 0,
    stretch_bins: int = 4,
):  # fmt: skip
    """Write ``nogc.tsv.gz`` and ``gc.csv.gz`` for one patient; return the simulation."""
    from ctcgenomics.simulate._arm_patient import arm_change_patient

    patient = arm_change_patient(
        seed,
        n_cells,
        sex,
        shared_bias_sd=bias,
        low_map_stretches=stretches,
        max_stretch_bins=stretch_bins,
    )
    bins, sim, cells = patient.bins, patient.sim, patient.sim.cells
    coords = bins[["chrom", "start", "end"]].assign(chrom=bins["chrom"].str.removeprefix("chr"))
    counts = pd.DataFrame(sim.counts.T, columns=cells.index)
    pd.concat([coords, counts], axis=1).to_csv(out / "nogc.tsv.gz", sep="\t", index=False)
    pd.concat([coords, bins[["gc"]], counts], axis=1).to_csv(out / "gc.csv.gz", index=False)
    return sim


def call_and_score(table: Path, sim, label: str, params: str | None = None) -> None:
    """Call ``table`` with the CLI as a new user would and print the figures."""
    import anndata as ad

    out = table.parent / f"out_{table.name.split('.')[0]}"
    t0 = time.time()
    cmd = ["ctcg", "cnv", "call", "--count-table", str(table), "--patient", "P1"]
    cmd += ["--params-json", params] if params else []
    res = subprocess.run([*cmd, "--outdir", str(out), "--no-plots"], capture_output=True, text=True)
    wall = time.time() - t0
    if res.returncode:
        print(label, table.name, "FAILED", res.stderr[-500:])
        return
    adata = ad.read_h5ad(out / "cnv.h5ad")
    cn = np.asarray(adata.layers["copy_number"])
    used = adata.var["used"].to_numpy()
    sex_chrom = adata.var["chrom"].isin(["X", "Y"]).to_numpy()
    right = (cn[:, used & ~sex_chrom] == sim.truth[:, used & ~sex_chrom]).mean(axis=1)
    right_xy = (cn[:, used & sex_chrom] == sim.truth[:, used & sex_chrom]).mean(axis=1)
    ratio = adata.obs["ploidy"].to_numpy() / sim.cells["true_ploidy"].to_numpy()
    doubled = np.abs(ratio - 2) < 0.3
    flagged = int((~adata.obs["ploidy_identifiable"].to_numpy().astype(bool))[doubled].sum())
    summary = adata.uns["ctc_cnv"]
    print(
        f"{label} {table.name:12s} bins {adata.n_vars} sex {summary['sex']} gc_corrected "
        f"{summary['gc_corrected']} | bins right median {np.median(right):.3f} mean "
        f"{right.mean():.3f} min {right.min():.3f}; X/Y median {np.median(right_xy):.3f}; "
        f"doubled {int(doubled.sum())} (flagged {flagged}); {wall:.1f} s",
        flush=True,
    )
    auto = used & ~sex_chrom
    clone = sim.cells["clone"].to_numpy()
    kinds = " ".join(
        f"{k} {np.median(right[clone == k]):.3f}"
        for k in ("normal", "A", "B")
        if (clone == k).any()
    )
    normal = clone == "normal"
    cn_n, truth_n = cn[normal][:, auto], sim.truth[normal][:, auto]
    print(
        f"    reference {summary.get('reference')} | bins right median by kind: {kinds} | "
        f"diploid cells: false gain bins/cell {(cn_n > truth_n).sum(axis=1).mean():.1f}, "
        f"false loss bins/cell {(cn_n < truth_n).sum(axis=1).mean():.1f}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; ``--runs seed:cells:sex ...``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", default=RUNS)
    parser.add_argument("--shared-bias", type=float, default=0.0)
    parser.add_argument("--stretches", type=int, default=0)
    parser.add_argument("--stretch-bins", type=int, default=4)
    parser.add_argument("--params-json", default=None)
    parser.add_argument("--tables", nargs="+", default=["nogc.tsv.gz", "gc.csv.gz"])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for run in args.runs:
            seed, n_cells, sex = run.split(":")
            out = Path(tmp) / run.replace(":", "_")
            out.mkdir()
            sim = simulate(
                int(seed), int(n_cells), sex, out, args.shared_bias, args.stretches,
                args.stretch_bins,
            )  # fmt: skip
            for name in args.tables:
                label = f"seed {seed} cells {n_cells} {sex}"
                call_and_score(out / name, sim, label, args.params_json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
