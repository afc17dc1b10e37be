"""A provider for a vendor with flags only: it declares nothing optional, reads an empty project
and plans one create call per flag, so the generic modules' use of the declarations shows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.model import Flag, FlagSet
from reconciler.plan import ApiCall, Change, PendingRequest, Step, Subject
from reconciler.providers.base import Provider
from reconciler.providers.http import ApiClient


@dataclass
class StubLive:
    flags: FlagSet = field(default_factory=FlagSet)
    fingerprints: dict[str, str] = field(default_factory=dict)
    unchanged: set[str] = field(default_factory=set)
    owned: set[str] = field(default_factory=set)
    others: list[str] = field(default_factory=list)
    legacy: set[str] = field(default_factory=set)
    elsewhere: dict[str, str] = field(default_factory=dict)


@dataclass
class StubWork:
    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    pending: list[PendingRequest] = field(default_factory=list)


class StubProvider(Provider[StubLive]):
    name = "stub"
    LABEL = "Stub"
    DEFAULT_API_URL = "http://127.0.0.1:9"
    API_URL_VARIABLE = "STUB_API_URL"

    def __init__(self, workspace: Any) -> None:
        self.workspace = workspace
        self.client = ApiClient(workspace.api_url)
        self.sent: list[ApiCall] = []

    @classmethod
    def from_workspace(
        cls, workspace: Any, on_retry: Callable[[str], None] | None = None
    ) -> StubProvider:
        return cls(workspace)

    def read(self, keys: set[str], desired: Mapping[str, Flag] | None = None) -> StubLive:
        return StubLive()

    def steps_for(
        self,
        desired: Any,
        live: StubLive,
        changes: list[Change],
        adopt: bool = False,
        cancel_stale: bool = False,
    ) -> StubWork:
        about = Subject(kind="flag", key=desired.key)  # what the call writes, for its executor
        call = ApiCall(method="POST", path="/flags", body={"key": desired.key}, subject=about)
        return StubWork(
            changes=changes, steps=[Step(action="create", key=desired.key, calls=[call])]
        )

    def open_requests_only(self, key: str, live: StubLive, cancel_stale: bool) -> StubWork:
        return StubWork()

    def delete_step(self, key: str) -> Step:
        about = Subject(kind="flag", key=key)
        call = ApiCall(method="DELETE", path=f"/flags/{key}", subject=about)
        return Step(action="delete", key=key, calls=[call])

    def execute(self, call: ApiCall) -> Any:
        self.sent.append(call)
        return {}

    def close(self) -> None:
        self.client.close()


PROVIDER = StubProvider
