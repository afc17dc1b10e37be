"""DevCycle reusable audiences: live objects <-> model, and the plan's audience steps.

Audiences are project-level, not per environment, so they are written directly, never through a
change request. Ownership works as for features: flagsync tags every audience it creates or
adopts with its workspace's marker (`reconciler.ownership`; audiences keep tags, and the list
returns them). A declared audience that exists without a marker is changed only with `--adopt`;
one another workspace owns, never; a marked audience gone from the manifests is deleted only
with `--prune`; unmarked, undeclared audiences are listed and left alone.

A target may use an audience the same apply creates, before it has an `_id`: its filter carries
the placeholder `{audience-id:<key>}`, which `resolved` replaces when the call is sent (apply
creates audiences before it writes features, see `reconciler.apply`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from reconciler.model import ReusableAudience
from reconciler.ownership import LEGACY_MARKER, Ownership, without_markers
from reconciler.plan import ApiCall, Plan, Resource, field_changes
from reconciler.providers.devcycle.translate import (
    OWNERSHIP_TAG,
    audience_body,
    is_owned,
    operator_to_audience,
)

RESOURCE: Resource = "audience"
_PLACEHOLDER = re.compile(r"^\{audience-id:(.+)\}$")


def placeholder(key: str) -> str:
    return f"{{audience-id:{key}}}"


def to_model(raw: dict[str, Any]) -> ReusableAudience:
    """The model of a live audience (its tags other than the ownership marker are not
    managed: flagsync keeps them as they are)."""
    key = raw["key"]
    return ReusableAudience(
        key=key,
        name=raw.get("name") or key,
        description=raw.get("description") or "",
        audience=operator_to_audience(raw.get("filters") or {}, {}, f"audience '{key}'"),
    )


def _fields(audience: ReusableAudience) -> dict[str, Any]:
    return audience.model_dump(mode="json", exclude={"key"}, exclude_none=True)


def create_body(audience: ReusableAudience, *, marker: str = OWNERSHIP_TAG) -> dict[str, Any]:
    return {
        "key": audience.key,
        "name": audience.name,
        "description": audience.description,
        "filters": audience_body(audience.audience, {}),
        "tags": [marker],
    }


def is_created(found: Any, body: dict[str, Any]) -> bool:
    """Whether `found` is the audience a create with `body` makes (flagsync's, same meaning):
    a create refused as a duplicate after a lost answer is then done."""
    if not isinstance(found, dict) or not is_owned(found, marker=body["tags"][-1]):
        return False
    return to_model(found) == to_model({**body, "_id": ""})


def update_body(
    desired: ReusableAudience,
    current: ReusableAudience,
    raw: dict[str, Any],
    adopt: bool,
    *,
    marker: str = OWNERSHIP_TAG,
) -> dict[str, Any]:
    """Only what changed; adopting adds the ownership marker to the audience's own tags.

    What changed is found on the models, not on request bodies: the live audience is never
    turned back into a body, so filters flagsync would not write itself (an `audienceMatch`
    naming another audience by `_id`, which DevCycle's `AudienceOperator` does not accept
    but a live audience made elsewhere could carry) are simply replaced."""
    wanted = create_body(desired)
    fields = {"name": "name", "description": "description", "filters": "audience"}
    body = {
        name: wanted[name]
        for name, attribute in fields.items()
        if getattr(desired, attribute) != getattr(current, attribute)
    }
    if adopt:
        body["tags"] = [*without_markers(raw.get("tags") or []), marker]
    return body


def plan_audiences(
    base: str,
    desired: dict[str, ReusableAudience],
    live: list[dict[str, Any]],
    plan: Plan,
    prune: bool,
    adopt: bool,
    creates_only: bool = False,
    *,
    ownership: Ownership | None = None,
) -> None:
    """Add the changes and steps that make the live audiences what the manifests declare
    (with `creates_only`, only the missing ones are created). An audience another workspace
    owns is never touched; one with the legacy marker is taken over when declared here."""
    ownership = ownership or Ownership()
    marker = ownership.marker
    by_key = {raw["key"]: raw for raw in live if raw.get("key")}
    for key, audience in desired.items():
        raw = by_key.get(key)
        path = f"{base}/audiences/{quote(key, safe='')}"
        if raw is None:
            fields = field_changes({}, _fields(audience))
            body = create_body(audience, marker=marker)
            call = ApiCall(method="POST", path=f"{base}/audiences", body=body)
            plan.add("create", RESOURCE, key, call, fields)
            continue
        if creates_only:
            continue
        verdict = ownership.verdict(raw.get("tags"))
        current = to_model(raw)
        fields = field_changes(_fields(current), _fields(audience))
        if verdict == "elsewhere":
            plan.owned_elsewhere[f"audience {key}"] = ownership.owner(raw.get("tags"))
            if fields:
                plan.blocked.append(f"audience {key}")
            continue
        adopting = verdict != "mine"
        if adopting and not adopt and verdict != "legacy":
            plan.adoptable.append(f"audience {key}")
            if fields:
                plan.blocked.append(f"audience {key}")
            continue
        if verdict == "legacy":
            fields.insert(0, field_changes({"managed": LEGACY_MARKER}, {"managed": marker})[0])
        elif adopting:
            fields.insert(0, field_changes({"managed": False}, {"managed": True})[0])
        if not fields:
            continue
        body = update_body(audience, current, raw, adopting, marker=marker)
        plan.add("update", RESOURCE, key, ApiCall(method="PATCH", path=path, body=body), fields)
    for key, raw in sorted(by_key.items()):
        if key in desired or creates_only:
            continue
        verdict = ownership.verdict(raw.get("tags"))
        if verdict == "legacy":
            plan.legacy.append(f"audience {key}")
        elif verdict != "mine":
            if desired:
                plan.unmanaged.append(f"audience {key}")
        elif prune:
            path = f"{base}/audiences/{quote(key, safe='')}"
            plan.add("delete", RESOURCE, key, ApiCall(method="DELETE", path=path))
        else:
            plan.orphans.append(f"audience {key}")


def resolved(call: ApiCall, audience_id: Callable[[str], str]) -> ApiCall:
    """The call with every audience placeholder in its body replaced by the audience's id."""
    if not isinstance(call.body, dict) or "audience-id:" not in str(call.body):
        return call
    return call.model_copy(update={"body": _replace(call.body, audience_id)})


def _replace(value: Any, audience_id: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {name: _replace(item, audience_id) for name, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, audience_id) for item in value]
    if isinstance(value, str):
        match = _PLACEHOLDER.match(value)
        return audience_id(match.group(1)) if match else value
    return value
