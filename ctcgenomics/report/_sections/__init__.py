"""Build the report's sections as plain data (the content of ``report.json``).

Each section is a dict with ``status`` (``ok`` or ``not_run``) and, when not run, a
``reason`` in plain language. Tables are lists of row dicts; figures are named in
``figures`` and drawn separately from the same data (:mod:`.._figures`). One module
per section group; the report numbers its sections 1 (summary) to 7 (QC).
"""

from ctcgenomics.report._sections._cnv import cnv_cells, cnv_gene_warnings, cnv_section
from ctcgenomics.report._sections._common import clean
from ctcgenomics.report._sections._qc import qc_section
from ctcgenomics.report._sections._rna import rna_section
from ctcgenomics.report._sections._serial import discordance_flags, serial_section
from ctcgenomics.report._sections._snv import snv_section, snv_variants
from ctcgenomics.report._sections._summary import summary_section
from ctcgenomics.report._sections._therapy import parse_sources, therapies_section

__all__ = [
    "clean",
    "cnv_cells",
    "cnv_gene_warnings",
    "cnv_section",
    "discordance_flags",
    "parse_sources",
    "qc_section",
    "rna_section",
    "serial_section",
    "snv_section",
    "snv_variants",
    "summary_section",
    "therapies_section",
]
