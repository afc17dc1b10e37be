"""PostHog's person and group property operators, as its SDKs match them locally.

Each manifest filter is compiled once into a predicate over a user's properties, following
what flagsync writes for it (`translate._property_body`) and how posthog-python matches that
(feature_flags.py `match_property`, `_match_exact_property`, `_match_text_property`,
`_match_numeric_property`, `_match_semver_property`, `_match_date_property`, `parse_semver`,
`relative_date_parse_for_feature_flag_matching`). A predicate raises `Inconclusive` where the SDK
cannot decide locally (a property the user context lacks, a value it cannot compare, an
operator it leaves to the server).
"""

from __future__ import annotations

import calendar
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from reconciler.model import Filter
from reconciler.providers.posthog.regex_match import Deferred, pattern_supported, regex_search

Properties = Mapping[str, Any]
Predicate = Callable[[Properties], bool]

MISSING_CONTEXT = "missing_context"
UNSUPPORTED = "unsupported_definition"


class Inconclusive(Exception):
    """PostHog's SDK cannot decide this filter locally (it would ask PostHog's server)."""

    def __init__(self, message: str, kind: str = UNSUPPORTED) -> None:
        super().__init__(message)
        self.kind = kind


# ---------------------------------------------------------------------------------------------
# values as the SDK turns them into text (`_value_to_string`)


def _json_float(value: float, kind: str) -> str:
    if not math.isfinite(value):
        raise Inconclusive("a non-finite number cannot be compared", kind)
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent_text = text.split("e")
    exponent = int(exponent_text)
    if -6 < exponent < 0:
        return format(Decimal(text), "f")
    return f"{mantissa}e{'+' if exponent >= 0 else ''}{exponent}"


def _json_text(value: Any, kind: str) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_json_text(item, kind) for item in value) + "]"
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise Inconclusive("object keys must be strings", kind)
        items = (
            f"{json.dumps(key, ensure_ascii=False)}:{_json_text(value[key], kind)}"
            for key in sorted(value)
        )
        return "{" + ",".join(items) + "}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(value, kind)
    raise Inconclusive(f"a {type(value).__name__} value is not JSON", kind)


def as_text(value: Any, kind: str = MISSING_CONTEXT) -> str:
    return value if isinstance(value, str) else _json_text(value, kind)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _truthy_or_falsy(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, str):
        return value.lower() in ("true", "false")
    if isinstance(value, list):
        return all(_truthy_or_falsy(item) for item in value)
    return False


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    if isinstance(value, list):
        return all(_truthy(item) for item in value)
    return False


_NUMERIC = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None
    if isinstance(value, str) and not _NUMERIC.fullmatch(value):
        return None
    try:
        parsed = float(value)
    except (ValueError, OverflowError):
        return None
    return parsed if math.isfinite(parsed) else None


# ---------------------------------------------------------------------------------------------
# versions and dates


def _semver_part(part: str) -> int:
    if not part or not part.isdigit() or (len(part) > 1 and part[0] == "0"):
        raise ValueError(part)
    return int(part)


def parse_semver(value: Any) -> tuple[int, int, int]:
    text = str(value).strip().lstrip("vV").split("-")[0].split("+")[0]
    parts = text.split(".")
    if not parts or not parts[0]:
        raise ValueError(value)
    major = _semver_part(parts[0])
    minor = _semver_part(parts[1]) if len(parts) > 1 and parts[1] else 0
    patch = _semver_part(parts[2]) if len(parts) > 2 and parts[2] else 0
    return major, minor, patch


Version = tuple[int, int, int]


