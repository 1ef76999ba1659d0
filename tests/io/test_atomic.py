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


def test_killed_attempt_leftovers_are_cleared_by_the_next_attempt(tmp_path):
    """A SIGKILL mid-write (e.g. in samtools markdup) left a hidden partial file for good."""
    import signal
    import subprocess
    import sys

    out = tmp_path / "cell.bam"
    script = (
        "import os, signal, sys\n"
        "from ctcgenomics.io import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_bytes(b'partial')\n"
        "    (tmp.parent / 'sort.0001.bam').write_bytes(b'spill')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(out)], check=False)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [".cell.bam.tmp"]  # the killed attempt's

    with atomic_path(out) as tmp:
        assert list(tmp.parent.iterdir()) == [tmp]  # the stale spill file is gone
        tmp.write_bytes(b"done")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cell.bam"]
    assert out.read_bytes() == b"done"
