"""Score copy-number calls against the truth of a count simulation (tests and benchmarks)."""

from __future__ import annotations

import numpy as np
import pandas as pd

EVENT_CARRIER_MIN = {"homdel": 0, "focal_amp": 8}


def scaled_truth(sim, adata) -> np.ndarray:
    """Truth at the scale each cell was called at.

    A cell called at the lowest consistent ploidy and flagged unidentifiable, whose
    doubled alternative is its true ploidy (a pure doubling), is scored against half its
    truth: the profile it was reported as, with the doubling left open.
    """
    truth = sim.truth.astype(float).copy()
    if "ploidy_identifiable" not in adata.obs:
        return truth
    for i in range(adata.n_obs):
        obs = adata.obs.iloc[i]
        true_ploidy = float(sim.cells["true_ploidy"].iloc[i])
        if (
            not bool(obs["ploidy_identifiable"])
            and np.isfinite(obs["ploidy_alternative"])
            and abs(obs["ploidy_alternative"] - true_ploidy) <= 0.5
            and np.all(truth[i] % 2 == 0)
        ):
            truth[i] = truth[i] / 2
    return truth


def cell_metrics(sim, adata) -> pd.DataFrame:
    """Per cell: QC, ploidy error and the share of used bins with the right integer."""
    used = adata.var["used"].to_numpy()
    cn = np.asarray(adata.layers["copy_number"])
    truth = scaled_truth(sim, adata)
    rows = []
    for i, cell in enumerate(adata.obs_names):
        ok = used & np.isfinite(cn[i])
        rows.append(
            {
                "cell": cell,
                "clone": sim.cells.loc[cell, "clone"],
                "role": sim.cells.loc[cell, "role"],
                "qc_pass": bool(adata.obs["qc_pass"].iloc[i]),
                "mapd": float(adata.obs["mapd"].iloc[i]),
                "ploidy": float(adata.obs["ploidy"].iloc[i]),
                "true_ploidy": float(sim.cells.loc[cell, "true_ploidy"]),
                "acc": float((cn[i][used] == truth[i][used]).mean()) if ok.any() else np.nan,
                "identifiable": bool(adata.obs["ploidy_identifiable"].iloc[i])
                if "ploidy_identifiable" in adata.obs
                else True,
            }
        )
    out = pd.DataFrame(rows).set_index("cell")
    scale = truth.mean(axis=1) / np.maximum(sim.truth.mean(axis=1), 1e-9)
    out["true_ploidy_scaled"] = out["true_ploidy"].to_numpy() * scale
    out["ploidy_err"] = (out["ploidy"] - out["true_ploidy_scaled"]).abs()
    return out


