"""The sticky pull request comment: one per workspace, found again by its marker, edited in place.

Each push to a pull request re-plans; editing the one comment (instead of adding one per push)
keeps the conversation readable and leaves exactly one plan for reviewers to approve. Only
comments written by the action's own identity count: a marker pasted by someone else is ignored,
so nobody can plant the plan that the check before apply trusts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.github.api import GitHubApi
from reconciler.github.errors import ActionError, GitHubError

Mode = Literal["true", "false", "changes-only"]
MODES: tuple[Mode, ...] = ("true", "false", "changes-only")
Decision = Literal["create", "update", "skip"]


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author: str
    author_type: str
    url: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Comment:
        user = data.get("user") or {}
        return cls(
            id=int(data["id"]),
            body=str(data.get("body") or ""),
            author=str(user.get("login", "")),
            author_type=str(user.get("type", "")),
            url=str(data.get("html_url", "")),
        )


@dataclass(frozen=True)
class Identity:
    """Who the token acts as. `GITHUB_TOKEN` and GitHub App tokens cannot ask (`GET /user`
    answers 403); their comments are a bot's, so then any bot's comment is trusted."""

    login: str | None

    def wrote(self, comment: Comment) -> bool:
        if self.login is not None:
            return comment.author == self.login
        return comment.author_type == "Bot"


def whoami(api: GitHubApi) -> Identity:
    try:
        user = api.get("/user")
    except GitHubError as error:
        if error.status in (403, 404):
            return Identity(None)
        raise
    login = user.get("login") if isinstance(user, dict) else None
    return Identity(str(login) if login else None)


def issue_comments(api: GitHubApi, repository: str, number: int) -> Iterator[Comment]:
    for item in api.paginate(f"/repos/{repository}/issues/{number}/comments"):
        yield Comment.from_api(item)


def find_sticky(
    api: GitHubApi, repository: str, number: int, marker: str, identity: Identity
) -> Comment | None:
    """The workspace's comment: the oldest one the action wrote that starts with the marker."""
    for comment in issue_comments(api, repository, number):
        if comment.body.startswith(marker) and identity.wrote(comment):
            return comment
    return None


def decide(mode: Mode, worth_posting: bool, existing: Comment | None) -> Decision:
    """`changes-only` posts a new comment only when there is something to review, but always
    updates an existing one, so a comment never keeps showing changes that are gone."""
    if mode == "false":
        return "skip"
    if existing is not None:
        return "update"
    if mode == "changes-only" and not worth_posting:
        return "skip"
    return "create"


def upsert(
    api: GitHubApi,
    repository: str,
    number: int,
    decision: Decision,
    body: str,
    existing: Comment | None,
) -> Comment | None:
    """Carry out a decision; returns the comment as it now is (None when skipped)."""
    if decision == "skip":
        return None
    if decision == "create":
        data = api.post(f"/repos/{repository}/issues/{number}/comments", {"body": body})
        return Comment.from_api(data)
    if existing is None:
        raise ActionError("internal: an update needs the existing comment")
    if existing.body == body:
        return existing
    data = api.patch(f"/repos/{repository}/issues/comments/{existing.id}", {"body": body})
    return Comment.from_api(data)
