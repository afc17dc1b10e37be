"""The workspace file (flagsync.yaml): which vendor project, which environments, which manifests.

Credentials never live here: they come from environment variables only (see the provider), so a
workspace file can be committed and shown in a pull request as it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, model_validator

from reconciler.errors import Problem, ValidationFailed, WorkspaceError
from reconciler.manifest import schema_check
from reconciler.manifest.source import Document, display_name, read_yaml
from reconciler.ownership import Ownership
from reconciler.providers.registry import VENDORS, provider_class

__all__ = ["Workspace", "display_name", "load_workspace"]

DEFAULT_FILE = "flagsync.yaml"
DEFAULT_REQUEST_DESCRIPTION = "flagsync: {summary}"
DEFAULT_MANIFESTS = "flags/"
DEFAULT_TESTS = "flag-tests/"


class EnvironmentSettings(BaseModel):
    """How flagsync changes one environment: directly, or through a change request that
    reviewers approve (DevCycle's Feature Change Requests)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    changes: Literal["direct", "change-request"] = "direct"
    reviewers: tuple[str, ...] = ()
    description: str = DEFAULT_REQUEST_DESCRIPTION
    project_id: int | None = None
    """Where each environment is a project of its own (a provider declaring
    `ENVIRONMENTS_ARE_PROJECTS`, such as PostHog's, which has no environments inside a
    project): the project this environment is, with its own ids."""


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
    provider: str
    """The vendor: a key of `reconciler.providers.registry.VENDORS` (the schema lists them)."""
    name: str | None = None
    """Who owns what this workspace creates (`reconciler.ownership`); None: the legacy marker."""
    project: str = ""
    api_url: str = ""
    """The management API's base URL; left out: the provider's `DEFAULT_API_URL`."""
    auth_url: str | None = None
    """The token endpoint, for a provider that declares one (`DEFAULT_AUTH_URL`, used when
    this is left out); None for the others."""
    environments: dict[str, EnvironmentSettings]
    manifests: tuple[Path, ...]
    tests: tuple[Path, ...] = ()
    """Flag test files, folders or globs (`flagsync test`); the default folder flag-tests/
    only when it exists."""
    tests_declared: bool = False
    impact_sample: Path | None = None
    """Users (JSON Lines) a plan evaluates before and after a rule change, for its impact."""
    prune: bool = False
    safety: Safety = Safety()
    rate_limit: RateLimit = RateLimit()
    concurrency: int = 8
    approval_policies: tuple[dict[str, Any], ...] = ()
    """The approval policies flagsync manages (a vendor declaring `SUPPORTS_APPROVAL_POLICIES`)."""

    @model_validator(mode="before")
    @classmethod
    def _provider_urls(cls, data: Any) -> Any:
        """The URLs the workspace leaves out are the provider's defaults (its declarations)."""
        if not isinstance(data, dict) or not isinstance(data.get("provider"), str):
            return data
        vendor = provider_class(data["provider"])
        defaults = {"api_url": vendor.DEFAULT_API_URL, "auth_url": vendor.DEFAULT_AUTH_URL}
        return {**data, **{k: v for k, v in defaults.items() if data.get(k) is None}}

    @property
    def ownership(self) -> Ownership:
        return Ownership.of(self.name)

    @property
    def environment_names(self) -> list[str]:
        return list(self.environments)

    @property
    def change_request_environments(self) -> list[str]:
        return [name for name, env in self.environments.items() if env.changes == "change-request"]

    @property
    def project_label(self) -> str:
        """What plans call the target: the project's key, or (where each environment is a
        project) the projects by environment (`staging=1, production=2`), which also ties a
        saved plan to them."""
        if provider_class(self.provider).ENVIRONMENTS_ARE_PROJECTS:
            return ", ".join(f"{env}={s.project_id}" for env, s in self.environments.items())
        return self.project

    @property
    def project_ids(self) -> dict[str, int]:
        """Environment -> project id, where environments are projects (every environment has
        one once loaded)."""
        return {env: s.project_id for env, s in self.environments.items() if s.project_id}


def load_workspace(path: Path | None) -> Workspace:
    """Read and validate the workspace file (default ./flagsync.yaml)."""
    file = path or Path(DEFAULT_FILE)
    if file.is_dir():
        file = file / DEFAULT_FILE
    if not file.exists():
        raise WorkspaceError(
            f"{display_name(file)}: no workspace file here. Create one (see README: "
            "'The workspace file') or pass --workspace PATH."
        )
    document = read_yaml(file, display_name(file))
    if not isinstance(document, Document):
        raise ValidationFailed([document])
    if not isinstance(document.data, dict):
        raise ValidationFailed([document.problem([], "the workspace file must be a mapping")])
    problems = schema_check.check(document, "workspace") or provider_problems(document)
    if problems:
        raise ValidationFailed(problems)
    data: dict[str, Any] = document.data
    base = file.parent
    manifests = data.get("manifests", DEFAULT_MANIFESTS)
    manifests = [manifests] if isinstance(manifests, str) else manifests
    return Workspace(
        file=file,
        provider=data["provider"],
        name=data.get("name"),
        project=str(data.get("project", "")),
        api_url=_api_url(data, file),
        auth_url=_auth_url(data, file),
        environments={
            name: EnvironmentSettings(**(v or {})) for name, v in data["environments"].items()
        },
        manifests=tuple(base / entry for entry in manifests),
        tests=tuple(base / entry for entry in _entries(data.get("tests", DEFAULT_TESTS))),
        tests_declared="tests" in data,
        impact_sample=base / data["impact_sample"] if "impact_sample" in data else None,
        prune=data.get("prune", False),
        safety=Safety(**data.get("safety", {})),
        rate_limit=RateLimit(**data.get("rate_limit", {})),
        concurrency=data.get("concurrency", 8),
        approval_policies=tuple(data.get("approval_policies") or ()),
    )


def _entries(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _api_url(data: dict[str, Any], file: Path) -> str:
    """The workspace's API URL, overridden by the provider's environment variable (both
    declared by the provider: `DEFAULT_API_URL`, `API_URL_VARIABLE`)."""
    vendor = provider_class(data["provider"])
    url = _url(vendor.API_URL_VARIABLE, "api_url", data, vendor.DEFAULT_API_URL, file)
    return url.rstrip("/")


def _auth_url(data: dict[str, Any], file: Path) -> str | None:
    """The workspace's token endpoint, overridden by the provider's environment variable (both
    declared by the provider: `DEFAULT_AUTH_URL`, `AUTH_URL_VARIABLE`); None for a provider
    that declares none."""
    vendor = provider_class(data["provider"])
    if vendor.AUTH_URL_VARIABLE is None or vendor.DEFAULT_AUTH_URL is None:
        return None
    return _url(vendor.AUTH_URL_VARIABLE, "auth_url", data, vendor.DEFAULT_AUTH_URL, file)


def _url(variable: str, name: str, data: dict[str, Any], default: str, file: Path) -> str:
    """A URL from the environment variable, else the workspace, else the default; one that is
    not http(s)://host is refused here, naming where it came from (retrying cannot fix it)."""
    from_environment = os.environ.get(variable)
    url = str(from_environment or data.get(name, default))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        where = variable if from_environment else f"{display_name(file)}: {name}"
        raise WorkspaceError(
            f"{where}: {url!r} is not a URL (expected https://host or http://host)"
        )
    return url


def provider_problems(document: Document) -> list[Problem]:
    """What the workspace's vendor needs that the schema cannot say per vendor, read from its
    provider's declarations (`reconciler.providers.base.Provider`): one `project`, or (where
    each environment is a project) a distinct `project_id` per environment; and no change
    requests where the vendor has none."""
    data: dict[str, Any] = document.data
    vendor = provider_class(data["provider"])
    problems = (
        _project_per_environment(document, vendor.LABEL)
        if vendor.ENVIRONMENTS_ARE_PROJECTS
        else _one_project(document, vendor.LABEL)
    )
    problems += _review_settings(document, vendor)
    if not vendor.SUPPORTS_CHANGE_REQUESTS:
        for env, settings in data["environments"].items():
            if (settings or {}).get("changes") == "change-request":
                problems.append(
                    document.problem(
                        ["environments", env, "changes"],
                        f"change requests are not supported for {vendor.LABEL} yet: use "
                        "`changes: direct` (or leave it out) and review the plan in the pull "
                        "request",
                    )
                )
    return problems


def _review_settings(document: Document, vendor: Any) -> list[Problem]:
    """`approval_policies` only for a vendor that has them; `reviewers` and `description` only
    for one whose change requests name them (elsewhere the vendor's policies do)."""
    data: dict[str, Any] = document.data
    problems: list[Problem] = []
    if "approval_policies" in data and not vendor.SUPPORTS_APPROVAL_POLICIES:
        problems.append(
            document.problem(
                ["approval_policies"],
                f"approval_policies are not supported for {vendor.LABEL}: its reviews are set "
                "per environment (`changes: change-request`, `reviewers`)",
                at_key=True,
            )
        )
    if vendor.SUPPORTS_CHANGE_REQUESTS and not vendor.CHANGE_REQUEST_REVIEWERS:
        for env, settings in data["environments"].items():
            for name in ("reviewers", "description"):
                if name in (settings or {}):
                    problems.append(
                        document.problem(
                            ["environments", env, name],
                            f"`{name}` does not apply to {vendor.LABEL}: a change request's "
                            "approvers come from the project's approval policies (see "
                            "`approval_policies`)",
                            at_key=True,
                        )
                    )
    return problems


def _one_project(document: Document, label: str) -> list[Problem]:
    """A vendor whose environments live in one project: the workspace names the project, and
    its environments by key."""
    data: dict[str, Any] = document.data
    problems: list[Problem] = []
    if "project" not in data:
        problems.append(document.problem([], "missing required field 'project'"))
    elsewhere = [
        provider_class(name).LABEL
        for name in VENDORS
        if provider_class(name).ENVIRONMENTS_ARE_PROJECTS
    ]
    for env, settings in data["environments"].items():
        if "project_id" in (settings or {}):
            problems.append(
                document.problem(
                    ["environments", env, "project_id"],
                    f"project_id is for {' and '.join(elsewhere) or 'another vendor'}; a {label} "
                    "environment is named by its key",
                    at_key=True,
                )
            )
    return problems


def _project_per_environment(document: Document, label: str) -> list[Problem]:
    """A vendor whose environments are projects: each names its own `project_id`."""
    data: dict[str, Any] = document.data
    problems: list[Problem] = []
    seen: dict[int, str] = {}
    for env, settings in data["environments"].items():
        settings = settings or {}
        if "project_id" not in settings:
            problems.append(
                document.problem(
                    ["environments", env],
                    f"environment '{env}' needs `project_id: <id>`: with {label} each "
                    "environment is a project (the number in the project's URL, /project/<id>/)",
                    at_key=True,
                )
            )
        elif settings["project_id"] in seen:
            problems.append(
                document.problem(
                    ["environments", env, "project_id"],
                    f"project {settings['project_id']} is already environment "
                    f"'{seen[settings['project_id']]}': each environment needs its own project",
                )
            )
        else:
            seen[settings["project_id"]] = env
    return problems
