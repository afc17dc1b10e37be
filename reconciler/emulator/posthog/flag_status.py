"""A flag's `status` as PostHog computes it, and the list filter `active=STALE`.

Source: PostHog/posthog `products/feature_flags/backend/flag_status.py`:
`FeatureFlagStatusChecker.get_status` (the serializer's `status` is the status's *name*,
`FeatureFlagSerializer.get_status` in `api/feature_flag.py`) and `filter_stale_flags` (the
list's `active=STALE`). A flag is STALE by the best signal there is:

1. with usage data (`last_called_at`, from `$feature_flag_called` events): not called in 30
   days;
2. without: created more than 30 days ago and *fully rolled out* (a release condition at an
   explicit 100 % with no properties; a multivariate flag also needs a variant at 100 % or that
   condition's variant override; a boolean flag with no conditions at all counts too).

Deleted, archived and disabled flags are never stale (DELETED, ARCHIVED, ACTIVE). The list
filter is PostHog's SQL counterpart and disagrees on one shape, as PostHog documents: a boolean
flag whose filters are `{"groups": []}` is STALE to the checker but not matched by the filter,
which matches conditionless flags only when `filters` is NULL or `{}`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

STALE_FLAG_THRESHOLD = timedelta(days=30)

Record = dict[str, Any]


def utc_now() -> datetime:
    """The time statuses are computed at (one place to read the clock)."""
    return datetime.now(UTC)


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _no_targeting(group: dict[str, Any]) -> bool:
    return not (group.get("properties") or [])


def _group_full(group: dict[str, Any]) -> bool:
    """`is_group_fully_rolled_out`: an explicit 100 (a missing percentage does not count)."""
    return group.get("rollout_percentage") == 100 and _no_targeting(group)


def _groups(filters: dict[str, Any]) -> list[dict[str, Any]]:
    groups = filters.get("groups")
    return [g for g in groups if isinstance(g, dict)] if isinstance(groups, list) else []


def _variants(filters: dict[str, Any]) -> list[dict[str, Any]]:
    multivariate = filters.get("multivariate")
    variants = multivariate.get("variants") if isinstance(multivariate, dict) else None
    return [v for v in variants if isinstance(v, dict)] if isinstance(variants, list) else []


def fully_rolled_out(filters: dict[str, Any]) -> bool:
    """`is_flag_fully_rolled_out`."""
    groups, variants = _groups(filters), _variants(filters)
    if variants:
        full = [g for g in groups if _group_full(g)]
        override = next((g.get("variant") for g in full if g.get("variant") is not None), None)
        winner = any(v.get("rollout_percentage") == 100 for v in variants)
        return bool(full) and (override is not None or winner)
    return not groups or any(_group_full(g) for g in groups)


def flag_status(flag: Record, now: datetime | None = None) -> str:
    """`FeatureFlagStatusChecker.get_status`, by name (what the serializer's `status` is)."""
    if flag["deleted"]:
        return "DELETED"
    if flag.get("archived"):
        return "ARCHIVED"
    if not flag["active"]:
        return "ACTIVE"
    threshold = (now or utc_now()) - STALE_FLAG_THRESHOLD
    last_called = _time(flag.get("last_called_at"))
    if last_called is not None:
        return "STALE" if last_called < threshold else "ACTIVE"
    created = _time(flag.get("created_at"))
    if created is not None and created < threshold and fully_rolled_out(flag["filters"] or {}):
        return "STALE"
    return "ACTIVE"


def status_changes_after(flag: Record, now: datetime | None = None) -> datetime | None:
    """The instant after which `flag_status` may answer differently than it does at `now`
    with the flag unchanged (None: never). Time alone moves a flag only from ACTIVE to STALE,
    when its usage signal (or, without one, its creation) turns 30 days old: a rendered flag
    stays right until then."""
    if flag["deleted"] or flag.get("archived") or not flag["active"]:
        return None
    now = now or utc_now()
    last_called = _time(flag.get("last_called_at"))
    if last_called is not None:
        signal = last_called
    else:
        created = _time(flag.get("created_at"))
        if created is None or not fully_rolled_out(flag["filters"] or {}):
            return None
        signal = created
    changes = signal + STALE_FLAG_THRESHOLD
    return changes if changes >= now else None


def _sql_100(value: Any) -> bool:
    """`elem->>'rollout_percentage' = '100'`: the JSON text of the number is exactly 100."""
    return json.dumps(value) == "100"


def matches_stale_filter(flag: Record, now: datetime | None = None) -> bool:
    """`filter_stale_flags`: the list's `active=STALE`."""
    threshold = (now or utc_now()) - STALE_FLAG_THRESHOLD
    last_called = _time(flag.get("last_called_at"))
    if last_called is not None:
        return bool(flag["active"]) and last_called < threshold
    created = _time(flag.get("created_at"))
    if not flag["active"] or created is None or not created < threshold:
        return False
    filters = flag.get("filters")
    if not filters:
        return True
    groups, variants = _groups(filters), _variants(filters)
    multivariate = filters.get("multivariate")
    full = [g for g in groups if _sql_100(g.get("rollout_percentage")) and _no_targeting(g)]
    boolean = bool(full) and (not multivariate or not variants)
    winner = any(_sql_100(v.get("rollout_percentage")) for v in variants) and bool(full)
    override = any(g.get("variant") is not None for g in full) and bool(variants)
    return boolean or winner or override
