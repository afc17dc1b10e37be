"""The PostHog route table: every URL the emulator serves, with and without trailing slash.

PostHog's router accepts both `/feature_flags` and `/feature_flags/` (its `trailing_slash` is
optional), and SDKs use both spellings, so each path is registered twice rather than relying on
a redirect a client might not follow. More specific paths come first: `local_evaluation` must
win over the `{flag_id}` placeholder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.routing import BaseRoute, Route

from . import (
    approval_policies,
    change_requests,
    cohorts,
    experiment_routes,
    flag_routes,
    holdouts,
    local_eval,
    projects,
    taxonomy,
)
from .http import Handler, resource
from .state import PostHogState

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
PROJECT = "/api/projects/{project_id}"


def posthog_routes(
    state: PostHogState, on_change: Callable[[], None] = lambda: None
) -> list[BaseRoute]:
    """All PostHog routes (paths start with /api/ or /flags/).

    `on_change` is called after every successful write, under the state lock, so a persistence
    callback sees each committed state exactly once and in order.
    """
    table: list[tuple[str, Mapping[str, Handler], bool]] = [
        ("/flags/definitions", local_eval.DEFINITIONS, False),
        ("/api/feature_flag/local_evaluation", local_eval.LEGACY, False),
        ("/api/users/@me", projects.ME, False),
        ("/api/organizations/{organization_id}/projects", projects.ORGANIZATION_PROJECTS, False),
        ("/api/projects", projects.PROJECTS, False),
        (f"{PROJECT}/feature_flags/local_evaluation", local_eval.PROJECT_SCOPED, True),
        (f"{PROJECT}/feature_flags", flag_routes.COLLECTION, True),
        (f"{PROJECT}/feature_flags/{{flag_id}}", flag_routes.DETAIL, True),
        (f"{PROJECT}/experiments", experiment_routes.COLLECTION, True),
        *(
            (f"{PROJECT}/experiments/{{experiment_id}}/{name}", handlers, True)
            for name, handlers in experiment_routes.ACTIONS.items()
        ),
        (f"{PROJECT}/experiments/{{experiment_id}}", experiment_routes.DETAIL, True),
        (f"{PROJECT}/experiment_holdouts", holdouts.COLLECTION, True),
        (f"{PROJECT}/experiment_holdouts/{{holdout_id}}", holdouts.DETAIL, True),
        (f"{PROJECT}/cohorts", cohorts.COLLECTION, True),
        (f"{PROJECT}/cohorts/{{cohort_id}}", cohorts.DETAIL, True),
        (f"{PROJECT}/approval_policies", approval_policies.COLLECTION, True),
        (f"{PROJECT}/approval_policies/{{policy_id}}", approval_policies.DETAIL, True),
        (f"{PROJECT}/change_requests", change_requests.COLLECTION, True),
        *(
            (f"{PROJECT}/change_requests/{{request_id}}/{name}", handlers, True)
            for name, handlers in change_requests.ACTIONS.items()
        ),
        (f"{PROJECT}/change_requests/{{request_id}}", change_requests.DETAIL, True),
        (f"{PROJECT}/groups_types", projects.GROUP_TYPES, True),
        (f"{PROJECT}/event_definitions", taxonomy.DEFINITIONS, True),
        (f"{PROJECT}/actions", taxonomy.ACTIONS, True),
        (PROJECT, projects.PROJECT, True),
    ]
    routes: list[BaseRoute] = []
    for path, handlers, project_scoped in table:
        endpoint = resource(state, on_change, handlers, project_scoped=project_scoped)
        routes.append(Route(path, endpoint, methods=ALL_METHODS))
        routes.append(Route(path + "/", endpoint, methods=ALL_METHODS))
    return routes
