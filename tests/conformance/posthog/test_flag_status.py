"""A flag's staleness as PostHog reports it: the `status` field and the list's `active=STALE`.

Source: PostHog/posthog `products/feature_flags/backend/flag_status.py`
(`FeatureFlagStatusChecker.get_status`, `is_flag_fully_rolled_out`, `filter_stale_flags`,
`STALE_FLAG_THRESHOLD_DAYS = 30`) and `products/feature_flags/backend/api/feature_flag.py`
(`FeatureFlagSerializer.get_status` returns `flag_status.name`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from reconciler.emulator.posthog.flag_status import flag_status, matches_stale_filter

from .conftest import FLAGS, new_flag

NOW = datetime(2026, 12, 3, tzinfo=UTC)
OLD = (NOW - timedelta(days=40)).isoformat()
RECENT = (NOW - timedelta(days=10)).isoformat()


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def _status(http: httpx.Client, flag: dict[str, Any]) -> str:
    return str(http.get(f"{FLAGS}{flag['id']}/").json()["status"])


def _stale_keys(http: httpx.Client) -> set[str]:
    rows = http.get(FLAGS, params={"active": "STALE", "limit": 1000}).json()["results"]
    return {row["key"] for row in rows}


def test_usage_decides_when_there_is_usage_data(http: httpx.Client) -> None:
    """`get_status`: with `last_called_at`, a flag not called in 30+ days is STALE, one called
    since is ACTIVE; the list's `active=STALE` (`filter_stale_flags`) agrees."""
    flag = new_flag(http)
    assert _status(http, flag) == "ACTIVE"  # new: "Flag has no usage data yet"
    http.patch(f"{FLAGS}{flag['id']}/", json={"last_called_at": _ago(45)}).raise_for_status()
    assert _status(http, flag) == "STALE"
    assert flag["key"] in _stale_keys(http)
    http.patch(f"{FLAGS}{flag['id']}/", json={"last_called_at": _ago(2)}).raise_for_status()
    assert _status(http, flag) == "ACTIVE"
    assert flag["key"] not in _stale_keys(http)


def test_disabled_and_archived_flags_are_never_stale(http: httpx.Client) -> None:
    """`get_status`: archived is ARCHIVED; a disabled flag is ACTIVE ("not evaluated for
    staleness"), and `filter_stale_flags` requires `active=True`."""
    disabled = new_flag(http, active=False)
    http.patch(f"{FLAGS}{disabled['id']}/", json={"last_called_at": _ago(90)}).raise_for_status()
    assert _status(http, disabled) == "ACTIVE"
    assert disabled["key"] not in _stale_keys(http)
    archived = new_flag(http, active=False)
    http.patch(f"{FLAGS}{archived['id']}/", json={"archived": True}).raise_for_status()
    assert _status(http, archived) == "ARCHIVED"


def _flag(filters: Any, created: str = OLD, **fields: Any) -> dict[str, Any]:
    return {
        "deleted": False,
        "archived": False,
        "active": True,
        "created_at": created,
        "last_called_at": None,
        "filters": filters,
        **fields,
    }


EVERYONE = {"properties": [], "rollout_percentage": 100}
VARIANTS = [{"key": "a", "rollout_percentage": 50}, {"key": "b", "rollout_percentage": 50}]


@pytest.mark.parametrize(
    ("filters", "created", "checker", "list_filter"),
    [
        # boolean, explicit 100 %, no properties, 30+ days old: "will always evaluate to true"
        ({"groups": [EVERYONE]}, OLD, "STALE", True),
        # younger than the threshold: not considered
        ({"groups": [EVERYONE]}, RECENT, "ACTIVE", False),
        # a missing percentage is not an explicit 100 (`is_group_fully_rolled_out`)
        ({"groups": [{"properties": []}]}, OLD, "ACTIVE", False),
        # targeted: not fully rolled out
        (
            {"groups": [{**EVERYONE, "properties": [{"key": "x", "value": "y"}]}]},
            OLD,
            "ACTIVE",
            False,
        ),
        ({"groups": [{"properties": [], "rollout_percentage": 30}]}, OLD, "ACTIVE", False),
        # multivariate: needs a winning variant or the condition's variant override
        ({"groups": [EVERYONE], "multivariate": {"variants": VARIANTS}}, OLD, "ACTIVE", False),
        (
            {
                "groups": [EVERYONE],
                "multivariate": {"variants": [{"key": "a", "rollout_percentage": 100}]},
            },
            OLD,
            "STALE",
            True,
        ),
        (
            {"groups": [{**EVERYONE, "variant": "b"}], "multivariate": {"variants": VARIANTS}},
            OLD,
            "STALE",
            True,
        ),
        # no conditions at all: the checker calls it fully rolled out; the SQL filter matches
        # only NULL or {} filters, not the model default {"groups": []} (documented in
        # `filter_stale_flags`)
        ({"groups": []}, OLD, "STALE", False),
        ({}, OLD, "STALE", True),
    ],
)
def test_without_usage_data_a_fully_rolled_out_old_flag_is_stale(
    filters: dict[str, Any], created: str, checker: str, list_filter: bool
) -> None:
    """`get_status`'s configuration route and `filter_stale_flags`' config branch."""
    flag = _flag(filters, created)
    assert flag_status(flag, NOW) == checker
    assert matches_stale_filter(flag, NOW) is list_filter
