"""Flag definitions for server SDKs' local evaluation, and the three URLs that serve them.

Current SDKs poll `GET /flags/definitions?token=<project api key>&send_cohorts`, older ones
`GET /api/feature_flag/local_evaluation/?token=...&send_cohorts`, and the API reference lists
`GET /api/projects/{id}/feature_flags/local_evaluation/`; all take the personal API key as
Bearer. The body is exactly `{flags, group_type_mapping, cohorts}` (PostHog's
`_get_flags_response_for_local_evaluation`):

- `flags`: every non-deleted, non-remote-config flag of the project in the minimal shape,
  inactive ones included (an SDK evaluates those to `False` locally instead of asking the
  server), filters as stored, with flag dependencies rewritten to keys plus `dependency_chain`.
- `cohorts`: with `send_cohorts`, the property tree of each non-static cohort the flags use,
  keyed by id string; without it, `{}` and a flag with exactly one simple person-property cohort
  has that cohort expanded into plain conditions (`transform_cohort_filters_for_easy_evaluation`).

Responses carry a weak `ETag`; an `If-None-Match` that matches gets a bodyless 304.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from .auth import project_from_token
from .dependencies import with_dependency_chains
from .errors import authentication_failed
from .fields import as_bool
from .filters import cohort_properties_flat
from .flag_read import minimal_flag
from .http import Call, Handler, Reply
from .state import PostHogState, Record


def _cohort_ids(state: PostHogState, flag: Record) -> list[int]:
    """`FeatureFlag.get_cohort_ids`: cohorts the conditions use, with nested cohorts."""
    found: list[int] = []
    queue: list[Any] = [
        prop.get("value")
        for group in flag["filters"].get("groups") or []
        for prop in group.get("properties") or []
        if prop.get("type") == "cohort"
    ]
    while queue:
        raw = str(queue.pop(0))
        cohort = state.cohort(flag["team_id"], int(raw)) if raw.isdigit() else None
        if cohort is None or cohort["deleted"] or cohort["id"] in found:
            continue
        found.append(cohort["id"])
        queue.extend(
            p.get("value") for p in cohort_properties_flat(cohort) if p.get("type") == "cohort"
        )
    return found


def _clear_excess_levels(node: Any, skip: bool = False) -> Any:
    """PostHog's `clear_excess_levels`: collapse property groups that wrap a single child."""
    if isinstance(node, dict) and node.get("type") in ("AND", "OR") and "values" in node:
        values = node["values"]
        if len(values) == 1:
            if not skip:
                return _clear_excess_levels(values[0])
            return {**node, "values": [_clear_excess_levels(values[0])]}
        return {**node, "values": [_clear_excess_levels(v, skip=True) for v in values]}
    return node


