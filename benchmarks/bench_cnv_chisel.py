"""Real cells: the caller on Kim et al. 2018 patient P2 against CHISEL's published calls.

Input as a user has it: CHISEL's table (``tests/data/scdna/kim2018_P2_chisel``; COUNT,
NORM_COUNT as the matched normal, A/B counts as allelic evidence), 89 cells in 565 bins
of 5 Mb. Printed: agreement of integer copy number with CHISEL's total (A + B of
CORRECTED_HAP_CN) in tumour cells, over all bins and over the bins where the tumour
clone has allele reads; the diploid clone's diploid bins; ploidy within 0.25; clones
against mapping.tsv (adjusted Rand); seconds. With ``--figures DIR`` it draws the
figures of docs/cnv.md: the tumour clone's consensus with both callers' integers, and
the cells where they disagree most.

Run: .venv/bin/python benchmarks/bench_cnv_chisel.py [--figures docs/img]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "scdna" / "kim2018_P2_chisel"


def main() -> None:
    from sklearn.metrics import adjusted_rand_score

    import ctcgenomics as ctc

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--figures", help="folder for the figures of docs/cnv.md")
    args = ap.parse_args()
    table = ctc.cnv.read_count_table(DATA / "calls.tsv.gz")
    cells = pd.DataFrame({"patient": "P2", "draw": "D1", "role": "ctc"}, index=table.cells)
    adata = ctc.cnv.counts_anndata(table.counts, table.bins, cells)
    t0 = time.perf_counter()
    ctc.cnv.call_copy_number(adata, normal=table.normal, alleles=table.alleles)
    ctc.cnv.call_clones(adata)
    seconds = time.perf_counter() - t0
    raw = pd.read_csv(DATA / "calls.tsv.gz", sep="\t")
    hap = raw["CORRECTED_HAP_CN"].str.split("|", expand=True).astype(int)
    raw["total"] = hap[0] + hap[1]
    key = pd.MultiIndex.from_frame(table.bins[["chrom", "start"]])
    truth = raw.pivot(index="CELL", columns=["#CHR", "START"], values="total")
    truth = truth.loc[table.cells, key].to_numpy()
    mapping = pd.read_csv(DATA / "mapping.tsv", sep="\t", keep_default_na=False, index_col=0)
    clone = mapping["CLONE"].reindex(table.cells).to_numpy()
    used = adata.var["used"].to_numpy()
    cn = np.asarray(adata.layers["copy_number"])
    tumour_rows = np.flatnonzero(clone == "Clone9")
    ab = raw[raw["CELL"].isin(np.asarray(table.cells)[tumour_rows])]
    reads = ab.groupby(["#CHR", "START"])[["A_COUNT", "B_COUNT"]].sum().sum(axis=1)
    informed = reads.reindex(list(zip(table.bins["chrom"], table.bins["start"], strict=True)))
    informed = informed.fillna(0).to_numpy() > 0
    tumour = clone != "Clone1"

    def agree(rows, sel):
        return np.array([np.mean(cn[i, sel] == truth[i, sel]) for i in rows])

    all_bins = agree(np.flatnonzero(tumour), used)
    with_alleles = agree(np.flatnonzero(tumour), used & informed)
    clone9 = agree(tumour_rows, used & informed)
    diploid = cn[clone == "Clone1"][:, used]
    ploidy_err = np.abs(adata.obs["ploidy"].to_numpy() - truth[:, used].mean(axis=1))
    assigned = clone != "None"
    ari = adjusted_rand_score(clone[assigned], adata.obs["clone"].to_numpy()[assigned])
    ari_all = adjusted_rand_score(clone, adata.obs["clone"].to_numpy())
    print(f"cells {len(table.cells)}, bins used {int(used.sum())}, bins where the tumour clone "
          f"has allele reads {int((used & informed).sum())}")  # fmt: skip
    print(f"tumour cells (Clone9 + unassigned, {int(tumour.sum())}): bins agreeing, all bins "
          f"mean {all_bins.mean():.3f} (>= 0.9 in {np.mean(all_bins >= 0.9):.2f} of cells); "
          f"bins with allele reads {with_alleles.mean():.3f}")  # fmt: skip
    print(f"Clone9 ({len(tumour_rows)} cells), bins with allele reads: mean {clone9.mean():.3f}, "
          f"median {np.median(clone9):.3f}")  # fmt: skip
    print(f"diploid clone (Clone1): {np.mean(diploid == 2):.3f} of bins called 2")
    print(f"ploidy within 0.25 of CHISEL: tumour cells {np.mean(ploidy_err[tumour] <= 0.25):.2f}"
          f", Clone9 {np.mean(ploidy_err[clone == 'Clone9'] <= 0.25):.2f}; median Clone9 ploidy "
          f"{np.median(adata.obs['ploidy'].to_numpy()[clone == 'Clone9']):.2f} vs CHISEL "
          f"{truth[tumour_rows][:, used].mean():.2f}")  # fmt: skip
    print(f"clones vs mapping.tsv: ARI {ari:.3f} on CHISEL's assigned cells, {ari_all:.3f} with "
          "its unassigned cells as one more label")  # fmt: skip
    _chisel_per_cell(raw, table, adata, truth, clone, used)
    print(f"calling took {seconds:.1f} s")
    if args.figures:
        _figures(Path(args.figures), adata, truth, clone, informed)


def _chisel_per_cell(raw, table, adata, truth, clone, used) -> None:
    """CHISEL's own per-cell calls (HAP_CN, before its clone correction) and the clone
    consensus of both callers: what CORRECTED_HAP_CN compares per-cell calls with."""
    hap = raw["HAP_CN"].str.split("|", expand=True).astype(int)
    raw = raw.assign(per_cell=hap[0] + hap[1], minor=hap.min(axis=1))
    key = pd.MultiIndex.from_frame(table.bins[["chrom", "start"]])
    per_cell = raw.pivot(index="CELL", columns=["#CHR", "START"], values="per_cell")
    per_cell = per_cell.loc[table.cells, key].to_numpy()
    baf = raw.pivot(index="CELL", columns=["#CHR", "START"], values="BAF")
    baf = baf.loc[table.cells, key].to_numpy()
    cn = np.asarray(adata.layers["copy_number"])
    diploid = np.flatnonzero(clone == "Clone1")
    theirs2, ours2 = per_cell[diploid][:, used] == 2, cn[diploid][:, used] == 2
    print(f"diploid clone, CHISEL's per-cell calls before its clone correction (HAP_CN): "
          f"{theirs2.mean():.3f} of bins 2; this caller {ours2.mean():.3f}; both 2 in "
          f"{(theirs2 & ours2).mean():.3f}")  # fmt: skip
    # Minor-allele fraction in the diploid clone's bins this caller calls 2 and 3: a
    # depth wave keeps both alleles equal, a gain of one copy does not (1/3).
    maf = np.minimum(baf, 1 - baf)[diploid][:, used]
    ours = cn[diploid][:, used]
    parts = [f"called {k}: {np.nanmedian(maf[ours == k]):.3f} ({int(np.sum(ours == k))} bins)"
             for k in (2, 3) if np.any(ours == k)]  # fmt: skip
    print("diploid clone, median minor-allele fraction (CHISEL's BAF) in bins " + "; ".join(parts))
    for name, rows in (("Clone9", np.flatnonzero(clone == "Clone9")), ("Clone1", diploid)):
        consensus = np.median(cn[rows][:, used], axis=0).round()
        theirs = truth[rows[0]][used]  # CORRECTED_HAP_CN is one profile per clone
        print(f"{name} consensus (median of members) vs CHISEL's corrected clone profile: "
              f"{np.mean(consensus == theirs):.3f} of bins agree")  # fmt: skip


def _figures(folder: Path, adata, truth, clone, informed) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    used = adata.var["used"].to_numpy()
    cn = np.asarray(adata.layers["copy_number"])
    ratio = np.asarray(adata.layers["ratio"])
    mult = adata.obs["multiplier"].to_numpy()
    x = np.arange(used.sum())
    chrom = adata.var["chrom"].to_numpy()[used]
    edges = np.flatnonzero(chrom[1:] != chrom[:-1]) + 1
    rows = np.flatnonzero(clone == "Clone9")
    fig, ax = plt.subplots(figsize=(14, 3.6))
    cons = np.nanmedian(ratio[rows][:, used] * mult[rows, None], axis=0)
    ax.plot(x, cons, ".", ms=3, color="0.3", label="median scaled ratio (28 cells)")
    ours = np.median(cn[rows][:, used], axis=0)
    ax.step(x, ours, where="mid", color="tab:red", lw=1.2, label="this caller (median)")
    ax.step(x, truth[rows[0]][used] + 0.08, where="mid", color="tab:blue", lw=1.0,
            label="CHISEL (clone consensus)")  # fmt: skip
    no_baf = ~informed[used]
    ax.fill_between(x, 0, 7, where=no_baf, color="orange", alpha=0.15, step="mid",
                    label="no allele read in the clone")  # fmt: skip
    for e in edges:
        ax.axvline(e - 0.5, color="0.85", lw=0.5)
    ax.set(ylim=(0, 7), xlim=(0, len(x)), xlabel="5 Mb bin (chr1-22)", ylabel="copy number")
    ax.legend(loc="upper right", fontsize=7, ncol=2)
    ax.set_title("Kim 2018 P2, tumour clone (CHISEL Clone9): where the callers disagree")
    fig.tight_layout()
    fig.savefig(folder / "cnv_chisel_clone9.png", dpi=70)
    plt.close(fig)
    d_rows = np.flatnonzero(clone == "Clone1")
    worst = d_rows[np.argsort([np.mean(cn[i, used] == 2) for i in d_rows])[:2]]
    fig, axes = plt.subplots(len(worst), 1, figsize=(14, 2.6 * len(worst)), sharex=True)
    for ax, i in zip(np.atleast_1d(axes), worst, strict=True):
        ax.plot(x, ratio[i, used] * mult[i], ".", ms=3, color="0.3")
        ax.step(x, cn[i, used], where="mid", color="tab:red", lw=1.2)
        ax.step(x, truth[i, used] + 0.08, where="mid", color="tab:blue", lw=1.0)
        for e in edges:
            ax.axvline(e - 0.5, color="0.85", lw=0.5)
        ax.set(ylim=(0, 6), ylabel="copy number")
        ax.set_title(f"{adata.obs_names[i]} (CHISEL Clone1): ploidy "
                     f"{adata.obs['ploidy'].iloc[i]:.2f}, MAPD {adata.obs['mapd'].iloc[i]:.2f}",
                     fontsize=9)  # fmt: skip
    np.atleast_1d(axes)[-1].set_xlabel("5 Mb bin (chr1-22); red this caller, blue CHISEL")
    fig.tight_layout()
    fig.savefig(folder / "cnv_chisel_diploid_outliers.png", dpi=70)
    plt.close(fig)


if __name__ == "__main__":
    main()
