"""One cell, same BAM and bins: ctcgenomics (count + call) vs CNVkit (coverage + fix + segment).

Cells are simulated (tests/cnv/cnv_sim.py: real hg38 sequence cut into pseudo-
chromosomes, MDA-like bias, ~150 reads per bin) and aligned with bwa; the bench cell is
a near-diploid CTC with an arm loss, an arm gain and a focal amplification. The default
is 312 bins of 25 kb; ``--bins-bp 25000 5000`` adds a cell of 1,560 bins of 5 kb at the
same depth per bin (five times the reads; simulated and aligned once, ~minutes).

CNVkit runs with a flat reference (built once, not timed) and ``haar`` segmentation
(``cbs`` needs R and ``hmm`` needs pomegranate, neither installed here). Timings are
medians of ``--repeats`` runs, ours and CNVkit alternating:

- command lines: each step a fresh interpreter (start-up, imports, reading and writing
  files). Ours: ``ctcg cnv count`` + ``ctcg cnv call`` (calls, QC, genes, clones,
  ``cnv.h5ad`` and TSVs; with and without ``--no-plots``, i.e. the heatmap and
  profiles). CNVkit: ``coverage`` (target + empty antitarget) + ``fix`` + ``segment``.
- in-process: library calls with modules loaded, no files written. Ours:
  ``count_cell`` + ``counts_anndata`` and ``call_copy_number`` (no genes, clones or
  figures). CNVkit: ``do_coverage`` (x2) + ``do_fix`` + ``do_segmentation``.

Accuracy is the fraction of bins whose integer copy number equals the truth (CNVkit:
``round(2 * 2**segment_log2)``).

Needs CNVkit in the project's venv: ``.venv/bin/pip install -e '.[bench]'`` (not part of
the set-up commands: benchmarks run on demand).

Run: .venv/bin/python benchmarks/bench_cnv_vs_cnvkit.py [--workdir DIR] [--cell A_ctc1]
     [--bins-bp 25000 [5000 ...]] [--repeats 3]
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ctcgenomics.cnv._counting import count_cell

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cnv"))
BIN = Path(sys.executable).parent
DEFAULT_BIN_BP = 25_000  # the tests' bin size: 48,000 read pairs give ~150 reads per bin
DEFAULT_PAIRS = 48_000


def _run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _load(work: Path, bin_bp: int) -> dict:
    """Simulated cells, BAMs and bins at ``bin_bp`` (cached under ``work``)."""
    if bin_bp == DEFAULT_BIN_BP:
        cache_dir = work  # where earlier versions of this benchmark cached it
    else:
        cache_dir = work / f"bins{bin_bp}"
    cache = cache_dir / "e2e.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    from cnv_sim import E2E_AMPLIFICATION, build_e2e

    pairs = round(DEFAULT_PAIRS * DEFAULT_BIN_BP / bin_bp)
    print(f"simulating and aligning cells at {bin_bp} bp bins (one-off)...", flush=True)
    data = build_e2e(cache_dir / "data", E2E_AMPLIFICATION, bin_size=bin_bp, n_read_pairs=pairs)
    cache.write_bytes(pickle.dumps(data))
    return data


def _ours_cli(run: Path, bam: Path, bins_tsv: Path, sheet: Path, cell: str) -> dict[str, float]:
    ctcg = str(BIN / "ctcg")
    counts = str(run / f"{cell}.tsv")
    t = {
        "count": _run(
            [ctcg, "cnv", "count", "--bam", str(bam), "--bins", str(bins_tsv), "--cell", cell,
             "--out", counts]
        )
    }  # fmt: skip
    call = [ctcg, "cnv", "call", "--counts", counts, "--bins", str(bins_tsv), "--sheet",
            str(sheet), "--patient", "P1"]  # fmt: skip
    t["call"] = _run([*call, "--outdir", str(run / "ours_plots")])
    t["call_no_plots"] = _run([*call, "--outdir", str(run / "ours"), "--no-plots"])
    return t


def _kit_cli(run: Path, bam: Path, bed: Path, empty: Path) -> dict[str, float]:
    kit = str(BIN / "cnvkit.py")
    tcov, acov = run / "c.targetcoverage.cnn", run / "c.antitargetcoverage.cnn"
    cov = _run([kit, "coverage", str(bam), str(bed), "-q", "20", "-o", str(tcov)])
    cov += _run([kit, "coverage", str(bam), str(empty), "-q", "20", "-o", str(acov)])
    fix = _run([kit, "fix", str(tcov), str(acov), str(run / "flat.cnn"), "-o", str(run / "c.cnr")])
    seg = _run([kit, "segment", str(run / "c.cnr"), "-m", "haar", "-o", str(run / "c.cns")])
    return {"coverage": cov, "fix": fix, "segment": seg}


def _ours_lib(bam: Path, bins: pd.DataFrame, cell: str) -> dict[str, float]:
    import ctcgenomics as ctc

    t_count, (counts, _) = _timed(lambda: count_cell(bam, bins, min_mapq=20))

    def call() -> None:
        adata = ctc.cnv.counts_anndata(
            counts[None, :], bins, pd.DataFrame({"role": ["ctc"]}, index=[cell])
        )
        ctc.cnv.call_copy_number(adata)

    t_call, _ = _timed(call)
    return {"count": t_count, "call": t_call}


def _kit_lib(run: Path, bam: Path, bed: Path, empty: Path) -> dict[str, float]:
    import cnvlib
    from cnvlib import coverage, fix, segmentation

    ref = cnvlib.read(str(run / "flat.cnn"))
    t_cov, (tcov, acov) = _timed(
        lambda: (
            coverage.do_coverage(str(bed), str(bam), min_mapq=20),
            coverage.do_coverage(str(empty), str(bam), min_mapq=20),
        )
    )
    t_fix, cnr = _timed(lambda: fix.do_fix(tcov, acov, ref))
    t_seg, _ = _timed(lambda: segmentation.do_segmentation(cnr, "haar"))
    return {"coverage": t_cov, "fix": t_fix, "segment": t_seg}


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def bench(work: Path, bin_bp: int, cell: str, repeats: int) -> None:
    """Time and score one cell at one bin size; print the comparison."""
    data = _load(work, bin_bp)
    bam = data["bams"][cell]
    bins = data["bins"]
    truth = data["truth"][list(data["cells"].index).index(cell)]
    run = work / f"run{bin_bp}"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    bins_tsv = run / "bins.tsv"
    bins.to_csv(bins_tsv, sep="\t", index=False)
    bed = run / "bins.bed"
    bins.loc[:, ["chrom", "start", "end"]].assign(name="-").to_csv(
        bed, sep="\t", header=False, index=False
    )
    empty = run / "empty.bed"
    empty.write_text("")
    sheet = run / "cells.tsv"
    pd.DataFrame(
        {"patient": ["P1"], "draw": ["D1"], "cell": [cell], "role": ["ctc"], "assay": ["wgs"]}
    ).to_csv(sheet, sep="\t", index=False)
    _run(
        [str(BIN / "cnvkit.py"), "reference", "-o", str(run / "flat.cnn"), "-f",
         str(data["genome"]), "-t", str(bed), "-a", str(empty)]
    )  # fmt: skip

    ours_cli, kit_cli, ours_lib, kit_lib = [], [], [], []
    for _ in range(repeats):
        ours_cli.append(_ours_cli(run, bam, bins_tsv, sheet, cell))
        kit_cli.append(_kit_cli(run, bam, bed, empty))
    import cnvlib.segmentation  # noqa: F401 - load both libraries before timing

    import ctcgenomics as ctc

    ctc.cnv.call_copy_number  # noqa: B018
    for _ in range(repeats):
        ours_lib.append(_ours_lib(bam, bins, cell))
        kit_lib.append(_kit_lib(run, bam, bed, empty))
    oc, kc, ol, kl = (_median(x) for x in (ours_cli, kit_cli, ours_lib, kit_lib))

    def ours_cn(outdir: Path) -> np.ndarray:
        cn = np.full(len(bins), np.nan)
        for s in pd.read_csv(outdir / "segments.tsv", sep="\t").itertuples():
            cn[s.start_bin : s.end_bin] = s.copy_number
        return cn

    ours = ours_cn(run / "ours")
    if not np.array_equal(ours, ours_cn(run / "ours_plots"), equal_nan=True):
        raise RuntimeError("--no-plots changed the calls")
    kit = np.full(len(bins), np.nan)
    for s in pd.read_csv(run / "c.cns", sep="\t").itertuples():
        hit = (
            (bins["chrom"] == s.chromosome) & (bins["start"] >= s.start) & (bins["end"] <= s.end)
        ).to_numpy()
        kit[hit] = np.rint(2 * 2.0**s.log2)
    ok = truth >= 0

    ours_t = oc["count"] + oc["call"]
    ours_np = oc["count"] + oc["call_no_plots"]
    kit_t = kc["coverage"] + kc["fix"] + kc["segment"]
    ours_l = ol["count"] + ol["call"]
    kit_l = kl["coverage"] + kl["fix"] + kl["segment"]
    reads = int(pd.read_csv(run / f"{cell}.tsv", sep="\t", comment="#")["count"].sum())
    print(
        f"cell {cell}: {len(bins)} bins of {bin_bp} bp, {reads:,} fragments counted "
        f"({reads / len(bins):.0f} per bin); medians of {repeats} runs"
    )
    print("  command lines (fresh interpreter per step: start-up, imports, file I/O):")
    print(
        f"    ctcgenomics  count {oc['count']:.2f} s + call {oc['call']:.2f} s = {ours_t:.2f} s "
        "(call: calls, QC, genes, clones, h5ad, TSVs, heatmap, profiles)"
    )
    print(
        f"    ctcgenomics  count {oc['count']:.2f} s + call --no-plots "
        f"{oc['call_no_plots']:.2f} s = {ours_np:.2f} s (same without the figures)"
    )
    print(
        f"    CNVkit       coverage {kc['coverage']:.2f} s + fix {kc['fix']:.2f} s + "
        f"segment(haar) {kc['segment']:.2f} s = {kit_t:.2f} s (.cnn, .cnr, .cns)"
    )
    print(
        f"    wall-time ratio CNVkit / ctcgenomics: {kit_t / ours_t:.2f}x with figures, "
        f"{kit_t / ours_np:.2f}x with --no-plots"
    )
    print("  in-process library calls (modules loaded, no files; ours without genes/clones):")
    print(f"    ctcgenomics  count {ol['count']:.3f} s + call {ol['call']:.3f} s = {ours_l:.3f} s")
    print(
        f"    CNVkit       coverage {kl['coverage']:.3f} s + fix {kl['fix']:.3f} s + "
        f"segment(haar) {kl['segment']:.3f} s = {kit_l:.3f} s"
    )
    print(f"    ratio {kit_l / ours_l:.2f}x")
    ploidy = pd.read_csv(run / "ours" / "cells.tsv", sep="\t")["ploidy"].iloc[0]
    print(
        f"  bins with the true copy number: ctcgenomics {np.mean(ours[ok] == truth[ok]):.3f} "
        f"(ploidy {ploidy:.2f}, truth {truth[ok].mean():.2f}; no panel of normals), "
        f"CNVkit {np.mean(kit[ok] == truth[ok]):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default="/tmp/ctcg_bench_cnv")
    parser.add_argument("--cell", default="A_ctc1")
    parser.add_argument(
        "--bins-bp",
        type=int,
        nargs="+",
        default=[DEFAULT_BIN_BP],
        help="bin sizes to run; reads scale so every size has ~150 reads per bin",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing (median)")
    args = parser.parse_args()
    if not (BIN / "cnvkit.py").exists():
        sys.exit(f"CNVkit is not installed in {BIN.parent}: run {BIN}/pip install -e '.[bench]'")
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    for bin_bp in args.bins_bp:
        bench(work, bin_bp, args.cell, args.repeats)


if __name__ == "__main__":
    main()