def _is_group(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") in ("AND", "OR") and "values" in node


def _expand_single_cohort(state: PostHogState, flag: Record) -> list[dict[str, Any]]:
    """`transform_cohort_filters_for_easy_evaluation`, for clients that do not get cohorts."""
    conditions: list[dict[str, Any]] = flag["filters"].get("groups") or []
    if len(_cohort_ids(state, flag)) != 1:
        return conditions
    cohort: Record | None = None
    rollout = None
    parsed: list[dict[str, Any]] = []
    for condition in conditions:
        if condition.get("variant"):
            return conditions
        props = condition.get("properties") or []
        # PostHog keeps the rollout of the last condition it looked at (sic).
        rollout = condition.get("rollout_percentage")
        has_cohort = False
        for prop in props:
            if prop.get("type") == "cohort":
                has_cohort = True
                if len(props) > 1:
                    return conditions
                raw = str(prop.get("value"))
                cohort = state.cohort(flag["team_id"], int(raw)) if raw.isdigit() else None
                if cohort is None or cohort["deleted"]:
                    return conditions
        if not has_cohort:
            parsed.append(condition)
    leaves = cohort_properties_flat(cohort) if cohort else []
    if not cohort or not leaves:
        return conditions
    if any(p.get("type") != "person" for p in leaves) or any(p.get("negation") for p in leaves):
        return conditions
    target = _clear_excess_levels((cohort.get("filters") or {}).get("properties"))
    if not _is_group(target):
        return [*parsed, {"properties": [target], "rollout_percentage": rollout}]
    if not _is_group(target["values"][0]):
        if target["type"] == "AND":
            return [*parsed, {"properties": list(target["values"]), "rollout_percentage": rollout}]
        return [
            *parsed,
            *({"properties": [p], "rollout_percentage": rollout} for p in target["values"]),
        ]
    if target["type"] == "AND":
        return conditions
    for group in target["values"]:
        values = group.get("values") or []
        if not values or _is_group(values[0]) or (group["type"] == "OR" and len(values) > 1):
            return conditions
        parsed.append({"properties": list(values), "rollout_percentage": rollout})
    return parsed


def definitions(state: PostHogState, project: Record, send_cohorts: bool) -> dict[str, Any]:
    """The local-evaluation body for one project."""
    flags = sorted(
        (
            f
            for f in state.flags_of(project["id"])
            if not f["deleted"] and not f.get("is_remote_configuration")
        ),
        key=lambda f: f["id"],
    )
    rewritten = with_dependency_chains(flags)
    cohorts: dict[str, Any] = {}
    served = []
    for flag in flags:
        filters = rewritten[flag["id"]]
        ids = _cohort_ids(state, flag)
        if not send_cohorts and len(ids) == 1:
            filters["groups"] = copy.deepcopy(
                _expand_single_cohort(state, {**flag, "filters": filters})
            )
        if send_cohorts:
            for cohort_id in ids:
                cohort = state.cohort(project["id"], cohort_id)
                if cohort is not None and not cohort["is_static"]:
                    tree = (cohort.get("filters") or {}).get("properties") or {}
                    cohorts.setdefault(str(cohort_id), copy.deepcopy(tree))
        served.append(minimal_flag(flag, filters))
    return {
        "flags": served,
        "group_type_mapping": dict(project.get("group_type_mapping") or {}),
        "cohorts": cohorts,
    }


def etag_of(body: dict[str, Any]) -> str:
    """A content hash of the body.

    Vendor behaviour unknown: how PostHog derives its ETag value; only its use (weak ETag,
    304 on match) is observable to clients, and any stable content hash behaves the same.
    """
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _client_etag(header: str | None) -> str | None:
    """`extract_etag_from_header`: strip `W/` and quotes."""
    if not header:
        return None
    value = header.strip()
    if value.startswith('W/"'):
        value = value[2:]
    return value.strip('"') or None


def _send_cohorts(call: Call) -> bool:
    if "send_cohorts" not in call.query:
        return False
    raw = call.query["send_cohorts"]
    return raw == "" or bool(as_bool(raw, "send_cohorts"))


def _respond(call: Call, project: Record) -> Reply:
    body = definitions(call.state, project, _send_cohorts(call))
    etag = etag_of(body)
    headers = {"ETag": f'W/"{etag}"', "Cache-Control": "private, must-revalidate"}
    if _client_etag(call.request.headers.get("if-none-match")) == etag:
        return Reply(None, 304, headers)
    return Reply(body, 200, headers)


def project_scoped_handler(call: Call) -> Reply:
    """GET /api/projects/{id}/feature_flags/local_evaluation/ (a `token` overrides the id)."""
    assert call.project is not None
    token = call.query.get("token")
    project = project_from_token(call.state, token, call.user) if token else call.project
    return _respond(call, project)


def legacy_handler(call: Call) -> Reply:
    """GET /api/feature_flag/local_evaluation/?token=... (older SDKs)."""
    return _respond(call, project_from_token(call.state, call.query.get("token"), call.user))


def definitions_handler(call: Call) -> Reply:
    """GET /flags/definitions?token=... (current SDKs)."""
    token = call.query.get("token")
    if not token:
        # Vendor behaviour unknown: this endpoint is served by PostHog's Rust flags service,
        # whose answer to a missing token is not documented; it cannot pick a project without it.
        raise authentication_failed()
    return _respond(call, project_from_token(call.state, token, call.user))


PROJECT_SCOPED: dict[str, Handler] = {"GET": project_scoped_handler}
LEGACY: dict[str, Handler] = {"GET": legacy_handler}
DEFINITIONS: dict[str, Handler] = {"GET": definitions_handler}
