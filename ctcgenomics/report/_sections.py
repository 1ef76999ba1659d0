"""Build the report's sections as plain data (the content of ``report.json``).

Each section is a dict with ``status`` (``ok`` or ``not_run``) and, when not run, a
``reason`` in plain language. Tables are lists of row dicts; figures are named in
``figures`` and drawn separately from the same data (:mod:`._figures`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

# Level ranking shared with the actionability module (OncoKB-style, then CIViC A-E).
from ctcgenomics.actionability._kb import LEVEL_ORDER
from ctcgenomics.report._inputs import LoadedInputs

_PMID_RE = re.compile(r"\[?PMID:?\s*(\d+)\]?")
_HGVSP_COLUMNS = ("HGVSp", "hgvsp", "HGVSp_short", "protein_change")


def clean(value: object) -> object:
    """Return ``value`` as JSON-ready Python (numpy scalars unwrapped, NaN as ``None``)."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _records(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> list[dict]:
    if columns is not None:
        frame = frame.loc[:, [c for c in columns if c in frame.columns]]
    return [clean(r) for r in frame.to_dict("records")]


def not_run(reason: str) -> dict:
    """Return a section without data, with the reason shown to the reader."""
    return {"status": "not_run", "reason": reason}


def absent(loaded: LoadedInputs, stage: str, default: str) -> dict:
    """Return the section of a stage without data: ``failed`` (with why) or ``not_run``."""
    if stage in loaded.failed:
        return {"status": "failed", "reason": loaded.failed[stage]}
    return not_run(loaded.not_run.get(stage, default))


def _level_rank(level: object) -> int:
    text = str(level)
    return LEVEL_ORDER.index(text) if text in LEVEL_ORDER else len(LEVEL_ORDER)


def _as_bool(series: pd.Series) -> pd.Series:
    if series.dtype == bool:
        return series
    return series.astype(str).str.strip().str.lower().isin({"true", "1", "yes", "pass"})


def _cell_meta(
    loaded: LoadedInputs, names: Iterable[str], obs: pd.DataFrame | None
) -> pd.DataFrame:
    """Draw, role and assay of each cell: the cell sheet first, then the AnnData ``obs``."""
    names = list(names)
    meta = pd.DataFrame(index=pd.Index(names, name="cell"))
    for col in ("draw", "role", "assay"):
        values = pd.Series("", index=meta.index, dtype=object)
        if obs is not None and col in obs:
            values = obs[col].astype(str).reindex(meta.index).fillna("")
        if loaded.cells is not None and col in loaded.cells:
            sheet = loaded.cells[col].astype(str)
            known = meta.index.isin(sheet.index)
            values[known] = sheet.reindex(meta.index[known]).to_numpy()
        meta[col] = values.replace("", "unknown")
    return meta


# --- 7. QC -------------------------------------------------------------------------------

QC_SHOWN = (
    "cell", "draw", "role", "assay", "total_reads", "mapped_pct", "properly_paired_pct",
    "duplicate_pct", "mean_depth", "breadth_1x", "insert_size_median", "mapd", "qc_pass",
    "qc_reason",
)  # fmt: skip


def qc_section(loaded: LoadedInputs) -> dict:
    """Per-cell sequencing metrics, the failed cells and their reasons."""
    if loaded.qc is None:
        return absent(loaded, "qc", "no QC table")
    qc = loaded.qc.copy()
    qc["qc_pass"] = _as_bool(qc["qc_pass"])
    qc["qc_reason"] = qc.get("qc_reason", pd.Series("", index=qc.index)).fillna("").astype(str)
    meta = _cell_meta(loaded, qc["cell"], None)
    qc = qc.join(meta, on="cell")
    qc = qc.sort_values(["draw", "role", "assay", "cell"], kind="stable")
    failed = qc[~qc["qc_pass"]]
    return {
        "status": "ok",
        "n_cells": len(qc),
        "n_pass": int(qc["qc_pass"].sum()),
        "n_fail": len(failed),
        "cells": _records(qc, QC_SHOWN),
        "failed": _records(failed, ("cell", "draw", "role", "assay", "qc_reason")),
        "multiqc": "results/qc/ctcgenomics_qc_mqc.tsv (MultiQC custom content)",
    }


