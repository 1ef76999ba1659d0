"""Atomic file output: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


def scratch_dir(path: str | os.PathLike[str]) -> Path:
    """Return the per-output scratch folder of ``path``: ``.<name>.tmp/`` beside it.

    Everything a step writes on its way to ``path`` (the partial file, a sort's spill
    files) lives there. Its name depends on the output only, so an attempt killed with
    SIGKILL leaves it where the next attempt at the same output finds and clears it.
    """
    target = Path(path)
    return target.parent / f".{target.name}.tmp"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` only if the block succeeds.

    The temporary file lives in the output's scratch folder (:func:`scratch_dir`, on the
    same file system, so the final ``os.replace`` is atomic on POSIX) and keeps the
    target's suffix, so writers that infer the format from the extension (``.h5ad``,
    ``.vcf.gz``, ``.png``) still work. The folder is cleared first (leftovers of a killed
    attempt) and removed on success and on any exception, which also leaves ``path``
    untouched. Tools may put their own temporary files in ``tmp.parent``.

    Parameters
    ----------
    path
        Final output path; its parent directory is created if needed.
    suffix
        Suffix of the temporary file; defaults to the full suffix of ``path``.
    """
    target = Path(path)
    if suffix is None:
        suffix = "".join(target.suffixes)
    scratch = scratch_dir(target)
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    tmp_path = scratch / f"partial{suffix}"
    try:
        # The output gets the usual mode under the umask, as a plain open() would give.
        tmp_path.touch(mode=0o666)
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", **kwargs) -> Iterator:
    """Open a temporary file for writing that atomically replaces ``path`` on success.

    Parameters
    ----------
    path
        Final output path.
    mode
        ``"w"`` (text) or ``"wb"`` (binary).
    **kwargs
        Passed to :func:`open` (e.g. ``encoding``, ``newline``).
    """
    if "w" not in mode:
        raise ValueError(f"atomic_open is for writing, got mode {mode!r}")
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle
