"""Two people's bulk libraries declared amplified (MDA, the defaults of ``ctcg snv``).

The count-level pair of ``tests/snv/test_real_pair.py``: germline SNVs of two people
(1.5 per kb, Hardy-Weinberg genotypes) at 25x, one person as the CTC, the other as the
WBC, over 100 kb, 400 kb and 1 Mb. The expected somatic calls are the differences (the
CTC person het or hom-alt, the WBC person reference); nothing the WBC person carries may
PASS. Scenarios (``--scenario``): ``bulk`` both people bulk, no chemistry given (``ctcg
snv`` without a cell sheet: MDA assumed); ``mda-ctc`` an amplified CTC (Beta(8, 8) het
fractions, 10 % dropout) with a bulk WBC, no chemistry given; ``amplified`` both
amplified, no chemistry given (the library check must keep them amplified); the
``-stated`` variants with ``wga`` MDA stated for both (a cell sheet). Printed per run:
differences PASS / all (hom-alt differences in brackets), WBC-carried PASS / all, and
each cell's library check.

    .venv/bin/python benchmarks/bench_snv_libtype.py --seeds 1 2 --scenario bulk

Defaults were chosen on seeds 1-2; seeds 3-6 are held out.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "snv"))

from test_real_pair import _pair_counts

import ctcgenomics as ctc

SCENARIOS = {
    "bulk": {"declared": ("MDA", "MDA"), "ctc_amplified": False, "wbc_wga": "none"},
    "mda-ctc": {"declared": ("MDA", "MDA"), "ctc_amplified": True, "wbc_wga": "none"},
    "amplified": {"declared": ("MDA", "MDA"), "ctc_amplified": True, "wbc_wga": "MDA"},
}
SCENARIOS |= {f"{k}-stated": v for k, v in SCENARIOS.items()}


def run(seed: int, length: int, scenario: str) -> dict:
    """Call one pair; return the counts of PASS differences and WBC-carried PASS."""
    kw = dict(SCENARIOS[scenario])
    wbc_wga = kw.pop("wbc_wga")
    adata, g = _pair_counts(seed, wbc_wga, length=length, **kw)
    if not scenario.endswith("-stated"):
        del adata.obs["wga"]
    ctc.snv.genotype(adata)
    ctc.snv.apply_filters(adata)
    passed = adata.var["filter"].to_numpy() == "PASS"
    diff = (g[1] == 0) & (g[0] > 0)
    hom = diff & (g[0] == 2)
    check = adata.uns["snv"]["library_check"]
    cols = [c for c in ("used", "n_sites", "statistic", "p_unamplified") if c in check]
    lib = "; ".join(
        " ".join(f"{c}={r[c]:.3g}" if isinstance(r[c], float) else f"{c}={r[c]}" for c in cols)
        for _, r in check.iterrows()
    )
    return {
        "diff": f"{passed[diff].sum()}/{diff.sum()} ({passed[hom].sum()}/{hom.sum()})",
        "wbc": f"{passed[g[1] > 0].sum()}/{(g[1] > 0).sum()}",
        "dropout": "/".join(f"{x:.3g}" for x in adata.obs["dropout_rate"]),
        "library": lib,
    }


def main() -> None:
    """Run the scenarios over lengths and seeds and print one line per run."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--lengths", type=int, nargs="+", default=[100_000, 400_000, 1_000_000])
    ap.add_argument("--scenario", nargs="+", default=["bulk"], choices=sorted(SCENARIOS))
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    np.seterr(all="ignore")
    for scenario in args.scenario:
        for length in args.lengths:
            for seed in args.seeds:
                r = run(seed, length, scenario)
                print(
                    f"{scenario:9s} {length // 1000:5d} kb seed {seed}: differences PASS "
                    f"{r['diff']:14s} WBC-carried PASS {r['wbc']:8s} dropout {r['dropout']}"
                    f" | {r['library']}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
