"""Event definitions and actions: what a project has seen, which experiment metrics must name.

PostHog refuses an experiment metric that names an event the project has never ingested, unless
the request says `allow_unknown_events: true` (`ExperimentService.validate_metric_event_names`),
and refuses an `ActionsNode` naming a missing or deleted action whatever the request says
(`ExperimentService.validate_metric_action_ids`). Both read the events and actions out of the
metrics the same way (`ExperimentService._extract_entity_nodes`): a mean metric's `source`, a
funnel's `series`, a ratio's numerator and denominator, a retention's start and completion event.

The endpoints serve what flagsync reads before it writes an experiment:
`GET /api/projects/{id}/event_definitions/` (`EventDefinitionViewSet`: limit/offset pages,
`names` for exact names, repeated or comma-separated, `search` for a case-insensitive term) and
`POST` to define an event before it is ingested (`EventDefinitionSerializer.create`: a taken name
is a 400, `created_at`/`last_seen_at` stay null); `GET/POST /api/projects/{id}/actions/`.
"""

from __future__ import annotations

import uuid
from typing import Any

from .errors import required, validation_error
from .fields import as_bool, as_str, now_iso
from .http import Call, Handler, Reply
from .pagination import paginate
from .state import PostHogState, Record


def metric_references(metrics: list[dict[str, Any]] | None) -> tuple[set[str], set[int]]:
    """`_extract_entity_nodes`: the event names and action ids a list of metrics names."""
    events: set[str] = set()
    actions: set[int] = set()
    for metric in metrics or []:
        nodes: list[Any] = []
        kind = metric.get("metric_type")
        if kind == "mean":
            nodes.append(metric.get("source"))
        elif kind == "funnel":
            nodes.extend(metric.get("series") or [])
        elif kind == "ratio":
            nodes.extend([metric.get("numerator"), metric.get("denominator")])
        elif kind == "retention":
            nodes.extend([metric.get("start_event"), metric.get("completion_event")])
        for node in nodes:
            if not isinstance(node, dict):
                continue
            if node.get("kind") == "EventsNode":
                event = node.get("event")
                if isinstance(event, str) and event.strip():
                    events.add(event)
            elif node.get("kind") == "ActionsNode" and node.get("id") is not None:
                try:
                    actions.add(int(node["id"]))
                except (TypeError, ValueError):
                    raise validation_error(f"Invalid action id: {node['id']!r}") from None
    return events, actions


def check_metric_references(
    state: PostHogState, project_id: int, metrics: list[dict[str, Any]] | None, allow_unknown: bool
) -> None:
    """Action ids first, then (unless allowed) event names: the service's order and messages."""
    events, action_ids = metric_references(metrics)
    existing = {
        a["id"] for a in state.actions if a["team_id"] == project_id and not a.get("deleted")
    }
    missing = sorted(action_ids - existing)
    if missing:
        raise validation_error(
            f"Action(s) with ID {', '.join(str(i) for i in missing)} not found or deleted. "
            "Each ActionsNode must reference an existing action belonging to this project."
        )
    if allow_unknown or not events:
        return
    known = {d["name"] for d in state.event_definitions if d["team_id"] == project_id}
    unknown = sorted(events - known)
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        raise validation_error(
            f"Event(s) {names} not found. "
            "No events with these names have been ingested by this project. "
            "If you meant a different event, please correct it. "
            "Only if the user has explicitly confirmed they want to proceed with "
            "the unknown event (e.g. they will instrument it shortly), "
            "call again with allow_unknown_events=True. "
            "Do not flip the flag silently to bypass this check."
        )


def allow_unknown_events(data: dict[str, Any]) -> bool:
    """The write-only `allow_unknown_events` BooleanField (default false)."""
    return bool(as_bool(data.get("allow_unknown_events", False), "allow_unknown_events"))


def record_event(state: PostHogState, project_id: int, name: str) -> Record:
    """The project's definition of `name`, created on first sight (as ingestion does)."""
    for definition in state.event_definitions:
        if definition["team_id"] == project_id and definition["name"] == name:
            return definition
    now = now_iso()
    definition = {
        "id": str(uuid.uuid4()),
        "team_id": project_id,
        "name": name,
        "created_at": now,
        "last_seen_at": now,
    }
    state.event_definitions.append(definition)
    return definition


def _serialize_definition(definition: Record) -> dict[str, Any]:
    return {
        "id": definition["id"],
        "name": definition["name"],
        "created_at": definition.get("created_at"),
        "last_seen_at": definition.get("last_seen_at"),
        "last_updated_at": definition.get("created_at"),
        "tags": [],
        "is_action": False,
        "action_id": None,
        "is_calculating": False,
        "last_calculated_at": None,
        "created_by": None,
        "post_to_slack": False,
    }


def list_definitions(call: Call) -> Reply:
    rows = [d for d in call.state.event_definitions if d["team_id"] == call.project_id]
    names = {n for value in call.query.getlist("names") for n in value.split(",") if n}
    if names:
        rows = [d for d in rows if d["name"] in names]
    search = (call.query.get("search") or "").strip().lower()
    for term in search.split():
        rows = [d for d in rows if term in d["name"].lower()]
    # The default order: most recently seen day first, then name (`_stable_ordering`).
    rows.sort(key=lambda d: d["name"])
    rows.sort(key=lambda d: (d.get("last_seen_at") or "")[:10], reverse=True)
    page = paginate(call.request, rows)
    page["results"] = [_serialize_definition(d) for d in page["results"]]
    return Reply(page)


def create_definition(call: Call) -> Reply:
    data = call.data()
    if "name" not in data:
        raise required("name")
    name = as_str(data["name"], "name", allow_blank=False, max_length=400)
    assert name is not None
    taken = any(
        d["team_id"] == call.project_id and d["name"] == name for d in call.state.event_definitions
    )
    if taken:
        raise validation_error(f"Event definition with name '{name}' already exists", "name")
    definition = {
        "id": str(uuid.uuid4()),
        "team_id": call.project_id,
        "name": name,
        "created_at": None,
        "last_seen_at": None,
    }
    call.state.event_definitions.append(definition)
    return Reply(_serialize_definition(definition), 201)


def _serialize_action(action: Record) -> dict[str, Any]:
    return {
        "id": action["id"],
        "name": action.get("name"),
        "description": action.get("description", ""),
        "steps": action.get("steps", []),
        "deleted": bool(action.get("deleted")),
        "created_at": action.get("created_at"),
    }


def list_actions(call: Call) -> Reply:
    rows = [
        a for a in call.state.actions if a["team_id"] == call.project_id and not a.get("deleted")
    ]
    page = paginate(call.request, sorted(rows, key=lambda a: a["id"]))
    page["results"] = [_serialize_action(a) for a in page["results"]]
    return Reply(page)


def create_action(call: Call) -> Reply:
    data = call.data()
    name = as_str(data.get("name"), "name", allow_null=True)
    action = {
        "id": call.state.next_id("action"),
        "team_id": call.project_id,
        "name": name,
        "description": data.get("description") or "",
        "steps": data.get("steps") or [],
        "deleted": False,
        "created_at": now_iso(),
    }
    call.state.actions.append(action)
    return Reply(_serialize_action(action), 201)


DEFINITIONS: dict[str, Handler] = {"GET": list_definitions, "POST": create_definition}
ACTIONS: dict[str, Handler] = {"GET": list_actions, "POST": create_action}
