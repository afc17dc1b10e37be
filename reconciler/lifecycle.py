"""A flag's life as its manifest states it: who owns it, and when it should be gone.

`expires` is a date (YYYY-MM-DD) kept in Git only; a flag is *expired* from the day after
that date (on the date itself it is still due, not past). Dates are compared in UTC, so CI
and a laptop agree on the day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any


def today() -> date:
    return datetime.now(UTC).date()


def expiry(meta: dict[str, Any]) -> date | None:
    """The flag's `expires` as a date (None when absent or not a real date)."""
    value = meta.get("expires")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def is_expired(meta: dict[str, Any], on: date | None = None) -> bool:
    when = expiry(meta)
    return when is not None and when < (on or today())


def expires_within(meta: dict[str, Any], days: int, on: date | None = None) -> bool:
    """Not expired yet, and due within `days` days (the date itself included)."""
    when, now = expiry(meta), on or today()
    return when is not None and now <= when <= now + timedelta(days=days)
