"""Assemble, render and write a patient's report (HTML + JSON)."""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
from dataclasses import dataclass, field
from importlib import resources

import jinja2
import numpy as np

from ctcgenomics import __version__
from ctcgenomics.io._atomic import atomic_open
from ctcgenomics.io._json import json_ready
from ctcgenomics.report import _figures, _sections
from ctcgenomics.report._inputs import LoadedInputs, ReportInputs, load_inputs
from ctcgenomics.report._versions import tool_versions

log = logging.getLogger(__name__)

SECTIONS: tuple[str, ...] = (
    "summary", "therapies", "copy_number", "mutations", "cell_states", "serial", "qc", "methods",
)  # fmt: skip
"""Section keys, in reading order (also the HTML element IDs)."""

SECTION_TITLES: dict[str, str] = {
    "summary": "Summary",
    "therapies": "Therapies",
    "copy_number": "Copy number",
    "mutations": "Mutations",
    "cell_states": "Cell states",
    "serial": "Serial draws",
    "qc": "Quality control",
    "methods": "Methods",
}

LIMITATIONS = (
    "For research use only; not a diagnostic test. Results support, and never replace, the "
    "judgement of clinicians.",
    "Whole-genome amplification of single cells is uneven: allelic dropout can hide a "
    "heterozygous variant in a cell, so 'not altered' means 'not detected'; counts of "
    "altered cells are given over the cells in which the site was evaluable.",
    "Amplification errors can mimic variants in one cell; variants seen in a single cell "
    "only, or also in white blood cells, deserve caution.",
    "Few CTCs are sequenced per draw: prevalences carry wide confidence intervals (Wilson "
    "95%), and an absent alteration can be present below the detection limit.",
    "Copy number from low-pass sequencing resolves large segments only; focal events smaller "
    "than a few bins can be missed, and ploidy estimates of single cells can be off by a "
    "whole-genome doubling.",
    "Therapy matches come from a curated knowledge base of a given version; evidence "
    "outside it is not shown. Check every source before acting on a match.",
)

REPORT_SCHEMA_VERSION = 1


@dataclass
class Report:
    """A built report.

    Attributes
    ----------
    data
        The content of ``report.json``: ``sections`` keyed by :data:`SECTIONS`, each with
        a ``status`` (``ok`` or ``not_run`` with ``reason``).
    figures
        Figure name -> PNG ``data:`` URI, referenced by the sections' ``figures`` lists.
    """

    data: dict
    figures: dict[str, str] = field(default_factory=dict)

    def to_html(self) -> str:
        """Render the self-contained HTML page."""
        return render_html(self)


def methods_section(
    loaded: LoadedInputs, *, config_hash: str, reference: str, kb: dict | None
) -> dict:
    """Tool versions, reference, config hash, knowledge-base version and limitations."""
    if kb is None:
        kb_text = "not used (" + loaded.not_run.get("actionability", "no therapy matching") + ")"
    else:
        kb_text = " ".join(str(kb[k]) for k in ("name", "version") if kb.get(k)) or "unknown"
        if kb.get("date"):
            kb_text += f" ({kb['date']})"
    return {
        "status": "ok",
        "tool_versions": tool_versions(),
        "reference": reference or "not given",
        "config_hash": config_hash or "not given",
        "knowledge_base": kb_text,
        "stages_not_run": dict(sorted(loaded.not_run.items())),
        "stages_failed": dict(sorted(loaded.failed.items())),
        "limitations": list(LIMITATIONS),
        # Configured genes the bins cannot resolve (e.g. bins larger than the gene's
        # region): said here too, since their absence from the calls is not a finding.
        "resolution": [
            f"{w['gene']}: {w['warning']}"
            for w in (_sections.cnv_gene_warnings(loaded.cnv) if loaded.cnv is not None else [])
        ],
    }


def _cnv_figure(loaded: LoadedInputs) -> str:
    adata = loaded.cnv
    cells = _sections.cnv_cells(loaded)
    var = adata.var
    cn = np.asarray(adata.layers["copy_number"], dtype=float)
    if "used" in var:
        keep = var["used"].astype(bool).to_numpy()
        cn, var = cn[:, keep], var.loc[keep]
    return _figures.cnv_heatmap(cn, var["chrom"].astype(str).to_numpy(), cells)


