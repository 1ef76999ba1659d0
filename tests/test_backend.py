"""Importing the package never changes matplotlib's backend (notebooks keep theirs)."""

from __future__ import annotations

import subprocess
import sys


def test_import_keeps_the_backend():
    code = (
        "import matplotlib; matplotlib.use('pdf');"
        "import ctcgenomics.pl._cnv, ctcgenomics.pl._snv, ctcgenomics.pl._rna,"
        " ctcgenomics.pl._serial, ctcgenomics.report._figures, ctcgenomics.rna._pipeline;"
        "import matplotlib; print(matplotlib.get_backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "pdf"
