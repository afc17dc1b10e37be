"""The workspace file (flagsync.yaml): which vendor project, which environments, which manifests.

Credentials never live here: they come from environment variables only (see the provider), so a
workspace file can be committed and shown in a pull request as it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from reconciler.errors import FlagsyncError, ValidationFailed
from reconciler.manifest import schema_check
from reconciler.manifest.source import Document, read_yaml

DEFAULT_FILE = "flagsync.yaml"
DEFAULT_REQUEST_DESCRIPTION = "flagsync: {summary}"
DEFAULT_MANIFESTS = "flags/"
DEVCYCLE_API_URL = "https://api.devcycle.com"
DEVCYCLE_AUTH_URL = "https://auth.devcycle.com/oauth/token"
# Override the workspace's URLs without editing it (e.g. to point CI at an emulator).
API_URL_VARIABLE = "DEVCYCLE_API_URL"
AUTH_URL_VARIABLE = "DEVCYCLE_AUTH_URL"


class EnvironmentSettings(BaseModel):
    """How flagsync changes one environment: directly, or through a change request that
    reviewers approve (DevCycle's Feature Change Requests)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    changes: Literal["direct", "change-request"] = "direct"
    reviewers: tuple[str, ...] = ()
    description: str = DEFAULT_REQUEST_DESCRIPTION


class Safety(BaseModel):
    """Thresholds above which apply stops unless forced (percent of the managed flags)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_updates: float = 30.0
    max_deletes: float = 30.0
    min_existing: int = 10


class RateLimit(BaseModel):
    """Requests per minute / hour this credential may send (PostHog: 480 / 4,800)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_minute: int | None = None
    per_hour: int | None = None


class Workspace(BaseModel):
    """A loaded, validated workspace file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: Path
    provider: Literal["devcycle"]
    project: str
    api_url: str = DEVCYCLE_API_URL
    auth_url: str = DEVCYCLE_AUTH_URL
    environments: dict[str, EnvironmentSettings]
    manifests: tuple[Path, ...]
    prune: bool = False
    safety: Safety = Safety()
    rate_limit: RateLimit = RateLimit()
    concurrency: int = 8

    @property
    def environment_names(self) -> list[str]:
        return list(self.environments)

    @property
    def change_request_environments(self) -> list[str]:
        return [name for name, env in self.environments.items() if env.changes == "change-request"]


def display_name(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_workspace(path: Path | None) -> Workspace:
    """Read and validate the workspace file (default ./flagsync.yaml)."""
    file = path or Path(DEFAULT_FILE)
    if file.is_dir():
        file = file / DEFAULT_FILE
    if not file.exists():
        raise FlagsyncError(
            f"{display_name(file)}: no workspace file here. Create one (see README: "
            "'The workspace file') or pass --workspace PATH."
        )
    document = read_yaml(file, display_name(file))
    if not isinstance(document, Document):
        raise ValidationFailed([document])
    if not isinstance(document.data, dict):
        raise ValidationFailed([document.problem([], "the workspace file must be a mapping")])
    problems = schema_check.check(document, "workspace")
    if problems:
        raise ValidationFailed(problems)
    data: dict[str, Any] = document.data
    base = file.parent
    manifests = data.get("manifests", DEFAULT_MANIFESTS)
    manifests = [manifests] if isinstance(manifests, str) else manifests
    return Workspace(
        file=file,
        provider=data["provider"],
        project=data["project"],
        api_url=(os.environ.get(API_URL_VARIABLE) or data.get("api_url", DEVCYCLE_API_URL)).rstrip(
            "/"
        ),
        auth_url=os.environ.get(AUTH_URL_VARIABLE) or data.get("auth_url", DEVCYCLE_AUTH_URL),
        environments={
            name: EnvironmentSettings(**(v or {})) for name, v in data["environments"].items()
        },
        manifests=tuple(base / entry for entry in manifests),
        prune=data.get("prune", False),
        safety=Safety(**data.get("safety", {})),
        rate_limit=RateLimit(**data.get("rate_limit", {})),
        concurrency=data.get("concurrency", 8),
    )