# --- 1. summary ----------------------------------------------------------------------------


def _draw_counts(loaded: LoadedInputs, draw: str) -> dict:
    out: dict[str, object] = {"ctc_sequenced": None, "ctc_pass_qc": None, "by_assay": {}}
    if loaded.cells is None:
        return out
    ctc = loaded.cells[(loaded.cells["draw"] == draw) & (loaded.cells["role"] == "ctc")]
    passed = None
    if loaded.qc is not None:
        qc = loaded.qc.set_index("cell")
        passed = _as_bool(qc["qc_pass"]).reindex(ctc["cell"]).fillna(False)
    by_assay = {}
    for assay, sub in ctc.groupby("assay", sort=True):
        by_assay[str(assay)] = {
            "sequenced": len(sub),
            "pass_qc": None if passed is None else int(passed.reindex(sub["cell"]).sum()),
        }
    out["by_assay"] = by_assay
    out["ctc_sequenced"] = len(ctc)
    out["ctc_pass_qc"] = None if passed is None else int(passed.sum())
    return out


def draws_table(loaded: LoadedInputs) -> list[dict]:
    """One row per draw: date, blood volume, enumerated and sequenced CTCs, therapy."""
    rows = []
    sheet = loaded.patients.sort_values(["draw_date", "draw"], kind="stable")
    for row in sheet.to_dict("records"):
        draw = str(row["draw"])
        rows.append(
            clean(
                {
                    "draw": draw,
                    "draw_date": str(row.get("draw_date", "")),
                    "blood_volume_ml": row.get("blood_volume_ml"),
                    "ctc_count": row.get("ctc_count"),
                    "therapy": row.get("therapy") or "",
                    **_draw_counts(loaded, draw),
                }
            )
        )
    return rows


def _pick_kb(meta: dict) -> dict:
    """Name, version and date of the knowledge base from ``actionability.json``."""
    found: dict = {}
    for key in ("kb", "knowledge_base"):
        if isinstance(meta.get(key), dict):
            found = meta[key]
            break
    if not found and "kb_version" in meta:
        found = {"version": meta["kb_version"]}
    return {k: str(found.get(k, "") or "") for k in ("name", "version", "date")}


def _ranked(matches: pd.DataFrame) -> pd.DataFrame:
    key = matches.assign(
        _lvl=matches["level"].map(_level_rank),
        _prev=-pd.to_numeric(matches["prevalence"], errors="coerce").fillna(-1.0),
    )
    order = ["_lvl", "_prev", *[c for c in ("draw", "gene", "alteration", "therapy") if c in key]]
    return key.sort_values(order, kind="stable").drop(columns=["_lvl", "_prev"])


def headline_therapies(matches: pd.DataFrame | None, direction: str) -> list[dict]:
    """Best match per therapy (``sensitivity``) or per alteration x therapy (``resistance``).

    Ranked by evidence level, then prevalence, as in the therapies table.
    """
    if matches is None or matches.empty:
        return []
    sub = _ranked(matches[matches["direction"] == direction])
    keys = ["therapy"] if direction == "sensitivity" else ["gene", "alteration", "therapy"]
    best = sub.drop_duplicates(keys, keep="first")
    draws = sub.groupby(keys)["draw"].agg(lambda d: ", ".join(sorted(set(map(str, d)))))
    best = best.join(draws.rename("draws"), on=keys)
    cols = ("therapy", "gene", "alteration", "level", "tumour_type_match", "prevalence",
            "ci_low", "ci_high", "draws")  # fmt: skip
    return _records(best, cols)


def _frac(state: dict) -> str:
    if "n_cells_altered" not in state:
        return f"not assessed in {state['draw']}"
    return f"{state['n_cells_altered']}/{state['n_cells_evaluable']} CTCs in {state['draw']}"


