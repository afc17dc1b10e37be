"""The PostHog provider: environments are projects; one step per flag and project. One class
composing reading (`read.py`), planning (`planning.py`), sending calls (`execute.py`) and
finding lost writes again (`recovery.py`).

Reading costs, per project: list calls for its flags and cohorts (1,000 rows a page), never one
call per flag, plus one for its group types when a group filter needs them; projects are read
concurrently.
Writing sends one request per flag and project: a POST with everything for a project the flag
is missing from (including one where it was soft-deleted: creating the key again frees the
tombstone), or a PATCH with the complete filters plus `version` and `original_flag`, so an edit
made in PostHog's UI since the plan is a 409 conflict rather than silently overwritten.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.providers.posthog import dependencies, metric_events
from reconciler.providers.posthog.client import (
    KEY_VARIABLE,
    PostHogClient,
    default_limiter,
    personal_api_key,
)
from reconciler.providers.posthog.execute import Executing
from reconciler.providers.posthog.planning import FlagWork, Planning
from reconciler.providers.posthog.promotion import Promoting
from reconciler.providers.posthog.read import (
    READ_WORKERS,
    LiveState,
    ProjectRead,
    Rows,
    experiment_fingerprint,
    fingerprint,
    holdout_fingerprint,
)
from reconciler.workspace import Workspace

__all__ = [
    "PROVIDER",
    "READ_WORKERS",
    "FlagWork",
    "LiveState",
    "PostHogProvider",
    "ProjectRead",
    "Rows",
    "experiment_fingerprint",
    "fingerprint",
    "holdout_fingerprint",
]


class PostHogProvider(Planning, Executing, Promoting):
    """Plan and apply against the PostHog projects of a workspace's environments."""

    name = "posthog"
    LABEL = "PostHog"
    DEFAULT_API_URL = "https://us.posthog.com"
    API_URL_VARIABLE = "POSTHOG_API_URL"
    CREDENTIALS = KEY_VARIABLE
    SUPPORTS_PREFETCH = True
    SUPPORTS_CHANGE_REQUESTS = True
    SUPPORTS_APPROVAL_POLICIES = True
    SUPPORTS_EXPERIMENTS = True
    SUPPORTS_HOLDOUTS = True
    ENVIRONMENTS_ARE_PROJECTS = True

    def __init__(self, workspace: Workspace, client: PostHogClient) -> None:
        self.workspace = workspace
        self.client = client
        self._ids = dependencies.CreatedFlags()
        self._experiment_ids = {}
        self._holdout_ids = dependencies.CreatedFlags()
        self._planned_holdouts = set()
        self._last = None
        self._prefetched = None
        self._taxonomy = metric_events.ProjectTaxonomy(client)

    @classmethod
    def from_workspace(
        cls, workspace: Workspace, on_retry: Callable[[str], None] | None = None
    ) -> PostHogProvider:
        limiter = default_limiter(workspace.rate_limit.per_minute, workspace.rate_limit.per_hour)
        client = PostHogClient(
            workspace.api_url, personal_api_key(), limiter=limiter, on_retry=on_retry
        )
        return cls(workspace, client)

    def close(self) -> None:
        """Stop what a prefetch has not started yet, and close the connections (a project read
        still running then fails in its thread, unheard)."""
        for stream in (self._prefetched or {}).values():
            stream.close()
        self._prefetched = None
        self.client.close()


PROVIDER = PostHogProvider
