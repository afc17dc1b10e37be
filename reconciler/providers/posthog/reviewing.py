"""The review part of the PostHog provider: approval policies and change requests.

Planned writes an approval policy gates become change requests, open requests on the planned
flags are judged (`change_requests.py`), and the workspace's declared approval policies are
planned like flags (`approval_policies.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.plan import Plan
from reconciler.providers.posthog import approval_policies, change_requests
from reconciler.providers.posthog.context import ProjectContext
from reconciler.providers.posthog.read import LiveState, Reading


class Reviewing(Reading):
    """Approval policies and change requests, read once per project and plan."""

    _reviews: change_requests.Reviews | None = None

    @property
    def reviews(self) -> change_requests.Reviews:
        if self._reviews is None:
            self._reviews = change_requests.Reviews(
                self.client.list_all,
                self.workspace.api_url,
                self.workspace.ownership.marker,
                set(self.workspace.change_request_environments),
                expects_reviews=bool(
                    self.workspace.change_request_environments or self.workspace.approval_policies
                ),
            )
        return self._reviews

    def _under_review(
        self, copies: dict[str, dict[str, Any]], contexts: Mapping[str, ProjectContext]
    ) -> bool:
        """A change request, open or recently closed, names one of the flag's copies (the
        projects' request lists are read once, the first time a flag is asked about)."""
        return any(
            str(raw.get("id")) in self.reviews.project(contexts[env].project_id).by_flag
            for env, raw in copies.items()
        )

    def _reviewed(self, key: str, work: Any, live: LiveState, cancel_stale: bool) -> Any:
        """`work` (a `FlagWork`) with the writes approval policies gate marked as change
        requests, and the open change requests on the flag judged."""
        project_ids = {env: context.project_id for env, context in live.projects.items()}
        changes, steps, pending = self.reviews.route(
            key, work.changes, work.steps, live.raw.get(key, {}), project_ids, cancel_stale
        )
        return type(work)(changes=changes, steps=steps, pending=[*work.pending, *pending])

    def _finish_reviews(self, plan: Plan) -> None:
        """The declared approval policies, and what the plan could not do because of reviews."""
        self.plan_approval_policies(plan)
        self.reviews.finish(plan)

    def plan_approval_policies(self, plan: Plan) -> None:
        """The workspace's approval policies (project-wide: not planned under --flag)."""
        options = plan.options
        if options.get("flag_patterns"):
            return
        chosen = set(options.get("environments") or plan.environments)
        projects = {e: p for e, p in self.workspace.project_ids.items() if e in chosen}
        approval_policies.plan_policies(
            self.workspace.approval_policies,
            projects,
            lambda project_id: self.reviews.project(project_id).policies,
            self.workspace.ownership,
            plan,
            adopt=bool(options.get("adopt")),
            prune=bool(options.get("prune")) and not options.get("environments"),
        )

    def approval_policy_entries(self) -> list[dict[str, Any]] | None:
        """Every live approval policy of the workspace's projects, as the workspace declares
        them (`flagsync import`); None when PostHog does not show them to this key."""
        entries: list[dict[str, Any]] = []
        for env, project_id in self.workspace.project_ids.items():
            live = self.reviews.project(project_id).policies
            if live is None:
                return None
            entries.extend(approval_policies.entry_of(p, env) for p in live)
        return entries
