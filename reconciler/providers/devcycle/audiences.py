"""DevCycle reusable audiences: live objects <-> model, and the plan's audience steps.

Audiences are project-level, not per environment, so they are written directly, never through a
change request. Ownership works as for features: flagsync tags every audience it creates or
adopts with its workspace's marker (`reconciler.ownership`; audiences keep tags, and the list
returns them). A declared audience that exists without a marker is changed only with `--adopt`;
one another workspace owns, never; a marked audience gone from the manifests is deleted only
with `--prune`; unmarked, undeclared audiences are listed and left alone.

A target may use an audience the same apply creates, before it has an `_id`: its filter carries
the token of the audience's `Ref`, `{audience-id:<key>}`, and the call the ref, which `resolved`
fills when the call is sent (audiences are written in a wave before features, see
`reconciler.ordering`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from reconciler.model import ReusableAudience
from reconciler.ownership import LEGACY_MARKER, Ownership, without_markers
from reconciler.plan import ApiCall, Plan, Ref, Resource, Step, Subject, field_changes
from reconciler.providers.devcycle.translate import (
    OWNERSHIP_TAG,
    audience_body,
    is_owned,
    operator_to_audience,
)

RESOURCE: Resource = "audience"


def audience_ref(key: str) -> Ref:
    """The `_id` of an audience this apply creates."""
    return Ref(resource=RESOURCE, key=key, field="_id")


def placeholder(key: str) -> str:
    return audience_ref(key).token


def with_refs(steps: list[Step], audience_ids: dict[str, str]) -> None:
    """Record on each call the audiences it uses that this apply creates (those `audience_ids`
    maps to their placeholder)."""
    planned = [
        audience_ref(key) for key, found in audience_ids.items() if found == placeholder(key)
    ]
    if not planned:
        return
    for step in steps:
        step.calls = [call.needing(planned) for call in step.calls]


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
            call = ApiCall(
                method="POST",
                path=f"{base}/audiences",
                body=body,
                makes=audience_ref(key),
                subject=Subject(kind=RESOURCE, key=key),
            )
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
        plan.add(
            "update",
            RESOURCE,
            key,
            ApiCall(method="PATCH", path=path, body=body, subject=Subject(kind=RESOURCE, key=key)),
            fields,
        )
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
            call = ApiCall(method="DELETE", path=path, subject=Subject(kind=RESOURCE, key=key))
            plan.add("delete", RESOURCE, key, call)
        else:
            plan.orphans.append(f"audience {key}")


def resolved(call: ApiCall, audience_id: Callable[[str], str]) -> ApiCall:
    """The call with each audience it refers to (`Ref`) filled with the audience's id."""
    return call.filled({ref: audience_id(ref.key) for ref in call.refs if ref.resource == RESOURCE})
