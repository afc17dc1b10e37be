"""What a PostHog flag cannot have (DevCycle's variables, names, types, schedules, filters and
experiment fields), and PostHog's own rules for flags: keys, tags, splits, conditions and flag
dependencies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.errors import Problem
from reconciler.manifest.rules import SPLIT_TOTAL, FlagSite
from reconciler.manifest.walk import NESTED, target_filters, targets
from reconciler.providers.posthog import property_values

KEY = re.compile(r"^[a-zA-Z0-9_-]+$")
DEVCYCLE_FIELDS = (
    "user_id",
    "email",
    "country",
    "platform",
    "platform_version",
    "device_model",
    "app_version",
    "custom",
    "audience",
)
"""Filter fields of the manifest format that are DevCycle's."""
DEVCYCLE_ONLY = ("control", "metrics", "status", "static_variation")
"""Flag fields of DevCycle's experiments and lifecycle."""
PERSON_COMPARISONS = (
    "is, is_not, contains, not_contains, matches, not_matches, gt, gte, lt, lte, exists, "
    "semver_eq, semver_neq, semver_gt, semver_gte, semver_lt, semver_lte, semver_tilde, "
    "semver_caret, semver_wildcard, date_before, date_after"
)
_PROPERTY_META = {"key", "type"}


def flag_problems(sites: list[FlagSite]) -> Iterator[Problem]:
    """What PostHog cannot take in these flags, and its own rules for them (a flag's
    dependencies are checked against the other flags)."""
    by_key = {site.data["key"]: site for site in sites}
    for site in sites:
        yield from _posthog_flag(site)
        yield from _posthog_targets(site, by_key)


def _posthog_flag(site: FlagSite) -> Iterator[Problem]:
    data = site.data
    key = data["key"]
    if not KEY.match(key):
        yield site.problem(
            ["key"],
            f"'{key}' is not a valid PostHog key: use only letters, digits, '-' and '_' (no '.')",
        )
    if "name" in data and data["name"] != key:
        yield site.problem(
            ["name"],
            "PostHog flags have no name apart from the key: leave `name` out and put the text "
            "in `description` (PostHog shows it as the flag's description)",
        )
    if data.get("type", "release") != "release":
        yield site.problem(
            ["type"], "PostHog flags have no type: leave `type` out (it is `release`)"
        )
    if "variables" in data:
        yield site.problem(
            ["variables"],
            "PostHog flags have no variables: give each variation a `payload` (any JSON) "
            "instead, or the flag a `payload` when it has no variations",
            at_key=True,
        )
    for index, tag in enumerate(data.get("tags") or []):
        if tag != tag.strip().lower():
            yield site.problem(
                ["tags", index],
                f"PostHog stores tags trimmed and lower-case: write '{tag.strip().lower()}'",
            )
    variations = data.get("variations") or []
    if variations and "payload" in data:
        yield site.problem(
            ["payload"],
            "a flag with variations has a payload per variation: move it to the variations",
            at_key=True,
        )
    for index, variation in enumerate(variations):
        if "values" in variation:
            yield site.problem(
                ["variations", index, "values"],
                "PostHog variations have no variable values: give the variation a `payload` "
                "(any JSON) instead",
                at_key=True,
            )


