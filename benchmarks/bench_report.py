"""Wall time of the patient report for 3 draws, 200 cells and 6,000 bins.

There is no standard tool that writes this report, so the comparison is with the
pipeline itself: with ``--benchmarks results/benchmarks`` the report's time is printed
as a fraction of the summed wall time of every Snakemake job of a real run.

Run: .venv/bin/python benchmarks/bench_report.py [--benchmarks results/benchmarks]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from ctcgenomics.actionability import therapy_table as actionability_report
from ctcgenomics.actionability import write_therapy_table as write_actionability
from ctcgenomics.io.alterations import alteration_row, alterations_frame, write_alterations
from ctcgenomics.io.sheets import read_patient_sheet
from ctcgenomics.report import ReportInputs, make_report, write_report

DRAWS = {"D1": "2026-01-05", "D2": "2026-04-06", "D3": "2026-07-06"}


def make_inputs(root: Path, *, n_cells: int = 200, n_bins: int = 6000, seed: int = 0):
    rng = np.random.default_rng(seed)
    pd.DataFrame([
        {"patient": "P1", "tumour_type": "BRCA", "primary_er": "positive", "primary_pr": "positive",
         "primary_her2": "negative", "draw": d, "draw_date": t, "blood_volume_ml": 7.5,
         "ctc_count": int(rng.integers(5, 80)), "therapy": "letrozole + palbociclib"}
        for d, t in DRAWS.items()
    ]).to_csv(root / "patients.tsv", sep="\t", index=False)  # fmt: skip
    draws = np.array(list(DRAWS))[np.arange(n_cells) % 3]
    roles = np.where(np.arange(n_cells) % 10 == 0, "wbc", "ctc")
    cells = [f"P1_{d}_C{i}" for i, d in enumerate(draws)]
    sheet = pd.DataFrame({"patient": "P1", "draw": draws, "cell": cells, "assay": "wgs",
                          "role": roles, "wga": "MDA", "fq1": "", "fq2": "",
                          "bam": [f"bam/{c}.bam" for c in cells]})  # fmt: skip
    sheet.to_csv(root / "cells.tsv", sep="\t", index=False)
    qc = pd.DataFrame({"cell": cells, "total_reads": 50000, "mapped_pct": 97.0,
                       "properly_paired_pct": 94.0, "duplicate_pct": 6.0, "mean_depth": 0.4,
                       "breadth_1x": 0.3, "insert_size_median": 310,
                       "mapd_raw": rng.uniform(0.1, 0.5, n_cells)})  # fmt: skip
    qc["qc_pass"] = qc["mapd_raw"] <= 0.45
    qc["qc_reason"] = np.where(qc["qc_pass"], "", "mapd > 0.45")
    qc.to_csv(root / "qc.tsv", sep="\t", index=False)
    chrom = np.array([f"chr{1 + i * 22 // n_bins}" for i in range(n_bins)])
    cn = np.full((n_cells, n_bins), 2.0)
    ctc = roles == "ctc"
    for _ in range(40):  # random clonal/subclonal segments
        a = int(rng.integers(0, n_bins - 200))
        who = ctc & (rng.random(n_cells) < rng.uniform(0.2, 1.0))
        cn[who, a : a + int(rng.integers(20, 200))] = rng.choice([0, 1, 3, 4, 6])
    var = pd.DataFrame({"chrom": chrom, "start": np.arange(n_bins) * 500_000,
                        "end": np.arange(1, n_bins + 1) * 500_000})  # fmt: skip
    var.index = var["chrom"] + ":" + var["start"].astype(str)
    obs = pd.DataFrame({"ploidy": 2.0, "qc_pass": qc["qc_pass"].to_numpy()}, index=cells)
    ad.AnnData(X=cn, obs=obs, var=var, layers={"copy_number": cn}).write_h5ad(root / "cnv.h5ad")
    n_var = 40
    gt = rng.choice([-1, 0, 1, 2], size=(n_cells, n_var), p=[0.2, 0.5, 0.2, 0.1]).astype(np.int8)
    svar = pd.DataFrame({"chrom": "chr17", "pos": 7_000_000 + np.arange(n_var) * 97,
                         "ref": "C", "alt": "T", "gene": "TP53",
                         "HGVSp": [f"p.R{100 + k}H" for k in range(n_var)], "somatic": True},
                        index=[f"v{k}" for k in range(n_var)])  # fmt: skip
    ad.AnnData(X=gt.astype(float), obs=pd.DataFrame(index=cells), var=svar,
               layers={"genotype": gt}).write_h5ad(root / "snv.h5ad")  # fmt: skip
    rna = pd.DataFrame(
        {
            "cell": [f"bc{i}" for i in range(600)],
            "draw": np.array(list(DRAWS))[np.arange(600) % 3],
            "cell_class": rng.choice(["CTC", "WBC", "platelet"], 600),
            "emt_score": rng.normal(0, 1, 600),
            "stemness": rng.normal(0, 1, 600),
            "emt_state": "epithelial",
            "ERBB2_level": rng.choice(["high", "low"], 600),
        }
    )
    rna.to_csv(root / "rna.tsv", sep="\t", index=False)  # fmt: skip
    rows = []
    for d in DRAWS:
        n = int((ctc & (draws == d)).sum())
        for gene, alt, kind in (("ERBB2", "AMPLIFICATION", "copy_number"),
                                ("PIK3CA", "p.H1047R", "mutation"),
                                ("ESR1", "p.D538G", "mutation")):  # fmt: skip
            rows.append(alteration_row(patient="P1", draw=d, gene=gene, alteration=alt, kind=kind,
                                       n_cells_altered=int(rng.integers(0, n)),
                                       n_cells_evaluable=n))  # fmt: skip
    alterations = alterations_frame(rows)
    write_alterations(alterations, root / "alterations.tsv")
    doc, table = actionability_report("P1", alterations, read_patient_sheet(root / "patients.tsv"))
    write_actionability(doc, table, root / "actionability.json", root / "actionability.tsv")
    return ReportInputs(patients=root / "patients.tsv", cells=root / "cells.tsv",
                        qc=root / "qc.tsv", cnv=root / "cnv.h5ad", snv=root / "snv.h5ad",
                        rna=root / "rna.tsv", alterations=root / "alterations.tsv",
                        actionability=root / "actionability.tsv")  # fmt: skip


def pipeline_seconds(folder: Path) -> float:
    """Summed wall time (column ``s``) of every Snakemake benchmark TSV under ``folder``."""
    return sum(float(pd.read_csv(p, sep="\t")["s"].sum()) for p in folder.rglob("*.tsv"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--benchmarks", type=Path, help="results/benchmarks of a pipeline run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        inputs = make_inputs(root)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = make_report(inputs, "P1")
            write_report(report, root / "report.html", root / "report.json")
            times.append(time.perf_counter() - start)
        size = (root / "report.html").stat().st_size / 1e6
    best = min(times)
    print(f"report, 3 draws x 200 cells x 6000 bins: {best:.2f} s (best of {args.repeat}), "
          f"HTML {size:.1f} MB")  # fmt: skip
    if args.benchmarks:
        total = pipeline_seconds(args.benchmarks)
        print(f"pipeline jobs (sum of {args.benchmarks}): {total:.1f} s; report / pipeline = "
              f"{best / total:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
