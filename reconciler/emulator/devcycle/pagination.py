"""The paged-list contract shared by the vendor's twelve list endpoints.

Query: `page` (>= 1), `perPage` (1..1000), `sortBy`, `sortOrder`, `search` (>= 3 characters,
case-insensitive substring of key or name) and `createdBy`. Response: a bare JSON array of the
page, with the total number of matching items in a `count` header (the vendor's CLI reads it to
fetch the remaining pages in parallel). Sorting always breaks ties on `_id`, so paging through a
list that does not change returns every item exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import BadRequest

MAX_PER_PAGE = 1000
# `createdBy` left the documented enum, but the vendor's CLI still sends it: accepted here.
# Vendor behaviour unknown: whether the live API still accepts sortBy=createdBy.
SORT_FIELDS = ("createdAt", "updatedAt", "name", "key", "propertyKey", "createdBy")
DOCUMENTED_SORT_FIELDS = ("createdAt", "updatedAt", "name", "key", "propertyKey")


@dataclass(frozen=True)
class PageQuery:
    """A validated list query."""

    page: int = 1
    per_page: int = 100
    sort_by: str = "createdAt"
    descending: bool = True
    search: str | None = None
    created_by: str | None = None


def parse_page_query(query: Mapping[str, str]) -> PageQuery:
    """Read the paging parameters, raising 400 in class-validator's words when one is wrong."""
    # Vendor behaviour unknown: unknown query parameters; ignored here.
    errors: list[str] = []
    page = _whole_number(query, "page", 1, None, errors)
    per_page = _whole_number(query, "perPage", 1, MAX_PER_PAGE, errors)
    sort_by = query.get("sortBy", "createdAt")
    if sort_by not in SORT_FIELDS:
        errors.append(enum_message("sortBy", DOCUMENTED_SORT_FIELDS))
    sort_order = query.get("sortOrder", "desc")
    if sort_order not in ("asc", "desc"):
        errors.append(enum_message("sortOrder", ("asc", "desc")))
    search = query.get("search")
    if search is not None and len(search) < 3:
        errors.append("search must be longer than or equal to 3 characters")
    if errors:
        raise BadRequest(errors)
    return PageQuery(
        page=page if page is not None else 1,
        per_page=per_page if per_page is not None else 100,
        sort_by=sort_by,
        descending=sort_order == "desc",
        search=search,
        created_by=query.get("createdBy"),
    )


def enum_message(name: str, allowed: Iterable[str]) -> str:
    """class-validator's IsEnum message."""
    return f"{name} must be one of the following values: {', '.join(allowed)}"


def check_enum(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    """A filter parameter restricted to an enum (raises 400 when the value is not in it)."""
    value = query.get(name)
    if value is not None and value not in allowed:
        raise BadRequest([enum_message(name, allowed)])
    return value


def _whole_number(
    query: Mapping[str, str], name: str, low: int, high: int | None, errors: list[str]
) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        number = float(raw)
    except ValueError:
        errors.append(f"{name} must be a number conforming to the specified constraints")
        return None
    if number != number or number in (float("inf"), float("-inf")):
        errors.append(f"{name} must be a number conforming to the specified constraints")
        return None
    if number < low:
        errors.append(f"{name} must not be less than {low}")
    elif high is not None and number > high:
        errors.append(f"{name} must not be greater than {high}")
    return int(number)


def _sort_value(item: Mapping[str, Any], field: str) -> str:
    value = item.get("_createdBy" if field == "createdBy" else field)
    return value if isinstance(value, str) else ""


def paginate(
    items: Iterable[Mapping[str, Any]],
    query: PageQuery,
    matches: Callable[[Mapping[str, Any]], bool] | None = None,
) -> tuple[list[Mapping[str, Any]], int]:
    """Filter, sort and cut one page; returns the page and the total number of matches."""
    selected = select(items, query, matches)
    start = (query.page - 1) * query.per_page
    return selected[start : start + query.per_page], len(selected)


def select(
    items: Iterable[Mapping[str, Any]],
    query: PageQuery,
    matches: Callable[[Mapping[str, Any]], bool] | None = None,
) -> list[Mapping[str, Any]]:
    """Every match of a list query, in its order (what each of its pages is cut from)."""
    needle = query.search.lower() if query.search else None
    selected = [
        item
        for item in items
        if (needle is None or _contains(item, needle))
        and (query.created_by is None or item.get("_createdBy") == query.created_by)
        and (matches is None or matches(item))
    ]
    selected.sort(
        key=lambda item: (_sort_value(item, query.sort_by), str(item["_id"])),
        reverse=query.descending,
    )
    return selected


def _contains(item: Mapping[str, Any], needle: str) -> bool:
    return any(
        isinstance(item.get(field), str) and needle in str(item[field]).lower()
        for field in ("key", "name")
    )
