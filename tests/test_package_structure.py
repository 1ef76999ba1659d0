"""Conventions of the public API (after scanpy's tests/test_package_structure.py)."""

from __future__ import annotations

import inspect
import re

import pytest

import ctcgenomics as ctc

SUBPACKAGES = [m for m in ctc.__all__ if not m.startswith("__")]

# Functions that write fixed keys because the next step reads exactly those keys.
NO_KEY_ADDED = {
    "snv.annotate": "writes var gene/consequence/HGVSp, the VCF annotation every step reads",
    "snv.add_copy_number": "writes layers['copy_number'], which the genotype model reads",
}


def public_functions():
    for sub in SUBPACKAGES:
        module = getattr(ctc, sub)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{sub}.{name}", obj


def anndata_writers():
    """Public functions taking an AnnData first and returning it or None (in place)."""
    for name, func in public_functions():
        params = list(inspect.signature(func).parameters.values())
        ret = str(inspect.signature(func).return_annotation)
        if params and "AnnData" in str(params[0].annotation) and "None" in ret:
            if ret.replace(" ", "") in {"AnnData|None", "ad.AnnData|None"}:
                yield name, func


WRITERS = dict(anndata_writers())


def test_there_are_anndata_writers():
    assert {"rna.score_emt", "cnv.call_copy_number", "snv.genotype"} <= set(WRITERS)


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_writers_take_copy_and_key_added(name):
    params = inspect.signature(WRITERS[name]).parameters
    assert "copy" in params, f"{name}: a function writing into an AnnData takes copy="
    assert params["copy"].default is False
    if name not in NO_KEY_ADDED:
        assert "key_added" in params, f"{name}: name what it writes with key_added="


def test_public_docstrings_point_to_public_names():
    private = re.compile(r"ctcgenomics(?:\.\w+)*\._\w+")
    bad = [
        f"{name}: {m.group(0)}"
        for name, func in public_functions()
        for m in private.finditer(inspect.getdoc(func) or "")
    ]
    assert bad == []


def test_one_error_class_for_a_bam_of_another_reference():
    assert ctc.align.ReferenceMismatchError is ctc.cnv.ReferenceMismatchError
    assert ctc.cnv.ReferenceMismatchError is ctc.snv.ReferenceMismatchError
    assert not hasattr(ctc.align, "ReferenceError")  # shadowed the builtin
