"""Experiment metrics naming events a PostHog project has not seen yet, or actions it lacks.

PostHog refuses such a metric unless the write says `allow_unknown_events`
(`ExperimentService.validate_metric_event_names`); a missing action is refused regardless
(`validate_metric_action_ids`). Declaring an experiment before its events arrive is the normal
order of work: the plan names the unseen events and the apply still succeeds.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import posthog_workspace

MANIFEST = """\
experiments:
  - key: pricing-page-test
    name: Pricing page layout
    variants:
      - {key: control, split: 50}
      - {key: compact, split: 50}
    metrics:
      - {kind: ExperimentMetric, metric_type: mean, source: {kind: EventsNode, event: bought}}
    secondary_metrics:
      - kind: ExperimentMetric
        metric_type: funnel
        series: [{kind: EventsNode, event: $pageview}, {kind: EventsNode, event: paid}]
    status: draft
    environments: [staging]
"""


@pytest.fixture
def example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    return posthog_workspace(tmp_path, emulator, {"experiments.yaml": MANIFEST})


@pytest.mark.slow
def test_unseen_metric_events_are_named_in_the_plan_and_the_apply_succeeds(
    example: Cli, posthog_api: httpx.Client
) -> None:
    plan = example("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert (
        "experiment 'pricing-page-test' [staging]: PostHog project 1 has not seen metric "
        "event(s) 'bought', 'paid' yet"
    ) in plan.stdout
    assert "$pageview" not in plan.stdout.split("has not seen")[1].split("\n")[0]
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    rows = posthog_api.get("/api/projects/1/experiments/").json()["results"]
    assert [row["feature_flag_key"] for row in rows] == ["pricing-page-test"]
    again = example("plan")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


@pytest.mark.slow
def test_once_the_events_are_seen_the_plan_says_nothing_about_them(
    example: Cli, posthog_api: httpx.Client
) -> None:
    for name in ("bought", "paid"):
        created = posthog_api.post("/api/projects/1/event_definitions/", json={"name": name})
        assert created.status_code == 201, created.text
    plan = example("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "has not seen" not in plan.stdout
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr


@pytest.mark.slow
def test_a_metric_naming_a_missing_action_is_an_error_before_any_write(
    example: Cli, posthog_api: httpx.Client
) -> None:
    manifest = example.cwd / "flags" / "experiments.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "source: {kind: EventsNode, event: bought}", "source: {kind: ActionsNode, id: 4242}"
        )
    )
    plan = example("plan")
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert "Traceback" not in plan.stderr
    assert (
        "experiment 'pricing-page-test' [staging]: a metric names action 4242, which PostHog "
        "project 1 does not have"
    ) in plan.stderr
    applied = example("apply", "--yes")
    assert applied.returncode == 1
    assert posthog_api.get("/api/projects/1/experiments/").json()["results"] == []
    action = posthog_api.post("/api/projects/1/actions/", json={"name": "Bought"}).json()
    manifest.write_text(manifest.read_text().replace("id: 4242", f"id: {action['id']}"))
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
