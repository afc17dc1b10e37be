"""PostHog change requests: which planned flag writes go to review, and what is already open.

A PostHog project's approval policies decide which writes are reviewed (`approvals.py`); a
gated `PATCH` answers 409 with the change request PostHog opened, and PostHog applies the
write itself once reviewers approve. A plan reads each project's change requests once and
judges the open ones on the flags it looks at:

- matches: flagsync opened it (it is the request's author and the request carries its
  ownership marker) with exactly the PATCH body the plan would send: nothing to do;
- stale: flagsync opened it for another change: `--cancel-stale` cancels it first (PostHog lets
  only the author cancel), otherwise the flag waits;
- foreign: someone else's: the flag is locked in that project until it is resolved (any write
  would make the request fail on approval: PostHog checks the flag's `version`).

Requests closed recently without being applied (rejected, expired, failed) are reported with
their reason; one flagsync cancelled itself is not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from reconciler.errors import ApiError
from reconciler.plan import ApiCall, Change, PendingRequest, Plan, Step, Subject
from reconciler.providers.posthog import approvals

OPEN = ("pending", "approved")
CLOSED = ("rejected", "expired", "failed")
RECENT = timedelta(days=7)
_NOT_SENT = ("version", "original_flag")
Lister = Callable[[str, dict[str, Any] | None], list[Any]]


def body_digest(body: Any) -> str:
    """A fingerprint of a flag PATCH, without the fields that only guard it (`version`,
    `original_flag`): the same change planned again has the same digest."""
    kept = {k: v for k, v in (body or {}).items() if k not in _NOT_SENT}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]


def link(api_url: str, project_id: int | str, request_id: str) -> str:
    """Where a reviewer opens the request (`notifications._build_change_request_url`)."""
    return f"{api_url.rstrip('/')}/project/{project_id}/approvals/{request_id}"


def recovered(error: ApiError, api_url: str, project_id: str) -> dict[str, Any] | None:
    """The 409 of a gated write as the answer apply reports: the request's id and link, and
    whether PostHog answered with a request that was already open."""
    body = error.body if isinstance(error.body, dict) else {}
    request_id = body.get("change_request_id")
    if error.status != 409 or request_id is None:
        return None
    return {
        "flagsync_change_request": str(request_id),
        "flagsync_link": link(api_url, project_id, str(request_id)),
        "flagsync_already_open": body.get("code") == "change_request_pending",
    }


@dataclass
class ProjectReviews:
    """One project's approval policies and flag change requests (None: not readable)."""

    policies: list[dict[str, Any]] | None
    requests: list[dict[str, Any]] | None
    by_flag: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for request in self.requests or []:
            self.by_flag.setdefault(str(request.get("resource_id")), []).append(request)


