"""Progress of long steps: a bar on an interactive terminal, log lines otherwise.

Steps that can run for minutes (copying and indexing a whole genome, piling up reads
over thousands of sites) say what they are doing. In a workflow job stderr goes to a log
file, where a bar's carriage returns would be noise, so there the progress is a log line
every ``every`` percent.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(
    items: Iterable[T],
    *,
    total: int | None = None,
    desc: str,
    logger: logging.Logger,
    unit: str = "item",
    every: float = 10.0,
) -> Iterator[T]:
    """Yield ``items``, reporting progress as a tqdm bar (on a TTY) or log lines.

    Parameters
    ----------
    items
        What to iterate over.
    total
        Number of items (default ``len(items)`` when it has one).
    desc
        What is being done, e.g. ``"pileup of 10 cells"``.
    logger
        Logger for the log lines (and the final summary).
    unit
        Name of one item, for the messages.
    every
        Percent of ``total`` between two log lines (without a TTY).
    """
    if total is None:
        total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    start = time.monotonic()
    if sys.stderr.isatty():
        from tqdm.auto import tqdm

        yield from tqdm(items, total=total, desc=desc, unit=unit, leave=False)
    else:
        step = max(1, int(total * every / 100)) if total else None
        done = 0
        for item in items:
            yield item
            done += 1
            if step and done % step == 0 and done < total:  # type: ignore[operator]
                logger.info("%s: %d/%d %ss (%.0f%%, %.0f s)", desc, done, total, unit,
                            100 * done / total, time.monotonic() - start)  # type: ignore[operator]  # fmt: skip
    logger.info("%s: done in %.1f s", desc, time.monotonic() - start)


def stream_tool_log(lines: Iterable[str], *, desc: str, logger: logging.Logger) -> list[str]:
    """Log an external tool's stderr lines as they come, with the elapsed time; return them.

    For tools that report stages but not percentages (``bwa index``).
    """
    start = time.monotonic()
    kept = []
    for line in lines:
        text = line.rstrip()
        if text:
            kept.append(text)
            logger.info("%s [%.0f s]: %s", desc, time.monotonic() - start, text)
    return kept
