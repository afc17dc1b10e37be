"""Flag-on-flag dependencies: extraction, write-time validation and SDK dependency chains.

A flag condition `{"type": "flag", "key": "<flag id>", "operator": "flag_evaluates_to"}` makes one
flag depend on another. PostHog stores the *id* (so renaming a flag keeps the link), validates on
write that it names an existing, active flag and that no cycle forms, and, when it serves the
local-evaluation definitions, rewrites the id to the flag's key and adds a `dependency_chain`: the
referenced flag's transitive dependencies in evaluation order, ending with the flag itself, or
`[]` when the chain cannot be evaluated (a cycle, a self-reference, a missing flag). The SDKs
refuse to evaluate a flag dependency without that chain.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from .errors import ApiError, validation_error
from .state import Record


def flag_properties(filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every `type: flag` property in a filters object's condition groups."""
    for group in filters.get("groups") or []:
        if not isinstance(group, dict):
            continue
        for prop in group.get("properties") or []:
            if isinstance(prop, dict) and prop.get("type") == "flag":
                yield prop


def _reference_error(detail: str) -> ApiError:
    return validation_error(detail, "filters")


def _referenced_key(reference: Any, flags: list[Record]) -> str:
    """The key of the active flag a stored dependency reference names; raises PostHog's 400s."""
    text = str(reference)
    if not text.lstrip("-").isdigit():
        raise _reference_error(
            "Flag dependencies must reference flag IDs (integers), not flag keys. "
            f"Invalid reference: '{reference}'"
        )
    flag_id = int(text)
    flag = next((f for f in flags if f["id"] == flag_id and not f["deleted"]), None)
    if flag is None:
        raise _reference_error(f"Flag dependency references non-existent flag with ID {flag_id}")
    if not flag["active"]:
        raise _reference_error(
            f"Cannot create dependency on disabled flag '{flag['key']}' (ID: {flag_id}). "
            "Flag dependencies must reference active flags only."
        )
    return str(flag["key"])


def _dependency_keys(filters: dict[str, Any], flags: list[Record]) -> list[str]:
    keys: list[str] = []
    for prop in flag_properties(filters):
        reference = prop.get("key")
        if reference:
            key = _referenced_key(reference, flags)
            if key not in keys:
                keys.append(key)
    return keys


def check_flag_dependencies(
    filters: dict[str, Any], own_key: str | None, flags: list[Record]
) -> None:
    """PostHog's write-time check: references valid, no self-reference, no cycle.

    `flags` are the project's flags; `own_key` is the key of the flag being written (the stored
    key on update, the submitted key on create). The walk re-validates each dependency's own
    references, as PostHog's recursive check does.
    """
    if not own_key:
        return
    direct = _dependency_keys(filters, flags)
    if not direct:
        return
    if own_key in direct:
        raise _reference_error(f"Feature flag '{own_key}' cannot depend on itself")

    def walk(key: str, path: list[str]) -> None:
        if key in path:
            cycle = [*path[path.index(key) :], key]
            raise _reference_error(f"Circular dependency detected: {' → '.join(cycle)}")
        flag = next((f for f in flags if f["key"] == key and not f["deleted"]), None)
        if flag is None:
            return
        for dependency in _dependency_keys(flag.get("filters") or {}, flags):
            walk(dependency, [*path, key])

    for key in direct:
        walk(key, [own_key])


def dependents_of(flag: Record, flags: list[Record]) -> list[Record]:
    """Active, non-deleted flags whose conditions reference `flag` by id, ordered by key."""
    reference = str(flag["id"])
    found = [
        other
        for other in flags
        if other["id"] != flag["id"]
        and not other["deleted"]
        and other["active"]
        and any(prop.get("key") == reference for prop in flag_properties(other["filters"]))
    ]
    return sorted(found, key=lambda f: f["key"])


def disabled_dependencies_of(flag: Record, flags: list[Record]) -> list[Record]:
    """The non-deleted but inactive flags `flag` depends on, ordered by key."""
    ids = {str(prop.get("key")) for prop in flag_properties(flag["filters"])}
    found = [f for f in flags if str(f["id"]) in ids and not f["deleted"] and not f["active"]]
    return sorted(found, key=lambda f: f["key"])


class _Unevaluable(Exception):
    """A dependency chain that cannot be evaluated locally (cycle or missing flag)."""


def _resolve(reference: Any, by_id: dict[str, Record], by_key: dict[str, Record]) -> Record | None:
    return by_id.get(str(reference)) or by_key.get(str(reference))


def with_dependency_chains(flags: list[Record]) -> dict[int, dict[str, Any]]:
    """Each flag's filters with flag dependencies rewritten for SDKs (key + dependency_chain).

    Returns `{flag id: rewritten filters}`; `flags` are the flags served in one definitions
    response, whose filters are left untouched.
    """
    by_id = {str(f["id"]): f for f in flags}
    by_key = {str(f["key"]): f for f in flags}

    def deps(flag: Record) -> list[Record | None]:
        return [_resolve(p.get("key"), by_id, by_key) for p in flag_properties(flag["filters"])]

    def chain(start: Record) -> list[str]:
        order: list[str] = []
        visiting: set[int] = set()
        done: set[int] = set()

        def visit(flag: Record | None) -> None:
            if flag is None or flag["id"] in visiting:
                raise _Unevaluable
            if flag["id"] in done:
                return
            visiting.add(flag["id"])
            for dependency in deps(flag):
                visit(dependency)
            visiting.discard(flag["id"])
            done.add(flag["id"])
            order.append(str(flag["key"]))

        try:
            visit(start)
        except _Unevaluable:
            return []
        return order

    rewritten: dict[int, dict[str, Any]] = {}
    for flag in flags:
        filters = copy.deepcopy(flag["filters"])
        for prop in flag_properties(filters):
            target = _resolve(prop.get("key"), by_id, by_key)
            if target is None:
                prop["dependency_chain"] = []
                continue
            prop["key"] = target["key"]
            # A property on flag F that points (transitively) back at F is a cycle too.
            prop["dependency_chain"] = [] if target["id"] == flag["id"] else chain(target)
            if flag["key"] in prop["dependency_chain"]:
                prop["dependency_chain"] = []
        rewritten[flag["id"]] = filters
    return rewritten