def _draw_records(loaded: LoadedInputs) -> list[dict]:
    cols = [c for c in ("draw", "draw_date", "therapy") if c in loaded.patients]
    return [clean(r) for r in loaded.patients[cols].to_dict("records")]


def _match_frame(loaded: LoadedInputs) -> pd.DataFrame:
    from ctcgenomics.actionability import MATCH_COLUMNS

    found = detected_matches(loaded.matches)
    return found if found is not None else pd.DataFrame(columns=list(MATCH_COLUMNS))


def serial_changes(loaded: LoadedInputs) -> list[dict]:
    """Alterations that emerge, disappear or change prevalence between consecutive draws.

    The rules are those of :func:`ctcgenomics.actionability.serial_changes` (Fisher exact
    test for increases/decreases); each record gains a ``text`` for the page and flags a
    resistance finding against the therapy of the later draw.
    """
    from ctcgenomics.actionability import serial_changes as _changes

    alt = loaded.alterations
    if alt is None or alt.empty:
        return []
    out = []
    for rec in _changes(alt, _draw_records(loaded), _match_frame(loaded)):
        concern = [i["therapy"] for i in rec["implications"] if i["concerns_current_therapy"]]
        text = (
            f"{rec['gene']} {rec['alteration']} {rec['change']}: {_frac(rec['from'])}, "
            f"{_frac(rec['to'])}"
        )
        if concern:
            text += f"; resistance to the current therapy ({', '.join(concern)})"
        out.append(clean({"kind": "between_draws", **rec, "text": text}))
    return out


def discordance_flags(loaded: LoadedInputs) -> list[dict]:
    """Primary-tumour receptor status that the CTCs contradict, and changes between draws.

    Receptor discordance follows :func:`ctcgenomics.actionability.discordances` (HER2, ER,
    PR of the patient sheet against amplification, expression and mutation calls of the
    CTCs); changes between draws follow :func:`serial_changes`.
    """
    from ctcgenomics.actionability import discordances

    alt = loaded.alterations
    if alt is None or alt.empty:
        return []
    flags = []
    for rec in discordances(alt, loaded.patients.iloc[0].to_dict()):
        text = (
            f"{rec['receptor']}-{rec['primary_status']} primary tumour, {rec['ctc_finding']} in "
            f"{rec['n_cells_altered']}/{rec['n_cells_evaluable']} CTCs ({rec['draw']}): "
            f"{rec['explanation']}"
        )
        flags.append(clean({"kind": "primary_vs_ctc", **rec, "text": text}))
    return flags + serial_changes(loaded)


def _draw_order(loaded: LoadedInputs) -> list[str]:
    sheet = loaded.patients.sort_values(["draw_date", "draw"], kind="stable")
    return [str(d) for d in sheet["draw"]]


def _qc_reasons(qc: pd.DataFrame) -> str:
    reasons = qc["qc_reason"].fillna("").astype(str).replace("", "no reason given")
    counts = reasons.value_counts()
    return "; ".join(f"{why} ({n})" if n > 1 else why for why, n in counts.items())


def evaluable_ctcs(loaded: LoadedInputs) -> dict:
    """How many CTCs can carry a finding: DNA libraries passing QC, and RNA-called CTCs.

    Returns ``{"dna": int|None, "rna": int|None, "total": int|None, "statement": str}``:
    ``None`` where a count cannot be known (no QC table, a failed RNA stage), and, when
    ``total`` is 0, a ``statement`` for the reader of why no CTC is evaluable.
    """
    dna = rna = None
    why = []
    if loaded.cells is not None:
        ctc = loaded.cells[loaded.cells["role"] == "ctc"]
        if ctc.empty:
            roles = "only white blood cells" if len(loaded.cells) else "no cells"
            why.append(f"no CTC was DNA-sequenced (the cell sheet lists {roles} of this patient)")
            dna = 0
        elif loaded.qc is not None:
            qc = loaded.qc[loaded.qc["cell"].isin(ctc["cell"])]
            dna = int(_as_bool(qc["qc_pass"]).sum())
            if dna == 0:
                why.append(
                    f"all {len(ctc)} DNA-sequenced CTC libraries failed QC ({_qc_reasons(qc)})"
                )
    if loaded.rna is not None and "cell_class" in loaded.rna:
        rna = int((loaded.rna["cell_class"] == "CTC").sum())
        if rna == 0:
            why.append(f"the RNA arm classified none of its {len(loaded.rna)} cells as a CTC")
    elif "rna" not in loaded.failed:
        rna = 0  # the RNA arm did not run for this patient: it adds no CTC
    if dna is None or rna is None:
        total = (dna or 0) + (rna or 0) if (dna or rna) else None
    else:
        total = dna + rna
    return {
        "dna": dna,
        "rna": rna,
        "total": total,
        "statement": "; ".join(why) if total == 0 else "",
    }


