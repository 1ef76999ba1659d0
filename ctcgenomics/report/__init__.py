"""The patient report: one self-contained HTML page plus the same content as JSON.

The report renders whatever parts a run has (QC, copy number, mutations, RNA cell
states, therapy matches) and says plainly which parts were not run and why. Figures are
drawn with matplotlib and inlined as PNG data URIs; the page loads nothing from the
network. Templates are jinja2 with autoescaping on. See ``docs/report.md``.
"""

from ctcgenomics.report._inputs import LoadedInputs, ReportInputError, ReportInputs, load_inputs
from ctcgenomics.report._report import Report, build_report, make_report, render_html, write_report

__all__ = [
    "LoadedInputs",
    "Report",
    "ReportInputError",
    "ReportInputs",
    "build_report",
    "load_inputs",
    "make_report",
    "render_html",
    "write_report",
]