def _posthog_targets(site: FlagSite, by_key: dict[str, FlagSite]) -> Iterator[Problem]:
    variations = [v["key"] for v in site.data.get("variations") or []]
    environments = site.data.get("environments") or {}
    for env, config in environments.items():
        if not (config or {}).get("targets"):
            yield site.problem(
                ["environments", env],
                f"'{env}' has no targets: a PostHog flag needs at least one release condition; "
                "add one, e.g. `targets: [{percentage: 0}]` to create it for nobody yet",
                at_key=True,
            )
        split_seen: tuple[list[str | int], dict[str, Any]] | None = None
        for base, target in targets(site, env):
            serve = target.get("serve")
            if "rollout" in target:
                yield site.problem(
                    [*base, "rollout"],
                    "PostHog cannot schedule a rollout: set `percentage` (the share of the "
                    "audience) and raise it in later commits",
                    at_key=True,
                )
            if variations and serve is None:
                yield site.problem(
                    base,
                    "this flag has variations, so every target needs `serve`: a variation "
                    f"(e.g. `serve: {variations[0]}`) or the flag's split",
                )
            if not variations and serve is not None:
                yield site.problem(
                    [*base, "serve"],
                    "a PostHog flag without variations is a boolean flag: matched users get "
                    "`true`, so leave `serve` out (use `percentage` for a share of them)",
                    at_key=True,
                )
            if isinstance(serve, dict) and len([p for p in serve.values() if p]) > 1:
                yield from _split(site, base, serve)
                if split_seen is None:
                    split_seen = (base, serve)
                elif _nonzero(split_seen[1]) != _nonzero(serve):
                    line, col = site.document.locate(["flags", site.index, *split_seen[0]])
                    yield site.problem(
                        [*base, "serve"],
                        "PostHog has one variant split per flag and project: every target in "
                        f"'{env}' that serves a split must serve the same one as the target at "
                        f"line {line}; serve a single variation here instead",
                    )
            yield from _posthog_audience(site, base, env, target, by_key)


def _nonzero(split: dict[str, Any]) -> dict[str, float]:
    return {key: float(value) for key, value in split.items() if value}


def _split(site: FlagSite, base: list[str | int], serve: dict[str, Any]) -> Iterator[Problem]:
    """PostHog sums variant percentages exactly (`!= 100`), as floats."""
    total = 0.0
    for value in serve.values():
        total += int(value) if float(value).is_integer() else float(value)
    if total != SPLIT_TOTAL and abs(total - SPLIT_TOTAL) <= 1e-6:
        yield site.problem(
            [*base, "serve"],
            f"PostHog adds the split up to {total!r}, not exactly 100: use whole percentages",
        )


def _posthog_audience(
    site: FlagSite,
    base: list[str | int],
    env: str,
    target: dict[str, Any],
    by_key: dict[str, FlagSite],
) -> Iterator[Problem]:
    audience = target.get("audience")
    if isinstance(audience, dict) and "any" in audience:
        yield site.problem(
            [*base, "audience", "any"],
            "PostHog matches every filter of a target (all): write one target per filter "
            "instead of `any` (the first target a user matches wins)",
            at_key=True,
        )
    group_types: set[str] = set()
    person_level = False
    for path, field, condition in target_filters(target, base):
        if field in NESTED:
            yield site.problem(
                path,
                "nested filter groups are DevCycle's; PostHog matches all filters of a target: "
                "write one target per alternative instead",
                at_key=True,
            )
            continue
        if field in DEVCYCLE_FIELDS:
            property_name = "email" if field == "email" else "<property>"
            yield site.problem(
                path,
                f"`{field}` filters are DevCycle's; on PostHog write `person: {{key: "
                f"{property_name}, ...}}` (comparisons: {PERSON_COMPARISONS})",
                at_key=True,
            )
            continue
        if field in ("person", "group"):
            yield from _property(site, path, field, condition)
        if field == "group":
            group_types.add(str(condition.get("type")))
        else:
            person_level = True
        if field == "flag":
            yield from _dependency(site, path, env, condition, by_key)
    if len(group_types) > 1 or (group_types and person_level):
        yield site.problem(
            [*base, "audience"],
            "PostHog matches a target either on persons (person, cohort, flag filters) or on "
            "groups of one type: split these filters into separate targets",
        )


def _property(
    site: FlagSite, path: list[str | int], field: str, condition: dict[str, Any]
) -> Iterator[Problem]:
    operators = [name for name in condition if name not in _PROPERTY_META]
    if len(operators) != 1:
        meta = "`type`, `key`" if field == "group" else "`key`"
        yield site.problem(
            path,
            f"a {field} condition takes {meta} and exactly one comparison ({PERSON_COMPARISONS}); "
            f"got {len(operators)}",
        )
        return
    operator = operators[0]
    if operator in ("matches", "not_matches"):
        try:
            re.compile(str(condition[operator]))
        except re.error as error:
            yield site.problem([*path, operator], f"not a valid regular expression: {error}")
    problem = None
    if operator in property_values.SEMVER_OPERATORS:
        problem = property_values.version_problem(operator, condition[operator])
    elif operator in property_values.DATE_OPERATORS:
        problem = property_values.date_problem(condition[operator])
    if problem:
        yield site.problem([*path, operator], problem)