def summary_section(loaded: LoadedInputs) -> dict:
    """Patient, tumour type, receptor status, draws, and the headline findings."""
    first = loaded.patients.iloc[0]
    evaluable = evaluable_ctcs(loaded)
    no_ctc = evaluable["total"] == 0
    return {
        "status": "ok",
        "patient": loaded.patient,
        "tumour_type": str(first["tumour_type"]),
        "primary_receptors": {
            "ER": str(first.get("primary_er", "unknown")),
            "PR": str(first.get("primary_pr", "unknown")),
            "HER2": str(first.get("primary_her2", "unknown")),
        },
        "draws": draws_table(loaded),
        "candidate_therapies": headline_therapies(detected_matches(loaded.matches), "sensitivity"),
        "resistance": headline_therapies(detected_matches(loaded.matches), "resistance"),
        "discordance": [] if no_ctc else discordance_flags(loaded),
        "alterations_given": loaded.alterations is not None,
        "evaluable_ctcs": evaluable,
        "headline": f"No evaluable CTC: {evaluable['statement']}." if no_ctc else "",
        "not_run": dict(sorted(loaded.not_run.items())),
        "failed": dict(sorted(loaded.failed.items())),
    }


# --- 2. therapies --------------------------------------------------------------------------

THERAPY_COLUMNS = (
    "draw", "gene", "alteration", "therapy", "level", "label_level", "level_system",
    "direction", "tumour_type_match", "granularity", "context_status", "context_note", "caps",
    "confirm", "prevalence", "ci_low", "ci_high", "n_cells_altered", "n_cells_evaluable",
    "clonality", "sources",
)  # fmt: skip


def parse_sources(text: str) -> list[dict]:
    """Split a ``;``/``|``-separated sources string into ``{"text", "pmid"}`` items."""
    items = []
    for part in re.split(r"\s*[;|]\s*", str(text or "")):
        if not part:
            continue
        m = _PMID_RE.search(part)
        items.append({"text": part, "pmid": m.group(1) if m else ""})
    return items


def detected_matches(matches: pd.DataFrame | None) -> pd.DataFrame | None:
    """Keep the matches of alterations found in at least one CTC of their draw.

    The alterations table also lists alterations evaluated but not found (0 cells
    altered); matches on those are not findings and are left out of the report.
    """
    if matches is None or matches.empty:
        return matches
    altered = pd.to_numeric(matches["n_cells_altered"], errors="coerce")
    keep = (altered > 0) | (matches["kind"] == "enumeration")
    return matches[keep.to_numpy()]


def _n_not_detected(meta: dict) -> int:
    """Alterations evaluated in a draw but carried by none of its CTCs (never matched)."""
    return sum(
        row.get("reason_code") == "not_detected"
        for draw in meta.get("draws", [])
        for row in draw.get("unmatched", [])
    )


def _germline_findings(meta: dict) -> list[dict]:
    """Germline variants in predisposition genes, each flagged for certified confirmation."""
    out = []
    for finding in meta.get("germline_findings", []):
        matches = [
            {**m, "sources": parse_sources(m.get("sources", ""))}
            for m in finding.get("matches", [])
        ]
        out.append(clean({**finding, "matches": matches}))
    return out


