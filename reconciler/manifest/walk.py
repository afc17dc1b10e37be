"""Walking a manifest flag's targets and filters, with the path of each (for located problems)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.manifest.rules import FlagSite

NESTED = ("all", "any")
"""Filter fields that hold a group of filters."""


def targets(
    site: FlagSite, only: str | None = None
) -> Iterator[tuple[list[str | int], dict[str, Any]]]:
    for env, config in (site.data.get("environments") or {}).items():
        if only is not None and env != only:
            continue
        for index, target in enumerate((config or {}).get("targets") or []):
            yield ["environments", env, "targets", index], target


def target_filters(
    target: dict[str, Any], base: list[str | int]
) -> Iterator[tuple[list[str | int], str, Any]]:
    audience = target.get("audience")
    if not isinstance(audience, dict):
        return
    for match, items in audience.items():
        yield from filter_items([*base, "audience", match], items)


def filter_items(
    prefix: list[str | int], items: list[dict[str, Any]]
) -> Iterator[tuple[list[str | int], str, Any]]:
    """Each filter with its path, a nested group (`all` / `any`) before its members."""
    for index, item in enumerate(items):
        for field, condition in item.items():
            yield [*prefix, index, field], field, condition
            if field in NESTED:
                yield from filter_items([*prefix, index, field], condition)
