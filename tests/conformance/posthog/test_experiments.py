"""Experiments: metric events and actions, archived experiments.

Sources: PostHog/posthog `products/experiments/backend/experiment_service.py`
(`ExperimentService`) and `products/experiments/backend/presentation/serializers.py`
(`ExperimentSerializer`).
"""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import EXPERIMENTS, detail, new_experiment, unique


def _mean(event: str) -> dict[str, Any]:
    return {
        "kind": "ExperimentMetric",
        "metric_type": "mean",
        "source": {"kind": "EventsNode", "event": event},
    }


def test_unseen_event_is_refused_without_allow_unknown_events(http: httpx.Client) -> None:
    """`ExperimentService.create_experiment`: `if not allow_unknown_events:
    self.validate_metric_event_names(metrics)`; the message lists the unknown names, sorted."""
    body = {"name": unique("E"), "feature_flag_key": unique("exp"), "metrics": [_mean("zz b")]}
    response = http.post(EXPERIMENTS, json=body)
    assert response.status_code == 400
    assert detail(response).startswith(
        "Event(s) 'zz b' not found. No events with these names have been ingested by this project."
    )
    assert response.json()["attr"] is None


def test_allow_unknown_events_lets_the_create_through(http: httpx.Client) -> None:
    """`ExperimentSerializer.allow_unknown_events` (write-only BooleanField, default false),
    passed to `create_experiment(allow_unknown_events=...)`."""
    made = new_experiment(http, metrics=[_mean("never seen")], allow_unknown_events=True)
    assert "allow_unknown_events" not in made


def test_a_defined_event_passes(http: httpx.Client) -> None:
    """`validate_metric_event_names` looks up `EventDefinition` by name; an event definition
    made through `POST event_definitions/` (`EventDefinitionSerializer.create`) counts."""
    name = unique("signed up")
    assert http.post("/api/projects/1/event_definitions/", json={"name": name}).status_code == 201
    new_experiment(http, metrics=[_mean(name)])


def test_seeded_events_are_seen(http: httpx.Client) -> None:
    """A project that runs posthog-js has `$pageview` (emulator seed, not PostHog code)."""
    new_experiment(http, metrics=[_mean("$pageview")])


def test_funnel_and_ratio_events_are_checked(http: httpx.Client) -> None:
    """`ExperimentService._extract_entity_nodes`: a funnel's `series`, a ratio's numerator
    and denominator."""
    funnel = {
        "kind": "ExperimentMetric",
        "metric_type": "funnel",
        "series": [
            {"kind": "EventsNode", "event": "$pageview"},
            {"kind": "EventsNode", "event": "x1"},
        ],
    }
    ratio = {
        "kind": "ExperimentMetric",
        "metric_type": "ratio",
        "numerator": {"kind": "EventsNode", "event": "x2"},
        "denominator": {"kind": "EventsNode", "event": "$pageview"},
    }
    body = {"name": unique("E"), "feature_flag_key": unique("exp"), "metrics": [funnel]}
    body["metrics_secondary"] = [ratio]
    response = http.post(EXPERIMENTS, json=body)
    assert response.status_code == 400
    assert detail(response).startswith("Event(s) 'x1' not found.")


def test_a_missing_action_is_a_400_even_with_allow_unknown_events(http: httpx.Client) -> None:
    """`ExperimentService.validate_metric_action_ids`: runs whatever `allow_unknown_events` says."""
    metric = {
        "kind": "ExperimentMetric",
        "metric_type": "mean",
        "source": {"kind": "ActionsNode", "id": 987654},
    }
    body = {
        "name": unique("E"),
        "feature_flag_key": unique("exp"),
        "metrics": [metric],
        "allow_unknown_events": True,
    }
    response = http.post(EXPERIMENTS, json=body)
    assert response.status_code == 400
    assert detail(response) == (
        "Action(s) with ID 987654 not found or deleted. Each ActionsNode must reference an "
        "existing action belonging to this project."
    )
    action = http.post("/api/projects/1/actions/", json={"name": "Bought"}).json()
    metric["source"]["id"] = action["id"]
    assert http.post(EXPERIMENTS, json=body).status_code == 201


def test_an_update_checks_the_metrics_it_sends(http: httpx.Client) -> None:
    """`ExperimentService.update_experiment`: `if "metrics" in update_data` the same checks
    run, `allow_unknown_events` popped by `ExperimentSerializer.update`."""
    made = new_experiment(http)
    path = f"{EXPERIMENTS}{made['id']}/"
    refused = http.patch(path, json={"metrics": [_mean("late event")]})
    assert refused.status_code == 400
    allowed = http.patch(
        path, json={"metrics": [_mean("late event")], "allow_unknown_events": True}
    )
    assert allowed.status_code == 200, allowed.text
    assert http.patch(path, json={"name": "renamed"}).status_code == 200


def test_archived_experiments_are_listed_only_when_asked(http: httpx.Client) -> None:
    """`ExperimentService.filter_experiments_queryset`: without `archived` the list filters
    `archived=False`; `archived=true` lists only archived ones."""
    made = new_experiment(http)
    assert http.patch(f"{EXPERIMENTS}{made['id']}/", json={"archived": True}).status_code == 200
    listed = [e["id"] for e in http.get(EXPERIMENTS, params={"limit": 1000}).json()["results"]]
    assert made["id"] not in listed
    archived = http.get(EXPERIMENTS, params={"archived": "true", "limit": 1000}).json()
    assert [e["id"] for e in archived["results"]] == [made["id"]]


def test_archive_needs_an_ended_experiment_and_happens_once(http: httpx.Client) -> None:
    """`ExperimentService.archive_experiment`, as PostHog's own tests pin it
    (products/experiments/backend/test/test_experiment_service.py:
    `test_archive_experiment_not_ended_raises`, `test_archive_experiment_already_archived_raises`,
    `test_archive_experiment_success`: archived, status still stopped)."""
    made = new_experiment(http)
    path = f"{EXPERIMENTS}{made['id']}"
    early = http.post(f"{path}/archive/")
    assert early.status_code == 400
    assert "must be ended" in detail(early)
    assert http.post(f"{path}/launch/").status_code == 200
    assert "must be ended" in detail(http.post(f"{path}/archive/"))
    assert http.post(f"{path}/end/").status_code == 200
    archived = http.post(f"{path}/archive/")
    assert archived.status_code == 200, archived.text
    assert (archived.json()["archived"], archived.json()["status"]) == (True, "stopped")
    assert "already archived" in detail(http.post(f"{path}/archive/"))