def build_report(
    loaded: LoadedInputs,
    *,
    config_hash: str = "",
    reference: str = "",
    figures: bool = True,
) -> Report:
    """Build every section (and figure) of a patient's report from loaded inputs.

    Parameters
    ----------
    loaded
        Inputs from :func:`load_inputs`.
    config_hash
        Hash of the workflow configuration (``CONFIG_HASH`` in the workflow).
    reference
        Reference genome used (path or name and build).
    figures
        Draw figures (turn off for data-only use).

    Returns
    -------
    Report
    """
    if not isinstance(loaded, LoadedInputs):
        raise TypeError(
            f"build_report takes the LoadedInputs of ctc.report.load_inputs(...), got "
            f"{type(loaded).__name__}; or call ctc.report.make_report(inputs, patient)"
        )
    therapies = _sections.therapies_section(loaded)
    kb = therapies.get("kb") if therapies["status"] == "ok" else None
    sections = {
        "summary": _sections.summary_section(loaded),
        "therapies": therapies,
        "copy_number": _sections.cnv_section(loaded),
        "mutations": _sections.snv_section(loaded),
        "cell_states": _sections.rna_section(loaded),
        "serial": _sections.serial_section(loaded),
        "qc": _sections.qc_section(loaded),
        "methods": methods_section(loaded, config_hash=config_hash, reference=reference, kb=kb),
    }
    data = {
        "report_schema_version": REPORT_SCHEMA_VERSION,
        "patient": loaded.patient,
        "generated": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "ctcgenomics_version": __version__,
        "sections": sections,
    }
    report = Report(data=json_ready(data))
    if figures:
        report.figures = draw_figures(loaded, sections)
    return report


def draw_figures(loaded: LoadedInputs, sections: dict) -> dict[str, str]:
    """Draw the figures the sections name, as data URIs."""
    out: dict[str, str] = {}
    if "cnv_heatmap" in sections["copy_number"].get("figures", []):
        log.info("drawing the copy-number heatmap")
        out["cnv_heatmap"] = _cnv_figure(loaded)
    if "genotype_matrix" in sections["mutations"].get("figures", []):
        table, meta, gt = _sections.snv_variants(loaded)
        labels = [f"{g} {h}".strip() or v for g, h, v in
                  zip(table["gene"], table["hgvsp"], table["variant"], strict=True)]  # fmt: skip
        out["genotype_matrix"] = _figures.genotype_matrix(gt, labels, meta.reset_index())
    if "emt_stemness" in sections["cell_states"].get("figures", []):
        out["emt_stemness"] = _figures.emt_stemness(loaded.rna)
    if "timeline" in sections["serial"].get("figures", []):
        out["timeline"] = _figures.timeline(
            sections["serial"]["draws"], sections["serial"]["alterations"]
        )
    return out


def _environment() -> jinja2.Environment:
    # Autoescape everything: every value from an input file is shown as text, never markup.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ctcgenomics.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "–" if v is None else f"{100 * float(v):.0f}%"
    env.filters["num"] = _num
    return env


def _num(value: object, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def render_html(report: Report) -> str:
    """Render a report as one self-contained HTML page (inline CSS and figures)."""
    css = resources.files("ctcgenomics.report").joinpath("templates/report.css").read_text()
    template = _environment().get_template("report.html.j2")
    return template.render(
        r=report.data,
        s=report.data["sections"],
        figures=report.figures,
        order=SECTIONS,
        titles=SECTION_TITLES,
        css=css,
    )


def write_report(
    report: Report, html: str | os.PathLike[str], json_path: str | os.PathLike[str]
) -> None:
    """Write ``report.html`` and ``report.json`` atomically."""
    page = render_html(report)
    with atomic_open(json_path) as handle:
        json.dump(report.data, handle, indent=2, sort_keys=False, allow_nan=False)
        handle.write("\n")
    with atomic_open(html) as handle:
        handle.write(page)


def make_report(
    inputs: ReportInputs,
    patient: str,
    *,
    stages_off: tuple[str, ...] | list[str] = (),
    config_hash: str = "",
    reference: str = "",
) -> Report:
    """Read a patient's inputs and build the report (see :func:`build_report`)."""
    loaded = load_inputs(inputs, patient, stages_off=stages_off)
    return build_report(loaded, config_hash=config_hash, reference=reference)
