"""Who is calling and which project they address, as PostHog's DRF stack decides it.

PostHog's `PersonalAPIKeyAuthentication` takes the first key candidate it finds, in this order:
the `Authorization: Bearer` header, a `personal_api_key` body field, a `personal_api_key` query
parameter. A candidate that does not match a key is a 401 `authentication_failed` naming where
the key was found; no candidate at all is a 401 `not_authenticated` (PostHog's authenticators
set `WWW-Authenticate: Bearer`, which is what makes DRF answer 401 rather than 403).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from .errors import authentication_failed, not_authenticated, not_found
from .state import PostHogState, Record

_BEARER = re.compile(r"^Bearer\s+(\S.+)$")


def find_personal_key(request: Request, body: Callable[[], Any]) -> tuple[str, str] | None:
    """The first personal API key candidate and where it was found, or None.

    `body` parses the request body on demand: it is only read when the header has no key."""
    header = request.headers.get("authorization")
    if header is not None:
        match = _BEARER.match(header)
        if match:
            token = match.group(1).strip()
            # PostHog lets OAuth access tokens (pha_) fall through to the next authenticator.
            if not token.startswith("pha_"):
                return token, "Authorization header"
    data = body()
    if isinstance(data, dict) and "personal_api_key" in data:
        return str(data["personal_api_key"]), "body"
    if "personal_api_key" in request.query_params:
        return request.query_params["personal_api_key"], "query string"
    return None


def authenticate(request: Request, state: PostHogState, body: Callable[[], Any]) -> Record:
    """The user a request acts as; raises the 401 PostHog would send."""
    candidate = find_personal_key(request, body)
    if candidate is None:
        raise not_authenticated()
    value, source = candidate
    user = state.user_for_personal_key(value)
    if user is None:
        raise authentication_failed(f"Personal API key found in request {source} is invalid.")
    return user


def resolve_project(state: PostHogState, user: Record, raw_project_id: str) -> Record:
    """The project a `/api/projects/{project_id}/` URL addresses (`@current` allowed)."""
    # Vendor behaviour unknown: the body for an unknown numeric project id. PostHog's
    # `TeamAndOrgViewSetMixin.team` raises NotFound("Project not found.") for a missing team; newer
    # project-scoped views may fail differently before reaching it.
    if raw_project_id == "@current":
        project = state.project(int(user.get("current_project_id") or 0))
    else:
        # Vendor behaviour unknown: a non-numeric id. PostHog's router passes it to a Team lookup;
        # answering the same 404 as an unknown numeric id is the most plausible outcome.
        project = state.project(int(raw_project_id)) if raw_project_id.isdigit() else None
    if project is None:
        raise not_found("Project not found.")
    return project


def project_from_token(state: PostHogState, token: str | None, user: Record) -> Record:
    """The project a local-evaluation request addresses with `?token=<project api key>`.

    PostHog's `_get_team_from_request` lets the token override the URL's project for
    personal-API-key requests, and rejects a token that matches no project with a bare
    AuthenticationFailed. Without a token the user's current project is used.
    """
    if token is None or token == "":
        project = state.project(int(user.get("current_project_id") or 0))
        if project is None:
            raise not_found("Project not found.")
        return project
    project = state.project_for_token(token)
    if project is None:
        raise authentication_failed()
    return project
