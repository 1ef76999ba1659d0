"""Few-cell SNV calling sweep: ctcg snv vs bcftools with 1, 2, 3, 5 and 10 CTCs.

Per seed, simulates (tests/snv/simdata.py, real chr17 segment) a panel of 10 CTCs, 2
WBCs at 30-80x and 2 shallow WBCs (6x), MDA amplification errors, allelic dropout
varying along the genome between 10 and 40 % in every cell, planted clonal and
subclonal somatic SNVs among background targets with germline heterozygous SNPs
(1e-3 per base). Then, on the same BAMs, calls the first k CTCs with the 2 deep WBCs
(both callers), and all 10 CTCs / 3 CTCs with the 2 shallow WBCs only (germline test).

Printed, per number of CTCs (pooled over seeds): precision of somatic PASS calls,
recall of clonal somatic SNVs (all; and among those whose allele is present in at least
one CTC's reads), false positives per Mb resting on one CTC, and the same for bcftools;
the shallow-WBC germline figure (germline heterozygous sites with both shallow WBCs at
<= 8 reads called somatic PASS); calibration of the somatic posterior; wall times;
with ``--false-pass``, each false somatic PASS call (truth, WBC reads, whether each
WBC lost the allele) and the observed vs expected (sum of 1 - posterior) count.

    .venv/bin/python benchmarks/bench_snv_fewcells.py --seeds 101 102 103 104 105 \\
        --workdir /tmp/bench_fewcells [--amp-error-rate 3e-4] [--population-vcf]

Defaults of the model were chosen on seeds 1-3; report figures on other seeds.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "snv"))

from simdata import bcftools_baseline, panel_spec, population_vcf, simulate_and_align

import ctcgenomics as ctc

KEY = ["chrom", "pos", "ref", "alt"]


def dataset(work: Path, seed: int, amp_error_rate: float) -> dict:
    """Simulate and align one seed (cached in ``work``)."""
    work.mkdir(parents=True, exist_ok=True)
    spec = panel_spec(
        work,
        seed=seed,
        n_ctc=10,
        n_wbc=2,
        n_shallow_wbc=2,
        n_clonal=12,
        n_subclonal=12,
        n_germline=10,
        n_background=60,
        het_snp_rate=1e-3,
        dropout=(0.1, 0.4),
        dropout_varies=True,
        amp_error_rate=amp_error_rate,
    )
    done = work / "done"
    if done.exists():
        data = {
            "bams": {c["id"]: work / "bam" / f"{c['id']}.bam" for c in spec["cells"]},
            "reference": work / "ref" / "genome.fa",
            "targets": Path(spec["targets"]),
            "truth": work / "sim" / "truth" / "variants.vcf.gz",
        }
    else:
        data = simulate_and_align(spec, work)
        done.write_text("ok\n")
    data["cells"] = pd.DataFrame(
        {"role": [c["role"] for c in spec["cells"]], "draw": "D1"},
        index=[c["id"] for c in spec["cells"]],
    )
    return data


def _keys(frame: pd.DataFrame) -> set[tuple]:
    return {(r.chrom, int(r.pos), r.ref, r.alt) for r in frame[KEY].itertuples(index=False)}


def metrics(called: pd.DataFrame, single: set, truth: pd.DataFrame, ctcs: list[str], mb: float):
    """Precision, clonal recall and single-cell false positives for one run."""
    gt = truth[[f"gt:{c}" for c in ctcs]].to_numpy(bool)
    eaf = truth[[f"eaf:{c}" for c in ctcs]].to_numpy(float)
    som = (truth["origin"] == "somatic").to_numpy()
    carried = som & gt.any(axis=1)
    clonal = som & gt.all(axis=1) & (truth["ref"].str.len() == truth["alt"].str.len()).to_numpy()
    observable = ((eaf > 0) & gt).any(axis=1)
    true_keys = _keys(truth[carried])
    called_keys = _keys(called)
    fp = called_keys - true_keys
    clonal_keys = [tuple(k) for k in truth.loc[clonal, KEY].itertuples(index=False)]
    obs_keys = [tuple(k) for k in truth.loc[clonal & observable, KEY].itertuples(index=False)]
    germ = _keys(truth[truth["origin"] == "germline"])
    return {
        "n_called": len(called_keys),
        "tp": len(called_keys & true_keys),
        "fp": len(fp),
        "fp_germline": len(fp & germ),
        "fp_single": len(fp & single),
        "clonal": len(clonal_keys),
        "clonal_hit": sum(k in called_keys for k in clonal_keys),
        "clonal_obs": len(obs_keys),
        "clonal_obs_hit": sum(k in called_keys for k in obs_keys),
        "mb": mb,
    }


def false_pass(
    adata, truth: pd.DataFrame, true_keys: set, wbcs: list[str], seed: int, k: int
) -> list[dict]:
    """Each false somatic PASS call with its truth and the WBCs' reads and true dropout.

    ``truth`` must hold the WBCs' ``gt:``/``do:``/``eaf:`` columns (read with them).
    """
    var = adata.var
    rows = [list(adata.obs_names).index(c) for c in wbcs]
    ref, alt = np.asarray(adata.layers["ref"]), np.asarray(adata.layers["alt"])
    tidx = {tuple(r): i for i, r in enumerate(truth[KEY].itertuples(index=False))}
    out = []
    for j in np.flatnonzero(var["somatic"].to_numpy()):
        r = var.iloc[j]
        key = (r["chrom"], int(r["pos"]), r["ref"], r["alt"])
        if key in true_keys:
            continue
        t = truth.iloc[tidx[key]] if key in tidx else None
        wbc = ", ".join(
            f"{ref[i, j]}/{alt[i, j]}"
            + ("" if t is None else (" lost" if t[f"eaf:{c}"] == 0 else " kept"))
            for c, i in zip(wbcs, rows, strict=True)
        )
        out.append(
            {
                "seed": seed,
                "ctcs": k,
                "site": f"{key[0]}:{key[1]} {key[2]}>{key[3]}",
                "truth": "not in truth" if t is None else t["origin"],
                "p_somatic": round(float(r["p_variant"]), 3),
                "WBC ref/alt reads, allele": wbc,
            }
        )
    return out


def examined_mb(adata) -> float:
    hist = np.asarray(adata.uns["snv_counts"]["ctc_depth_histogram"])
    return float(hist[5:].sum()) / 1e6


def fp_dataset(work: Path, seed: int, amp_error_rate: float, n_targets: int) -> dict:
    """A panel with no somatic variant (only germline SNPs and amplification errors):
    every somatic PASS call is false. 3 CTCs (of the normal clone) and 2 WBCs."""
    work.mkdir(parents=True, exist_ok=True)
    spec = panel_spec(
        work,
        seed=seed,
        n_ctc=3,
        n_wbc=2,
        n_clonal=0,
        n_subclonal=0,
        n_germline=0,
        n_background=n_targets,
        het_snp_rate=1e-3,
        dropout=(0.1, 0.4),
        dropout_varies=True,
        amp_error_rate=amp_error_rate,
    )
    spec["clones"]["A"]["variants"] = []
    spec["variants"] = []
    if (work / "done").exists():
        data = {
            "bams": {c["id"]: work / "bam" / f"{c['id']}.bam" for c in spec["cells"]},
            "reference": work / "ref" / "genome.fa",
            "targets": Path(spec["targets"]),
            "truth": work / "sim" / "truth" / "variants.vcf.gz",
        }
    else:
        data = simulate_and_align(spec, work)
        (work / "done").write_text("ok\n")
    data["cells"] = pd.DataFrame(
        {"role": [c["role"] for c in spec["cells"]], "draw": "D1"},
        index=[c["id"] for c in spec["cells"]],
    )
    return data


def single_cell_fp(root: Path, seeds: list[int], amp: float, n_targets: int, params) -> None:
    """False positives per Mb of somatic calls resting on one CTC, on variant-free panels."""
    print(
        f"\n== single-cell false positives, variant-free panel ({n_targets} x 400 bp "
        f"targets/seed), amplification errors {amp:g}/bp =="
    )
    for k in (1, 3):
        fp = fp_single = mb = 0.0
        for seed in seeds:
            data = fp_dataset(root / f"fp_seed{seed}_amp{amp:g}", seed, amp, n_targets)
            ctcs = [c for c, r in data["cells"]["role"].items() if r == "ctc"][:k]
            use = ctcs + [c for c, r in data["cells"]["role"].items() if r == "wbc"]
            ad_ = ctc.snv.call(
                {c: data["bams"][c] for c in use},
                data["reference"],
                cells=data["cells"].loc[use],
                targets=data["targets"],
                params=params,
            )
            som = ad_.var[ad_.var["somatic"]]
            fp += len(som)
            fp_single += int(som["single_cell"].sum())
            mb += examined_mb(ad_)
        print(
            f"{k} CTC(s): {mb:.2f} Mb examined, {int(fp)} somatic PASS (all false), "
            f"{int(fp_single)} resting on one CTC: {fp_single / mb:.2f} per Mb"
        )


def in_targets(truth: pd.DataFrame, targets: Path) -> np.ndarray:
    """Whether each truth allele lies inside a target region."""
    bed = ctc.snv.read_bed(targets)
    inside = np.zeros(len(truth), bool)
    for r in bed.itertuples(index=False):
        inside |= (
            (truth["chrom"] == r.contig) & (truth["pos"] > r.start) & (truth["pos"] <= r.end)
        ).to_numpy()
    return inside


def shallow_germline(
    adata, truth: pd.DataFrame, shallow: list[str], targets: Path
) -> tuple[int, int]:
    """Germline het sites (in targets) with every shallow WBC at <= 8 reads, and those
    called somatic PASS; a site that is not even a candidate counts as not called."""
    germ = truth[(truth["origin"] == "germline").to_numpy() & in_targets(truth, targets)]
    var = adata.var
    index = {
        k: j
        for j, k in enumerate(zip(var["chrom"], var["pos"], var["ref"], var["alt"], strict=True))
    }
    depth = np.asarray(adata.layers["ref"]) + np.asarray(adata.layers["alt"])
    rows = [list(adata.obs_names).index(c) for c in shallow]
    n = called = 0
    for r in germ[KEY].itertuples(index=False):
        j = index.get((r.chrom, int(r.pos), r.ref, r.alt))
        if j is None:
            n += 1  # not even a candidate: certainly not called somatic
            continue
        if np.all(depth[rows, j] <= 8):
            n += 1
            called += bool(var["somatic"].iloc[j])
    return n, called


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104, 105])
    ap.add_argument("--ctcs", type=int, nargs="+", default=[1, 2, 3, 5, 10])
    ap.add_argument("--amp-error-rate", type=float, default=3e-4)
    ap.add_argument("--population-vcf", action="store_true", help="give a gnomAD-like VCF")
    ap.add_argument("--no-bcftools", action="store_true")
    ap.add_argument("--min-qual", type=float, default=None, help="override the PASS QUAL")
    ap.add_argument(
        "--loh-independence",
        type=float,
        default=None,
        help="override the model's loh_cell_independence (1: LOH drawn per cell, the "
        "default; 0: a state of the clone shared by the CTCs)",
    )
    ap.add_argument(
        "--fp-targets",
        type=int,
        default=0,
        help="also measure single-cell false positives per Mb on variant-free panels of "
        "this many 400-bp targets per seed (e.g. 500)",
    )
    ap.add_argument(
        "--false-pass",
        action="store_true",
        help="list every false somatic PASS call (truth, WBC reads, whether each WBC lost "
        "the allele) and compare the false PASS count with the model's expectation",
    )
    ap.add_argument("--workdir", help="keep simulated data here (reused across runs)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench_fewcells_"))
    given = {} if args.min_qual is None else {"filters": {"min_qual": args.min_qual}}
    params = ctc.snv.SNVParams.from_mapping(given)
    if args.loh_independence is not None:
        model = dataclasses.replace(
            params.genotype.model, loh_cell_independence=args.loh_independence
        )
        params = dataclasses.replace(
            params, genotype=dataclasses.replace(params.genotype, model=model)
        )
    rows, shallow_rows, calib, fps = [], [], [], []
    for seed in args.seeds:
        work = root / f"seed{seed}_amp{args.amp_error_rate:g}"
        data = dataset(work, seed, args.amp_error_rate)
        cells = data["cells"]
        all_ctcs = [c for c, r in cells["role"].items() if r == "ctc"]
        deep = [c for c in cells.index if c.startswith("P1_WBC")]
        shallow = [c for c in cells.index if c.startswith("P1_sWBC")]
        truth = ctc.snv.read_truth(data["truth"], all_ctcs + deep, reference=data["reference"])
        pop = (
            population_vcf(data["truth"], work / "population.vcf", seed)
            if args.population_vcf
            else None
        )
        for k in args.ctcs:
            use = all_ctcs[:k] + deep
            bams = {c: data["bams"][c] for c in use}
            t0 = time.perf_counter()
            ad_ = ctc.snv.call(
                bams,
                data["reference"],
                cells=cells.loc[use],
                targets=data["targets"],
                population_vcf=pop,
                params=params,
            )
            t_ours = time.perf_counter() - t0
            var = ad_.var
            som = var[var["somatic"]]
            single = _keys(som[som["single_cell"]])
            m = metrics(som, single, truth, all_ctcs[:k], examined_mb(ad_))
            m["fp_expected"] = float((1.0 - som["p_variant"]).sum())
            rows.append({"seed": seed, "ctcs": k, "caller": "ctcg snv", "seconds": t_ours, **m})
            sub_truth = {
                tuple(x)
                for x in truth.loc[
                    (truth["origin"] == "somatic")
                    & truth[[f"gt:{c}" for c in all_ctcs[:k]]].any(axis=1),
                    KEY,
                ].itertuples(index=False)
            }
            if args.false_pass:
                fps += false_pass(ad_, truth, sub_truth, deep, seed, k)
            for r in var.itertuples():
                calib.append(
                    (k, float(r.p_variant), (r.chrom, int(r.pos), r.ref, r.alt) in sub_truth)
                )
            if not args.no_bcftools:
                t0 = time.perf_counter()
                base = bcftools_baseline(
                    bams, data["reference"], data["targets"], work / f"bcf{k}.vcf.gz", deep
                )
                t_bcf = time.perf_counter() - t0
                mb = metrics(base, set(), truth, all_ctcs[:k], m["mb"])
                rows.append({"seed": seed, "ctcs": k, "caller": "bcftools", "seconds": t_bcf, **mb})
        for k in (10, 3):
            use = all_ctcs[:k] + shallow
            ad_ = ctc.snv.call(
                {c: data["bams"][c] for c in use},
                data["reference"],
                cells=cells.loc[use],
                targets=data["targets"],
                population_vcf=pop,
                params=params,
            )
            n, called = shallow_germline(ad_, truth, shallow, data["targets"])
            shallow_rows.append(
                {"seed": seed, "ctcs": k, "germline_sites": n, "somatic_pass": called}
            )
        print(f"seed {seed} done", flush=True)

    res = pd.DataFrame(rows)
    agg = res.groupby(["ctcs", "caller"]).sum(numeric_only=True)
    print(
        f"\n== clonal somatic SNVs, {len(args.seeds)} seeds, amplification errors "
        f"{args.amp_error_rate:g}/bp, dropout 10-40 % along the genome"
        + (", population VCF" if args.population_vcf else "")
        + " =="
    )
    print(
        f"{'CTCs':>4} {'caller':<9}{'precision':>10}{'recall':>8}{'recall obs.':>12}"
        f"{'FP':>5}{'FP germ.':>9}{'1-cell FP/Mb':>13}{'s/run':>7}"
    )
    for (k, caller), a in agg.iterrows():
        prec = a.tp / a.n_called if a.n_called else float("nan")
        n_runs = (res["ctcs"] == k).sum() / res["caller"].nunique()
        print(
            f"{k:>4} {caller:<9}{prec:>10.3f}{a.clonal_hit / a.clonal:>8.3f}"
            f"{a.clonal_obs_hit / a.clonal_obs:>12.3f}{int(a.fp):>5}{int(a.fp_germline):>9}"
            f"{a.fp_single / a.mb:>13.2f}{a.seconds / n_runs:>7.2f}"
        )
    sh = pd.DataFrame(shallow_rows).groupby("ctcs").sum(numeric_only=True)
    print("\n== shallow WBCs (2 WBCs, <= 8 reads at the site): germline het sites ==")
    for k, a in sh.iterrows():
        frac = 1 - a.somatic_pass / a.germline_sites
        print(
            f"{k:>3} CTCs: {int(a.germline_sites)} sites, {int(a.somatic_pass)} called somatic "
            f"PASS; not called somatic: {frac:.4f}"
        )
    if args.false_pass:
        ours = agg.xs("ctcg snv", level="caller")
        print("\n== false somatic PASS calls: observed vs expected (sum of 1 - posterior) ==")
        for k, a in ours.iterrows():
            print(f"{k:>3} CTCs: {int(a.fp)} observed, {a.fp_expected:.2f} expected")
        print("\n" + (pd.DataFrame(fps).to_string(index=False) if fps else "none"))
    if args.fp_targets:
        single_cell_fp(root, args.seeds, args.amp_error_rate, args.fp_targets, params)
    cal = pd.DataFrame(calib, columns=["ctcs", "p", "true"])
    bins = [0, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0001]
    cal["bin"] = pd.cut(cal["p"], bins, right=False)
    print("\n== calibration of the somatic posterior (all candidate sites, all runs) ==")
    print(cal.groupby("bin", observed=True)["true"].agg(["count", "mean"]).to_string())


if __name__ == "__main__":
    main()