def therapies_section(loaded: LoadedInputs) -> dict:
    """Therapy, resistance and prognosis matches of detected alterations, ranked."""
    if "alterations" in loaded.failed:
        return {
            "status": "failed",
            "reason": "the stages' alterations could not be merged, so nothing was matched: "
            + loaded.failed["alterations"],
        }
    if loaded.matches is None:
        return absent(loaded, "actionability", "no therapy matching")
    kb = _pick_kb(loaded.actionability_meta)
    found = detected_matches(loaded.matches)
    if "origin" in found.columns:  # germline findings have their own part of the section
        found = found[found["origin"].astype(str) != "germline"]
    rows = _records(_ranked(found), THERAPY_COLUMNS) if len(found) else []
    for row in rows:
        row["sources"] = parse_sources(row.get("sources", ""))
    evaluable = evaluable_ctcs(loaded)
    note = ""
    if evaluable["total"] == 0:
        note = (
            f"No evaluable CTC: {evaluable['statement']}. No alteration could be called from "
            "the CTCs, so no therapy is matched to one"
            + (" (matches below come from the CTC enumeration only)." if rows else ".")
        )
    return {
        "status": "ok",
        "kb": kb,
        "evaluable_ctcs": evaluable["total"],
        "note": note,
        "n_matches": len(rows),
        "n_not_detected": _n_not_detected(loaded.actionability_meta),
        "matches": rows,
        "germline_findings": _germline_findings(loaded.actionability_meta),
    }


# --- 3. copy number ------------------------------------------------------------------------


def _actionable_genes() -> frozenset[str]:
    from ctcgenomics.actionability import load_kb

    return load_kb().genes


def cnv_cells(loaded: LoadedInputs) -> pd.DataFrame:
    """Per-cell annotation of the copy-number AnnData: draw, role, clone, ploidy, QC.

    ``ploidy_identifiable`` is false where a halved or doubled scale fits as well.
    """
    adata = loaded.cnv
    obs = adata.obs
    meta = _cell_meta(loaded, adata.obs_names, obs)
    clone = pd.Series("", index=meta.index, dtype=object)
    if "clone" in obs:
        clone = obs["clone"].astype(str).reindex(meta.index)
    if loaded.cnv_clones is not None and {"cell", "clone"} <= set(loaded.cnv_clones.columns):
        table = loaded.cnv_clones.set_index("cell")["clone"].astype(str)
        known = meta.index.isin(table.index)
        clone[known] = table.reindex(meta.index[known]).to_numpy()
    meta["clone"] = clone.fillna("").replace({"": "none", "nan": "none"})
    for col in ("ploidy", "ploidy_identifiable", "qc_pass", "qc_reason"):
        meta[col] = obs[col].to_numpy() if col in obs else None
    return meta.reset_index()


def cnv_section(loaded: LoadedInputs) -> dict:
    """Per-cell copy-number summary and gene-level calls of actionable genes."""
    if loaded.cnv is None:
        return absent(loaded, "cnv", "no copy-number data")
    adata = loaded.cnv
    if "copy_number" not in adata.layers:
        return not_run("the copy-number AnnData has no 'copy_number' layer; rerun the CNV stage")
    cells = cnv_cells(loaded)
    genes: list[dict] = []
    if loaded.alterations is not None:
        alt = loaded.alterations
        actionable = _actionable_genes()
        sel = alt[(alt["kind"] == "copy_number") & alt["gene"].isin(actionable)]
        genes = _records(
            sel.sort_values(["gene", "alteration", "draw"]),
            ("draw", "gene", "alteration", "n_cells_altered", "n_cells_evaluable",
             "prevalence", "ci_low", "ci_high", "evidence"),
        )  # fmt: skip
    chroms = adata.var["chrom"].astype(str) if "chrom" in adata.var else pd.Series(dtype=str)
    return {
        "status": "ok",
        "n_cells": int(adata.n_obs),
        "n_bins": int(adata.n_vars),
        "chromosomes": sorted(set(chroms), key=_chrom_key),
        "cells": _records(cells),
        "gene_calls": genes,
        "gene_calls_note": (
            ""
            if loaded.alterations is not None
            else "gene-level calls come from the alterations table, which was not given"
        ),
        "gene_warnings": cnv_gene_warnings(adata),
        "figures": ["cnv_heatmap"],
    }


