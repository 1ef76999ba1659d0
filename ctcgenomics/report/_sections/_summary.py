"""Report section 1: patient, draws and the headline findings."""

from __future__ import annotations

from ctcgenomics.report._inputs import LoadedInputs
from ctcgenomics.report._sections._evaluable import evaluable_ctcs
from ctcgenomics.report._sections._serial import discordance_flags, draws_table
from ctcgenomics.report._sections._therapy import detected_matches, headline_therapies


def summary_section(loaded: LoadedInputs) -> dict:
    """Patient, tumour type, receptor status, draws, and the headline findings."""
    first = loaded.patients.iloc[0]
    evaluable = evaluable_ctcs(loaded)
    no_ctc = evaluable["total"] == 0
    return {
        "status": "ok",
        "patient": loaded.patient,
        "tumour_type": str(first["tumour_type"]),
        "primary_receptors": {
            "ER": str(first.get("primary_er", "unknown")),
            "PR": str(first.get("primary_pr", "unknown")),
            "HER2": str(first.get("primary_her2", "unknown")),
        },
        "draws": draws_table(loaded),
        "candidate_therapies": headline_therapies(detected_matches(loaded.matches), "sensitivity"),
        "resistance": headline_therapies(detected_matches(loaded.matches), "resistance"),
        "discordance": [] if no_ctc else discordance_flags(loaded),
        "alterations_given": loaded.alterations is not None,
        "evaluable_ctcs": evaluable,
        "headline": f"No evaluable CTC: {evaluable['statement']}." if no_ctc else "",
        "not_run": dict(sorted(loaded.not_run.items())),
        "failed": dict(sorted(loaded.failed.items())),
    }