@dataclass
class Reviews:
    """The change requests and policies of the workspace's projects, read once each."""

    list_all: Lister
    api_url: str
    marker: str
    reviewed: set[str]
    """Environments declared `changes: change-request`."""
    expects_reviews: bool = True
    """Whether the workspace relies on reviews (declares reviewed environments or policies):
    only then is a key that cannot see them worth a notice on every plan."""
    _projects: dict[int, ProjectReviews] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def project(self, project_id: int) -> ProjectReviews:
        if project_id not in self._projects:
            base = f"/api/projects/{project_id}"
            policies = self._read(f"{base}/approval_policies/", None, project_id)
            requests = self._read(
                f"{base}/change_requests/", {"resource_type": "feature_flag"}, project_id
            )
            self._projects[project_id] = ProjectReviews(policies, requests)
        return self._projects[project_id]

    def _read(self, path: str, params: dict[str, Any] | None, project_id: int) -> Any:
        try:
            rows = self.list_all(path, params)
        except ApiError as error:
            if error.status not in (403, 404):
                raise
            note = (
                f"PostHog project {project_id}: its approval policies and change requests "
                f"answered {error.status}, so this plan cannot see them (PostHog serves them "
                "only to personal API keys without scopes, i.e. with all access)"
            )
            if self.expects_reviews and note not in self.notices:
                self.notices.append(note)
            return None
        return [row for row in rows if isinstance(row, dict)]

    def route(
        self,
        key: str,
        changes: list[Change],
        steps: list[Step],
        live_raw: dict[str, dict[str, Any]],
        project_ids: dict[str, int],
        cancel_stale: bool,
    ) -> tuple[list[Change], list[Step], list[PendingRequest]]:
        """The flag's changes and steps, with gated writes marked as change requests, writes
        already waiting in a matching request dropped, and writes to a locked flag held."""
        kept: list[Step] = []
        pending: list[PendingRequest] = []
        waiting: dict[str, str] = {}
        reviewed_envs: set[str] = set()
        envs = sorted({*live_raw, *(e for s in steps for e in s.environments)})
        planned = {
            s.environments[0]: s
            for s in steps
            if s.action == "update" and len(s.environments) == 1 and s.calls
        }
        chosen = {id(s) for s in planned.values()}
        kept.extend(s for s in steps if id(s) not in chosen)
        for env in envs:
            raw = live_raw.get(env)
            step = planned.get(env)
            project_id = project_ids.get(env)
            if project_id is None:
                continue
            if raw is None or step is None:
                if raw is not None:
                    found, _ = self._judge(key, env, project_id, raw, None, cancel_stale)
                    pending.extend(found)
                    if any(p.state == "stale" and p.cancelled for p in found):
                        kept.append(_cancel_step(key, env, project_id, found))
                continue
            body = step.calls[-1].body if step.calls else None
            found, verdict = self._judge(key, env, project_id, raw, body, cancel_stale)
            pending.extend(found)
            if verdict == "matches":
                waiting[env] = next(p.id for p in found if p.state == "matches")
                continue
            if verdict == "held":
                self.blocked.append(f"{key} [{env}]")
                open_ids = ", ".join(p.id for p in found if p.state in ("stale", "foreign"))
                self.notices.append(
                    f"flag '{key}' [{env}]: not changed while change request {open_ids} is open "
                    "in PostHog (a write now would make it fail on approval); see Open change "
                    "requests"
                )
                continue
            policies = self.project(project_id).policies
            gated = policies is not None and approvals.gating_policy(policies, raw, body or {})
            if env in self.reviewed and not gated:
                self.blocked.append(f"{key} [{env}]")
                self.notices.append(
                    f"flag '{key}' [{env}]: the environment is reviewed (`changes: "
                    f"change-request`) but no enabled approval policy of PostHog project "
                    f"{project_id} gates this change, so PostHog would apply it directly; it "
                    "is held (declare a policy for it, or use `changes: direct`)"
                )
                continue
            cancels = [
                _cancel_call(project_id, p.id) for p in found if p.state == "stale" and p.cancelled
            ]
            if gated or cancels:
                step = step.model_copy(
                    update={
                        "calls": [*cancels, *step.calls],
                        "via": "change-request" if gated else step.via,
                    }
                )
            if gated:
                reviewed_envs.add(env)
            kept.append(step)
        return _marked(changes, waiting, reviewed_envs, kept), kept, pending

    def _judge(
        self,
        key: str,
        env: str,
        project_id: int,
        raw: dict[str, Any],
        body: Any,
        cancel_stale: bool,
    ) -> tuple[list[PendingRequest], Literal["matches", "held", "free"]]:
        """The open and recently closed requests on the flag in one project, and what they
        mean for the planned PATCH `body` (None: the plan sends none)."""
        mine = self.project(project_id).by_flag.get(str(raw.get("id")), [])
        found: list[PendingRequest] = []
        digest = body_digest(body) if body is not None else None
        verdict: Literal["matches", "held", "free"] = "free"
        for request in mine:
            if request.get("state") not in OPEN:
                continue
            data = (request.get("intent") or {}).get("full_request_data") or {}
            ours = bool(request.get("is_requester")) and self.marker in (data.get("tags") or [])
            state: Literal["matches", "stale", "foreign"]
            if not ours:
                state = "foreign"
            elif digest is not None and body_digest(data) == digest:
                state = "matches"
            else:
                state = "stale"
            cancelled = state == "stale" and cancel_stale and request.get("state") == "pending"
            found.append(
                PendingRequest(
                    key=f"{key} [{env}]",
                    id=str(request.get("id")),
                    status=str(request.get("state")),
                    state=state,
                    cancelled=cancelled,
                )
            )
        if any(p.state == "matches" for p in found):
            verdict = "matches"
        elif any(p.state == "foreign" or (p.state == "stale" and not p.cancelled) for p in found):
            verdict = "held"
        if not any(r.get("state") in OPEN for r in mine):
            closed = _recently_closed(mine, self.marker)
            if closed is not None:
                found.append(closed.model_copy(update={"key": f"{key} [{env}]"}))
        return found, verdict

    def finish(self, plan: Plan) -> None:
        """What the plan could not do, and why."""
        for item in self.blocked:
            if item not in plan.blocked:
                plan.blocked.append(item)
        plan.notices.extend(n for n in self.notices if n not in plan.notices)


