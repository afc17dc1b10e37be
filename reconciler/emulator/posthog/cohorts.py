"""Read-only `/api/projects/{project_id}/cohorts/` endpoints, in the OpenAPI `Cohort` shape.

Cohort ids are per project, so flagsync resolves the cohorts its manifests name through these
endpoints; the emulator serves the seeded cohorts (and any loaded from a snapshot) but does not
let clients create them, which PostHog-managed cohorts do not need for flag reconciliation.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import not_found
from .flag_read import user_basic
from .http import Call, Handler, Reply
from .pagination import paginate
from .state import PostHogState, Record


def serialize_cohort(state: PostHogState, cohort: Record) -> dict[str, Any]:
    """`CohortSerializer` output for the fields flagsync and the OpenAPI schema care about."""
    return {
        "id": cohort["id"],
        "name": cohort["name"],
        "description": cohort.get("description", ""),
        "groups": cohort.get("groups", []),
        "deleted": cohort["deleted"],
        "filters": copy.deepcopy(cohort["filters"]),
        "query": cohort.get("query"),
        "is_calculating": False,
        "created_by": user_basic(state, cohort.get("created_by_id")),
        "created_at": cohort.get("created_at"),
        "last_calculation": cohort.get("last_calculation"),
        "errors_calculating": 0,
        "count": cohort.get("count"),
        "is_static": cohort["is_static"],
        "cohort_type": cohort.get("cohort_type"),
        "experiment_set": [],
    }


def list_handler(call: Call) -> Reply:
    # Vendor behaviour unknown: the cohort list's ordering and whether it hides deleted cohorts;
    # newest first (ties by id) and hidden, like the flag and experiment lists.
    cohorts = sorted(
        (c for c in call.state.cohorts_of(call.project_id) if not c["deleted"]),
        key=lambda c: (c.get("created_at") or "", c["id"]),
        reverse=True,
    )
    page = paginate(call.request, cohorts)
    page["results"] = [serialize_cohort(call.state, c) for c in page["results"]]
    return Reply(page)


def retrieve_handler(call: Call) -> Reply:
    raw = call.params["cohort_id"]
    cohort = call.state.cohort(call.project_id, int(raw)) if raw.isdigit() else None
    if cohort is None:
        raise not_found()
    return Reply(serialize_cohort(call.state, cohort))


COLLECTION: dict[str, Handler] = {"GET": list_handler}
DETAIL: dict[str, Handler] = {"GET": retrieve_handler}
