"""One source of truth for stage parameters (docs/design.md, Parameters).

The defaults live in each stage's frozen parameter class; the config schema's defaults
must equal them, and neither the workflow nor a CLI may write a default of its own.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml

import ctcgenomics as ctc
from ctcgenomics._params import ParamsError
from ctcgenomics.cli import main
from ctcgenomics.cnv._germline import HetSiteParams
from ctcgenomics.qc import QCParams
from ctcgenomics.rna import RNAParams
from ctcgenomics.snv._model import ModelParams

ROOT = Path(__file__).parents[1]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
SECTIONS = SCHEMA["properties"]

# Keys of a config section that name inputs or run options, not parameters: for snv:
# as the workflow splits them (common.smk), so the test checks what the rules pass.
_COMMON = (ROOT / "workflow/rules/common.smk").read_text()
SNV_RUN_KEYS = set(
    ast.literal_eval(re.search(r"^SNV_RUN_KEYS = (\(.*?\))$", _COMMON, re.M | re.S).group(1))
)
ALLELES_RUN_KEYS = {"enabled", "germline_sites"}
# Parameters of a class that the schema leaves out on purpose.
NOT_IN_SCHEMA = {"qc": {"targeted.max_mapd"}}  # MAPD over genome-wide bins: WGS only


def schema_defaults(node: dict) -> dict:
    """Nested dict of the defaults of an object schema (objects recurse)."""
    out = {}
    for key, sub in node.get("properties", {}).items():
        if "properties" in sub:
            out[key] = schema_defaults(sub)
        elif "default" in sub:
            out[key] = sub["default"]
    return out


def flatten(mapping: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in mapping.items():
        if isinstance(value, dict) and key != "high_cp10k":  # a gene table, not a section
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = list(value) if isinstance(value, tuple) else value
    return out


def stage_mappings() -> dict[str, tuple[dict, dict]]:
    """Stage -> (defaults of its class in the config layout, schema defaults of its keys)."""
    snv = schema_defaults(SECTIONS["snv"])
    cnv = schema_defaults(SECTIONS["cnv"])
    alleles = cnv.pop("alleles")
    bins = schema_defaults(SECTIONS["bins"])
    return {
        "snv": (
            ctc.snv.SNVParams().to_mapping(),
            {k: v for k, v in snv.items() if k not in SNV_RUN_KEYS},
        ),
        "cnv": (
            ctc.cnv.CNVConfig().to_dict(),
            {**cnv, "max_n_fraction": bins["max_n_fraction"]},
        ),
        "cnv.alleles": (
            dataclasses.asdict(HetSiteParams()),
            {
                **{k: v for k, v in alleles.items() if k not in ALLELES_RUN_KEYS},
                "min_mapq": cnv["min_mapq"],
            },
        ),
        "qc": (
            QCParams().to_mapping(),
            {**schema_defaults(SECTIONS["qc"]), "max_n_fraction": bins["max_n_fraction"]},
        ),
        "rna": (RNAParams().to_mapping(), schema_defaults(SECTIONS["rna"])),
        "actionability": (
            ctc.actionability.MatchParams().to_mapping(),
            {
                k: v
                for k, v in schema_defaults(SECTIONS["actionability"]).items()
                if k not in ("civic", "kb")  # inputs, not parameters
            },
        ),
    }


@pytest.mark.parametrize("stage", ["snv", "cnv", "cnv.alleles", "qc", "rna", "actionability"])
def test_schema_defaults_equal_the_parameter_class_defaults(stage):
    library, schema = (flatten(m) for m in stage_mappings()[stage])
    cnv_none = {k for k, v in library.items() if stage == "cnv" and v == ""}
    for key in cnv_none:  # CNVConfig.to_dict writes None as "" (h5ad); the schema says null
        library[key] = None
    missing = set(library) - set(schema) - NOT_IN_SCHEMA.get(stage, set())
    assert not missing, f"{stage}: parameters without a schema entry: {sorted(missing)}"
    extra = set(schema) - set(library)
    assert not extra, f"{stage}: schema keys that no parameter class holds: {sorted(extra)}"
    for key, value in schema.items():
        assert value == library[key], f"{stage}.{key}: schema {value!r}, class {library[key]!r}"


def test_the_bundled_config_builds_every_stage():
    """config/config.yaml, as the workflow passes it, is accepted by every class."""
    from ctcgenomics.io.config import validate_config

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    validate_config(config, ROOT / "workflow/schemas/config.schema.yaml")
    snv = {k: v for k, v in config["snv"].items() if k not in SNV_RUN_KEYS}
    assert ctc.snv.SNVParams.from_mapping(snv).to_mapping() == {
        **ctc.snv.SNVParams().to_mapping(),
        **snv,
        "filters": {**ctc.snv.SNVParams().to_mapping()["filters"], **snv["filters"]},
        "priors": {**ctc.snv.SNVParams().to_mapping()["priors"], **snv["priors"]},
    }
    cnv = {k: v for k, v in config["cnv"].items() if k != "alleles"}
    assert ctc.cnv.CNVConfig.from_mapping(cnv).min_ploidy == config["cnv"]["min_ploidy"]
    assert QCParams.from_mapping(config["qc"]).targeted.min_reads == 2000
    assert RNAParams.from_mapping(config["rna"]).qc.min_genes == 200


def test_from_mapping_names_the_closest_key_and_keeps_other_defaults():
    p = ctc.snv.SNVParams.from_mapping({"min_mapq": 30, "priors": {"dropout": 0.3}})
    assert p.counts.min_mapping_quality == 30
    assert p.genotype.model.dropout_prior_mean == 0.3
    assert p.genotype.model.prior_somatic == ModelParams().prior_somatic
    assert ctc.snv.SNVParams.from_mapping(p.to_mapping()) == p
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.filters.min_qual = 3  # type: ignore[misc]
    cases = [
        (ctc.snv.SNVParams, {"filters": {"min_quall": 5}}, "snv.filters", "min_qual"),
        (ctc.snv.SNVParams, {"priors": {"dropuot": 0.1}}, "snv.priors", "dropout"),
        (ctc.cnv.CNVConfig, {"min_plody": 1.0}, "cnv", "min_ploidy"),
        (HetSiteParams, {"het_prio": 1e-3}, "cnv.alleles", "het_prior"),
        (QCParams, {"wgs": {"min_read": 5}}, "qc.wgs", "min_reads"),
        (RNAParams, {"embedding": {"n_pc": 5}}, "rna.embedding", "n_pcs"),
        (
            ctc.actionability.MatchParams,
            {"clonal_treshold": 0.5},
            "actionability",
            "clonal_threshold",
        ),
    ]
    for cls, values, where, close in cases:
        with pytest.raises(ParamsError, match=rf"{re.escape(where)}: .*did you mean '{close}'"):
            cls.from_mapping(values)
    q = QCParams.from_mapping({"targeted": {"min_reads": 500}})
    assert q.targeted.min_reads == 500 and q.targeted.max_mapd is None  # other keys kept
    assert q.thresholds("panel") is q.targeted and q.thresholds("wgs") == QCParams().wgs
    with pytest.raises(ParamsError, match=r"clonal_threshold must be in \(0, 1\]"):
        ctc.actionability.MatchParams.from_mapping({"clonal_threshold": 1.5})
    r = RNAParams.from_mapping({"high_cp10k": {"ERBB2": 30.0}})
    assert r.high_cp10k == {"ERBB2": 30.0, "ESR1": 5.0, "PGR": 5.0, "AR": 5.0}


def test_stage_cli_takes_params_json_or_file_and_rejects_unknown_keys(tmp_path, caplog):
    base = ["snv", "--bams", "CTC1.bam", "--reference", "genome.fa", "--patient", "P1",
            "--vcf", "o.vcf.gz", "--h5ad", "o.h5ad", "--alterations", "o.tsv"]  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main([*base, "--params-json", json.dumps({"min_mapqq": 30})])
    assert exc.value.code == 1
    assert "did you mean 'min_mapq'" in caplog.text
    bad = tmp_path / "snv.yaml"
    bad.write_text("priors: {dropout: 0.2}\nfilters: {near_indel: 3}\n")
    caplog.clear()
    with pytest.raises(SystemExit):
        main([*base, "--params", str(bad)])
    assert f"--params {bad}" in caplog.text and "did you mean 'near_indel_bp'" in caplog.text
    with pytest.raises(SystemExit):  # one form at a time
        main([*base, "--params", str(bad), "--params-json", "{}"])


# --- structural: no default is written twice --------------------------------------------


def parameter_names() -> set[str]:
    """Names of every numeric stage parameter: config keys and class fields."""
    mappings = [m for pair in stage_mappings().values() for m in pair]
    mappings.append(dataclasses.asdict(ctc.snv.SNVParams()))  # the classes' own field names
    return {
        key.rsplit(".", 1)[-1]
        for m in mappings
        for key, value in flatten(m).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def test_no_cli_option_repeats_a_parameter_default():
    """No argparse option named after a stage parameter carries a numeric default."""
    names = parameter_names()
    offenders = []
    for path in sorted((ROOT / "ctcgenomics/cli").glob("cmd_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            call = isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument"
            if not call:
                continue
            flags = [a.value for a in node.args if isinstance(a, ast.Constant)]
            dest = next((f[2:].replace("-", "_") for f in flags if f.startswith("--")), None)
            default = next((k.value for k in node.keywords if k.arg == "default"), None)
            numeric = (
                isinstance(default, ast.Constant)
                and isinstance(default.value, int | float)
                and not isinstance(default.value, bool)
            )
            if dest in names and (numeric or dest.startswith(("min_", "max_", "prior"))):
                offenders.append(f"{path.name}:{node.lineno} --{dest}")
    assert not offenders, f"parameters passed as flags (use --params-json): {offenders}"


def test_workflow_rules_hold_no_parameter_default():
    """common.smk and the rules pass config sections as JSON: no default, no threshold flag."""
    names = parameter_names()
    number = r"-?\d[\d_.]*(?:e-?\d+)?"
    offenders = []
    for path in sorted((ROOT / "workflow/rules").glob("*.smk")):
        text = path.read_text()
        for m in re.finditer(rf"\.get\(\s*['\"](\w+)['\"]\s*,\s*({number})\s*\)", text):
            if m.group(1) in names:
                offenders.append(f"{path.name}: .get({m.group(1)!r}, {m.group(2)})")
        for m in re.finditer(rf"['\"](\w+)['\"]\s*:\s*({number})\b", text):
            if m.group(1) in names:
                offenders.append(f"{path.name}: {m.group(1)!r}: {m.group(2)}")
        for m in re.finditer(r"['\"\s]--([a-z][a-z-]+)", text):
            if m.group(1).replace("-", "_") in names:
                offenders.append(f"{path.name}: --{m.group(1)}")
    assert not offenders, f"defaults or threshold flags in the workflow: {offenders}"


# Keyword defaults that share a name with a stage parameter but are not that parameter.
OTHER_MEANING = {
    "estimate_allelic_noise.min_reads": "reads at an allele site, not the QC's reads per cell",
    "candidate_sites.min_alt_reads": "pooled reads of a germline SNP, not the SNV caller's",
    "score_gene_sets.min_genes": "genes of a set present in the data, not the QC's genes",
    "score_signature.min_genes": "genes of a signature present in the data",
    "simulate_draw.seed": "the simulator's seed, not the RNA embedding's",
    "genome_bins.seed": "the simulator's seed",
    "simulate_counts.seed": "the simulator's seed",
    "carrier_fraction_posterior.n_grid": "the carrier-fraction grid, not the site model's",
    "merge_intervals.pad": "a generic helper: no padding unless asked",
}


def test_library_defaults_are_the_parameter_classes():
    """A library function's keyword default for a stage parameter is read from that
    stage's parameter class (``min_mapq: int = CNVConfig.min_mapq``), not written again
    as a number, so a function called alone and the workflow agree."""
    names = parameter_names()
    offenders = []
    for path in sorted((ROOT / "ctcgenomics").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            args = node.args
            positional = args.posonlyargs + args.args
            tail = positional[len(positional) - len(args.defaults) :]
            pairs = list(zip(tail, args.defaults, strict=True))
            keyword = zip(args.kwonlyargs, args.kw_defaults, strict=True)
            pairs += [(a, d) for a, d in keyword if d is not None]
            for arg, default in pairs:
                number = isinstance(default, ast.Constant) and type(default.value) in (int, float)
                key = f"{node.name}.{arg.arg}"
                if arg.arg in names and number and key not in OTHER_MEANING:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {key}")
    assert not offenders, f"parameter defaults written again in the library: {offenders}"
