"""Per-patient stage status: did a stage run, and if it failed, why.

A workflow stage (copy number, mutations, RNA, therapy matching) that fails for one
patient must not sink the cohort, and the patient's report must say which stage failed
and why. ``ctcg guard`` (the workflow's wrapper of those stages) records the outcome in a
small JSON status file beside the stage's outputs and, on failure, writes each declared
output in an explicitly *failed* form (:func:`write_failed_outputs`): valid, empty,
and carrying the reason, so the next steps read it and the report says "failed".
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from ctcgenomics.io._atomic import atomic_open, atomic_path

STATUS_VALUES: frozenset[str] = frozenset({"ok", "failed"})
"""Allowed values of :attr:`StageStatus.status`."""

STATUS_KEY = "ctcgenomics_stage_status"
"""Key under which failed outputs carry the status (AnnData ``uns``, VCF header, JSON)."""


class StageStatusError(ValueError):
    """A stage status file is malformed."""


@dataclass(frozen=True)
class StageStatus:
    """Outcome of one stage for one patient.

    Attributes
    ----------
    stage
        Stage name (``cnv``, ``snv``, ``rna``, ``merge_alterations``, ``match``).
    patient
        Patient ID.
    status
        ``ok`` or ``failed``.
    reason
        Why it failed, in the words of the failing step (empty when ok).
    log
        Log file with the full error (may be empty).
    """

    stage: str
    patient: str
    status: str
    reason: str = ""
    log: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUS_VALUES:
            raise StageStatusError(
                f"stage status {self.status!r} is not one of {sorted(STATUS_VALUES)}"
            )

    @property
    def failed(self) -> bool:
        """True when the stage failed."""
        return self.status == "failed"

    def describe(self) -> str:
        """One line for a reader: ``failed: <reason> (log: <file>)``."""
        if not self.failed:
            return "ok"
        where = f" (full error in {self.log})" if self.log else ""
        return f"failed: {self.reason or 'no reason recorded'}{where}"


def write_status(status: StageStatus, path: str | os.PathLike[str]) -> None:
    """Write a status file (JSON), atomically."""
    with atomic_open(path) as handle:
        json.dump(asdict(status), handle, indent=2)
        handle.write("\n")


def read_status(path: str | os.PathLike[str]) -> StageStatus:
    """Read a status file written by :func:`write_status`.

    Raises
    ------
    StageStatusError
        Naming the file when it is not a status file.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return StageStatus(
            stage=str(data["stage"]),
            patient=str(data["patient"]),
            status=str(data["status"]),
            reason=str(data.get("reason", "")),
            log=str(data.get("log", "")),
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise StageStatusError(
            f"{path} is not a stage status file ({err}); rerun the stage that writes it"
        ) from None


def write_failed_outputs(paths: list[str | os.PathLike[str]], status: StageStatus) -> None:
    """Write each output of a failed stage in an explicitly failed, valid, empty form.

    By file type: an alterations table gets its header and no rows; another ``.tsv`` a
    comment line with the reason; ``.h5ad`` an empty AnnData whose ``uns`` holds the
    status; ``.vcf.gz`` a header-only VCF (and ``.tbi``) whose header holds it; ``.json``
    the status; ``.png``/``.pdf`` a page that states the failure; anything else the
    reason as text. Nothing here can be mistaken for a result: each names the failure.
    """
    for path in map(Path, paths):
        name = path.name
        if name.endswith(".vcf.gz.tbi"):
            continue  # written with its VCF
        if name.endswith(".vcf.gz"):
            _failed_vcf(path, status)
        elif name.endswith(".h5ad"):
            _failed_h5ad(path, status)
        elif name.endswith(".json"):
            with atomic_open(path) as handle:
                json.dump({STATUS_KEY: asdict(status)}, handle, indent=2)
                handle.write("\n")
        elif name.endswith((".png", ".pdf")):
            _failed_figure(path, status)
        elif name == "alterations.tsv":
            from ctcgenomics.io.alterations import alterations_frame, write_alterations

            write_alterations(alterations_frame(), path)
        else:
            with atomic_open(path) as handle:
                handle.write(f"# {STATUS_KEY}: stage {status.stage} {status.describe()}\n")


def _failed_h5ad(path: Path, status: StageStatus) -> None:
    import anndata as ad

    adata = ad.AnnData(uns={STATUS_KEY: asdict(status)})
    with atomic_path(path) as tmp:
        adata.write_h5ad(tmp)


def _failed_vcf(path: Path, status: StageStatus) -> None:
    import pysam

    header = pysam.VariantHeader()
    header.add_line(f"##{STATUS_KEY}=failed")
    text = " ".join(status.describe().split()).replace('"', "'")
    header.add_line(f'##{STATUS_KEY}_reason="{text}"')
    with atomic_path(path) as tmp:
        with pysam.VariantFile(str(tmp), "wz", header=header):
            pass
        pysam.tabix_index(str(tmp), preset="vcf", force=True)
        os.replace(f"{tmp}.tbi", f"{path}.tbi")


def _failed_figure(path: Path, status: StageStatus) -> None:
    import textwrap

    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 2.5))
    text = f"Stage '{status.stage}' failed for patient {status.patient}.\n" + textwrap.fill(
        status.reason or "no reason recorded", 80
    )
    fig.text(0.02, 0.5, text, va="center", ha="left", fontsize=9, wrap=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip("."))
