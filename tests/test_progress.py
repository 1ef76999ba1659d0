"""Long steps report progress in the log (no TTY in a workflow job)."""

from __future__ import annotations

import logging

from ctcgenomics._progress import progress, stream_tool_log


def test_progress_logs_every_tenth_without_a_tty(caplog):
    log = logging.getLogger("test.progress")
    with caplog.at_level(logging.INFO, logger="test.progress"):
        assert list(progress(range(100), desc="pileup", logger=log, unit="site")) == list(
            range(100)
        )
    lines = [r.getMessage() for r in caplog.records]
    assert sum("/100 sites" in m for m in lines) == 9  # 10 %, 20 %, ... 90 %
    assert lines[-1].startswith("pileup: done in")


def test_tool_log_lines_are_relayed(caplog):
    log = logging.getLogger("test.tool")
    with caplog.at_level(logging.INFO, logger="test.tool"):
        kept = stream_tool_log(["[bwa_index] Pack FASTA... 0.1 sec\n", "\n"], desc="bwa index",
                               logger=log)  # fmt: skip
    assert kept == ["[bwa_index] Pack FASTA... 0.1 sec"]
    assert "bwa index [0 s]: [bwa_index] Pack FASTA" in caplog.records[0].getMessage()
