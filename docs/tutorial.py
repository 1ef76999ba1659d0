"""Tutorial: explore a patient's results with the Python API.

Run the workflow on the bundled example first (``make demo``), then::

    .venv/bin/python docs/tutorial.py --results results --out tutorial_out

Each step below is one thing a CTC researcher asks of a patient's data. The test suite
runs this script on the example's results (``tests/test_tutorial.py``), so it stays in
step with the package.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import anndata as ad
import pandas as pd

import ctcgenomics as ctc


def copy_number(results: Path, patient: str, out: Path) -> pd.DataFrame:
    """Per-cell ploidy and clones, gene-level calls, the genome-wide heatmap."""
    cnv = ctc.cnv.read_cnv_h5ad(results / "cnv" / patient / "cnv.h5ad")
    print(f"copy number: {cnv.n_obs} cells x {cnv.n_vars} bins")
    print(cnv.obs[["role", "ploidy", "ploidy_confidence", "clone"]].to_string())
    # Gene-level calls of the genes a CTC report is read for (one row per cell x gene;
    # genes outside the bins, such as ERBB2 on the example's chr17 segment, have none).
    genes = ctc.cnv.gene_calls(cnv, genes=["ERBB2", "TP53"])
    genes.to_csv(out / "gene_calls.tsv", sep="\t", index=False)
    # ctc.pl draws the figures of every stage: a matplotlib Figure to save, show or edit;
    # save= writes it (the same function draws the stage's and the report's heatmap).
    ctc.pl.cnv_heatmap(cnv, save=out / "heatmap.png", dpi=80)
    return genes


def mutations(results: Path, patient: str, out: Path) -> pd.DataFrame:
    """Somatic variants and which cells carry them (allelic dropout modelled)."""
    snv = ad.read_h5ad(results / "snv" / patient / "snv.h5ad")
    somatic = snv.var[snv.var["somatic"]]
    print(f"SNVs: {len(somatic)} somatic PASS of {snv.n_vars} candidate alleles")
    # genotype layer: 0 reference, 1 heterozygous, 2 homozygous, -1 not evaluable
    carriers = pd.DataFrame(
        snv[:, somatic.index].layers["genotype"] > 0, index=snv.obs_names, columns=somatic.index
    )
    table = somatic[["gene", "HGVSp", "fraction", "fraction_low", "fraction_high"]].assign(
        carriers=[", ".join(carriers.index[carriers[v]]) for v in somatic.index]
    )
    table.to_csv(out / "somatic_variants.tsv", sep="\t")
    print(table.to_string())
    return table


def cell_states(results: Path, patient: str, out: Path) -> pd.DataFrame:
    """EMT and stemness of the cells called CTC from their RNA (scanpy-native)."""
    rna = ad.read_h5ad(results / "rna" / patient / "rna.h5ad")
    # Re-score EMT under another key: the workflow's own scores stay in obs["emt_*"].
    ctc.rna.score_emt(rna, key_added="emt_again")
    states = rna.obs[["cell_class", "emt_again_score", "emt_again_state", "stemness"]]
    states.to_csv(out / "cell_states.tsv", sep="\t")
    fig = ctc.pl.emt_stemness(rna, x="emt_again_score")  # nothing written without save=
    fig.savefig(out / "emt_stemness.png", dpi=80)
    print(states["cell_class"].value_counts().to_string())
    return states


def therapies(results: Path, patient: str, tumour_type: str, out: Path) -> pd.DataFrame:
    """Therapies for the patient's alterations, with evidence level and sources."""
    alts = ctc.io.read_alterations(results / patient / "alterations.tsv")
    result = ctc.actionability.match(alts, tumour_type=tumour_type)
    cols = ["draw", "gene", "alteration", "therapy", "level", "direction", "prevalence"]
    result.matches.to_csv(out / "matches.tsv", sep="\t", index=False)
    print(result.matches[[*cols, "sources"]].head(10).to_string())
    # Every alteration that found no match says why.
    print(result.unmatched[["gene", "alteration", "reason"]].to_string())
    return result.matches


def main(argv: list[str] | None = None) -> None:
    """Run every step of the tutorial on one patient's results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--patient", default="P01")
    parser.add_argument("--tumour-type", default="BRCA", help="OncoTree code")
    parser.add_argument("--out", type=Path, default=Path("tutorial_out"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    copy_number(args.results, args.patient, args.out)
    mutations(args.results, args.patient, args.out)
    cell_states(args.results, args.patient, args.out)
    therapies(args.results, args.patient, args.tumour_type, args.out)
    # Prevalence across a draw's CTCs with a Wilson interval: 4 of 6 CTCs.
    mean, low, high = ctc.io.prevalence_ci(4, 6)
    print(f"prevalence 4/6 = {mean:.2f} (95% CI {low:.2f}-{high:.2f})")


if __name__ == "__main__":
    main()
