"""The demo organization every fresh emulator starts with.

flagsync maps environments to PostHog projects, so the seed has two projects whose cohorts
share names but not ids (11/12 in staging, 21/22 in production): a reconciler that copied
cohort ids between environments instead of resolving them by name fails here exactly as it
would against PostHog. The personal API key is a constant so documentation can print it.
"""

from __future__ import annotations

from typing import Any

from .state import SNAPSHOT_FORMAT

PERSONAL_API_KEY = "phx_emulator_personal_key"
REVIEWER_API_KEY = "phx_emulator_reviewer_key"
"""The personal API key of user 2, a member who reviews change requests (a change request's
author may not approve it)."""
STAGING_PROJECT_API_KEY = "phc_emulator_staging_project_key"
PRODUCTION_PROJECT_API_KEY = "phc_emulator_production_project_key"
ORGANIZATION_ID = "0190f3a0-5a1e-7000-8000-00000000f1a6"
SEEDED_AT = "2025-01-01T00:00:00Z"


def _person_filter(key: str, operator: str, value: Any) -> dict[str, Any]:
    """A cohort's property tree: one OR of one AND, the shape PostHog's cohort editor saves."""
    return {
        "properties": {
            "type": "OR",
            "values": [
                {
                    "type": "AND",
                    "values": [
                        {
                            "key": key,
                            "type": "person",
                            "value": value,
                            "negation": False,
                            "operator": operator,
                        }
                    ],
                }
            ],
        }
    }


def _cohort(cohort_id: int, project_id: int, name: str, filters: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": cohort_id,
        "team_id": project_id,
        "name": name,
        "description": "",
        "filters": filters,
        "deleted": False,
        "is_static": False,
        "cohort_type": "person_property",
        "created_by_id": 1,
        "created_at": SEEDED_AT,
        "last_calculation": SEEDED_AT,
        "count": None,
    }


def _cohorts_for(project_id: int, first_id: int) -> list[dict[str, Any]]:
    return [
        _cohort(
            first_id,
            project_id,
            "Beta testers",
            _person_filter("email", "icontains", "@beta."),
        ),
        _cohort(
            first_id + 1,
            project_id,
            "Enterprise customers",
            _person_filter("plan", "exact", ["enterprise"]),
        ),
    ]


SEEDED_EVENTS = ("$pageview", "$pageleave", "$autocapture", "$feature_flag_called")


def _events_for(project_id: int) -> list[dict[str, Any]]:
    """The events any project that runs posthog-js has seen; custom events are not seeded."""
    return [
        {"id": f"0190f3a0-5a1e-7000-8000-{project_id:06d}{index:06d}", "team_id": project_id,
         "name": name, "created_at": SEEDED_AT, "last_seen_at": SEEDED_AT}
        for index, name in enumerate(SEEDED_EVENTS)
    ]  # fmt: skip


def seed_snapshot() -> dict[str, Any]:
    """The seeded state as a snapshot document (see `PostHogState.from_json`)."""
    projects = [
        {
            "id": 1,
            "uuid": "0190f3a0-5a1e-7000-8000-000000000001",
            "name": "Demo staging",
            "api_token": STAGING_PROJECT_API_KEY,
            "organization": ORGANIZATION_ID,
            "created_at": SEEDED_AT,
            "group_type_mapping": {"0": "company"},
        },
        {
            "id": 2,
            "uuid": "0190f3a0-5a1e-7000-8000-000000000002",
            "name": "Demo production",
            "api_token": PRODUCTION_PROJECT_API_KEY,
            "organization": ORGANIZATION_ID,
            "created_at": SEEDED_AT,
            "group_type_mapping": {"0": "company"},
        },
    ]
    return {
        "format": SNAPSHOT_FORMAT,
        "organization": {
            "id": ORGANIZATION_ID,
            "name": "flagsync demo",
            "slug": "flagsync-demo",
            "created_at": SEEDED_AT,
        },
        "users": [
            {
                "id": 1,
                "uuid": "0190f3a0-5a1e-7000-8000-0000000000a1",
                "distinct_id": "emulator-user",
                "first_name": "Emulator",
                "last_name": "User",
                "email": "emulator@flagsync.invalid",
                "is_email_verified": True,
                "current_project_id": 1,
                "membership_level": 15,
            },
            {
                "id": 2,
                "uuid": "0190f3a0-5a1e-7000-8000-0000000000a2",
                "distinct_id": "emulator-reviewer",
                "first_name": "Emulator",
                "last_name": "Reviewer",
                "email": "reviewer@flagsync.invalid",
                "is_email_verified": True,
                "current_project_id": 1,
                "membership_level": 1,
            },
        ],
        "personal_api_keys": [
            {"value": PERSONAL_API_KEY, "user_id": 1},
            {"value": REVIEWER_API_KEY, "user_id": 2},
        ],
        "projects": projects,
        "cohorts": _cohorts_for(1, 11) + _cohorts_for(2, 21),
        "feature_flags": [],
        "experiments": [],
        "holdouts": [],
        "dashboards": [],
        "event_definitions": _events_for(1) + _events_for(2),
        "actions": [],
        "next_ids": {
            "feature_flag": 1,
            "experiment": 1,
            "cohort": 100,
            "dashboard": 1,
            "holdout": 1,
        },
    }
