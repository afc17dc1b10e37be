"""DRF field coercion: the type checks a PostHog serializer runs before any business rule.

PostHog's write bodies go through Django REST Framework serializers, whose field classes accept
loose input (`"true"` for a boolean, `3` for a string) and reject the rest with fixed messages
and codes. A client that only ever met a strict emulator would never learn those rules, and one
that met a lenient one would pass here and fail in production; so each helper reproduces one
DRF field's `to_internal_value`, message and code included.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .errors import ApiError, validation_error

TRUE_VALUES = frozenset(
    {"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1"}
)
FALSE_VALUES = frozenset(
    {"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0"}
)


def now_iso() -> str:
    """The current time the way DRF renders an aware UTC datetime (`...+00:00` -> `Z`)."""
    return format_datetime(datetime.now(UTC))


def format_datetime(value: datetime) -> str:
    """DRF DateTimeField output: ISO 8601 with `Z` for UTC."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def null_error(attr: str) -> ApiError:
    """DRF's message for null sent to a field that does not allow it."""
    return validation_error("This field may not be null.", attr, "null")


def as_bool(value: Any, attr: str, allow_null: bool = False) -> bool | None:
    """DRF BooleanField: accepts the usual spellings of true/false, 1 and 0."""
    if value is None:
        if allow_null:
            return None
        raise null_error(attr)
    if value is True or value is False:
        return bool(value)
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value in TRUE_VALUES:
        return True
    if isinstance(value, str) and value in FALSE_VALUES:
        return False
    raise validation_error("Must be a valid boolean.", attr, "invalid")


def as_str(
    value: Any,
    attr: str,
    *,
    allow_blank: bool = True,
    allow_null: bool = False,
    max_length: int | None = None,
) -> str | None:
    """DRF CharField: numbers are stringified; bools, lists and objects are rejected."""
    if value is None:
        if allow_null:
            return None
        raise null_error(attr)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise validation_error("Not a valid string.", attr, "invalid")
    text = str(value).strip()
    if text == "" and not allow_blank:
        raise validation_error("This field may not be blank.", attr, "blank")
    if max_length is not None and len(text) > max_length:
        raise validation_error(
            f"Ensure this field has no more than {max_length} characters.", attr, "max_length"
        )
    return text


def as_int(value: Any, attr: str, allow_null: bool = False) -> int | None:
    """DRF IntegerField: integral numbers and numeric strings."""
    if value is None:
        if allow_null:
            return None
        raise null_error(attr)
    if isinstance(value, bool):
        raise validation_error("A valid integer is required.", attr, "invalid")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = float("nan")
        if number.is_integer():
            return int(number)
    raise validation_error("A valid integer is required.", attr, "invalid")


def as_choice(value: Any, attr: str, choices: tuple[str, ...], allow_null: bool = False) -> Any:
    """DRF ChoiceField."""
    if value is None:
        if allow_null:
            return None
        raise null_error(attr)
    if value == "" and allow_null:
        return value
    if not isinstance(value, str) or value not in choices:
        raise validation_error(f'"{value}" is not a valid choice.', attr, "invalid_choice")
    return value


def as_list(value: Any, attr: str, allow_null: bool = False) -> list[Any] | None:
    """DRF ListField."""
    if value is None:
        if allow_null:
            return None
        raise null_error(attr)
    if isinstance(value, str | dict) or not isinstance(value, list):
        raise validation_error(
            f'Expected a list of items but got type "{type_name(value)}".', attr, "not_a_list"
        )
    return value


def as_dict(value: Any, attr: str) -> dict[str, Any]:
    """DRF DictField."""
    if value is None:
        raise null_error(attr)
    if not isinstance(value, dict):
        raise validation_error(
            f'Expected a dictionary of items but got type "{type_name(value)}".',
            attr,
            "not_a_dict",
        )
    return value


def as_datetime(value: Any, attr: str, allow_null: bool = True) -> str | None:
    """DRF DateTimeField: ISO 8601 input, rendered back in DRF's output format."""
    if value is None or value == "":
        if allow_null:
            return None
        raise null_error(attr)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return format_datetime(parsed)
    raise validation_error(
        "Datetime has wrong format. Use one of these formats instead: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        attr,
        "invalid",
    )


def type_name(value: Any) -> str:
    """The Python type name DRF puts in its type-mismatch messages."""
    return type(value).__name__
