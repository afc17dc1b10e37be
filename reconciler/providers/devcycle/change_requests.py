"""DevCycle Feature Change Requests: opening them, and recognising the ones already open.

A change request carries the exact PATCH a direct apply would send (`{path, method, body}`).
flagsync writes a fingerprint of that body into the request's description, `[flagsync:<hash>]`:
DevCycle keeps descriptions verbatim, so a later plan can tell whether an open request already
carries the change it wants (nothing to do), carries a change the manifests no longer want
(stale), or was opened by someone else (the feature is locked until it is resolved).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Literal
from urllib.parse import quote

from reconciler.plan import ApiCall, PendingRequest, Ref, Step, Subject

CREATED_REQUEST = Ref(to="previous", field="_id")
"""The `_id` of the change request the step's previous call created: submitted under it."""
MARKER = re.compile(r"\[flagsync:([0-9a-f]{16})\]")
OPEN_STATUSES = ("draft", "pending")
DESCRIPTION_LIMIT = 1000  # the vendor's limit


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def describe(template: str, flag: str, environments: list[str], summary: str, digest: str) -> str:
    """The request's description: the workspace's template, then the fingerprint marker."""
    text = template.format(flag=flag, environments=", ".join(environments), summary=summary)
    marker = f"\n\n[flagsync:{digest}]"
    return text[: DESCRIPTION_LIMIT - len(marker)] + marker


def request_step(
    project_path: str,
    key: str,
    body: dict[str, Any],
    environments: list[str],
    reviewers: list[str],
    description: str,
    cancel: tuple[str, ...] = (),
    suffix: str = "",
) -> Step:
    """Open a change request for `body` and submit it for review (cancelling stale ones first).

    `suffix` names the PATCH it carries: "" the feature's own, "/status" its status."""
    feature = f"{project_path}/features/{quote(key, safe='')}"
    calls = _cancels(feature, key, cancel)
    calls.append(
        ApiCall(
            method="POST",
            path=f"{feature}/change-requests",
            role="open-request",
            body={"path": f"{feature}{suffix}", "method": "PATCH", "body": body},
            subject=Subject(kind="change_request", key=key),
        )
    )
    calls.append(
        ApiCall(
            method="PATCH",
            path=f"{feature}/change-requests/{CREATED_REQUEST.token}/submit",
            role="submit-request",
            refs=[CREATED_REQUEST],
            body={"description": description, "reviewers": reviewers},
            subject=Subject(kind="change_request", key=key, id=CREATED_REQUEST.token),
        )
    )
    return Step(
        kind="change-request",
        action="update",
        key=key,
        calls=calls,
        via="change-request",
        environments=environments,
        reviewers=reviewers,
    )


def cancel_step(project_path: str, key: str, cancel: tuple[str, ...]) -> Step:
    """Only cancel stale requests (the manifests no longer want any change)."""
    feature = f"{project_path}/features/{quote(key, safe='')}"
    calls = _cancels(feature, key, cancel)
    return Step(kind="cancel-requests", action="update", key=key, calls=calls, via="change-request")


def _cancels(feature: str, key: str, cancel: tuple[str, ...]) -> list[ApiCall]:
    return [
        ApiCall(
            method="PATCH",
            path=f"{feature}/change-requests/{rid}/cancel",
            role="cancel-request",
            subject=Subject(kind="change_request", key=key, id=rid),
        )
        for rid in cancel
    ]


def requests_path(project_path: str, key: str) -> str:
    """The change requests of feature `key` (where one is opened, and listed)."""
    return f"{project_path}/features/{quote(key, safe='')}/change-requests"


def request_path(project_path: str, key: str, request_id: str) -> str:
    """One change request of feature `key`."""
    return f"{requests_path(project_path, key)}/{quote(request_id, safe='')}"


def classify(key: str, requests: list[dict[str, Any]], digest: str | None) -> list[PendingRequest]:
    """The open change requests of a feature, judged against the change a plan wants to send
    (`digest`, None when the plan sends no change request for this feature)."""
    found = []
    for request in requests:
        if request.get("status") not in OPEN_STATUSES:
            continue
        match = MARKER.search(request.get("description") or "")
        state: Literal["matches", "stale", "foreign"]
        if match is None:
            state = "foreign"
        elif match.group(1) == digest:
            state = "matches"
        else:
            state = "stale"
        found.append(
            PendingRequest(key=key, id=str(request["_id"]), status=request["status"], state=state)
        )
    return found
