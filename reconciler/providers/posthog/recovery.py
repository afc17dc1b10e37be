"""Refusals that are not failures: a write held for approval, and a create whose answer was
lost but which happened (the flag found under its key is flagsync's). Lost experiment and
holdout creates are found again by `experiment_recovery.py`.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ApiError
from reconciler.plan import ApiCall
from reconciler.providers.posthog import change_requests, dependencies, translate
from reconciler.providers.posthog.read import Reading


class Recovering(Reading):
    """The recovery part of the PostHog provider."""

    def _recover(self, call: ApiCall, error: ApiError) -> Any | None:
        """Refusals that are not failures.

        - An approval policy: PostHog answers 409 with a `change_request_id`, leaves the flag
          unchanged and opens a change request for reviewers: a pending change, not an error.
        - A create whose first answer was lost and that was committed: the flag found under the
          key is flagsync's (tagged), so the create happened.
        """
        scope = call.subject.scope if call.subject is not None else None
        gated = change_requests.recovered(error, self.workspace.api_url, scope or "")
        if gated is not None:
            return gated
        created = dependencies.creates(call)
        if created is None or not error.after_lost_attempt or error.status != 400:
            return None
        project, key = created
        try:
            found = self.client.list_all(f"/api/projects/{project}/feature_flags/", {"search": key})
        except ApiError:
            return None
        marker = self.workspace.ownership.marker
        mine = [f for f in found if f.get("key") == key and translate.is_owned(f, marker=marker)]
        return mine[0] if len(mine) == 1 else None
