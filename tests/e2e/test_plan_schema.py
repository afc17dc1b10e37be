"""The plan's JSON (`plan -o json`, `plan --out`) conforms to its published schema,
schemas/plan-v1.schema.json, for every kind of plan a user meets: creates on both vendors,
updates and deletes, change requests. A script or conftest/OPA policy can rely on it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema
import pytest

from reconciler.emulator import EmulatorServer
from tests.devcycle_settings import set_approval_workflow
from tests.e2e.conftest import REPO, Cli
from tests.e2e.posthog_support import posthog_example

SCHEMA = json.loads((REPO / "schemas/plan-v1.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _plan(cli: Cli) -> dict[str, object]:
    result = cli("plan", "-o", "json")
    assert result.returncode in (0, 2), result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    VALIDATOR.validate(data)
    return data


def test_the_schema_is_a_valid_draft_2020_12_schema_with_a_stable_id() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] == "https://flagsync.dev/schemas/plan-v1.schema.json"


@pytest.mark.slow
def test_devcycle_creates_updates_and_deletes_match_the_schema(example: Cli) -> None:
    created = _plan(example)
    assert created["$schema"] == SCHEMA["$id"]
    assert example("apply", "--yes").returncode == 0
    assert _plan(example)["changes_pending"] is False
    checkout = example.cwd / "flags/checkout.yaml"
    checkout.write_text(checkout.read_text().replace("{classic: 90, redesign: 10}", "classic"))
    (example.cwd / "flags/mobile.yaml").unlink()
    result = example("plan", "-o", "json", "--prune")
    data = json.loads(result.stdout)
    VALIDATOR.validate(data)
    actions = {c["action"] for c in data["changes"]}
    assert {"update", "delete"} <= actions


def test_change_requests_match_the_schema(example: Cli, api: httpx.Client) -> None:
    set_approval_workflow(api, "demo")
    workspace = example.cwd / "flagsync.yaml"
    workspace.write_text(
        workspace.read_text().replace(
            "  production: {}",
            "  production:\n    changes: change-request\n    reviewers: [auth0|alice]",
        )
    )
    data = _plan(example)  # new flags: production's targeting follows as a change request
    assert any(step["via"] == "change-request" for step in data["steps"])  # type: ignore[union-attr]


def test_posthog_plans_match_the_schema(tmp_path: Path, emulator: EmulatorServer) -> None:
    cli = posthog_example(tmp_path, emulator)
    assert _plan(cli)["provider"] == "posthog"


def test_a_plan_missing_its_steps_is_refused_by_the_schema(example: Cli) -> None:
    data = _plan(example)
    del data["steps"]
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(data)
