"""One environment's targeting as the SDK config carries it (targets, filters, audiences).

The Management API and the SDK config describe the same targeting with different names: a
stored target's `audience` is the config's `_audience`, and the config has no target `name`.
Filters keep the vendor's shape (`type`, `subType`, `comparator`, `values`, `dataKey`,
`dataKeyType`, `_audiences`), but the bucketing library that parses the config is stricter
than the API: it requires `values` on every user filter, even one that compares existence,
where the API lets a client leave it out. Reusable audiences are not inlined: an
`audienceMatch` filter keeps naming them by `_id`, and the config carries each one it names,
directly or through another audience, in its `audiences` map.

Sources: `Target`, `TargetAudience` and `Audience` in js-sdks
lib/shared/types/src/types/config/models/, and the parser of the bucketing library
(lib/shared/bucketing-assembly-script/assembly/types/targetV2.ts).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from typing import Any

from .store import DevCycleStore, Doc

ALL_USERS: Doc = {"operator": "and", "filters": [{"type": "all"}]}


def derived_id(*parts: str) -> str:
    """A stable 24-hex id for something the vendor stores but the emulator does not."""
    return hashlib.sha1(":".join(parts).encode("utf-8")).hexdigest()[:24]


def config_target(target: Doc) -> Doc:
    """A stored target (Management API `Target`) as the config's `Target`."""
    rendered: Doc = {
        "_id": target["_id"],
        # "leftover from legacy config format and is unused, but leads to parsing errors if
        # removed" (the vendor's type): the vendor writes a dummy id; the emulator reuses the
        # target's.
        "_audience": {
            "_id": target["_id"],
            "filters": config_operator(target["audience"]["filters"]),
        },
        "distribution": [
            {"_variation": share["_variation"], "percentage": share["percentage"]}
            for share in target["distribution"]
        ],
    }
    if target.get("rollout") is not None:
        rendered["rollout"] = copy.deepcopy(target["rollout"])
    if target.get("bucketingKey"):
        rendered["bucketingKey"] = target["bucketingKey"]
    return rendered


def static_target(feature: Doc, env: Doc, variation_id: str) -> Doc:
    """The one target a completed feature has: everyone gets its static variation.

    Vendor behaviour unknown: the vendor replaces a completed feature's targeting with an
    "All users" rule; its `_id` here is derived from the feature and environment.
    """
    target_id = derived_id(feature["_id"], env["_id"], "static")
    return {
        "_id": target_id,
        "_audience": {"_id": target_id, "filters": copy.deepcopy(ALL_USERS)},
        "distribution": [{"_variation": variation_id, "percentage": 1}],
    }


def config_operator(node: dict[str, Any]) -> Doc:
    """An operator (`{operator, filters}`) with each filter, or nested operator, converted."""
    return {
        "operator": node.get("operator", "and"),
        "filters": [config_filter(item) for item in node.get("filters", [])],
    }


def config_filter(item: dict[str, Any]) -> Doc:
    """One filter in the shape the bucketing library parses."""
    if "operator" in item:
        return config_operator(item)
    rendered = copy.deepcopy(item)
    if rendered.get("type") == "user":
        # The parser requires `values` on user filters; `exist` / `!exist` ignore them.
        rendered.setdefault("values", [])
    elif rendered.get("type") == "audienceMatch":
        # Vendor behaviour unknown: the API makes `comparator` optional on an audienceMatch
        # filter, while the bucketing library matches no user without one; "=" (is in the
        # audience) is assumed.
        rendered.setdefault("comparator", "=")
        rendered.setdefault("_audiences", [])
    return rendered


def referenced_audiences(store: DevCycleStore, targets: Iterable[Doc]) -> dict[str, Doc]:
    """Every reusable audience the config targets use, directly or through other audiences,
    as the config's `audiences` map (`_id` -> `{filters}`)."""
    found: dict[str, Doc] = {}
    pending = [ref for target in targets for ref in _audience_refs(target["_audience"]["filters"])]
    while pending:
        audience_id = pending.pop()
        audience = store.audiences.get(audience_id)
        if audience_id in found or audience is None:
            continue
        filters = config_operator(audience["filters"])
        found[audience_id] = {"filters": filters}
        pending.extend(_audience_refs(filters))
    return found


def _audience_refs(node: dict[str, Any]) -> list[str]:
    refs: list[str] = []
    for item in node.get("filters", []):
        if "operator" in item:
            refs.extend(_audience_refs(item))
        elif item.get("type") == "audienceMatch":
            refs.extend(str(ref) for ref in item.get("_audiences", []))
    return refs