def _dependency(
    site: FlagSite,
    path: list[str | int],
    env: str,
    condition: dict[str, Any],
    by_key: dict[str, FlagSite],
) -> Iterator[Problem]:
    """A dependency on a flag the manifests declare must exist and be on in this environment
    (PostHog refuses dependencies on inactive flags); unmanaged flags are checked at plan time."""
    other_key = condition["key"]
    if other_key == site.data["key"]:
        yield site.problem([*path, "key"], "a flag cannot depend on itself")
        return
    other = by_key.get(other_key)
    if other is None:
        return
    for field, message in dependency_problems(
        env, other_key, condition["is"], dependency_facts(other.data)
    ):
        yield site.problem([*path, field], message)


@dataclass(frozen=True)
class DependencyFacts:
    """What a dependency on a flag reads of that flag: the environments its manifest names,
    those where it is on, and its variation keys. Small, so a workspace loaded file by file
    keeps these for every flag instead of the flags' plain data."""

    named: frozenset[str]
    enabled: frozenset[str]
    variations: tuple[str, ...]


def dependency_facts(data: dict[str, Any]) -> DependencyFacts:
    """The facts of a flag's plain data that its dependents' rules read."""
    environments = data.get("environments") or {}
    named = frozenset(env for env, config in environments.items() if config is not None)
    return DependencyFacts(
        named=named,
        enabled=frozenset(env for env in named if environments[env].get("enabled")),
        variations=tuple(v["key"] for v in data.get("variations") or []),
    )


def dependency_problems(
    env: str, other_key: str, value: Any, facts: DependencyFacts
) -> Iterator[tuple[str, str]]:
    """(field of the `flag` condition, message) for each way flag `other_key`, as `facts`
    describe it, cannot be depended on in `env` with `is: value`."""
    if env not in facts.named:
        yield (
            "key",
            f"flag '{other_key}' does not exist in '{env}' (its manifest does not name '{env}')",
        )
    elif env not in facts.enabled:
        yield (
            "key",
            f"flag '{other_key}' is off in '{env}': PostHog only allows dependencies on active "
            f"flags; enable it there or drop this filter",
        )
    variations = facts.variations
    if isinstance(value, str) and value not in variations:
        known = ", ".join(variations) if variations else "none: it is a boolean flag"
        yield (
            "is",
            f"'{value}' is not a variation of flag '{other_key}' (variations: {known})",
        )


def dependencies(site: FlagSite) -> Iterator[tuple[str, str, Any]]:
    """(environment, key of the flag depended on, `is` value) of each `flag` filter of this
    flag naming another flag, as `_posthog_audience` finds them."""
    for base, target in targets(site):
        for _, field, condition in target_filters(target, base):
            if field == "flag" and condition["key"] != site.data["key"]:
                yield str(base[1]), condition["key"], condition["is"]


def devcycle_fields(site: FlagSite) -> list[Problem]:
    """DevCycle's experiment and lifecycle fields (PostHog flags have `status` active or
    archived only)."""
    problems = [
        site.problem([name], f"`{name}` is DevCycle's; PostHog flags have no {name}", at_key=True)
        for name in DEVCYCLE_ONLY
        if name in site.data and not (name == "status" and _posthog_status(site))
    ]
    return problems + _archived_but_enabled(site)


def _posthog_status(site: FlagSite) -> bool:
    """PostHog flags have two of the statuses: active and archived (no `complete`)."""
    return site.data.get("status") in ("active", "archived")


def _archived_but_enabled(site: FlagSite) -> list[Problem]:
    """PostHog refuses to archive an enabled flag: archived means off in every environment."""
    if site.data.get("status") != "archived":
        return []
    return [
        site.problem(
            ["environments", env, "enabled"],
            "an archived flag is off everywhere (PostHog refuses to archive an enabled flag): "
            "set `enabled: false` or remove `status: archived`",
        )
        for env, config in (site.data.get("environments") or {}).items()
        if isinstance(config, dict) and config.get("enabled") is True
    ]
