"""Time ``ctcg snv`` of two source trees against bcftools, interleaved, on the same BAMs.

Start-up changes move the command's time by a few per cent, less than the load of a
shared machine moves it between runs; interleaving the two versions and bcftools
(``bcftools mpileup | bcftools call``) on the same BAMs weighs that load on all three.
The BAMs are those of ``bench_snv.py --cells 10 --workdir DIR``. A tree is a folder
holding a ``ctcgenomics`` package (e.g. ``git archive <commit> ctcgenomics | tar -x -C
old``); it is put first on ``PYTHONPATH``.

    .venv/bin/python benchmarks/bench_snv_ab.py DIR old . --reps 11 [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _commands(
    data: Path, trees: list[str], out: Path, threads: list[int]
) -> dict[str, tuple[object, str | None]]:
    bams = sorted((data / "n10" / "bam").glob("*.bam"), key=lambda p: (len(p.name), p.name))
    ref, targets = data / "n10" / "ref" / "genome.fa", data / "n10" / "targets.bed"
    bcf = (
        f"bcftools mpileup -f {ref} -R {targets} -a AD,DP -Ou {' '.join(map(str, bams))}"
        f" 2>/dev/null | bcftools call -mv -Oz -o {out / 'bcftools.vcf.gz'}"
    )
    runs: dict[str, tuple[object, str | None]] = {"bcftools": (bcf, None)}
    for i, tree in enumerate(trees):
        cmd = [sys.executable, "-m", "ctcgenomics", "snv", "--bams", *map(str, bams)]
        cmd += ["--reference", str(ref), "--cells", str(data / "cells.tsv"), "--patient", "P1"]
        cmd += ["--targets", str(targets), "--vcf", str(out / f"{i}.vcf.gz")]
        cmd += ["--h5ad", str(out / f"{i}.h5ad"), "--alterations", str(out / f"{i}.tsv")]
        runs[f"ctcg snv [{tree}]"] = (cmd, str(Path(tree).resolve()))
        for n in threads:
            runs[f"ctcg snv --threads {n} [{tree}]"] = (
                [*cmd, "--threads", str(n)],
                str(Path(tree).resolve()),
            )
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", type=Path, help="bench_snv.py --workdir of a --cells 10 run")
    ap.add_argument("trees", nargs=2, help="two folders holding a ctcgenomics package")
    ap.add_argument("--reps", type=int, default=11)
    ap.add_argument(
        "--threads", type=int, nargs="*", default=[], help="also time each tree with --threads N"
    )
    args = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="bench_snv_ab_"))
    runs = _commands(args.data.resolve(), args.trees, out, args.threads)
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(args.reps):
        for name, (cmd, tree) in runs.items():
            env = dict(os.environ, PYTHONPATH=tree) if tree else None
            c0, t0 = _children_cpu(), time.perf_counter()
            subprocess.run(
                cmd, shell=isinstance(cmd, str), check=True, env=env, cwd=out,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(_children_cpu() - c0)
    b_wall, b_cpu = statistics.median(wall["bcftools"]), statistics.median(cpu["bcftools"])
    print(f"medians of {args.reps} interleaved runs; load {os.getloadavg()[0]:.1f}")
    print(f"{'':<52}{'wall s':>8}{'ratio':>8}{'CPU s':>8}{'ratio':>8}")
    for name in runs:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"{name:<52}{w:8.2f}{w / b_wall:7.2f}x{c:8.2f}{c / b_cpu:7.2f}x")


if __name__ == "__main__":
    main()
