"""What flagsync needs from a vendor's provider, written down once: a base class every provider
subclasses.

A provider declares what its vendor supports in class attributes (`SUPPORTS_*`, as octoDNS
providers do) and overrides the hooks it has; the generic modules read the declarations (to
refuse what a vendor cannot do, naming it) and call the hooks, whose defaults do nothing. They
never ask which vendor a provider is. The live state each provider reads is its own type (it
carries vendor ids the provider needs later), so the base class is generic in it.

This module imports nothing from the workspace: the workspace reads these declarations (through
`registry.py`) to refuse settings a vendor does not support.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from reconciler.model import Experiment, Flag, FlagSet, Metric
from reconciler.plan import ApiCall, Change, PendingRequest, Plan, Step
from reconciler.providers.http import ApiClient


class LiveView(Protocol):
    """What one read saw: models of the asked-for flags (less those found `unchanged`, equal to
    the desired flag passed to `read`), fingerprints, and ownership (`reconciler.ownership`).

    A live state that is a dataclass declares `legacy` and `elsewhere` as fields defaulting to
    empty: a vendor whose objects carry no ownership markers leaves them so."""

    @property
    def flags(self) -> FlagSet: ...
    @property
    def fingerprints(self) -> Mapping[str, str]: ...
    @property
    def unchanged(self) -> set[str]: ...
    @property
    def owned(self) -> set[str]: ...
    @property
    def others(self) -> list[str]: ...
    @property
    def legacy(self) -> set[str]:
        """Flags with the bare legacy marker, as a named workspace sees them (adopting one
        moves it to the workspace's own marker)."""
        ...

    @property
    def elsewhere(self) -> Mapping[str, str]:
        """Flags another workspace owns: key -> that workspace's name."""
        ...


class Work(Protocol):
    """What a plan does for one flag: changes as the user reads them, and the steps."""

    @property
    def changes(self) -> list[Change]: ...
    @property
    def steps(self) -> list[Step]: ...
    @property
    def pending(self) -> list[PendingRequest]: ...


Live = TypeVar("Live", bound=LiveView)


class Provider(ABC, Generic[Live]):
    """Plan and apply against one vendor.

    Subclasses set `name` (the workspace's `provider:` value) and `LABEL` (how messages name
    the vendor), declare what they support, implement the abstract members and override the
    hooks of what they declare. `tests/test_provider_capabilities.py` checks that each
    declaration comes with its hook and each hook with its declaration.
    """

    name: ClassVar[str]
    LABEL: ClassVar[str]
    client: ApiClient
    DEFAULT_API_URL: ClassVar[str]
    """The management API's base URL when the workspace names none."""
    API_URL_VARIABLE: ClassVar[str]
    """The environment variable that overrides the workspace's `api_url` (to point CI at an
    emulator, say)."""
    DEFAULT_AUTH_URL: ClassVar[str | None] = None
    """The token endpoint when the workspace names none, for a vendor whose credentials are
    exchanged for a token at a URL of their own; None: the vendor has no such endpoint, and
    the workspace's `auth_url` is None."""
    AUTH_URL_VARIABLE: ClassVar[str | None] = None
    """The environment variable that overrides the workspace's `auth_url` (with
    `DEFAULT_AUTH_URL`)."""
    CREDENTIALS: ClassVar[str] = ""
    """The environment variables that carry the credentials, as `flagsync --help` names them
    (credentials never live in the workspace file)."""

    SUPPORTS_PREFETCH: ClassVar[bool] = False
    """`prefetch` starts downloading the live state while the manifests load."""
    SUPPORTS_CHANGE_REQUESTS: ClassVar[bool] = False
    """An environment may take `changes: change-request` (reviewers approve the writes)."""
    CHANGE_REQUEST_REVIEWERS: ClassVar[bool] = False
    """A change-request environment names its `reviewers` and `description`; otherwise the
    vendor's own policies say who reviews."""
    SUPPORTS_APPROVAL_POLICIES: ClassVar[bool] = False
    """The workspace's `approval_policies` (which writes need review, by whom) are planned like
    flags (`plan_approval_policies`); `approval_policy_entries` gives the live ones to
    `flagsync import`."""
    SUPPORTS_AUDIENCES: ClassVar[bool] = False
    """Reusable audiences and the custom properties they filter on are project-level objects
    the manifests declare: `plan_project_objects` plans them, `read_project_objects` imports
    them."""
    SUPPORTS_METRICS: ClassVar[bool] = False
    """Project-level experiment metrics and their associations with flags (`plan_metrics`)."""
    SUPPORTS_EXPERIMENTS: ClassVar[bool] = False
    """Experiments the manifests declare beside flags (`plan_experiments`; `for_import` writes
    the live ones)."""
    SUPPORTS_HOLDOUTS: ClassVar[bool] = False
    """Experiment holdouts (`plan_holdouts`, before the experiments that use them)."""
    ENVIRONMENTS_ARE_PROJECTS: ClassVar[bool] = False
    """Each workspace environment is a project of its own, named by `project_id`; otherwise
    the workspace names one `project` and its environments by key."""

    @classmethod
    @abstractmethod
    def from_workspace(
        cls, workspace: Any, on_retry: Callable[[str], None] | None = None
    ) -> Provider[Live]:
        """The provider for a workspace, with credentials from the environment (`workspace` is
        a `reconciler.workspace.Workspace`, left untyped here so that this package imports
        nothing from the workspace, which reads the declarations above)."""

    @abstractmethod
    def read(self, keys: set[str], desired: Mapping[str, Flag] | None = None) -> Live: ...

    @abstractmethod
    def steps_for(
        self,
        desired: Any,
        live: Live,
        changes: list[Change],
        adopt: bool = False,
        cancel_stale: bool = False,
    ) -> Work: ...

    @abstractmethod
    def open_requests_only(self, key: str, live: Live, cancel_stale: bool) -> Work: ...

    @abstractmethod
    def delete_step(self, key: str) -> Step: ...

    @abstractmethod
    def execute(self, call: ApiCall) -> Any: ...

    @abstractmethod
    def close(self) -> None: ...

    # -- hooks: overridden by a provider whose vendor has them --------------------------------

    def prefetch(self) -> None:
        """Start downloading the live state; the next `read` uses it (`SUPPORTS_PREFETCH`)."""

    def describe(self, call: ApiCall) -> str:
        """A sent call as the apply log shows it: a provider that fills ids into paths at send
        time describes the call as it was sent."""
        return call.describe()

    def plan_project_objects(
        self,
        desired: FlagSet,
        live: Live,
        plan: Plan,
        prune: bool,
        adopt: bool,
        creates_only: bool,
    ) -> None:
        """Add the changes of the project-level objects to `plan` (`SUPPORTS_AUDIENCES`);
        `creates_only`: only the missing ones are created (a plan narrowed by --flag or
        --env)."""

    def read_project_objects(self) -> FlagSet:
        """Every live project-level object, as `flagsync import` writes them
        (`SUPPORTS_AUDIENCES`)."""
        return FlagSet()

    def plan_metrics(self, desired: dict[str, Metric], live: Live, plan: Plan, prune: bool) -> None:
        """Add the metrics' changes to `plan` (`SUPPORTS_METRICS`)."""

    def plan_holdouts(
        self,
        desired: FlagSet,
        live: Live,
        plan: Plan,
        adopt: bool,
        prune: bool,
        selects: Callable[[str], bool],
    ) -> None:
        """Add the holdouts' changes to `plan`, before the experiments that refer to them
        (`SUPPORTS_HOLDOUTS`)."""

    def plan_experiments(
        self,
        desired: dict[str, Experiment],
        live: Live,
        plan: Plan,
        adopt: bool,
        environments: list[str],
    ) -> None:
        """Add the experiments' changes to `plan` (`SUPPORTS_EXPERIMENTS`)."""

    def finish_plan(self, plan: Plan) -> None:
        """Order and check the complete plan, for a vendor whose steps depend on each other
        across flags (a flag created before the flags that depend on it)."""

    def plan_approval_policies(self, plan: Plan) -> None:
        """Add the changes of the workspace's approval policies to `plan`
        (`SUPPORTS_APPROVAL_POLICIES`)."""

    def approval_policy_entries(self) -> list[dict[str, Any]] | None:
        """The live approval policies as the workspace declares them, for `flagsync import`
        (`SUPPORTS_APPROVAL_POLICIES`); None: none to write."""
        return None

    def for_import(
        self, live: Live, flags: FlagSet, selects: Callable[[str], bool]
    ) -> tuple[FlagSet, list[str]]:
        """What `flagsync import` writes: `flags` with the selected live objects a vendor keeps
        beside flags (experiments, holdouts) added, and notes for the user."""
        return flags, []