def _cancel_call(project_id: int, request_id: str) -> ApiCall:
    path = f"/api/projects/{project_id}/change_requests/{request_id}/cancel/"
    about = Subject(kind="change_request", id=request_id, scope=str(project_id))
    return ApiCall(method="POST", path=path, role="cancel-request", subject=about)


def _cancel_step(key: str, env: str, project_id: int, found: list[PendingRequest]) -> Step:
    calls = [_cancel_call(project_id, p.id) for p in found if p.state == "stale" and p.cancelled]
    return Step(
        kind="cancel-requests",
        action="update",
        key=key,
        environments=[env],
        calls=calls,
        via="change-request",
    )


def _marked(
    changes: list[Change], waiting: dict[str, str], reviewed: set[str], steps: list[Step]
) -> list[Change]:
    """The changes, each saying how it travels: awaiting a pending request, or to review."""
    flag_wide_waiting = bool(waiting) and not any(s.action == "update" for s in steps)
    result = []
    for change in changes:
        env = change.environment
        if env in waiting or (env is None and flag_wide_waiting):
            request = waiting.get(env or "") or next(iter(waiting.values()))
            change = change.model_copy(update={"pending_request": request})
        elif env in reviewed or (env is None and reviewed):
            change = change.model_copy(update={"via": "change-request"})
        result.append(change)
    return result


def _recently_closed(requests: list[dict[str, Any]], marker: str) -> PendingRequest | None:
    """The newest request if it was closed without being applied in the last days, with its
    reason; None when it was applied, is old, or flagsync cancelled it itself."""
    if not requests:
        return None
    newest = max(requests, key=lambda r: str(r.get("created_at") or ""))
    state = newest.get("state")
    if state not in CLOSED:
        return None
    stamp = str(newest.get("updated_at") or newest.get("created_at") or "")
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if datetime.now(UTC) - when > RECENT:
        return None
    votes = [v for v in newest.get("approvals") or [] if v.get("decision") == "rejected"]
    author = (newest.get("created_by") or {}).get("id")
    if (
        state == "rejected"
        and votes
        and all((v.get("created_by") or {}).get("id") == author for v in votes)
    ):
        return None  # cancelled by its author
    if state == "rejected":
        vote = votes[-1] if votes else {}
        who = (vote.get("created_by") or {}).get("email") or "a reviewer"
        reason = f"rejected by {who}: {vote.get('reason') or '(no reason given)'}"
    elif state == "expired":
        reason = f"expired unreviewed at {newest.get('expires_at')}"
    else:
        reason = f"approved but could not be applied: {newest.get('apply_error') or 'unknown'}"
    closed: Literal["rejected", "expired", "failed"] = (
        "rejected" if state == "rejected" else "expired" if state == "expired" else "failed"
    )
    return PendingRequest(
        key="", id=str(newest.get("id")), status=closed, state=closed, reason=reason
    )
