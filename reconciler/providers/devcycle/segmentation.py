"""Who is in a DevCycle audience: filters and operators compiled to predicates over a user, with
the semantics of the vendor's bucketing library, which its server SDKs run as WASM.

Ported from DevCycleHQ/js-sdks, lib/shared/bucketing-assembly-script/assembly/bucketing/
segmentation.ts (`_evaluateOperator`, `doesUserPassFilter`, `filterForAudienceMatch`,
`_checkStringsFilter`, `_checkNumberFilter`, `_checkBooleanFilter`, `_checkVersionFilters`,
`checkVersionFilter`, `_checkCustomData`), versionCompare.ts, helpers/lodashHelpers.ts and
types/targetV2.ts (`UserFilter.compileValues`). The vendor's quirks are kept, because the SDK
has them: in an `and`, the first nested group decides alone (the filters after it are not
read); an empty group matches no one; `contains ""` matches any string, `starts_with ""`
none; a missing custom property passes `is_not` but not `not_contains`; an audience reference
to an unknown audience fails whatever its comparator.

Filters are compiled once per flag, so evaluating a user is a chain of closure calls.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.model import Audience, Filter, Scalar
from reconciler.providers.devcycle import audience_columns as columns
from reconciler.providers.devcycle.translate import COMPARATORS


@dataclass(slots=True)
class SdkUser:
    """A user as the bucketing library sees it (`DVCPopulatedUser`): its string fields (None
    when absent) and its custom data with the private custom data merged over it.

    `platform` and `platform_version` are the SDK's own (`PlatformData`: the Python server SDK
    sends "Python" and the interpreter's version), not the user's."""

    user_id: str
    email: str | None = None
    country: str | None = None
    device_model: str | None = None
    app_version: str | None = None
    platform: str | None = None
    platform_version: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    seen: dict[int, bool] = field(default_factory=dict)
    """Audiences already evaluated for this user (by the compiler's number for each): flags
    share audiences (staff, beta testers, a reusable audience), so each is read once."""


Predicate = Callable[[SdkUser], bool]
MISSING: Any = object()

_STRING_FIELDS: dict[str, Callable[[SdkUser], str | None]] = {
    "user_id": lambda user: user.user_id,
    "email": lambda user: user.email,
    "country": lambda user: user.country,
    "device_model": lambda user: user.device_model,
    "platform": lambda user: user.platform,
}
_VERSION_FIELDS: dict[str, Callable[[SdkUser], str | None]] = {
    "app_version": lambda user: user.app_version,
    "platform_version": lambda user: user.platform_version,
}
PLATFORM_FIELDS = frozenset({"platform", "platform_version"})
"""Fields whose value the SDK supplies, not the user (see `SdkUser`)."""


def _never(user: SdkUser) -> bool:
    return False


def _always(user: SdkUser) -> bool:
    return True


columns.attach(_never, columns.constant(False))
columns.attach(_always, columns.constant(True))


@dataclass
class Compiler:
    """Compiles audiences against the project's reusable audiences (by key). A reference to an
    audience is resolved when evaluated, so audiences may name each other in any order."""

    audiences: Mapping[str, Audience]
    _compiled: dict[str, Predicate] = field(default_factory=dict)
    _shared: dict[Audience, Predicate] = field(default_factory=dict)

    def audience(self, audience: Audience) -> Predicate:
        """A target's audience: everyone, or its filters under its operator. Equal audiences
        get one predicate, whose answer each user remembers (`SdkUser.seen`)."""
        if audience.is_everyone:
            return _always  # written as `{operator: and, filters: [{type: all}]}`
        found = self._shared.get(audience)
        if found is None:
            found = self._shared[audience] = _remembered(
                self._operator(audience.match, audience.filters), len(self._shared)
            )
        return found

    def reusable(self, key: str) -> Predicate | None:
        if key not in self._compiled:
            found = self.audiences.get(key)
            if found is None:
                return None
            self._compiled[key] = _never  # a reference cycle: the SDK would not end either
            self._compiled[key] = self.audience(found)
        return self._compiled[key]

    def _operator(self, match: str, filters: tuple[Filter, ...]) -> Predicate:
        if not filters:
            return _never  # `_evaluateOperator`: no filters, no match
        if match == "any":
            return _any_of([self._filter(item) for item in filters])
        before: list[Predicate] = []
        for item in filters:
            if item.filters is not None:
                # `and`: the first nested group's answer is the operator's answer.
                return _all_of([*before, self._filter(item)])
            before.append(self._filter(item))
        return _all_of(before)

    def _filter(self, item: Filter) -> Predicate:
        if item.filters is not None:
            return self._operator("any" if item.field == "any" else "all", item.filters)
        if item.field == "audience":
            return self._audience_match(item)
        symbol = COMPARATORS.get(item.comparator)
        if symbol is None:
            return _never  # not a DevCycle comparator: the SDK ignores the filter (no match)
        if item.field in _STRING_FIELDS or item.field in _VERSION_FIELDS:
            if item.field in _STRING_FIELDS:
                getter = _STRING_FIELDS[item.field]
                check = string_check(symbol, item.values)
            else:
                getter = _VERSION_FIELDS[item.field]
                check = version_check(symbol, item.values)
            predicate: Predicate = lambda user: check(getter(user))  # noqa: E731
            columns.attach(
                predicate,
                lambda table: columns.by_value(check, table.values(item.field, getter)),
            )
            return predicate
        if item.field == "custom":
            return custom_check(symbol, item.data_key or "", item.data_key_type, item.values)
        return _never

    def _audience_match(self, item: Filter) -> Predicate:
        keys = [str(key) for key in item.values]
        matched = item.comparator != "is_not"

        def check(user: SdkUser) -> bool:
            for key in keys:
                member = self.reusable(key)
                if member is None:
                    return False  # "Invalid audience referenced by audienceMatch filter"
                if member(user):
                    return matched
            return not matched

        def column(table: columns.UserTable) -> columns.Column:
            found = [not matched] * len(table.users)
            open_ = list(range(len(table.users)))  # the users no audience has decided yet
            for key in keys:
                member = self.reusable(key)
                if member is None:
                    for i in open_:
                        found[i] = False
                    return found
                held = table.column(member)
                for i in open_:
                    if held[i]:
                        found[i] = matched
                open_ = [i for i in open_ if not held[i]]
            return found

        columns.attach(check, column)
        return check


def _remembered(predicate: Predicate, number: int) -> Predicate:
    def remembered(user: SdkUser) -> bool:
        answer = user.seen.get(number)
        if answer is None:
            answer = user.seen[number] = predicate(user)
        return answer

    columns.attach(remembered, lambda table: table.column(predicate), shared=True)
    return remembered


def _all_of(members: list[Predicate]) -> Predicate:
    """`and` of predicates, unrolled for the common short cases (evaluation's hot path)."""
    if len(members) == 1:
        return members[0]
    if len(members) == 2:
        first, second = members
        both: Predicate = lambda user: first(user) and second(user)  # noqa: E731
        columns.attach(both, columns.all_of(members))
        return both

    def every(user: SdkUser) -> bool:
        for member in members:  # noqa: SIM110 - a loop is quicker than all() on a generator
            if not member(user):
                return False
        return True

    columns.attach(every, columns.all_of(members))
    return every


def _any_of(members: list[Predicate]) -> Predicate:
    if len(members) == 1:
        return members[0]
    if len(members) == 2:
        first, second = members
        either: Predicate = lambda user: first(user) or second(user)  # noqa: E731
        columns.attach(either, columns.any_of(members))
        return either

    def some(user: SdkUser) -> bool:
        for member in members:  # noqa: SIM110 - a loop is quicker than any() on a generator
            if member(user):
                return True
        return False

    columns.attach(some, columns.any_of(members))
    return some


# ---------------------------------------------------------------------------------------------
# filter values and comparisons


@dataclass(frozen=True)
class Values:
    """A filter's values as `UserFilter.compileValues` keeps them: all of the first value's
    type (string, boolean or number), the others dropped."""

    strings: tuple[str, ...] = ()
    booleans: tuple[bool, ...] = ()
    numbers: tuple[float, ...] = ()


def compile_values(values: tuple[Scalar, ...]) -> Values:
    if not values:
        return Values()
    first = values[0]
    if isinstance(first, bool):
        return Values(booleans=tuple(v for v in values if isinstance(v, bool)))
    if isinstance(first, str):
        return Values(strings=tuple(v for v in values if isinstance(v, str)))
    numbers = (float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool))
    return Values(numbers=tuple(n for n in numbers if not math.isnan(n)))


def string_check(symbol: str, values: tuple[Scalar, ...]) -> Callable[[str | None], bool]:
    """`_checkStringsFilter` for one comparator and the filter's values."""
    strings = compile_values(values).strings
    wanted = frozenset(strings)
    if symbol == "=":
        return lambda s: s is not None and s in wanted
    if symbol == "!=":
        return lambda s: s is not None and s not in wanted
    if symbol == "exist":
        return lambda s: s is not None and s != ""
    if symbol == "!exist":
        return lambda s: s is None or s == ""
    if symbol == "contain":
        return lambda s: s is not None and any(v in s for v in strings)
    if symbol == "!contain":
        return lambda s: s is None or not any(v in s for v in strings)
    prefixes = tuple(v for v in strings if v)  # an empty prefix or suffix matches nothing
    if symbol == "startWith":
        return lambda s: s is not None and bool(prefixes) and s.startswith(prefixes)
    if symbol == "!startWith":
        return lambda s: s is None or not (prefixes and s.startswith(prefixes))
    if symbol == "endWith":
        return lambda s: s is not None and bool(prefixes) and s.endswith(prefixes)
    if symbol == "!endWith":
        return lambda s: s is None or not (prefixes and s.endswith(prefixes))
    return lambda s: True  # `isString(string)`: true at compile time for any other comparator


def number_check(symbol: str, values: tuple[Scalar, ...]) -> Callable[[float], bool]:
    """`_checkNumberFilter` for a number that exists (custom data)."""
    numbers = compile_values(values).numbers
    if symbol == "!=":
        return lambda n: all(n != v for v in numbers)
    compare: Callable[[float, float], bool] | None = {
        "=": lambda n, v: n == v,
        ">": lambda n, v: n > v,
        ">=": lambda n, v: n >= v,
        "<": lambda n, v: n < v,
        "<=": lambda n, v: n <= v,
    }.get(symbol)
    if compare is None:
        return lambda n: False
    return lambda n: any(compare(n, v) for v in numbers)


def boolean_check(symbol: str, values: tuple[Scalar, ...]) -> Callable[[bool], bool]:
    """`_checkBooleanFilter`."""
    booleans = compile_values(values).booleans
    if symbol in ("=", "contain"):
        return lambda b: b in booleans
    if symbol in ("!=", "!contain"):
        return lambda b: b not in booleans
    return lambda b: symbol == "exist"


def _exists(value: Any) -> bool:
    """`checkValueExists`: a non-empty string, a number that is not NaN, or a boolean."""
    if isinstance(value, str):
        return value != ""
    if isinstance(value, bool | int):
        return True
    if isinstance(value, float):
        return not math.isnan(value)
    return False


def custom_check(
    symbol: str, key: str, data_type: str | None, values: tuple[Scalar, ...]
) -> Predicate:
    """`_checkCustomData`: the property's value must have the filter's data type, except that
    a missing property passes `!=`."""
    if symbol == "exist":
        of_value: Callable[[Any], bool] = _exists
    elif symbol == "!exist":
        of_value = lambda value: not _exists(value)  # noqa: E731
    else:
        strings = string_check(symbol, values)
        numbers = number_check(symbol, values)
        booleans = boolean_check(symbol, values)
        missing_passes = symbol == "!="

        def of_value(value: Any) -> bool:
            if value is MISSING:
                return missing_passes
            if data_type == "String" and (value is None or isinstance(value, str)):
                return strings(value)
            if (
                data_type == "Number"
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ):
                return numbers(float(value))
            if data_type == "Boolean" and isinstance(value, bool):
                return booleans(value)
            return False

    def check(user: SdkUser) -> bool:
        return of_value(user.custom.get(key, MISSING))

    def read(user: SdkUser) -> Any:
        return user.custom.get(key, MISSING)

    def column(table: columns.UserTable) -> columns.Column:
        name = ("custom", key)
        keys = table.keys(name, read)
        return columns.by_typed_value(of_value, keys, table.values(name, read))

    columns.attach(check, column)
    return check


# ---------------------------------------------------------------------------------------------
# versions

_NOT_VERSION = re.compile(r"[^(0-9|.|\-)]")
_HYPHEN_TAIL = re.compile(r"-.*")
_DIGITS = re.compile(r"^[0-9]+$")
_PLAIN = re.compile(r"^[0-9.]*$")
"""A version the stripping regexes leave as it is (they find nothing in it)."""


class _GlobalRegex:
    """A JavaScript regex with the `g` flag, as `replace` in lodashHelpers.ts uses it: `exec`
    continues from `lastIndex`, which one match leaves at its end and a miss resets to 0, and
    the first occurrence of the matched text is removed (`String.replace` with a string)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.last_index = 0

    def remove_first(self, text: str) -> str:
        found = self.pattern.search(text, self.last_index) if self.last_index <= len(text) else None
        if found is None:
            self.last_index = 0
            return text
        self.last_index = found.end()
        return text.replace(found.group(0), "", 1)


def _semantic(version: str) -> str:
    """`convertToSemanticVersion`: at least three parts, empty parts read as 0."""
    parts = version.split(".")
    while len(parts) < 3:
        parts.append("0")
    return ".".join(part or "0" for part in parts)


def compare_versions(v1: str, v2: str) -> float:
    """`versionCompare` with zeroExtend: 1, 0, -1, or NaN when a part is not all digits."""
    parts1, parts2 = v1.split("."), v2.split(".")
    if not all(_DIGITS.match(p) for p in parts1) or not all(_DIGITS.match(p) for p in parts2):
        return math.nan
    parts1 += ["0"] * (len(parts2) - len(parts1))
    parts2 += ["0"] * (len(parts1) - len(parts2))
    for a, b in zip(parts1, parts2, strict=True):
        x, y = float(int(a)), float(int(b))
        if x != y:
            return 1 if x > y else -1
    return 0


def _version_value(filter_version: str, version: str, symbol: str) -> bool:
    """`checkVersionValue`."""
    if not version or not filter_version:
        return False
    result = compare_versions(version, filter_version)
    if math.isnan(result):
        return False
    return (
        (result == 0 and "=" in symbol)
        or (result == 1 and ">" in symbol)
        or (result == -1 and "<" in symbol)
    )


def version_check(symbol: str, values: tuple[Scalar, ...]) -> Callable[[str | None], bool]:
    """`_checkVersionFilters`: `=` compares strings; the rest compare dotted numbers, after
    stripping what is not a digit or a dot (`checkVersionFilter`)."""
    if symbol == "=":
        return string_check(symbol, values)
    strings = compile_values(values).strings
    negate = symbol == "!="
    plain = all(_PLAIN.match(v) for v in strings)

    def check(version: str | None) -> bool:
        if not version:
            return False
        filter_versions = list(strings)
        if not negate and not (plain and _PLAIN.match(version)):
            odd, tail = _GlobalRegex(_NOT_VERSION), _GlobalRegex(_HYPHEN_TAIL)
            version = tail.remove_first(odd.remove_first(version))
            filter_versions = [tail.remove_first(odd.remove_first(v)) for v in strings]
        version = _semantic(version)
        passed = any(_version_value(v, version, symbol) for v in filter_versions)
        return not passed if negate else passed

    return check
