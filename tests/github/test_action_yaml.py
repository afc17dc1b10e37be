"""`action.yml` and the example workflows: valid YAML, and every reference points at something.

GitHub only finds a misspelt input or step output when the workflow runs (as an empty string),
so these checks catch what a run would silently get wrong.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path
from string import Template
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.github.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / "examples" / "workflows").glob("*.yml"))
ISSUE_INPUTS = {
    "command",
    "working-directory",
    "workspace",
    "environments",
    "version",
    "github-token",
    "comment",
}
HELPER_OUTPUTS = {
    "run": {"changes", "exit-code", "plan-json", "plan-markdown", "log"},
    "comment": {"comment-id", "comment-url"},
    "check-reviewed": {"reviewed-pull-request"},
    "apply": {"exit-code", "apply-log"},
}


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    data: dict[str, Any] = load(REPO / "action.yml")
    return data


def helper_steps(action: dict[str, Any]) -> list[tuple[dict[str, Any], list[str]]]:
    """Steps that call `python -m reconciler.github`, with their arguments after the module."""
    found = []
    for step in action["runs"]["steps"]:
        words = shlex.split(step.get("run", ""))
        if words[:3] == ["python", "-m", "reconciler.github"]:
            found.append((step, words[3:]))
    return found


def test_the_action_is_composite_with_the_inputs_and_outputs_asked_for(
    action: dict[str, Any],
) -> None:
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= ISSUE_INPUTS
    assert {"changes", "exit-code", "plan-json"} <= set(action["outputs"])
    assert action["inputs"]["comment"]["default"] == "true"
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    for name, spec in action["inputs"].items():
        assert spec.get("description"), f"input {name} has no description"


def test_every_input_referenced_exists(action: dict[str, Any]) -> None:
    text = (REPO / "action.yml").read_text()
    used = set(re.findall(r"inputs\.([A-Za-z0-9_-]+)", text))
    assert used <= set(action["inputs"]), used - set(action["inputs"])
    assert set(action["inputs"]) <= used, "an input nothing uses"


def test_every_step_output_referenced_is_written(action: dict[str, Any]) -> None:
    written = {}
    for step, args in helper_steps(action):
        if "id" in step:
            written[step["id"]] = HELPER_OUTPUTS[args[0]]
    text = (REPO / "action.yml").read_text()
    for step_id, name in re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", text):
        assert step_id in written, f"no step {step_id}"
        assert name in written[step_id], f"step {step_id} writes no output {name}"


def test_run_steps_are_safe_and_complete(action: dict[str, Any]) -> None:
    for step in action["runs"]["steps"]:
        if "run" not in step:
            continue
        assert step.get("shell") == "bash"
        assert "${{" not in step["run"], f"{step['name']}: pass inputs through env, not inline"
        env = set(step.get("env", {}))
        for name in re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", step["run"]):
            assert name in env, f"{step['name']}: ${name} is not set in its env"


def test_helper_calls_parse(action: dict[str, Any]) -> None:
    """Each call, with the inputs' defaults, is accepted by the subcommand it names."""
    defaults = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    parser = build_parser()
    called = {args[0] for _, args in helper_steps(action)}
    assert called == {"run", "summary", "comment", "check-reviewed", "apply"}
    for step, args in helper_steps(action):
        values = {}
        for name, value in step.get("env", {}).items():
            match = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", str(value))
            values[name] = defaults[match.group(1)] if match else "0"
        concrete = [Template(arg).substitute(values) for arg in args]
        parsed = parser.parse_args(concrete)
        assert isinstance(parsed, argparse.Namespace)


def test_github_token_is_only_given_to_steps_that_call_github(action: dict[str, Any]) -> None:
    with_token = {
        args[0] for step, args in helper_steps(action) if "GITHUB_TOKEN" in step.get("env", {})
    }
    assert with_token == {"comment", "check-reviewed"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_use_only_inputs_and_outputs_that_exist(
    path: Path, action: dict[str, Any]
) -> None:
    workflow = load(path)
    assert "on" in workflow and workflow["permissions"] == {"contents": "read"}
    uses_action = 0
    for job in workflow["jobs"].values():
        ids = set()
        for step in job["steps"]:
            if re.fullmatch(r"[\w.-]+/flagsync@[\w.-]+", step.get("uses", "")):
                uses_action += 1
                assert set(step.get("with", {})) <= set(action["inputs"])
                ids.add(step.get("id"))
        text = str(job)
        for step_id, name in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
            assert step_id in ids and name in action["outputs"], f"{path.name}: {step_id}.{name}"
    assert uses_action


def test_the_pull_request_workflow() -> None:
    workflow = load(REPO / "examples" / "workflows" / "flagsync.yml")
    assert set(workflow["on"]) == {"pull_request", "push"}
    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in plan["if"]
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert apply["concurrency"] == {
        "group": "flagsync-${{ github.ref }}",
        "cancel-in-progress": False,
    }
    assert apply["permissions"] == {"contents": "read", "pull-requests": "read"}
    [step] = [s for s in apply["steps"] if "flagsync@" in s.get("uses", "")]
    assert step["with"]["command"] == "apply"


def test_the_drift_workflow_is_scheduled() -> None:
    workflow = load(REPO / "examples" / "workflows" / "drift.yml")
    assert workflow["on"]["schedule"][0]["cron"]
    [step] = [
        s for j in workflow["jobs"].values() for s in j["steps"] if "flagsync@" in s.get("uses", "")
    ]
    assert step["with"]["command"] == "drift"
