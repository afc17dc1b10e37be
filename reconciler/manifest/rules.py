"""Semantic checks the JSON Schema cannot express.

These run on every manifest of a workspace together (keys must be unique across files) after the
schema check passed for each file, so the data has the right shapes here. Each rule reports all
its findings; the loader gathers them so the user sees every problem in one run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from reconciler.errors import Problem
from reconciler.manifest.bounds import MAX_AUDIENCE_DEPTH
from reconciler.manifest.source import Document
from reconciler.manifest.suggest import did_you_mean

SPLIT_TOTAL = 100.0
_VERSION = re.compile(r"^\d+(\.\d+){0,2}([-+][0-9A-Za-z.-]+)?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CUSTOM_META = {"key", "type"}


class Site(Protocol):
    """Anything in a manifest that reports problems at paths below itself."""

    def problem(self, path: list[str | int], message: str, at_key: bool = False) -> Problem: ...


@dataclass(frozen=True)
class FlagSite:
    """A flag's plain data and where it sits: document and index in its `flags` list."""

    document: Document
    index: int
    data: dict[str, Any]

    def problem(self, path: list[str | int], message: str, at_key: bool = False) -> Problem:
        return self.document.problem(["flags", self.index, *path], message, at_key)


def flag_sites(documents: list[Document]) -> list[FlagSite]:
    """Every flag of every document, in file order."""
    return [
        FlagSite(document, index, flag)
        for document in documents
        for index, flag in enumerate(document.data.get("flags") or [])
    ]


def check_all(
    sites: list[FlagSite], environments: list[str], provider: str | None = None
) -> list[Problem]:
    """Run every shared rule over all flags of a workspace. A vendor's own rules are its
    `ManifestRules` (`provider_rules`); `provider` is accepted for older callers and not used."""
    problems = list(_unique_keys(sites))
    for site in sites:
        problems.extend(_variation_values(site))
        problems.extend(_environments(site, environments))
    return problems


def _unique_keys(sites: list[FlagSite]) -> Iterator[Problem]:
    """Flag keys and variable keys are unique across the workspace (the vendor scopes both to
    the project); variation keys are unique within their flag."""
    flags_seen: dict[str, FlagSite] = {}
    variables_seen: dict[str, tuple[FlagSite, str]] = {}
    for site in sites:
        key = site.data["key"]
        if key in flags_seen:
            first = flags_seen[key]
            yield site.problem(["key"], f"flag key '{key}' is already declared at {_at(first)}")
        else:
            flags_seen[key] = site
        for variable in site.data.get("variables") or {}:
            if variable in variables_seen:
                other, other_flag = variables_seen[variable]
                line, col = other.document.locate(
                    ["flags", other.index, "variables", variable], at_key=True
                )
                yield site.problem(
                    ["variables", variable],
                    f"variable key '{variable}' is already used by flag '{other_flag}' at "
                    f"{other.document.name}:{line}:{col} (variable keys are unique per project)",
                    at_key=True,
                )
            else:
                variables_seen[variable] = (site, key)
        variation_seen: set[str] = set()
        for index, variation in enumerate(site.data.get("variations") or []):
            if variation["key"] in variation_seen:
                yield site.problem(
                    ["variations", index, "key"],
                    f"variation key '{variation['key']}' appears twice in flag '{key}'",
                )
            variation_seen.add(variation["key"])


def _at(site: FlagSite) -> str:
    line, col = site.document.locate(["flags", site.index, "key"])
    return f"{site.document.name}:{line}:{col}"


def _variation_values(site: FlagSite) -> Iterator[Problem]:
    """Every variation gives every variable a value of the variable's type, and nothing else."""
    variables: dict[str, Any] = site.data.get("variables") or {}
    for index, variation in enumerate(site.data.get("variations") or []):
        values: dict[str, Any] = variation.get("values") or {}
        name = variation["key"]
        for variable, spec in variables.items():
            if variable not in values:
                yield site.problem(
                    ["variations", index],
                    f"variation '{name}' has no value for variable '{variable}'",
                )
                continue
            expected = spec["type"]
            if not value_matches(expected, values[variable]):
                yield site.problem(
                    ["variations", index, "values", variable],
                    f"variable '{variable}' is {expected}, but variation '{name}' gives "
                    f"{_describe_value(values[variable])}",
                )
        for extra in values:
            if extra not in variables:
                hint = did_you_mean(extra, list(variables))
                yield site.problem(
                    ["variations", index, "values", extra],
                    f"variation '{name}' sets '{extra}', which is not a variable of flag "
                    f"'{site.data['key']}'{hint}",
                    at_key=True,
                )


def value_matches(variable_type: str, value: Any) -> bool:
    """Whether `value` is a valid value of a variable of `variable_type`."""
    if variable_type == "Boolean":
        return isinstance(value, bool)
    if variable_type == "Number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if variable_type == "String":
        return isinstance(value, str)
    return isinstance(value, dict)  # JSON variables hold a JSON object


def _describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"{value} (a number)"
    if isinstance(value, str):
        return f"'{value}' (a string)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing"


def _environments(site: FlagSite, environments: list[str]) -> Iterator[Problem]:
    variations = [variation["key"] for variation in site.data.get("variations") or []]
    for env, config in (site.data.get("environments") or {}).items():
        if env not in environments:
            hint = did_you_mean(env, environments)
            yield site.problem(
                ["environments", env],
                f"environment '{env}' is not in the workspace (it declares: "
                f"{', '.join(environments)}){hint}",
                at_key=True,
            )
        targets = config.get("targets") or []
        for index, target in enumerate(targets):
            base: list[str | int] = ["environments", env, "targets", index]
            if "serve" in target:
                yield from _serve(site, base, target["serve"], variations)
            yield from audience_problems(site, base, target.get("audience"))
            if "rollout" in target:
                yield from _rollout(site, [*base, "rollout"], target["rollout"])


