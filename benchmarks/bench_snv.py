"""Benchmark ``ctcg snv`` against bcftools mpileup | call -m on the same BAMs and targets.

Simulates panel CTCs + 2 WBCs (tests/snv/simdata.py), aligns them, then in one run times
our caller and the bcftools baseline, prints the wall-time ratio (library, and the
``ctcg snv`` command with 1 and 2 processes), accuracy against the simulated truth for
both, the few-cell curve (the first 1, 2, 3, 5 CTCs of the same BAMs with the WBCs, both
callers) and the scaling of our time with the number of cells. Timings are medians of
interleaved runs (wall and CPU), so other jobs on a shared machine weigh on both callers
alike. The full few-cell sweep over seeds (dropout varying along the genome, shallow
WBCs, population VCF) is ``bench_snv_fewcells.py``.

    .venv/bin/python benchmarks/bench_snv.py --cells 10 --scaling 5 10 20
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "snv"))

from simdata import bcftools_baseline, panel_spec, simulate_and_align
from synthetic import snv_command

import ctcgenomics as ctc


def _dataset(work: Path, n_ctc: int, reps: int = 1) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    spec = panel_spec(work, n_ctc=n_ctc, n_wbc=2)
    data = simulate_and_align(spec, work)
    data["cells"] = pd.DataFrame(
        {"role": [c["role"] for c in spec["cells"]], "draw": "D1"},
        index=[c["id"] for c in spec["cells"]],
    )
    return data


def _clear_caches() -> None:
    # Parsed hotspot and gene tables are cached per process; clear them so every timed
    # run pays for reading them, as a fresh `ctcg snv` does.
    from ctcgenomics.snv import _annotate, _sites

    _sites._load_hotspots.cache_clear()
    _annotate._gene_table.cache_clear()


def _time(fn, reps: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(reps):
        _clear_caches()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _cpu() -> float:
    """CPU seconds of this process and its finished children (both bcftools processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _time_interleaved(fns: dict, reps: int) -> tuple[dict, dict, dict]:
    """Median wall and CPU seconds of each function, run in turn ``reps`` times.

    Interleaving spreads the load of other jobs on a shared machine over all of them,
    so the ratios are fair even when the absolute times are not.
    """
    wall = {k: [] for k in fns}
    cpu = {k: [] for k in fns}
    out = {}
    for _ in range(reps):
        for name, fn in fns.items():
            _clear_caches()
            c0, t0 = _cpu(), time.perf_counter()
            out[name] = fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(_cpu() - c0)
    med = {k: statistics.median(v) for k, v in wall.items()}
    return med, {k: statistics.median(v) for k, v in cpu.items()}, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cells", type=int, default=10, help="CTCs (plus 2 WBCs)")
    ap.add_argument("--scaling", type=int, nargs="*", default=[5, 10, 20])
    ap.add_argument(
        "--reps", type=int, default=5, help="timings per configuration (median; best for scaling)"
    )
    ap.add_argument("--few", type=int, nargs="*", default=[1, 2, 3, 5])
    ap.add_argument("--workdir", help="keep files here (default: a temporary folder)")
    args = ap.parse_args()
    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench_snv_"))
    data = _dataset(root / f"n{args.cells}", args.cells)
    ctcs = [c for c, r in data["cells"]["role"].items() if r == "ctc"]
    wbcs = [c for c, r in data["cells"]["role"].items() if r == "wbc"]
    truth = ctc.snv.read_truth(data["truth"], ctcs, reference=data["reference"])

    sheet = root / "cells.tsv"
    data["cells"].rename_axis("cell").reset_index().to_csv(sheet, sep="\t", index=False)
    out = root / "cli"
    cmd = [
        str(Path(sys.executable).parent / "ctcg"),
        *snv_command(
            data["bams"].values(), data["reference"], sheet, out, "--targets", str(data["targets"])
        ),
    ]
    wall, cpu, outs = _time_interleaved(
        {
            "bcftools": lambda: bcftools_baseline(
                data["bams"], data["reference"], data["targets"], root / "bcftools.vcf.gz", wbcs
            ),
            "library": lambda: ctc.snv.call(
                data["bams"], data["reference"], cells=data["cells"], targets=data["targets"]
            ),
            "cli": lambda: subprocess.run(cmd, check=True, capture_output=True),
            "cli2": lambda: subprocess.run(
                [*cmd, "--threads", "2"], check=True, capture_output=True
            ),
            # Start-up alone: the interpreter and the imports the command needs.
            "imports": lambda: subprocess.run(
                [sys.executable, "-c", "import ctcgenomics.snv, anndata, ctcgenomics.io.sheets"],
                check=True,
            ),
        },
        args.reps,
    )
    t_bcf, t_ours, t_cli, t_cli2 = wall["bcftools"], wall["library"], wall["cli"], wall["cli2"]
    base, adata = outs["bcftools"], outs["library"]

    mo = ctc.snv.site_metrics(adata.var[adata.var["somatic"]], truth)
    mb = ctc.snv.site_metrics(base, truth)
    g = ctc.snv.genotype_metrics(adata, truth)
    n = len(data["bams"])
    print(f"\n== {args.cells} CTCs + {len(wbcs)} WBCs, panel ({n} BAMs) ==")
    print(
        f"{'caller':<22}{'wall s':>8}{'precision':>11}{'recall':>8}{'F1':>7}"
        f"{'R clonal':>10}{'R >=3':>7}"
    )
    for name, t, m in (("ctcg snv (library)", t_ours, mo), ("bcftools mpileup|call", t_bcf, mb)):
        print(
            f"{name:<22}{t:8.2f}{m['precision']:11.3f}{m['recall']:8.3f}{m['f1']:7.3f}"
            f"{m['recall_clonal']:10.3f}{m['recall_ge3']:7.3f}"
        )
    print(
        f"\nmedian of {args.reps} interleaved runs (wall and CPU seconds; CPU counts every "
        "process: both bcftools, the --threads workers)"
    )
    print(f"{'':<56}{'wall s':>8}{'ratio':>7}{'CPU s':>8}{'ratio':>7}")
    for key, label in (
        ("bcftools", "bcftools mpileup | bcftools call"),
        ("library", "ctc.snv.call (library, in this process)"),
        ("cli", "ctcg snv (start-up, imports, VCF/h5ad/TSV)"),
        ("cli2", "ctcg snv --threads 2"),
        ("imports", "python -c 'import ctcgenomics.snv, anndata, ...'"),
    ):
        print(
            f"{label:<56}{wall[key]:8.2f}{wall[key] / t_bcf:6.2f}x"
            f"{cpu[key]:8.2f}{cpu[key] / cpu['bcftools']:6.2f}x"
        )
    print(
        f"wall-time ratio ctcg/bcftools: library {t_ours / t_bcf:.2f}x, CLI {t_cli / t_bcf:.2f}x,"
        f" CLI --threads 2 {t_cli2 / t_bcf:.2f}x"
    )
    print(
        f"per-cell genotypes: accuracy {g['genotype_accuracy']:.3f}, call rate "
        f"{g['call_rate']:.3f} over {g['n_cell_sites']} truth-evaluable cell-sites"
    )

    if args.few:
        print("\n== few CTCs (first k CTCs of the same BAMs + the 2 WBCs) ==")
        print(f"{'CTCs':>5} {'caller':<10}{'precision':>10}{'recall':>8}{'R clonal':>10}")
        for k in args.few:
            use = ctcs[:k] + wbcs
            bams = {c: data["bams"][c] for c in use}
            sub_truth = ctc.snv.read_truth(data["truth"], ctcs[:k], reference=data["reference"])
            a = ctc.snv.call(
                bams, data["reference"], cells=data["cells"].loc[use], targets=data["targets"]
            )
            b = bcftools_baseline(
                bams, data["reference"], data["targets"], root / f"few{k}.vcf.gz", wbcs
            )
            for name, called in (("ctcg snv", a.var[a.var["somatic"]]), ("bcftools", b)):
                m = ctc.snv.site_metrics(called, sub_truth)
                print(
                    f"{k:>5} {name:<10}{m['precision']:>10.3f}{m['recall']:>8.3f}"
                    f"{m['recall_clonal']:>10.3f}"
                )

    if args.scaling:
        print("\n== scaling in cells (allele counting + model) ==")
        print(f"{'CTCs':>5}{'ours s':>9}{'bcftools s':>12}{'ours s/cell':>13}")
        for k in args.scaling:
            d = data if k == args.cells else _dataset(root / f"n{k}", k)
            t1, _ = _time(
                lambda d=d: ctc.snv.call(
                    d["bams"], d["reference"], cells=d["cells"], targets=d["targets"]
                ),
                args.reps,
            )
            w = [c for c, r in d["cells"]["role"].items() if r == "wbc"]
            t2, _ = _time(
                lambda d=d, w=w, k=k: bcftools_baseline(
                    d["bams"], d["reference"], d["targets"], root / f"b{k}.vcf.gz", w
                ),
                args.reps,
            )
            print(f"{k:>5}{t1:9.2f}{t2:12.2f}{t1 / (k + 2):13.3f}")


if __name__ == "__main__":
    main()
