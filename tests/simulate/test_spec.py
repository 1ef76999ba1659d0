"""Spec validation: clear errors naming the field, defaults, inheritance."""

from __future__ import annotations

import pytest

from ctcgenomics._ids import InvalidIDError
from ctcgenomics.simulate import SpecError, load_spec

from .conftest import cell, ref_base


def test_valid_spec_fills_defaults(make_spec):
    spec = load_spec(make_spec(cells=[cell("C1", wga="MDA")]))
    c = spec.cells[0]
    assert spec.read_length == 100 and spec.dropout_window == 2000
    assert c.amplification.bias_sd > 0 and c.amplification.dispersion > 0  # MDA defaults


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda s: s.pop("seed"), "'seed' is a required property"),
        (lambda s: s["cells"][0].update(dropout_rate=1.5), "cells[0].dropout_rate"),
        (lambda s: s["cells"][0].update(assay="rna"), "cells[0].assay"),
        (lambda s: s["cells"][0].update(clone="nope"), "unknown clone 'nope'"),
        (lambda s: s["cells"][0].update(mean_depth=3), "exactly one of 'n_read_pairs'"),
        (lambda s: s["cells"][0].update(assay="panel"), "needs a 'targets' BED"),
        (lambda s: s["cells"].append(dict(s["cells"][0])), "duplicate cell ID 'C1'"),
        (
            lambda s: s["clones"].update(X={"parent": "Y"}, Y={"parent": "X"}),
            "cycle in clone ancestry",
        ),
        (
            lambda s: s["clones"].update(
                A={"segments": [{"chrom": "chrZ", "start": 0, "end": 10, "cn_a": 1, "cn_b": 1}]}
            ),
            "contig 'chrZ' is not in the reference",
        ),
        (
            lambda s: s["clones"].update(
                A={"segments": [{"chrom": "chrB", "start": 0, "end": 10**7, "cn_a": 1, "cn_b": 1}]}
            ),
            "clones.A.segments[0]",
        ),
        (lambda s: s.update(unknown_key=1), "Additional properties are not allowed"),
    ],
)
def test_spec_errors_name_the_field(make_spec, change, needle):
    raw = make_spec()
    change(raw)
    with pytest.raises(SpecError) as err:
        load_spec(raw)
    assert needle in str(err.value)


def test_ref_allele_checked_against_reference(make_spec, reference):
    base = ref_base(reference, "chrA", 5000)
    wrong = {"A": "C", "C": "G", "G": "T", "T": "A"}[base]
    variant = {"chrom": "chrA", "pos": 5000, "ref": wrong, "alt": base}
    with pytest.raises(SpecError, match=r"clones.A.variants\[0\].*does not match"):
        load_spec(make_spec(clones={"normal": {}, "A": {"variants": [variant]}}))


def test_cell_id_validated(make_spec):
    with pytest.raises(InvalidIDError, match="cell ID"):
        load_spec(make_spec(cells=[cell("bad id/1")]))


def test_relative_paths_resolve_against_spec_folder(tmp_path, reference):
    (tmp_path / "sub").mkdir()
    (tmp_path / "t.bed").write_text("chrA\t100\t600\n")
    spec_file = tmp_path / "sub" / "spec.yaml"
    spec_file.write_text(
        f"seed: 1\nreference: {reference}\ntargets: ../t.bed\nclones: {{normal: {{}}}}\n"
        "cells: [{id: C1, patient: P, draw: D, clone: normal, assay: panel, mean_depth: 5}]\n"
    )
    spec = load_spec(spec_file)
    assert spec.targets == (tmp_path / "t.bed").resolve()
    assert spec.target_regions == (("chrA", 100, 600),)


def test_bad_targets_line_named(tmp_path, make_spec):
    bed = tmp_path / "t.bed"
    bed.write_text("chrA\t100\t600\nchrA\tx\t9\n")
    with pytest.raises(SpecError, match="line 2"):
        load_spec(make_spec(targets=str(bed)))
