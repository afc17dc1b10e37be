"""What `reconcile` needs from a provider, written down once.

Providers are structural: DevCycle's and PostHog's classes share no base class, they just have
these members, and mypy checks each against the protocol where `open_provider` returns it. The
live state each provider reads is its own type (it carries vendor ids the provider needs later),
so the protocol is generic in it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

from reconciler.model import Flag, FlagSet
from reconciler.plan import ApiCall, Change, PendingRequest, Plan, Step
from reconciler.providers.http import ApiClient
from reconciler.workspace import Workspace


class LiveView(Protocol):
    """What one read saw: models of the asked-for flags (less those found `unchanged`, equal to
    the desired flag passed to `read`), fingerprints, and ownership."""

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


class Work(Protocol):
    """What a plan does for one flag: changes as the user reads them, and the steps."""

    @property
    def changes(self) -> list[Change]: ...
    @property
    def steps(self) -> list[Step]: ...
    @property
    def pending(self) -> list[PendingRequest]: ...


Live = TypeVar("Live", bound=LiveView)


class Provider(Protocol[Live]):
    """Plan and apply against one vendor."""

    @property
    def name(self) -> str: ...
    @property
    def workspace(self) -> Workspace: ...
    @property
    def client(self) -> ApiClient: ...

    def read(self, keys: set[str], desired: Mapping[str, Flag] | None = None) -> Live: ...
    def steps_for(
        self,
        desired: Any,
        live: Live,
        changes: list[Change],
        adopt: bool = False,
        cancel_stale: bool = False,
    ) -> Work: ...
    def open_requests_only(self, key: str, live: Live, cancel_stale: bool) -> Work: ...
    def delete_step(self, key: str) -> Step: ...
    def execute(self, call: ApiCall) -> Any: ...
    def close(self) -> None: ...


@runtime_checkable
class FinishesPlans(Protocol):
    """A provider whose steps depend on each other across flags (PostHog: a flag must exist
    before a flag that depends on it) orders and checks the complete plan."""

    def finish_plan(self, plan: Plan) -> None: ...


@runtime_checkable
class Prefetches(Protocol):
    """A provider that can start downloading the live state before `read` is called (DevCycle:
    while the manifests load)."""

    def prefetch(self) -> None: ...


@runtime_checkable
class ImportsExperiments(Protocol):
    """A provider with experiments and holdouts (PostHog): `flagsync import` writes them too.
    Returns `flags` with the selected experiments and holdouts added (less the flags the
    experiments own), and notes for the user."""

    def for_import(
        self, live: Any, flags: FlagSet, selects: Callable[[str], bool]
    ) -> tuple[FlagSet, list[str]]: ...
