"""What a PostHog project's ids mean: cohorts, group types and flags by id and by name.

Manifests name cohorts by name, group types by name and flag dependencies by key, because ids
differ per project (the same "Beta testers" cohort is 11 in staging and 21 in production).
A `ProjectContext` is read once per project at plan time and resolves both ways.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import PlanError
from reconciler.plan import Ref


def flag_ref(key: str, project_id: int | str) -> Ref:
    """A dependency on a flag this apply creates in a project: its id is unknown until the
    create answers, so the planned call carries the ref's token (`{flag-id:<key>}`) and the
    ref, and the executor puts the id in before sending."""
    return Ref(resource="flag", key=key, scope=str(project_id))


def placeholder(key: str) -> str:
    return Ref(resource="flag", key=key).token


def placeholder_key(value: Any) -> str | None:
    """The flag key a placeholder stands for, or None when `value` is not one."""
    if isinstance(value, str) and value.startswith("{flag-id:") and value.endswith("}"):
        return value[len("{flag-id:") : -1]
    return None


@dataclass
class ProjectContext:
    """One project's names and ids (cohorts, group types, live flags).

    Group types cost a request and only group filters need them, so `load_group_types` is
    called the first time one is looked up (once).
    """

    environment: str
    project_id: int
    cohorts: dict[str, int] = field(default_factory=dict)
    known_group_types: dict[str, int] | None = None
    flags: dict[str, int] = field(default_factory=dict)
    load_group_types: Callable[[], dict[str, int]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def group_types(self) -> dict[str, int]:
        with self._lock:
            if self.known_group_types is None:
                loader = self.load_group_types
                self.known_group_types = loader() if loader is not None else {}
            return self.known_group_types

    def cohort_name(self, cohort_id: Any) -> str:
        for name, known in self.cohorts.items():
            if str(known) == str(cohort_id):
                return name
        return f"<cohort {cohort_id}: not in PostHog project {self.project_id}>"

    def cohort_id(self, name: str, flag: str) -> int:
        if name not in self.cohorts:
            known = ", ".join(sorted(self.cohorts)) or "none"
            raise PlanError(
                f"flag '{flag}' [{self.environment}]: cohort '{name}' does not exist in PostHog "
                f"project {self.project_id} (its cohorts: {known}); create it there or fix the "
                "name"
            )
        return self.cohorts[name]

    def group_type_name(self, index: Any) -> str:
        for name, known in self.group_types.items():
            if str(known) == str(index):
                return name
        return f"<group type {index}: not in PostHog project {self.project_id}>"

    def group_type_index(self, name: str, flag: str) -> int:
        if name not in self.group_types:
            known = ", ".join(sorted(self.group_types)) or "none"
            raise PlanError(
                f"flag '{flag}' [{self.environment}]: group type '{name}' does not exist in "
                f"PostHog project {self.project_id} (its group types: {known})"
            )
        return self.group_types[name]

    def flag_key(self, flag_id: Any) -> str:
        for key, known in self.flags.items():
            if str(known) == str(flag_id):
                return key
        return f"<flag {flag_id}: not in PostHog project {self.project_id}>"

    def flag_reference(self, key: str) -> str:
        """The id PostHog wants for a dependency on `key`, or a placeholder when the flag does
        not exist yet (it must then be created by the same apply, checked when the plan is
        complete)."""
        return str(self.flags[key]) if key in self.flags else placeholder(key)
