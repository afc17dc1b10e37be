"""DRF's `DurationField`, which `ApprovalPolicySerializer.expires_after` is.

Input goes through Django's `parse_duration` (`[DD] [[HH:]MM:]ss[.uuuuuu]`, ISO 8601 `P3DT4H`,
or PostgreSQL's `3 days 04:05:06`), output through `duration_string` (`14 00:00:00`: days only
when there are some, microseconds only when there are some).
"""

from __future__ import annotations

import re
from datetime import timedelta

_STANDARD = re.compile(
    r"^(?:(?P<days>-?\d+) (days?, )?)?"
    r"(?P<sign>-?)"
    r"((?:(?P<hours>\d+):)(?=\d+:\d+))?"
    r"(?:(?P<minutes>\d+):)?"
    r"(?P<seconds>\d+)"
    r"(?:[.,](?P<microseconds>\d{1,6})\d{0,6})?$"
)
_ISO = re.compile(
    r"^(?P<sign>[-+]?)P"
    r"(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T"
    r"(?:(?P<hours>\d+(?:[.,]\d+)?)H)?"
    r"(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?"
    r")?$"
)
INVALID = "Duration has wrong format. Use one of these formats instead: [DD] [HH:[MM:]]ss[.uuuuuu]."


def parse_duration(value: object) -> timedelta | None:
    """`DurationField.to_internal_value`: `parse_duration(str(value))`, None when it fails."""
    text = str(value)
    match = _STANDARD.match(text)
    if match:
        parts = match.groupdict()
        micro = (parts.pop("microseconds") or "0").ljust(6, "0")
        sign = -1 if parts.pop("sign") == "-" else 1
        days = timedelta(days=float(parts.pop("days") or 0))
        rest = {k: float(v) for k, v in parts.items() if v is not None and k != "days"}
        rest.pop("", None)
        return days + sign * timedelta(
            hours=rest.get("hours", 0),
            minutes=rest.get("minutes", 0),
            seconds=rest.get("seconds", 0),
            microseconds=int(micro),
        )
    match = _ISO.match(text)
    if match and text not in ("P", "PT"):
        parts = match.groupdict()
        sign = -1 if parts.pop("sign") == "-" else 1
        amounts = {k: float(v.replace(",", ".")) for k, v in parts.items() if v is not None}
        return sign * timedelta(**amounts)
    return None


def duration_string(seconds: float) -> str:
    """Django's `duration_string` of a stored number of seconds."""
    duration = timedelta(seconds=seconds)
    minutes, secs = divmod(duration.seconds, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if duration.days:
        text = f"{duration.days} {text}"
    if duration.microseconds:
        text += f".{duration.microseconds:06d}"
    return text
