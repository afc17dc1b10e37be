"""The DevCycle provider: one class composing reading (`read.py`), planning (`planning.py`),
sending calls (`execute.py`) and finding lost writes again (`recovery.py`).

Reading costs one call for the environments, one for the audiences and one per 1,000 features
(never one per feature): DevCycle's v2 feature list carries variables, variations and every
environment's configuration. Writing sends one request per feature: a v2 POST creates a feature
with everything, a v2 PATCH updates exactly the parts that changed, atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from reconciler.providers.devcycle.client import Credentials, DevCycleClient
from reconciler.providers.devcycle.execute import Executing
from reconciler.providers.devcycle.planning import FlagWork, Planning
from reconciler.providers.devcycle.read import (
    LazyFingerprints,
    LiveState,
    concurrency_fingerprint,
    fingerprint,
    model_fingerprint,
)
from reconciler.providers.http import RateLimiter
from reconciler.workspace import Workspace

AUTH_URL = "https://auth.devcycle.com/oauth/token"
"""DevCycle's OAuth token endpoint (client credentials)."""

__all__ = [
    "PROVIDER",
    "DevCycleProvider",
    "FlagWork",
    "LazyFingerprints",
    "LiveState",
    "concurrency_fingerprint",
    "fingerprint",
    "model_fingerprint",
]


class DevCycleProvider(Planning, Executing):
    """Plan and apply against one DevCycle project."""

    name = "devcycle"
    LABEL = "DevCycle"
    DEFAULT_API_URL = "https://api.devcycle.com"
    API_URL_VARIABLE = "DEVCYCLE_API_URL"
    DEFAULT_AUTH_URL = AUTH_URL
    AUTH_URL_VARIABLE = "DEVCYCLE_AUTH_URL"
    CREDENTIALS = "DEVCYCLE_CLIENT_ID and DEVCYCLE_CLIENT_SECRET (or DEVCYCLE_API_TOKEN)"
    SUPPORTS_PREFETCH = True
    SUPPORTS_CHANGE_REQUESTS = True
    CHANGE_REQUEST_REVIEWERS = True
    SUPPORTS_AUDIENCES = True
    SUPPORTS_METRICS = True

    def __init__(self, workspace: Workspace, client: DevCycleClient) -> None:
        self.workspace = workspace
        self.client = client
        project = quote(workspace.project, safe="")
        self._v1 = f"/v1/projects/{project}"
        self._v2 = f"/v2/projects/{project}"
        # id -> key maps of the last read, to translate a feature found while applying
        self._last_environment_keys = {}
        self._last_audience_keys = {}
        self._prefetched = None
        self._created_audience_ids = {}

    @classmethod
    def from_workspace(
        cls, workspace: Workspace, on_retry: Callable[[str], None] | None = None
    ) -> DevCycleProvider:
        credentials = Credentials.from_environment()
        limiter = RateLimiter(workspace.rate_limit.per_minute, workspace.rate_limit.per_hour)
        client = DevCycleClient(
            workspace.api_url,
            workspace.auth_url or AUTH_URL,
            credentials,
            limiter=limiter,
            on_retry=on_retry,
        )
        return cls(workspace, client)

    def close(self) -> None:
        if self._prefetched is not None:
            self._prefetched.close()
        self.client.close()


PROVIDER = DevCycleProvider
