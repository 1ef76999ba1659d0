import os

import pytest

from ctcgenomics.io import atomic_open, atomic_path


def test_output_has_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_open(tmp_path / "out.tsv") as fh:
            fh.write("x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "out.tsv").read_text() == "x\n"
    assert (tmp_path / "out.tsv").stat().st_mode & 0o777 == 0o644


def test_failure_leaves_no_file(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "out.h5ad") as tmp:
        assert tmp.name.endswith(".h5ad")
        tmp.write_text("partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
