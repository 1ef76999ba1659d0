"""A small synthetic patient with known truth for the report tests.

Two draws of a breast-cancer patient (HER2-negative primary). Truth planted in the
inputs: TP53 p.R175H in every CTC and no WBC; PIK3CA p.H1047R in D2 CTCs only (emerging);
ERBB2 amplification in 3 of 4 evaluable D2 CTCs (discordant with the HER2-negative
primary); one WGS library fails QC. Therapy matches come from the real matcher
(``ctcgenomics.actionability.match``) on the planted alterations.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from ctcgenomics.actionability import therapy_table as actionability_report
from ctcgenomics.actionability import write_therapy_table as write_actionability
from ctcgenomics.io.alterations import alteration_row, alterations_frame, write_alterations
from ctcgenomics.io.sheets import read_patient_sheet
from ctcgenomics.report import ReportInputs

PATIENT = "P01"
DRAWS = {"D1": "2026-03-02", "D2": "2026-06-08"}
WGS_CTC = {"D1": ["P01_D1_CTC1", "P01_D1_CTC2", "P01_D1_CTC3", "P01_D1_CTC4"],
           "D2": ["P01_D2_CTC1", "P01_D2_CTC2", "P01_D2_CTC3", "P01_D2_CTC4"]}  # fmt: skip
WGS_WBC = {"D1": ["P01_D1_WBC1"], "D2": ["P01_D2_WBC1"]}
FAILED_CELL = "P01_D1_CTC4"
ERBB2_AMP_CELLS = ["P01_D2_CTC1", "P01_D2_CTC2", "P01_D2_CTC3"]
PIK3CA_CELLS = ["P01_D2_CTC1p", "P01_D2_CTC3p"]


def _tsv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, sep="\t", index=False)
    return path


def build_patient(
    root: Path,
    *,
    therapy: str = "letrozole + palbociclib",
    evidence: str = "median CN 8",
    n_bins_per_chrom: int = 40,
    with_stages: tuple[str, ...] = ("qc", "cnv", "snv", "rna", "actionability"),
    germline_brca2: bool = False,
) -> ReportInputs:
    """Write the synthetic patient's inputs under ``root``; return their paths.

    ``germline_brca2`` adds the BRCA2 c.5946delT founder frameshift (p.S1982Rfs*22) in
    every cell, WBCs included: a germline finding.
    """
    root.mkdir(parents=True, exist_ok=True)
    patients = pd.DataFrame(
        [
            {"patient": PATIENT, "tumour_type": "BRCA", "primary_er": "positive",
             "primary_pr": "positive", "primary_her2": "negative", "draw": d, "draw_date": date,
             "blood_volume_ml": 7.5, "ctc_count": n, "therapy": therapy}
            for (d, date), n in zip(DRAWS.items(), (14, 31), strict=True)
        ]
    )  # fmt: skip
    cells = []
    for d in DRAWS:
        for c in WGS_CTC[d]:
            cells.append({"cell": c, "draw": d, "assay": "wgs", "role": "ctc"})
        for c in WGS_WBC[d]:
            cells.append({"cell": c, "draw": d, "assay": "wgs", "role": "wbc"})
        for i in range(1, 5):
            cells.append({"cell": f"P01_{d}_CTC{i}p", "draw": d, "assay": "panel", "role": "ctc"})
        cells.append({"cell": f"P01_{d}_WBC1p", "draw": d, "assay": "panel", "role": "wbc"})
    cell_sheet = pd.DataFrame(cells).assign(patient=PATIENT, wga="MDA", fq1="", fq2="")
    cell_sheet["bam"] = "bam/" + cell_sheet["cell"] + ".bam"
    cell_sheet = cell_sheet[["patient", "draw", "cell", "assay", "role", "wga", "fq1", "fq2",
                             "bam"]]  # fmt: skip
    inputs = ReportInputs(
        patients=_tsv(root / "patients.tsv", patients),
        cells=_tsv(root / "cells.tsv", cell_sheet),
    )
    rng = np.random.default_rng(0)
    if "qc" in with_stages:
        qc = pd.DataFrame({"cell": cell_sheet["cell"]})
        qc["total_reads"] = 40000
        qc["mapped_pct"] = 98.0
        qc["properly_paired_pct"] = 95.0
        qc["duplicate_pct"] = 5.0
        qc["mean_depth"] = 0.5
        qc["breadth_1x"] = 0.3
        qc["insert_size_median"] = 300
        qc["mapd_raw"] = 0.2
        qc["qc_pass"] = qc["cell"] != FAILED_CELL
        qc["qc_reason"] = np.where(qc["qc_pass"], "", "mapd 0.61 > 0.45")
        qc.loc[qc["cell"] == FAILED_CELL, "mapd_raw"] = 0.61
        inputs.qc = _tsv(root / "qc.tsv", qc)
    if "cnv" in with_stages:
        wgs = cell_sheet[cell_sheet["assay"] == "wgs"]
        chroms = np.repeat(["chr1", "chr2", "chr17"], n_bins_per_chrom)
        starts = np.tile(np.arange(n_bins_per_chrom) * 500_000, 3)
        var = pd.DataFrame({"chrom": chroms, "start": starts, "end": starts + 500_000})
        var.index = [f"{c}:{s}-{s + 500_000}" for c, s in zip(chroms, starts, strict=True)]
        cn = np.full((len(wgs), len(var)), 2.0)
        is_ctc = (wgs["role"] == "ctc").to_numpy()
        cn[np.ix_(is_ctc, np.flatnonzero(chroms == "chr17")[:10])] = 1.0  # 17p loss in CTCs
        amp = wgs["cell"].isin(ERBB2_AMP_CELLS).to_numpy()
        cn[np.ix_(amp, np.flatnonzero(chroms == "chr17")[20:23])] = 8.0
        cn[0, 5] = np.nan
        obs = pd.DataFrame(index=wgs["cell"].to_numpy())
        obs["ploidy"] = 2.0 + rng.normal(0, 0.05, len(obs))
        obs["qc_pass"] = obs.index != FAILED_CELL
        obs["qc_reason"] = np.where(obs["qc_pass"], "", "mapd")
        adata = ad.AnnData(X=cn.copy(), obs=obs, var=var, layers={"copy_number": cn})
        inputs.cnv = root / "cnv.h5ad"
        adata.write_h5ad(inputs.cnv)
        clones = pd.DataFrame({"cell": wgs["cell"], "clone": np.where(
            ~is_ctc, "normal", np.where(amp, "B", "A"))})  # fmt: skip
        inputs.cnv_clones = _tsv(root / "clones.tsv", clones)
    if "snv" in with_stages:
        panel = cell_sheet[cell_sheet["assay"] == "panel"]
        var = pd.DataFrame(
            {"chrom": ["chr17", "chr3", "chr17"], "pos": [7675088, 179234297, 7676154],
             "ref": ["C", "A", "G"], "alt": ["T", "G", "C"], "gene": ["TP53", "PIK3CA", "TP53"],
             "HGVSp": ["p.R175H", "p.H1047R", "p.P72R"],
             "consequence": ["missense_variant"] * 3, "somatic": [True, True, False]},
            index=["chr17:7675088:C>T", "chr3:179234297:A>G", "chr17:7676154:G>C"],
        )  # fmt: skip
        is_ctc = (panel["role"] == "ctc").to_numpy()
        gt = np.zeros((len(panel), 3), dtype=np.int8)
        gt[is_ctc, 0] = 2
        gt[panel["cell"].isin(PIK3CA_CELLS).to_numpy(), 1] = 1
        gt[:, 2] = 1  # germline SNP everywhere (not somatic, not reported)
        gt[np.flatnonzero(panel["cell"] == "P01_D1_CTC2p"), 0] = -1  # dropout
        obs = pd.DataFrame(index=panel["cell"].to_numpy())
        adata = ad.AnnData(X=gt.astype(float), obs=obs, var=var, layers={"genotype": gt})
        inputs.snv = root / "snv.h5ad"
        adata.write_h5ad(inputs.snv)
    if "rna" in with_stages:
        rows = []
        for d in DRAWS:
            for i in range(12):
                cls = "CTC" if i < 6 else "WBC"
                rows.append({"cell": f"{d}_bc{i}", "draw": d, "cell_class": cls,
                             "emt_score": rng.normal(0.5 if cls == "CTC" else -0.5, 0.2),
                             "stemness": rng.normal(0, 0.2), "emt_state": "epithelial",
                             "ERBB2_level": "high" if (d == "D2" and i < 2) else "low",
                             "ESR1_level": "high", "PGR_level": "low", "AR_level": "absent",
                             "cd44_cd24": "CD44+/CD24-" if i == 0 else "CD44+/CD24+",
                             "arv7": "not_measured"})  # fmt: skip
        inputs.rna = _tsv(root / "rna_cells.tsv", pd.DataFrame(rows))
    alt_rows = []
    for d in DRAWS:
        n_amp = 3 if d == "D2" else 0
        n_eval = 4 if d == "D2" else 3  # the failed D1 cell is not evaluable
        alt_rows.append(
            alteration_row(
                patient=PATIENT,
                draw=d,
                gene="ERBB2",
                alteration="AMPLIFICATION",
                kind="copy_number",
                n_cells_altered=n_amp,
                n_cells_evaluable=n_eval,
                evidence=evidence if n_amp else "",
                source="ctcg cnv",
            )
        )
        alt_rows.append(
            alteration_row(
                patient=PATIENT,
                draw=d,
                gene="TP53",
                alteration="p.R175H",
                kind="mutation",
                n_cells_altered=3 if d == "D1" else 4,
                n_cells_evaluable=3 if d == "D1" else 4,
                source="ctcg snv",
            )
        )
        alt_rows.append(
            alteration_row(
                patient=PATIENT,
                draw=d,
                gene="PIK3CA",
                alteration="p.H1047R",
                kind="mutation",
                n_cells_altered=0 if d == "D1" else 2,
                n_cells_evaluable=4,
                source="ctcg snv",
            )
        )
    if germline_brca2:
        alt_rows += [
            alteration_row(patient=PATIENT, draw=d, gene="BRCA2", alteration="p.S1982Rfs*22",
                           kind="mutation", n_cells_altered=4, n_cells_evaluable=4,
                           source="ctcg snv", origin="germline")
            for d in DRAWS
        ]  # fmt: skip
    alterations = alterations_frame(alt_rows)  # fmt: skip
    inputs.alterations = root / "alterations.tsv"
    write_alterations(alterations, inputs.alterations)
    if "actionability" in with_stages:
        doc, table = actionability_report(PATIENT, alterations, read_patient_sheet(
            inputs.patients))  # fmt: skip
        inputs.actionability = root / "actionability.tsv"
        write_actionability(doc, table, root / "actionability.json", inputs.actionability)
    return inputs
