"""Sphinx configuration of the ctcgenomics API reference (built offline: no intersphinx)."""

from __future__ import annotations

import ctcgenomics

project = "ctcgenomics"
author = "ctcgenomics developers"
release = version = ctcgenomics.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
# numpydoc-style docstrings (the package's convention), read by napoleon.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "description"
autodoc_member_order = "groupwise"
html_theme = "alabaster"
html_title = f"ctcgenomics {release} API reference"
exclude_patterns = ["_build"]
