"""Checking a vendor's answer against the shape flagsync relies on, before it is used.

Each provider describes the objects it reads as pydantic models (its `answers` module); the
readers then walk dictionaries already known to hold what they look up. An answer of another
shape (a field missing or of another type, a list where an object belongs, an error body sent
with status 200) is one `AnswerShapeError` naming the call and the first place that differs, never a
`TypeError` deep inside a translation.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from reconciler.errors import AnswerShapeError


def check(
    call: str, adapter: TypeAdapter[Any], value: Any, what: str, name: str | None = None
) -> None:
    """Raise an `AnswerShapeError` naming `call` when `value` is not `what` (a phrase: "a feature")
    as `adapter` describes it. For a list, the item at fault is named by its key; `name`
    names a single object (one item of a list read earlier)."""
    try:
        adapter.validate_python(value)
    except ValidationError as error:
        first = error.errors()[0]
        location = list(first["loc"])
        where = ".".join(str(part) for part in location)
        if location and isinstance(location[0], int) and isinstance(value, list):
            item = value[location[0]]
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                where = f"'{item['key']}'" + "".join(f".{part}" for part in location[1:])
        if name is not None:
            where = f"'{name}'" + (f".{where}" if where else "")
        place = f" at {where}" if where else ""
        raise AnswerShapeError(
            call, f"the answer is not {what} as flagsync reads it{place}: {first['msg']}"
        ) from None
    except RecursionError:
        raise AnswerShapeError(call, f"the answer is not {what}: nested too deep") from None
