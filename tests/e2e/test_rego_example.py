"""examples/policy/flagsync.rego, the conftest/OPA example in the README, evaluated (with
regopy, an implementation of OPA's Rego) on plans the real CLI wrote: it passes a plan that
only creates, and denies a flag deletion and a direct production change with their reasons."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from regopy import Interpreter

from tests.devcycle_settings import set_approval_workflow
from tests.e2e.conftest import REPO, Cli

POLICY = (REPO / "examples/policy/flagsync.rego").read_text()


def _query(plan: dict[str, Any], rule: str) -> list[str]:
    rego = Interpreter()
    rego.add_module("flagsync", POLICY)
    rego.set_input_term(json.dumps(plan))
    output = rego.query(f"data.main.{rule}")
    assert output.ok(), str(output)
    [messages] = json.loads(str(output))["expressions"]
    return sorted(messages)


def _saved_plan(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("plan", "--out", "plan.json", *args)
    assert result.returncode == 2, result.stderr
    data: dict[str, Any] = json.loads((cli.cwd / "plan.json").read_text())
    return data


@pytest.mark.slow
def test_a_plan_of_new_flags_passes(example: Cli, api: httpx.Client) -> None:
    set_approval_workflow(api, "demo")
    workspace = example.cwd / "flagsync.yaml"
    workspace.write_text(
        workspace.read_text().replace(
            "  production: {}", "  production:\n    changes: change-request\n    reviewers: [a]"
        )
    )
    assert _query(_saved_plan(example), "deny") == []


@pytest.mark.slow
def test_a_deletion_and_a_direct_production_change_are_denied(example: Cli) -> None:
    assert example("apply", "--yes").returncode == 0
    checkout = example.cwd / "flags/checkout.yaml"
    checkout.write_text(checkout.read_text().replace("{classic: 90, redesign: 10}", "classic"))
    (example.cwd / "flags/mobile.yaml").unlink()
    denied = _query(_saved_plan(example, "--prune"), "deny")
    assert (
        "'new-checkout' [production] would be written directly: production needs a " in (denied[0])
    )
    assert "flag 'dark-mode' would be deleted: delete flags in a pull request of their own" in (
        denied
    )