def _semver_bounds(operator: str, value: str) -> tuple[Version, Version]:
    if operator == "semver_wildcard":
        cleaned = str(value).strip().lstrip("vV").replace("*", "").rstrip(".")
        parts = [_semver_part(p) for p in cleaned.split(".") if p]
        if not parts:
            raise ValueError(value)
        if len(parts) == 1:
            return (parts[0], 0, 0), (parts[0] + 1, 0, 0)
        if len(parts) == 2:
            return (parts[0], parts[1], 0), (parts[0], parts[1] + 1, 0)
        return (parts[0], parts[1], parts[2]), (parts[0], parts[1], parts[2] + 1)
    major, minor, patch = parse_semver(value)
    if operator == "semver_tilde":
        return (major, minor, patch), (major, minor + 1, 0)
    if major > 0:
        return (major, minor, patch), (major + 1, 0, 0)
    if minor > 0:
        return (major, minor, patch), (0, minor + 1, 0)
    return (major, minor, patch), (0, 0, patch + 1)


def parse_datetime(value: str) -> datetime:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif text.upper().endswith(" UTC"):
        text = text[:-4] + "+00:00"
    elif re.fullmatch(r"\d{4}", text):
        now = datetime.now()
        return datetime(int(text), now.month, now.day)
    text = re.sub(r" ([+-]\d{2}:\d{2})$", r"\1", text)
    return datetime.fromisoformat(text)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _months_ago(now: datetime, months: int) -> datetime | None:
    current = now.year * 12 + now.month - 1
    target = current - months
    year, month = target // 12, target % 12 + 1
    if not 1 <= year <= 9999:
        return None
    day = now.day
    for index in range(current - 1, target - 1, -1):
        if day <= 28:
            break
        day = min(day, calendar.monthrange(index // 12, index % 12 + 1)[1])
    return now.replace(year=year, month=month, day=day)


def _relative_date(value: str) -> datetime | None:
    found = re.search(r"^-?(?P<number>[0-9]+)(?P<interval>[a-z])$", value)
    if not found:
        return None
    number, interval = int(found.group("number")), found.group("interval")
    if number >= 10_000:
        return None
    now = datetime.now(UTC)
    if interval in "hdw":
        unit = {"h": "hours", "d": "days", "w": "weeks"}[interval]
        return now - timedelta(**{unit: number})
    if interval == "m":
        return _months_ago(now, number)
    if interval == "y":
        year = now.year - number
        if not 1 <= year <= 9999:
            return None
        day = 28 if number > 0 and (now.month, now.day) == (2, 29) else now.day
        return now.replace(year=year, day=day)
    return None


def filter_date(value: Any) -> datetime:
    """The date a filter names (relative dates resolve now, as the SDK's do on every call)."""
    try:
        parsed = _relative_date(str(value)) or _aware(parse_datetime(str(value)))
    except Exception as error:
        raise Inconclusive("the date set on the flag is not a valid format") from error
    return parsed


# ---------------------------------------------------------------------------------------------
# one filter -> predicate


def _present(key: str, props: Properties) -> Any:
    if key not in props:
        raise Inconclusive(f"property '{key}' is not in the user context", MISSING_CONTEXT)
    return props[key]


def _exact(values: list[Any]) -> Callable[[Any], bool]:
    if values == []:
        return _truthy
    if _truthy_or_falsy(values):
        wanted = _truthy(values)
        return lambda actual: _truthy(actual) == wanted
    candidates = {as_text(v, UNSUPPORTED).lower() for v in values}
    return lambda actual: as_text(actual).lower() in candidates


def _text_predicate(key: str, operator: str, needle: str) -> Predicate:
    lowered = needle.translate(_ASCII_LOWER)

    def check(props: Properties) -> bool:
        actual = as_text(_present(key, props)).translate(_ASCII_LOWER)
        matched = lowered in actual
        return not matched if operator == "not_icontains" else matched

    return check


def _numeric_predicate(key: str, operator: str, value: str) -> Predicate:
    wanted = _number(value)
    compare: Callable[[float, float], bool] = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }[operator]

    def check(props: Properties) -> bool:
        actual = _present(key, props)
        if wanted is None:
            raise Inconclusive("the numeric condition is not a finite number")
        parsed = _number(actual)
        return parsed is not None and compare(parsed, wanted)

    return check


def _semver_predicate(key: str, operator: str, value: str) -> Predicate:
    try:
        bounds: Any = (
            _semver_bounds(operator, value)
            if operator in ("semver_tilde", "semver_caret", "semver_wildcard")
            else parse_semver(value)
        )
    except (ValueError, TypeError):
        bounds = None

    def check(props: Properties) -> bool:
        actual = _present(key, props)
        if actual is None:
            return False
        if bounds is None:
            raise Inconclusive(f"'{value}' is not a version PostHog compares")
        try:
            version = parse_semver(actual)
        except (ValueError, TypeError) as error:
            raise Inconclusive(f"'{actual}' is not a version", MISSING_CONTEXT) from error
        if isinstance(bounds[0], tuple):
            return bool(bounds[0] <= version < bounds[1])
        return {
            "semver_eq": version == bounds,
            "semver_neq": version != bounds,
            "semver_gt": version > bounds,
            "semver_gte": version >= bounds,
            "semver_lt": version < bounds,
            "semver_lte": version <= bounds,
        }[operator]

    return check


def _date_predicate(key: str, operator: str, value: str) -> Predicate:
    def check(props: Properties) -> bool:
        actual = _present(key, props)
        if actual is None:
            return False
        wanted = filter_date(value)
        if not isinstance(actual, str):
            raise Inconclusive("a date must be given as text", MISSING_CONTEXT)
        try:
            parsed = _aware(parse_datetime(actual))
            return parsed < wanted if operator == "date_before" else parsed > wanted
        except Exception as error:
            raise Inconclusive(f"'{actual}' is not a date", MISSING_CONTEXT) from error

    return check


def _regex_predicate(key: str, operator: str, pattern: str) -> Predicate:
    def check(props: Properties) -> bool:
        actual = _present(key, props)  # None is matched as the text "null", as the SDK does
        try:
            found = regex_search(pattern, as_text(actual))
        except Deferred as error:
            raise Inconclusive(
                f"pattern '{pattern}' is left to PostHog's server by its SDK"
            ) from error
        if found is None:
            return False
        return not found if operator == "not_matches" else found

    return check


def _exists_predicate(key: str, exists: bool) -> Predicate:
    def check(props: Properties) -> bool:
        _present(key, props)
        return exists

    return check


def _unsupported(message: str) -> Predicate:
    def check(props: Properties) -> bool:
        raise Inconclusive(message)

    return check


def property_predicate(item: Filter) -> Predicate:
    """The predicate of a person or group filter, as the SDK matches what flagsync writes."""
    key = str(item.data_key)
    values = list(item.values)
    comparator = item.comparator
    if comparator in ("is", "is_not"):
        exact = _exact(values)
        negate = comparator == "is_not"

        def check(props: Properties) -> bool:
            actual = _present(key, props)
            if isinstance(actual, float | list | dict):
                as_text(actual)  # the SDK turns it into text first, and gives up on NaN
            matched = exact(actual)
            return not matched if negate else matched

        return check
    if comparator in ("contains", "not_contains"):
        if len(values) != 1:
            operator = "icontains_multi" if comparator == "contains" else "not_icontains_multi"
            return _unsupported(f"PostHog's SDK does not evaluate '{operator}' locally")
        operator = "icontains" if comparator == "contains" else "not_icontains"
        return _text_predicate(key, operator, str(values[0]))
    if comparator in ("gt", "gte", "lt", "lte"):
        return _numeric_predicate(key, comparator, str(values[0]))
    if comparator.startswith("semver_"):
        return _semver_predicate(key, comparator, str(values[0]))
    if comparator in ("date_before", "date_after"):
        return _date_predicate(key, comparator, str(values[0]))
    if comparator in ("matches", "not_matches"):
        pattern = str(values[0])
        if not pattern_supported(pattern):
            return _unsupported(f"pattern '{pattern}' is left to PostHog's server by its SDK")
        return _regex_predicate(key, comparator, pattern)
    if comparator in ("exists", "not_exists"):
        return _exists_predicate(key, comparator == "exists")
    return _unsupported(f"PostHog cannot compare with '{comparator}'")
