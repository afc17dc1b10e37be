"""DevCycle custom properties: live objects <-> model, and the plan's custom property steps.

Custom properties are project-level and written directly. They have no tags or any other field
flagsync could mark them with, so ownership is by declaration: a declared key is managed
(created when missing, updated when it differs), an undeclared one is listed and left alone,
and flagsync never deletes one, not even with `--prune` (it cannot tell one it created from one
someone else did). Removing a declaration stops managing the property; delete it in DevCycle.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from reconciler.model import CustomProperty
from reconciler.plan import ApiCall, Plan, Ref, Resource, Subject, field_changes

RESOURCE: Resource = "custom_property"


def to_model(raw: dict[str, Any]) -> CustomProperty:
    return CustomProperty(
        key=raw["key"],
        name=raw.get("name") or raw["key"],
        property_key=raw.get("propertyKey") or raw["key"],
        type=raw["type"],
    )


def body(prop: CustomProperty) -> dict[str, Any]:
    """A `CreateCustomPropertyDto` (every field is required on create)."""
    return {"key": prop.key, "name": prop.name, "type": prop.type, "propertyKey": prop.property_key}


def is_created(found: Any, created: dict[str, Any]) -> bool:
    """Whether `found` is the property a create with body `created` makes (a create refused
    as a duplicate after a lost answer is then done)."""
    return isinstance(found, dict) and to_model(found) == to_model(created)


def _fields(prop: CustomProperty) -> dict[str, Any]:
    return prop.model_dump(mode="json", exclude={"key"})


def plan_custom_properties(
    base: str,
    desired: dict[str, CustomProperty],
    live: list[dict[str, Any]],
    plan: Plan,
    creates_only: bool = False,
) -> None:
    """Add the changes and steps that make the declared custom properties live (with
    `creates_only`, only the missing ones are created)."""
    by_key = {raw["key"]: raw for raw in live if raw.get("key")}
    for key, prop in desired.items():
        raw = by_key.get(key)
        if raw is None:
            fields = field_changes({}, _fields(prop))
            made = Ref(resource=RESOURCE, key=key, field="_id")
            call = ApiCall(
                method="POST",
                path=f"{base}/customProperties",
                body=body(prop),
                makes=made,
                subject=Subject(kind=RESOURCE, key=key),
            )
            plan.add("create", RESOURCE, key, call, fields)
            continue
        if creates_only:
            continue
        current = to_model(raw)
        fields = field_changes(_fields(current), _fields(prop))
        if not fields:
            continue
        wanted, before = body(prop), body(current)
        changed = {name: value for name, value in wanted.items() if before[name] != value}
        path = f"{base}/customProperties/{quote(key, safe='')}"
        call = ApiCall(
            method="PATCH", path=path, body=changed, subject=Subject(kind=RESOURCE, key=key)
        )
        plan.add("update", RESOURCE, key, call, fields)
    if desired and not creates_only:
        plan.unmanaged.extend(
            f"custom property {key}" for key in sorted(by_key) if key not in desired
        )
