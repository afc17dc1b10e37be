"""The values PostHog's semver and date operators accept, checked before anything is sent.

PostHog evaluates a flag both on its servers and in the SDKs' local evaluation; a value the
SDKs cannot parse makes the flag inconclusive there (posthog-python `_parse_semver_filter`,
`_parse_date_filter`). flagsync therefore accepts exactly what they parse:

- a version: optional `v`, then MAJOR[.MINOR[.PATCH]] of numbers without leading zeros, with
  any `-prerelease` / `+build` suffix ignored (missing parts are 0);
- a wildcard (`semver_wildcard`): MAJOR, MAJOR.MINOR or MAJOR.MINOR.PATCH followed by `.*`;
- a date: an ISO 8601 date or date-time, or a relative one such as `-7d` (hours, days, weeks,
  months, years: h, d, w, m, y).
"""

from __future__ import annotations

import re
from datetime import datetime

SEMVER_OPERATORS = (
    "semver_eq",
    "semver_neq",
    "semver_gt",
    "semver_gte",
    "semver_lt",
    "semver_lte",
    "semver_tilde",
    "semver_caret",
    "semver_wildcard",
)
DATE_OPERATORS = {"date_before": "is_date_before", "date_after": "is_date_after"}
"""Manifest comparator -> PostHog operator."""
_RELATIVE_DATE = re.compile(r"^-?[0-9]+[hdwmy]$")


def _number(part: str) -> int:
    if not part.isdigit() or (len(part) > 1 and part[0] == "0"):
        raise ValueError(f"'{part}' is not a version number (digits, no leading zero)")
    return int(part)


def parse_version(text: str) -> tuple[int, int, int]:
    """(major, minor, patch) of a version, or ValueError saying why not."""
    core = text.strip().lstrip("vV").split("-")[0].split("+")[0]
    parts = core.split(".")
    if not parts[0] or len(parts) > 3:
        raise ValueError("expected MAJOR[.MINOR[.PATCH]], e.g. 2.4.0")
    numbers = [_number(part) for part in parts if part] + [0, 0]
    return numbers[0], numbers[1], numbers[2]


def version_problem(operator: str, value: object) -> str | None:
    """Why `value` is not what `operator` takes, or None."""
    if not isinstance(value, str):
        return 'a version is written as text, e.g. "2.4.0" (quote it)'
    try:
        if operator == "semver_wildcard":
            cleaned = value.strip().lstrip("vV").replace("*", "").rstrip(".")
            parts = [part for part in cleaned.split(".") if part]
            if not parts or len(parts) > 3:
                raise ValueError("expected MAJOR.*, MAJOR.MINOR.* or MAJOR.MINOR.PATCH.*")
            for part in parts:
                _number(part)
        else:
            parse_version(value)
    except ValueError as error:
        return f"not a version PostHog can compare: {error}"
    return None


def date_problem(value: object) -> str | None:
    """Why `value` is not a date PostHog's date operators take, or None."""
    text = str(value).strip() if isinstance(value, str) else None
    if text is None:
        return 'a date is written as text, e.g. "2026-01-31" or "-7d"'
    if _RELATIVE_DATE.match(text):
        return None
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return "not a date: write an ISO date (2026-01-31, 2026-01-31T12:00:00Z) or -7d"
    return None
