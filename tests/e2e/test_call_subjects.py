"""What each planned call is about is data (`ApiCall.subject`), end to end: the examples' plans
name it on every call, and a plan file saved before calls carried it still applies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import posthog_example


def _cli(vendor: str, request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    if vendor == "devcycle":
        return request.getfixturevalue("example")  # type: ignore[no-any-return]
    emulator: EmulatorServer = request.getfixturevalue("emulator")
    return posthog_example(tmp_path, emulator)


def _planned_calls(cli: Cli) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    saved = cli.cwd / "plan.json"
    assert cli("plan", "--out", str(saved)).returncode == 2
    data = json.loads(saved.read_text())
    return [(step, call) for step in data["steps"] for call in step["calls"]]


@pytest.mark.parametrize("vendor", ["devcycle", "posthog"])
def test_every_planned_call_says_what_it_is_about(
    vendor: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The examples' first plan (flags, audiences, custom properties, metrics; experiments and
    holdouts): every call names what it is about, and a step's own writes name its object."""
    cli = _cli(vendor, request, tmp_path)
    planned = _planned_calls(cli)
    assert planned
    for step, call in planned:
        subject = call.get("subject")
        assert subject is not None, call
        if call["role"] == "write":
            assert (subject["kind"], subject["key"]) == (step["resource"], step["key"]), call


@pytest.mark.slow
@pytest.mark.parametrize("vendor", ["devcycle", "posthog"])
def test_a_plan_saved_before_calls_said_what_they_are_about_applies(
    vendor: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A plan file written before calls carried `subject` is applied as it is (apply takes what
    each call is about from the fresh plan it compares the file with), and converges."""
    cli = _cli(vendor, request, tmp_path)
    saved = cli.cwd / "plan.json"
    assert cli("plan", "--out", str(saved)).returncode == 2
    data = json.loads(saved.read_text())
    for step in data["steps"]:
        for call in step["calls"]:
            del call["subject"]
    saved.write_text(json.dumps(data))
    applied = cli("apply", str(saved), "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert cli("plan").returncode == 0
