"""Serial draws: CTC counts and alteration prevalence over time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ctcgenomics.pl._common import TAB10, PathLike, doc_params, finish, new_figure


@doc_params
def timeline(
    draws: Sequence[Mapping],
    series: Sequence[Mapping],
    *,
    max_lines: int = 10,
    save: PathLike | None = None,
    dpi: int = 120,
    show: bool = False,
) -> Figure:
    """CTC counts per draw (top) and alteration prevalence with its 95% interval (bottom).

    Parameters
    ----------
    draws
        One mapping per draw, in time order: ``draw``, ``draw_date`` and the counts
        ``ctc_count``, ``ctc_sequenced``, ``ctc_pass_qc`` (``None`` when unknown), as
        in the ``serial`` section of the report (``draws``).
    series
        One mapping per alteration: ``gene``, ``alteration`` and ``points``, each
        point with ``draw``, ``prevalence``, ``ci_low``, ``ci_high`` and
        ``n_cells_altered`` (the report's ``serial`` section, ``alterations``).
    max_lines
        Draw at most this many alterations, the most prevalent first.
    {save_show}

    Returns
    -------
    matplotlib.figure.Figure
        Counts axes, then prevalence axes (one error-bar line per alteration).
    """
    labels = [f"{d['draw']}\n{d.get('draw_date', '')}" for d in draws]
    x = np.arange(len(draws))
    fig = new_figure((7, 6.5), show=show)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    width = 0.27
    for k, (key, name) in enumerate((("ctc_count", "enumerated"), ("ctc_sequenced", "sequenced"),
                                     ("ctc_pass_qc", "passing QC"))):  # fmt: skip
        vals = [np.nan if d.get(key) is None else d[key] for d in draws]
        top.bar(x + (k - 1) * width, vals, width, label=name, color=TAB10[k])
    top.set_ylabel("CTCs")
    top.legend(fontsize=7, frameon=False)
    altered = [s for s in series if any((p["n_cells_altered"] or 0) > 0 for p in s["points"])]
    altered.sort(key=lambda s: -max((p["prevalence"] or 0) for p in s["points"]))
    index = {d["draw"]: i for i, d in enumerate(draws)}
    for i, s in enumerate(altered[:max_lines]):
        pts = [p for p in s["points"] if p["prevalence"] is not None]
        if not pts:
            continue
        # A small sideways shift per line keeps overlapping intervals apart.
        xs = np.array([index[p["draw"]] for p in pts], dtype=float) + (i - max_lines / 2) * 0.015
        prev = np.array([p["prevalence"] for p in pts])
        err = np.array([[p["prevalence"] - p["ci_low"] for p in pts],
                        [p["ci_high"] - p["prevalence"] for p in pts]])  # fmt: skip
        bottom.errorbar(xs, prev, yerr=np.clip(err, 0, None), marker="o", capsize=3,
                        color=TAB10[i % 10], label=f"{s['gene']} {s['alteration']}")  # fmt: skip
    bottom.set_ylim(-0.05, 1.05)
    bottom.set_ylabel("prevalence among CTCs (95% CI)")
    bottom.set_xticks(x, labels)
    if altered:
        bottom.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    else:
        bottom.text(0.5, 0.5, "no alteration detected", ha="center", transform=bottom.transAxes)
    fig.suptitle("Serial draws")
    return finish(fig, save=save, dpi=dpi, show=show)
