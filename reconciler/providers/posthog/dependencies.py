"""Flags that depend on flags created by the same apply.

PostHog references a flag dependency by the other flag's id, which differs per project and does
not exist before the flag is created. When the plan is made, a dependency on a flag that is not
live in that project is written as the token of a flag `Ref`, `{flag-id:<key>}`, and the call
carries the ref (see `context.py`).

- `flag_refs` finds those a flag's body uses; `check_refs` refuses a plan whose ref names a flag
  no step creates in that project (`reconciler.ordering` starts a flag after the flags its refs
  name, and refuses a cycle);
- `CreatedFlags` records every flag id the provider reads or creates; the executor asks it for
  a ref's id, waiting (bounded) for the create still running in another worker. apply starts
  flags in that order, so the create a step waits for has always been started before it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.errors import PlanError
from reconciler.plan import ApiCall, Ref, Step
from reconciler.providers.posthog.context import flag_ref, placeholder_key

WAIT_SECONDS = 300.0


def flag_properties(body: Any) -> Iterator[dict[str, Any]]:
    """Every flag-dependency property in a request body's filters."""
    filters = body.get("filters") if isinstance(body, dict) else None
    if not isinstance(filters, dict):
        return  # not a flag's body (a holdout's filters are a list)
    for group in filters.get("groups") or []:
        for prop in group.get("properties") or []:
            if prop.get("type") == "flag":
                yield prop


def flag_refs(body: Any, project_id: int) -> list[Ref]:
    """The refs of a flag body's dependencies on flags this apply creates in its project (the
    placeholders `context.flag_reference` put in), for the call that sends it."""
    keys = [placeholder_key(prop.get("key")) for prop in flag_properties(body)]
    return list(dict.fromkeys(flag_ref(key, project_id) for key in keys if key is not None))


def check_refs(steps: list[Step]) -> None:
    """Refuse a plan whose call refers to a flag no step creates in that flag's project."""
    created = {found for step in steps for call in step.calls if (found := creates(call))}
    for step in steps:
        if step.resource != "flag":
            continue
        for call in step.calls:
            for ref in call.refs:
                if ref.resource != "flag" or (int(ref.scope or 0), ref.key) in created:
                    continue
                environment = ", ".join(step.environments) or f"project {ref.scope}"
                raise PlanError(
                    f"flag '{step.key}' [{environment}] depends on flag '{ref.key}', which "
                    f"does not exist in PostHog project {ref.scope} and no manifest creates "
                    "it there"
                )


def creates(call: ApiCall) -> tuple[int, str] | None:
    """(project, key) when the call creates a flag."""
    made = call.makes
    if made is not None and made.resource == "flag":
        return int(made.scope or 0), made.key
    return None


class CreatedFlags:
    """Flag ids by (project, key), shared by the workers of one apply."""

    def __init__(self) -> None:
        self._ids: dict[tuple[int, str], int] = {}
        self._failed: set[tuple[int, str]] = set()
        self._changed = threading.Condition()

    def note(self, project: int, key: str, flag_id: int) -> None:
        with self._changed:
            self._ids[(project, key)] = flag_id
            self._failed.discard((project, key))
            self._changed.notify_all()

    def note_all(self, project: int, ids: Mapping[str, int]) -> None:
        """`note` for a page of flags at once (one lock and one wake-up, not one per flag)."""
        with self._changed:
            for key, flag_id in ids.items():
                self._ids[(project, key)] = flag_id
                self._failed.discard((project, key))
            self._changed.notify_all()

    def failed(self, project: int, key: str) -> None:
        with self._changed:
            self._failed.add((project, key))
            self._changed.notify_all()

    def wait(self, project: int, key: str, timeout: float = WAIT_SECONDS) -> int | None:
        """The id, once known; None when its creation failed or the wait timed out."""
        wanted = (project, key)
        with self._changed:
            self._changed.wait_for(
                lambda: wanted in self._ids or wanted in self._failed, timeout=timeout
            )
            return self._ids.get(wanted)
