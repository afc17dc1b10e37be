"""The GitHub Actions environment a step runs in, read once into one object.

Everything the action knows about its run (event, repository, commit, where to write outputs and
the job summary, which API to call) comes from the variables the runner sets, so tests can build
any situation by setting them, and `GITHUB_API_URL` can point at a fake API.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.github.errors import ActionError

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})


@dataclass(frozen=True)
class ActionsContext:
    """One run's facts. The token is kept out of `repr` so it cannot leak into a message."""

    event_name: str = ""
    event: dict[str, Any] = field(default_factory=dict)
    repository: str = ""
    sha: str = ""
    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    run_id: str = ""
    workspace_root: Path | None = None
    step_summary: Path | None = None
    output: Path | None = None
    runner_temp: Path | None = None
    token: str = field(default="", repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ActionsContext:
        """Read the runner's variables; the token comes from `GITHUB_TOKEN` (never an argument,
        which other processes on the machine could read)."""
        env = os.environ if environ is None else environ
        return cls(
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            event=_read_event(env.get("GITHUB_EVENT_PATH", "")),
            repository=env.get("GITHUB_REPOSITORY", ""),
            sha=env.get("GITHUB_SHA", ""),
            api_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            server_url=(env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/"),
            run_id=env.get("GITHUB_RUN_ID", ""),
            workspace_root=_path(env.get("GITHUB_WORKSPACE", "")),
            step_summary=_path(env.get("GITHUB_STEP_SUMMARY", "")),
            output=_path(env.get("GITHUB_OUTPUT", "")),
            runner_temp=_path(env.get("RUNNER_TEMP", "")),
            token=env.get("GITHUB_TOKEN", ""),
        )

    @property
    def is_pull_request(self) -> bool:
        return self.event_name in PULL_REQUEST_EVENTS

    @property
    def pull_request_number(self) -> int | None:
        pull = self.event.get("pull_request")
        number = pull.get("number") if isinstance(pull, dict) else self.event.get("number")
        return number if isinstance(number, int) else None

    @property
    def head_sha(self) -> str:
        """The commit a reader knows: the PR's head, not the merge commit `GITHUB_SHA` names on
        a pull_request event."""
        pull = self.event.get("pull_request")
        if isinstance(pull, dict):
            head = pull.get("head")
            if isinstance(head, dict) and isinstance(head.get("sha"), str):
                return str(head["sha"])
        return self.sha

    @property
    def run_url(self) -> str | None:
        if not (self.repository and self.run_id):
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def require_token(self) -> str:
        if not self.token:
            raise ActionError(
                "no GitHub token: set the action's `github-token` input (GITHUB_TOKEN is empty)"
            )
        return self.token

    def require_repository(self) -> str:
        if self.repository.count("/") != 1:
            raise ActionError(
                f"GITHUB_REPOSITORY is {self.repository!r}, not owner/name; "
                "is this running in GitHub Actions?"
            )
        return self.repository


def _path(value: str) -> Path | None:
    return Path(value) if value else None


def _read_event(path: str) -> dict[str, Any]:
    """The webhook payload that triggered the run; empty when there is none (a local run)."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ActionError(f"GITHUB_EVENT_PATH names {path}, which does not exist") from None
    except (OSError, ValueError) as error:
        raise ActionError(f"cannot read the event payload {path}: {error}") from None
    return data if isinstance(data, dict) else {}
