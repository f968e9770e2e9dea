"""plan.json follows docs/plan.schema.json, for every kind of input."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from covgap import api
from covgap.config import load_settings
from covgap.report.view import build_view

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "plan.schema.json").read_text())


def test_schema_is_valid() -> None:
    """The schema itself is valid JSON Schema (2020-12)."""
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("target", [50, 90, 100])
def test_plan_json_matches_schema(measured_basic: Path, target: int) -> None:
    """The view of a real measured project validates against the schema."""
    settings = load_settings(measured_basic, {"target": target}, environ={})
    view = build_view(api.plan(measured_basic, settings))
    jsonschema.validate(json.loads(json.dumps(view)), SCHEMA)


def test_schema_rejects_a_wrong_version(measured_basic: Path) -> None:
    """The schema pins format_version, so a consumer can tell formats apart."""
    settings = load_settings(measured_basic, {}, environ={})
    view = json.loads(json.dumps(build_view(api.plan(measured_basic, settings))))
    jsonschema.validate(view, SCHEMA)
    view["format_version"] = 1
    with pytest.raises(jsonschema.ValidationError, match=r"format_version|const"):
        jsonschema.validate(view, SCHEMA)


def test_unknown_functions_are_noted(measured_basic: Path, tmp_path: Path) -> None:
    """Files planned whole because their functions are unknown are named in the notes."""
    from conftest import coverage_json

    report = coverage_json(measured_basic)
    for entry in report["files"].values():
        del entry["functions"], entry["classes"]
    (tmp_path / "old.json").write_text(json.dumps(report))
    settings = load_settings(tmp_path, {"data-file": "old.json"}, environ={})
    view = build_view(api.plan(tmp_path, settings))
    jsonschema.validate(view, SCHEMA)
    assert any(
        n.startswith("functions unknown for 4 files, planned as whole files") for n in view["notes"]
    )
    assert {i["display_name"] for i in view["top_functions"]} == {"(whole file)"}


def test_audit_json_matches_its_schema(measured_basic: Path) -> None:
    """``covgap audit --format json`` validates against docs/audit.schema.json, whose audit is
    plan.json's (the same definition, referenced)."""
    from referencing import Registry, Resource

    from covgap.report.view_audit import build_audit_view

    docs = Path(__file__).parents[2] / "docs"
    audit_schema = json.loads((docs / "audit.schema.json").read_text())
    registry = Registry().with_resources(
        [
            ("covgap/plan.schema.json", Resource.from_contents(SCHEMA)),
            ("covgap/audit.schema.json", Resource.from_contents(audit_schema)),
        ]
    )
    settings = load_settings(measured_basic, {}, environ={})
    view = json.loads(json.dumps(build_audit_view(api.audit(measured_basic, settings), "basic")))
    assert view["audit"]["findings"], "the basic fixture has findings to validate"
    jsonschema.Draft202012Validator(audit_schema, registry=registry).validate(view)
    view["audit"]["findings"][0]["severity"] = "critical"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(audit_schema, registry=registry).validate(view)
