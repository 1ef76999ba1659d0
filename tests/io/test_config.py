"""Strict workflow configuration: unknown keys name the closest valid key; defaults filled."""

from __future__ import annotations

import pytest
import yaml

from ctcgenomics.io.config import ConfigError, load_config_schema, open_objects, validate_config
from tests.conftest import REPO

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture(scope="module")
def schema() -> dict:
    return load_config_schema(SCHEMA)


def test_every_object_of_the_schema_is_closed(schema):
    assert open_objects(schema) == []


def test_bundled_config_is_valid_and_gets_defaults(schema):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate_config(config, schema)
    assert config["on_stage_error"] == "report"
    assert config["qc"]["wgs"]["min_breadth"] == 0  # nested default of a given section
    assert config["align"]["strict"] is False


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"stagez": {"cnv": False}},
         "unknown key 'stagez' at the top level (did you mean 'stages'?)"),
        ({"qc": {"wgs": {"min_read": 5}}},
         "unknown key 'min_read' in qc.wgs (did you mean 'min_reads'?)"),
        ({"snv": {"filters": {"min_qaul": 5}}}, "in snv.filters (did you mean 'min_qual'?)"),
        ({"bins": {"size": 10}}, "config key bins.size: 10 is less than the minimum of 1000"),
        ({"on_stage_error": "ignore"}, "config key on_stage_error: 'ignore' is not one of"),
    ],
)  # fmt: skip
def test_bad_keys_and_values_are_named(schema, config, message):
    config = {"cells": "c.tsv", "patients": "p.tsv", **config}
    with pytest.raises(ConfigError) as err:
        validate_config(config, schema, source="config.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("config.yaml: ")


def test_unknown_key_without_a_close_match_lists_the_valid_ones(schema):
    with pytest.raises(ConfigError, match=r"unknown key 'zzz' in stages\. Valid keys there: "):
        validate_config({"cells": "c", "patients": "p", "stages": {"zzz": True}}, schema)