def _serve(
    site: FlagSite, base: list[str | int], serve: Any, variations: list[str]
) -> Iterator[Problem]:
    split = {serve: SPLIT_TOTAL} if isinstance(serve, str) else serve
    for variation in split:
        if variation not in variations:
            known = ", ".join(variations) if variations else "none declared"
            yield site.problem(
                [*base, "serve"] + ([] if isinstance(serve, str) else [variation]),
                f"serves '{variation}', which is not a variation of flag '{site.data['key']}' "
                f"(variations: {known}){did_you_mean(variation, variations)}",
                at_key=not isinstance(serve, str),
            )
    total = exact_sum(split.values())
    if total != SPLIT_TOTAL:
        yield site.problem(
            [*base, "serve"], f"split adds up to {total:f} %, it must be exactly 100 %"
        )


def exact_sum(numbers: Iterable[Any]) -> Decimal:
    """The sum of percentages as written (`33.3 + 33.3 + 33.4` is exactly 100), where floats
    would be off by a rounding error, and a tolerance would let 99.9999999 pass as 100 and
    leave a share of users served nothing."""
    return sum((Decimal(repr(number)) for number in numbers), Decimal(0)).normalize()


def audience_problems(
    site: Site, base: list[str | int], audience: Any, name: str = "audience"
) -> Iterator[Problem]:
    """The checks of each filter of an audience at `[*base, name]` (a reusable audience's is
    its `filters`), nested groups included."""
    if not isinstance(audience, dict):
        return
    for match, filters in audience.items():
        yield from _filter_list(site, [*base, name, match], filters)


def _filter_list(
    site: Site, prefix: list[str | int], filters: Any, depth: int = 1
) -> Iterator[Problem]:
    """The checks of a group's filters; `depth` counts the groups around them."""
    if depth > MAX_AUDIENCE_DEPTH:
        yield site.problem(
            prefix,
            f"audience groups (`all` / `any`) nest at most {MAX_AUDIENCE_DEPTH} levels deep: "
            "flatten this one, or declare part of it as a reusable audience",
        )
        return
    for index, item in enumerate(filters):
        for field, condition in item.items():
            path = [*prefix, index, field]
            if field in ("all", "any"):
                yield from _filter_list(site, path, condition, depth + 1)
            elif field == "custom":
                yield from _custom(site, path, condition)
            elif field in ("app_version", "platform_version"):
                for where, value in _located_values(condition):
                    if not _VERSION.match(str(value)):
                        yield site.problem(
                            path + where, f"{field} '{value}' is not a version like 2.1.0"
                        )
            elif field == "country":
                for where, value in _located_values(condition):
                    if where[0] in ("is", "is_not") and not _COUNTRY.match(str(value)):
                        yield site.problem(
                            path + where,
                            f"country '{value}' is not an ISO 3166-1 alpha-2 code "
                            "(two capital letters, like US)",
                        )


def _located_values(condition: dict[str, Any]) -> list[tuple[list[str | int], Any]]:
    """Each compared value of a condition with its path below the condition."""
    found: list[tuple[list[str | int], Any]] = []
    for operator, value in condition.items():
        if operator in _CUSTOM_META or operator == "exists":
            continue
        if isinstance(value, list):
            found.extend(([operator, index], item) for index, item in enumerate(value))
        else:
            found.append(([operator], value))
    return found


def _condition_values(condition: dict[str, Any]) -> list[Any]:
    return [value for _, value in _located_values(condition)]


def _custom(site: Site, path: list[str | int], condition: dict[str, Any]) -> Iterator[Problem]:
    operators = [name for name in condition if name not in _CUSTOM_META]
    if len(operators) != 1:
        yield site.problem(
            path,
            f"a custom condition takes `key`, an optional `type`, and exactly one comparison "
            f"(got {len(operators)})",
        )
        return
    declared = condition.get("type")
    values = _condition_values(condition)
    kinds = {custom_type(value) for value in values}
    if len(kinds) > 1:
        yield site.problem(path, f"custom property '{condition['key']}' mixes value types")
    elif declared and kinds and declared not in kinds:
        yield site.problem(
            path,
            f"custom property '{condition['key']}' is {declared}, but the values are {kinds.pop()}",
        )
    if operators[0] in ("gt", "gte", "lt", "lte") and (declared or next(iter(kinds), "")) not in (
        "Number",
        "",
    ):
        yield site.problem(path, f"'{operators[0]}' compares numbers: use Number values")


def custom_type(value: Any) -> str:
    """The vendor type of a custom data value: Boolean, Number or String."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Number"
    return "String"


def _rollout(site: FlagSite, path: list[str | int], rollout: dict[str, Any]) -> Iterator[Problem]:
    start = parse_time(rollout["start"])
    if start is None:
        yield site.problem([*path, "start"], _bad_time(rollout["start"]))
    previous = start
    for index, stage in enumerate(rollout.get("stages") or []):
        at = parse_time(stage["at"])
        if at is None:
            yield site.problem([*path, "stages", index, "at"], _bad_time(stage["at"]))
            continue
        if previous is not None and at <= previous:
            yield site.problem(
                [*path, "stages", index, "at"],
                "rollout stages must be later than the start and than the stage before",
            )
        previous = at
    if rollout["type"] in ("gradual", "stepped") and not rollout.get("stages"):
        yield site.problem(path, f"a {rollout['type']} rollout needs at least one stage")


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 date-time, or None when it is not one (a time zone is required)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _bad_time(value: Any) -> str:
    return f"'{value}' is not a date-time with a time zone, like 2026-12-01T09:00:00Z"