def event_metrics(sim, adata, *, amplification_ratio: float = 2.5) -> pd.DataFrame:
    """Per planted event and carrier cell: was it found?

    Carriers are the cells whose truth over the event's bins equals the event's copy
    number after their clone's history (a doubled descendant carries the doubled event)
    and differs from their truth just outside it.
    Found: homozygous deletions with CN 0 in at least half of their bins; one-bin
    amplicons at or above ``amplification_ratio`` times the cell's rounded ploidy; other
    events with the true integer in at least 75 % of their bins.
    """
    cn = np.asarray(adata.layers["copy_number"])
    truth = sim.truth
    scaled = scaled_truth(sim, adata)
    ploidy = adata.obs["ploidy"].to_numpy()
    rows = []
    for ev in sim.events.itertuples():
        s, e = int(ev.start_bin), int(ev.end_bin)
        t = truth[:, s:e]
        if ev.kind == "homdel":
            carriers = np.flatnonzero((t == 0).all(axis=1))
        elif ev.kind == "focal_amp":
            carriers = np.flatnonzero((t >= 8).all(axis=1))
        else:
            want = ev.cn_a + ev.cn_b
            carriers = np.flatnonzero((t == want).all(axis=1) | (t == 2 * want).all(axis=1))
            # A cell carries the event only where it changes its copy number: a doubled
            # cell's base of 4 is not a two-copy gain of an undoubled clone.
            flanks = np.c_[truth[:, max(s - 3, 0) : s], truth[:, e : e + 3]]
            carriers = [
                i
                for i in carriers
                if sim.cells["clone"].iloc[i] != "normal"
                and (
                    ev.kind == "cnloh"  # copy-neutral: the total does not change
                    or flanks.shape[1] == 0
                    or not np.all(flanks[i] == t[i, 0])
                )
            ]
        for i in carriers:
            called = cn[i, s:e]
            t_i = scaled[i, s:e]
            exact = np.mean(called == t_i) >= 0.75
            if ev.kind == "cnloh":
                # Copy-neutral: found when the total is right and no minor copy is left.
                minor = (
                    np.asarray(adata.layers["minor_cn"])[i, s:e]
                    if "minor_cn" in adata.layers
                    else np.full(e - s, np.nan)
                )
                found = bool(np.mean((called == t_i) & (minor == 0)) >= 0.75)
            elif ev.kind == "homdel":
                found = np.mean(called == 0) >= 0.5
            elif ev.kind == "focal_amp":
                base = max(1.0, np.rint(ploidy[i]))
                found = bool(np.all(called >= amplification_ratio * base))
            else:
                # A change in the right direction against the truth just outside the
                # event (its flanks), in at least 75 % of its bins.
                flank = np.r_[scaled[i, max(s - 3, 0) : s], scaled[i, e : e + 3]]
                ref = np.median(flank) if len(flank) else np.nan
                sign = np.sign(np.median(t_i) - ref)
                found = bool(sign != 0 and np.mean(np.sign(called - ref) == sign) >= 0.75)
            rows.append(
                {
                    "kind": ev.kind,
                    "clone": ev.clone,
                    "n_bins": e - s,
                    "cell": adata.obs_names[i],
                    "qc_pass": bool(adata.obs["qc_pass"].iloc[i]),
                    "true_cn": int(t[i, 0]),
                    "called": ",".join(str(int(v)) if np.isfinite(v) else "nan" for v in called),
                    "found": bool(found),
                    "exact": bool(exact),
                }
            )
    return pd.DataFrame(rows)


def summary(cells: pd.DataFrame, events: pd.DataFrame, wbc_gene_calls: int) -> dict:
    """The acceptance figures of issue 14 for one or more simulated patients."""
    ctc = cells[(cells["role"] == "ctc") & cells["qc_pass"]]
    a2 = cells[cells["clone"] == "A2"]
    pure = cells[cells["clone"] == "Apure"]
    out = {
        "ctc_pass": f"{len(ctc)}/{int((cells['role'] == 'ctc').sum())}",
        "bins_right_ctc": float(ctc["acc"].mean()) if len(ctc) else np.nan,
        "cells_ge95": float((ctc["acc"] >= 0.95).mean()) if len(ctc) else np.nan,
        "wbc_bins_right": float(cells.loc[cells["role"] == "wbc", "acc"].mean()),
        "wgd_ploidy_ok": f"{int((a2['ploidy_err'] <= 0.25).sum())}/{len(a2)}",
        "pure_at_half": f"{int((pure['ploidy_err'] <= 0.25).sum())}/{len(pure)}",
        "pure_unidentifiable": f"{int((~pure['identifiable']).sum())}/{len(pure)}",
        "wbc_gene_amp_or_deepdel": int(wbc_gene_calls),
    }
    for kind in ("homdel", "focal_amp", "gain", "loss", "gain2", "post_wgd_loss",
                 "post_wgd_gain", "arm_gain", "arm_loss", "cnloh"):  # fmt: skip
        ev = events[(events["kind"] == kind) & events["qc_pass"]] if len(events) else events
        if len(ev):
            out[f"found_{kind}"] = f"{int(ev['found'].sum())}/{len(ev)}"
            if kind not in ("homdel", "focal_amp"):
                out[f"exact_{kind}"] = f"{int(ev['exact'].sum())}/{len(ev)}"
    return out
