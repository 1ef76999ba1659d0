"""The patient report: one self-contained HTML page plus the same content as JSON.

The report renders whatever parts a run has (QC, copy number, mutations, RNA cell
states, therapy matches) and says plainly which parts were not run and why. Figures are
drawn with matplotlib and inlined as PNG data URIs; the page loads nothing from the
network. Templates are jinja2 with autoescaping on. See ``docs/report.md``.
"""

from ctcgenomics.report._inputs import (
    STAGES,
    LoadedInputs,
    ReportInputError,
    ReportInputs,
    load_inputs,
)
from ctcgenomics.report._report import (
    LIMITATIONS,
    SECTIONS,
    Report,
    build_report,
    make_report,
    render_html,
    write_report,
)
from ctcgenomics.report._sections import discordance_flags, parse_sources
from ctcgenomics.report._versions import tool_versions

__all__ = [
    "LIMITATIONS",
    "SECTIONS",
    "STAGES",
    "LoadedInputs",
    "Report",
    "ReportInputError",
    "ReportInputs",
    "build_report",
    "discordance_flags",
    "load_inputs",
    "make_report",
    "parse_sources",
    "render_html",
    "tool_versions",
    "write_report",
]
