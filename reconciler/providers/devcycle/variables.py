"""DevCycle variables flagsync drops: detached by the feature's PATCH, then deleted.

A v2 feature PATCH whose `variables` leave one out only detaches it: the variable stays in the
project and keeps its key. flagsync then deletes it, the way DevCycle's own Terraform provider
does (`internal/provider/variables_delete.go`, `variablesControllerDelete`): only once the
variable is detached, and with `If-Match: *`, without which the live API answers 412.

An apply stopped between the PATCH and the DELETE (a crash, a refused DELETE) would leave the
variable behind with its key taken, and the feature no longer names it. So every variable
flagsync writes carries flagsync's tag, and a later plan looks for variables no feature holds:
one with the tag is flagsync's leftover, shown as a delete and deleted by the apply.

Looking costs one request as a rule: the variable list's `count` header (a one-item page) is
compared with the variables the features hold (the v2 feature list carries them). Only when the
project has more, some are detached, and the list is read whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from reconciler.errors import ApiError
from reconciler.model import FlagSet
from reconciler.plan import ApiCall, Change, Plan, Step, Subject
from reconciler.providers.devcycle.translate import OWNERSHIP_TAG
from reconciler.providers.http import ApiClient

DELETE_HEADERS = {"If-Match": "*"}
"""The live API refuses a variable DELETE without `If-Match` (412); the vendor's Terraform
provider sends `*` (commit d62f54a)."""

DETACH_WAITS = (0.3, 0.6, 0.9, 1.2, 1.5)
"""Seconds to wait for a detach to show before each new DELETE attempt (the Terraform provider
polls five times, 300 ms x attempt, before giving up)."""


def delete_call(project_path: str, key: str) -> ApiCall:
    """The DELETE of a detached variable, with the precondition the live API requires."""
    return ApiCall(
        method="DELETE",
        path=f"{project_path}/variables/{quote(key, safe='')}",
        role="cleanup",
        headers=dict(DELETE_HEADERS),
        subject=Subject(kind="variable", key=key),
    )


def is_delete(call: ApiCall, project_path: str = "") -> bool:
    """Whether `call` is a variable's DELETE (planned by `delete_call`)."""
    return call.role == "cleanup" and call.method == "DELETE"


class VariableCount:
    """The project's number of variables (the list's `count` header), asked in the background;
    None when the answer carries no usable header."""

    def __init__(self, client: ApiClient, path: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._answer = self._pool.submit(client.request, "GET", path, {"perPage": 1})

    def result(self) -> int | None:
        value = self._answer.result().headers.get("count")
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def some_detached(count: int | None, attached: int) -> bool:
    """Whether the project may hold variables no feature holds (an unknown count: maybe)."""
    return count is None or count > attached


def orphans(variables: Iterable[dict[str, Any]], *, marker: str = OWNERSHIP_TAG) -> list[str]:
    """Keys of the variables this workspace tagged (`marker`) that no feature holds any more."""
    return sorted(
        str(variable["key"])
        for variable in variables
        if marker in (variable.get("tags") or []) and not variable.get("_feature")
    )


def plan_orphans(project_path: str, keys: list[str], desired: FlagSet, plan: Plan) -> None:
    """Finish the deletes an earlier apply left undone. A key a manifest declares again is
    left alone: the flag's PATCH attaches the variable again."""
    declared = {key for flag in desired.flags.values() for key in flag.variables}
    for key in keys:
        if key in declared:
            continue
        plan.changes.append(Change(action="delete", resource="variable", key=key))
        plan.steps.append(
            Step(
                action="delete",
                resource="variable",
                key=key,
                calls=[delete_call(project_path, key)],
            )
        )


def delete_detached(
    send: Callable[[ApiCall], Any],
    read: Callable[[str], Any],
    call: ApiCall,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Send a variable DELETE; a 412 while the variable still shows its feature means the
    detach has not landed yet, so wait and try again. Any other refusal is the answer."""
    for wait in (*DETACH_WAITS, None):
        try:
            return send(call)
        except ApiError as error:
            if error.status != 412 or wait is None:
                raise
            variable = read(call.path)
            if not isinstance(variable, dict) or not variable.get("_feature"):
                raise
            sleep(wait)
    raise AssertionError("unreachable")
