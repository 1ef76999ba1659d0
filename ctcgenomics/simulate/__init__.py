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

from ctcgenomics.simulate._counts import genome_bins, germline_cn, random_patient, simulate_counts
from ctcgenomics.simulate._reference import load_reference
from ctcgenomics.simulate._simulate import simulate, simulate_cell
from ctcgenomics.simulate._spec import SimulationSpec, SpecError, load_spec

__all__ = [
    "SimulationSpec",
    "SpecError",
    "genome_bins",
    "germline_cn",
    "load_reference",
    "load_spec",
    "random_patient",
    "simulate",
    "simulate_cell",
    "simulate_counts",
]
