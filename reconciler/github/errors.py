"""The action's expected failures, each printed as one clear line (never a traceback)."""

from __future__ import annotations


class ActionError(Exception):
    """Something the workflow's author can fix: a missing file, a refused check, a bad input."""


class GitHubError(ActionError):
    """GitHub's API refused or failed a request; `status` is None when it was never reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
