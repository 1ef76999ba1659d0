"""Single-cell WGA read simulator with known truth.

Simulates paired-end reads of whole-genome-amplified single cells (CTCs and WBCs) from
any reference: clones with allele-specific copy number, germline SNPs, somatic SNVs and
indels, allelic dropout, amplification bias and errors, sequencing errors, PCR
duplicates, low-pass WGS or targeted panels. The truth (copy number, genotypes,
dropout, expected allele fractions) is written beside the reads. For sweeps, a
count-level simulator draws cells x bins counts (and allele counts) from the same
amplification model (:func:`simulate_counts`, :func:`random_patient`). See
``docs/simulator.md``.

Examples
--------
>>> import ctcgenomics as ctc
>>> spec = ctc.simulate.load_spec("config/example_simulation.yaml")  # doctest: +SKIP
>>> ctc.simulate.simulate(spec, "sim")  # doctest: +SKIP
"""

from ctcgenomics.simulate._counts import (
    CountSimulation,
    genome_bins,
    germline_cn,
    random_patient,
    simulate_counts,
)
from ctcgenomics.simulate._genome import CellGenome, Karyotype, cell_truth, variant_catalogue
from ctcgenomics.simulate._reads import CellReads
from ctcgenomics.simulate._reference import Reference, load_reference
from ctcgenomics.simulate._simulate import SimulationResult, simulate, simulate_cell
from ctcgenomics.simulate._spec import (
    WGA_DEFAULTS,
    Amplification,
    CellSpec,
    CloneSpec,
    SimulationSpec,
    SpecError,
    load_spec,
)

__all__ = [
    "WGA_DEFAULTS",
    "Amplification",
    "CellGenome",
    "CellReads",
    "CellSpec",
    "CloneSpec",
    "CountSimulation",
    "Karyotype",
    "Reference",
    "SimulationResult",
    "SimulationSpec",
    "SpecError",
    "cell_truth",
    "genome_bins",
    "germline_cn",
    "load_reference",
    "load_spec",
    "random_patient",
    "simulate",
    "simulate_cell",
    "simulate_counts",
    "variant_catalogue",
]
