"""DevCycle's reusable audiences and custom properties in manifests (the `audiences:` and
`custom_properties:` sections).

Once a workspace declares any custom property, every `custom` filter (in targets and audiences
alike) must name a declared one and compare values of its type: a typo in a data key would
otherwise target nobody, silently. The rules run after the schema check, on the whole workspace
together.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.errors import Problem
from reconciler.manifest.audiences import SectionSite, property_key
from reconciler.manifest.rules import FlagSite, audience_problems, custom_type
from reconciler.manifest.suggest import did_you_mean
from reconciler.manifest.walk import filter_items
from reconciler.providers.devcycle.manifest_flags import POSTHOG_FIELDS


def check(
    audiences: list[SectionSite], properties: list[SectionSite], flags: list[FlagSite]
) -> list[Problem]:
    """Every problem with the workspace's audiences and custom properties, and with the
    `custom` filters of its flags against the declared properties."""
    problems = list(_unique(audiences, lambda data: str(data["key"]), "audience key"))
    problems += _unique(properties, lambda data: str(data["key"]), "custom property key")
    problems += _unique(properties, property_key, "custom property property_key")
    for site in audiences:
        problems += audience_problems(site, [], site.data["filters"], "filters")
        problems += _audience_fields(site)
    if properties:
        declared = {property_key(site.data): site.data["type"] for site in properties}
        for where, path, condition in _custom_conditions(audiences, flags):
            problems += _declared_custom(where, path, condition, declared)
    return problems


def _unique(sites: list[SectionSite], key_of: Any, what: str) -> Iterator[Problem]:
    seen: dict[str, SectionSite] = {}
    for site in sites:
        key = key_of(site.data)
        field = "property_key" if what.endswith("property_key") else "key"
        if key in seen:
            where = seen[key].at([field] if field in seen[key].data else ["key"])
            yield site.problem(
                [field] if field in site.data else ["key"],
                f"{what} '{key}' is already declared at {where}",
            )
        else:
            seen[key] = site


def _audience_fields(site: SectionSite) -> Iterator[Problem]:
    """DevCycle's project audiences cannot reference other audiences, nor use PostHog fields."""
    for prefix, filters in _filter_lists(site.data["filters"], ["filters"]):
        for path, field, _ in filter_items(prefix, filters):
            if field == "audience":
                yield site.problem(
                    path,
                    "a reusable audience cannot use another audience (DevCycle allows "
                    "`audience` filters in targets only): repeat its filters here",
                    at_key=True,
                )
            elif field in POSTHOG_FIELDS:
                yield site.problem(
                    path, f"`{field}` filters are PostHog's, not DevCycle's", at_key=True
                )


def _filter_lists(audience: Any, base: list[str | int]) -> list[tuple[list[str | int], Any]]:
    if not isinstance(audience, dict):
        return []
    return [([*base, match], filters) for match, filters in audience.items()]


def _custom_conditions(
    audiences: list[SectionSite], flags: list[FlagSite]
) -> Iterator[tuple[SectionSite | FlagSite, list[str | int], dict[str, Any]]]:
    """Every `custom` condition of the workspace, with its site and path."""
    for audience in audiences:
        for prefix, filters in _filter_lists(audience.data["filters"], ["filters"]):
            for path, field, condition in filter_items(prefix, filters):
                if field == "custom":
                    yield audience, path, condition
    for flag in flags:
        for env, config in (flag.data.get("environments") or {}).items():
            for index, target in enumerate((config or {}).get("targets") or []):
                base: list[str | int] = ["environments", env, "targets", index, "audience"]
                for prefix, filters in _filter_lists(target.get("audience"), base):
                    for path, field, condition in filter_items(prefix, filters):
                        if field == "custom":
                            yield flag, path, condition


def _declared_custom(
    site: SectionSite | FlagSite,
    path: list[str | int],
    condition: dict[str, Any],
    declared: dict[str, str],
) -> Iterator[Problem]:
    key = str(condition.get("key"))
    if key not in declared:
        names = sorted(declared)
        yield site.problem(
            [*path, "key"],
            f"custom property '{key}' is not declared; custom_properties declares "
            f"{', '.join(names)}{did_you_mean(key, names)}",
        )
        return
    expected = declared[key]
    if condition.get("type", expected) != expected:
        yield site.problem(
            [*path, "type"],
            f"custom property '{key}' is declared {expected}, not {condition['type']}",
        )
    for operator, value in condition.items():
        if operator in ("key", "type", "exists"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if custom_type(item) != expected:
                yield site.problem(
                    [*path, operator],
                    f"custom property '{key}' is {expected}, but {item!r} is a {custom_type(item)}",
                )
