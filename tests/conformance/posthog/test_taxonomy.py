"""Event definitions and actions, as experiment metrics need them.

Source: PostHog/posthog `posthog/api/event_definition.py` (`EventDefinitionViewSet`,
`EventDefinitionSerializer`).
"""

from __future__ import annotations

import httpx

from .conftest import unique

DEFINITIONS = "/api/projects/1/event_definitions/"


def test_names_filters_exact_names(http: httpx.Client) -> None:
    """`EventDefinitionViewSet.dangerously_get_queryset`: `names` (repeated or comma-separated)
    keeps exact matches."""
    name = unique("checkout")
    http.post(DEFINITIONS, json={"name": name})
    http.post(DEFINITIONS, json={"name": f"{name} started"})
    rows = http.get(DEFINITIONS, params={"names": f"{name},$pageview"}).json()["results"]
    assert sorted(row["name"] for row in rows) == sorted([name, "$pageview"])


def test_a_taken_name_is_a_400(http: httpx.Client) -> None:
    """`EventDefinitionSerializer.validate_name`."""
    name = unique("dup")
    assert http.post(DEFINITIONS, json={"name": name}).status_code == 201
    again = http.post(DEFINITIONS, json={"name": name})
    assert again.status_code == 400
    assert again.json()["detail"] == f"Event definition with name '{name}' already exists"


def test_a_defined_event_has_not_been_seen_yet(http: httpx.Client) -> None:
    """`EventDefinitionSerializer.create`: `created_at`/`last_seen_at` are null until the first
    real event arrives."""
    made = http.post(DEFINITIONS, json={"name": unique("later")}).json()
    assert (made["created_at"], made["last_seen_at"]) == (None, None)