def cnv_gene_warnings(adata) -> list[dict]:
    """Return the configured genes the CNV stage could not read from a usable bin."""
    table = adata.uns.get("cnv", {}).get("gene_warnings")
    if table is None:
        return []
    table = pd.DataFrame(table)
    if not {"gene", "warning"} <= set(table.columns):
        return []
    table = table[table["warning"].astype(str).str.len() > 0]
    return _records(table.sort_values("gene"), ("gene", "warning"))


def _chrom_key(name: str) -> tuple[int, str]:
    core = name.removeprefix("chr")
    return (int(core), "") if core.isdigit() else (100, core)


# --- 4. mutations --------------------------------------------------------------------------


def _var_column(var: pd.DataFrame, names: Iterable[str]) -> pd.Series:
    for name in names:
        if name in var:
            return var[name].astype(str).replace({"nan": ""})
    return pd.Series("", index=var.index)


def snv_variants(loaded: LoadedInputs) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Return the reported variants, cell metadata and cells x variants genotype matrix.

    Variants flagged ``somatic`` by the SNV stage are reported (all, if that column is
    absent); genotypes are 0 ref/ref, 1 het, 2 alt/alt, -1 not evaluable.
    """
    adata = loaded.snv
    var = adata.var
    keep = _as_bool(var["somatic"]).to_numpy() if "somatic" in var else np.ones(adata.n_vars, bool)
    gt = np.asarray(adata.layers["genotype"])[:, keep]
    sel = var.loc[keep]
    table = pd.DataFrame(
        {
            "variant": sel.index.astype(str),
            "gene": _var_column(sel, ("gene", "SYMBOL")).to_numpy(),
            "hgvsp": _var_column(sel, _HGVSP_COLUMNS).to_numpy(),
            "chrom": _var_column(sel, ("chrom", "CHROM")).to_numpy(),
            "pos": pd.to_numeric(sel["pos"], errors="coerce").to_numpy()
            if "pos" in sel
            else np.nan,
            "ref": _var_column(sel, ("ref", "REF")).to_numpy(),
            "alt": _var_column(sel, ("alt", "ALT")).to_numpy(),
            "consequence": _var_column(sel, ("consequence", "Consequence")).to_numpy(),
        }
    )
    meta = _cell_meta(loaded, adata.obs_names, adata.obs)
    return table, meta, gt


def snv_section(loaded: LoadedInputs) -> dict:
    """One row per variant with cells altered / evaluable per draw among CTCs and WBCs."""
    if loaded.snv is None:
        return absent(loaded, "snv", "no mutation data")
    if "genotype" not in loaded.snv.layers:
        return not_run("the mutation AnnData has no 'genotype' layer; rerun the SNV stage")
    table, meta, gt = snv_variants(loaded)
    draws = _draw_order(loaded)
    rows = []
    for j, var in enumerate(table.to_dict("records")):
        per_draw = []
        for draw in draws:
            is_ctc = ((meta["draw"] == draw) & (meta["role"] == "ctc")).to_numpy()
            col = gt[is_ctc, j]
            per_draw.append({"draw": draw, "n_cells_altered": int((col > 0).sum()),
                             "n_cells_evaluable": int((col >= 0).sum())})  # fmt: skip
        wbc = gt[(meta["role"] == "wbc").to_numpy(), j]
        rows.append(clean({
            **var,
            "ctc_altered": [d["n_cells_altered"] for d in per_draw],
            "ctc_evaluable": [d["n_cells_evaluable"] for d in per_draw],
            "per_draw": per_draw,
            "wbc_altered": int((wbc > 0).sum()),
            "wbc_evaluable": int((wbc >= 0).sum()),
        }))  # fmt: skip
    carriers = {}
    for j, name in enumerate(table["variant"]):
        carriers[name] = sorted(meta.index[gt[:, j] > 0].astype(str))
    return {
        "status": "ok",
        "draws": draws,
        "n_variants": len(rows),
        "n_cells": int(gt.shape[0]),
        "n_not_reported": int(loaded.snv.n_vars - len(rows)),
        "variants": rows,
        "carriers": carriers,
        "figures": ["genotype_matrix"] if len(rows) else [],
    }


# --- 5. cell states ------------------------------------------------------------------------


def rna_section(loaded: LoadedInputs) -> dict:
    """Cell classes, EMT/stemness states and biomarker phenotypes of CTCs per draw."""
    if loaded.rna is None:
        return absent(loaded, "rna", "no RNA data")
    rna = loaded.rna
    if "cell_class" not in rna or "draw" not in rna:
        return not_run("the RNA cell table lacks cell_class/draw columns; rerun the RNA stage")
    per_draw = []
    for draw, sub in rna.groupby(rna["draw"].astype(str), sort=True):
        ctc = sub[sub["cell_class"] == "CTC"]
        row: dict[str, object] = {
            "draw": draw,
            "n_cells": len(sub),
            "classes": {str(k): int(v) for k, v in sub["cell_class"].value_counts().items()},
            "n_ctc": len(ctc),
        }
        row["emt_states"] = (
            {str(k): int(v) for k, v in ctc["emt_state"].value_counts().items()}
            if "emt_state" in ctc
            else {}
        )
        markers = {}
        for gene in ("ERBB2", "ESR1", "PGR", "AR"):
            col = f"{gene}_level"
            if col in ctc:
                measured = ctc[col].astype(str) != "not_measured"
                markers[f"{gene} high"] = [int((ctc[col] == "high").sum()), int(measured.sum())]
        if "cd44_cd24" in ctc:
            markers["CD44+/CD24-"] = [int((ctc["cd44_cd24"] == "CD44+/CD24-").sum()), len(ctc)]
        if "arv7" in ctc and (ctc["arv7"].astype(str) != "not_measured").any():
            markers["AR-V7"] = [int((ctc["arv7"] == "positive").sum()), len(ctc)]
        row["phenotypes"] = markers
        per_draw.append(clean(row))
    figures = ["emt_stemness"] if {"emt_score", "stemness"} <= set(rna.columns) else []
    return {"status": "ok", "n_cells": len(rna), "per_draw": per_draw, "figures": figures}


# --- 6. serial draws -----------------------------------------------------------------------


def serial_section(loaded: LoadedInputs) -> dict:
    """Prevalence of every alteration and the CTC counts across draws."""
    draws = draws_table(loaded)
    counts = [{k: d[k] for k in ("draw", "draw_date", "ctc_count", "ctc_sequenced",
                                 "ctc_pass_qc")} for d in draws]  # fmt: skip
    if loaded.alterations is None:
        return {
            "status": "ok",
            "draws": counts,
            "alterations": [],
            "changes": serial_changes(loaded),
            "note": "alteration prevalence needs the alterations table, which was not given",
            "figures": ["timeline"],
        }
    alt = loaded.alterations[loaded.alterations["kind"] != "enumeration"]
    order = [d["draw"] for d in draws]
    series = []
    for (gene, alteration, kind), sub in alt.groupby(["gene", "alteration", "kind"], sort=True):
        by_draw = sub.set_index(sub["draw"].astype(str))
        points = []
        for draw in order:
            if draw not in by_draw.index:
                continue
            r = by_draw.loc[draw]
            if isinstance(r, pd.DataFrame):
                r = r.iloc[0]
            points.append(clean({
                "draw": draw, "n_cells_altered": r["n_cells_altered"],
                "n_cells_evaluable": r["n_cells_evaluable"], "prevalence": r["prevalence"],
                "ci_low": r["ci_low"], "ci_high": r["ci_high"],
            }))  # fmt: skip
        series.append({"gene": gene, "alteration": alteration, "kind": kind, "points": points})
    return {
        "status": "ok",
        "draws": counts,
        "alterations": series,
        "changes": serial_changes(loaded),
        "note": "",
        "figures": ["timeline"],
    }
