"""The events and actions an experiment's metrics name, checked against the project before a write.

PostHog refuses an experiment create or update whose metric names an event the project has never
ingested, unless the request carries `allow_unknown_events: true`; an `ActionsNode` naming a
missing or deleted action is refused regardless (`ExperimentService.validate_metric_event_names`,
`validate_metric_action_ids`). Declaring an experiment before its events arrive is the normal
order of work, so flagsync sends `allow_unknown_events` exactly when a metric names an event the
project has not seen, and the plan says which ones. It never sends it otherwise: a typo in an
event name the project does know stays a typo PostHog can catch. A missing action is a plan error
before anything is written.

Event names are found in metrics as PostHog finds them (`_extract_entity_nodes`): a mean metric's
`source`, a funnel's `series`, a ratio's numerator and denominator, a retention's start and
completion events.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from reconciler.errors import PlanError

_WRITE_FIELDS = ("metrics", "metrics_secondary")


class Lister(Protocol):
    """The part of the PostHog client this module uses."""

    def list_all(self, path: str, params: dict[str, Any] | None = None) -> list[Any]: ...


def _nodes(metric: Any) -> list[Any]:
    if not isinstance(metric, dict):
        return []
    kind = metric.get("metric_type")
    if kind == "mean":
        return [metric.get("source")]
    if kind == "funnel":
        return list(metric.get("series") or [])
    if kind == "ratio":
        return [metric.get("numerator"), metric.get("denominator")]
    if kind == "retention":
        return [metric.get("start_event"), metric.get("completion_event")]
    return []


def references(metrics: Iterable[Any]) -> tuple[set[str], set[int]]:
    """The event names and action ids `metrics` name."""
    events: set[str] = set()
    actions: set[int] = set()
    for metric in metrics:
        for node in _nodes(metric):
            if not isinstance(node, dict):
                continue
            if node.get("kind") == "EventsNode":
                event = node.get("event")
                if isinstance(event, str) and event.strip():
                    events.add(event)
            elif node.get("kind") == "ActionsNode" and isinstance(node.get("id"), int | str):
                try:
                    actions.add(int(node["id"]))
                except ValueError:
                    continue
    return events, actions


class ProjectTaxonomy:
    """What each project has seen, read once per project and name set and then remembered."""

    def __init__(self, client: Lister) -> None:
        self._client = client
        self._events: dict[int, set[str]] = {}
        self._actions: dict[int, set[int]] = {}

    def unseen_events(self, project_id: int, names: set[str]) -> list[str]:
        """The names in `names` the project has no event definition for, sorted."""
        known = self._events.setdefault(project_id, set())
        wanted = sorted(names - known)
        if wanted:
            found = self._client.list_all(
                f"/api/projects/{project_id}/event_definitions/",
                {"names": ",".join(wanted), "limit": 1000},
            )
            known.update(str(row.get("name")) for row in found if isinstance(row, dict))
        return sorted(names - known)

    def missing_actions(self, project_id: int, ids: set[int]) -> list[int]:
        """The action ids in `ids` the project has no live action for, sorted."""
        if not ids:
            return []
        if project_id not in self._actions:
            rows = self._client.list_all(f"/api/projects/{project_id}/actions/", {"limit": 1000})
            self._actions[project_id] = {
                int(row["id"])
                for row in rows
                if isinstance(row, dict) and not row.get("deleted") and "id" in row
            }
        return sorted(ids - self._actions[project_id])


def prepare_write(
    taxonomy: ProjectTaxonomy, project_id: int, body: dict[str, Any], where: str
) -> list[str]:
    """Check an experiment write body's metrics against the project; set `allow_unknown_events`
    on it when a metric names an event the project has not seen. Returns those event names."""
    metrics = [m for name in _WRITE_FIELDS for m in body.get(name) or []]
    if not metrics:
        return []
    events, actions = references(metrics)
    missing = taxonomy.missing_actions(project_id, actions)
    if missing:
        raise PlanError(
            f"{where}: a metric names action {', '.join(str(i) for i in missing)}, which PostHog "
            f"project {project_id} does not have (or has deleted); PostHog refuses an "
            "ActionsNode that names no existing action"
        )
    unseen = taxonomy.unseen_events(project_id, events)
    if unseen:
        body["allow_unknown_events"] = True
    return unseen


def notice(where: str, project_id: int, unseen: list[str]) -> str:
    """The plan's line about metric events a project has not seen yet."""
    names = ", ".join(f"'{name}'" for name in unseen)
    return (
        f"{where}: PostHog project {project_id} has not seen metric event(s) {names} yet; "
        "the experiment is written with allow_unknown_events (check the spelling, and send the "
        "events for the metrics to have data)"
    )
