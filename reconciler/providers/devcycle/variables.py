"""DevCycle variables flagsync drops: detached by the feature's PATCH, then deleted.

A v2 feature PATCH whose `variables` leave one out only detaches it: the variable stays in the
project and keeps its key. flagsync then deletes it, the way DevCycle's own Terraform provider
does (`internal/provider/variables_delete.go`, `variablesControllerDelete`): only once the
variable is detached, and with `If-Match: *`, without which the live API answers 412.

An apply stopped between the PATCH and the DELETE (a crash, a refused DELETE) would leave the
variable behind with its key taken, and the feature no longer names it. So every variable
flagsync writes carries flagsync's tag, and a later plan lists the project's variables: one
with the tag and no feature is flagsync's leftover, shown as a delete and deleted by the apply.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from reconciler.errors import ApiError
from reconciler.model import FlagSet
from reconciler.plan import ApiCall, Change, Plan, Step
from reconciler.providers.devcycle.translate import OWNERSHIP_TAG

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
        headers=dict(DELETE_HEADERS),
    )


def is_delete(call: ApiCall, project_path: str) -> bool:
    return call.method == "DELETE" and call.path.startswith(f"{project_path}/variables/")


def orphans(variables: Iterable[dict[str, Any]]) -> list[str]:
    """Keys of the variables flagsync tagged that no feature holds any more."""
    return sorted(
        str(variable["key"])
        for variable in variables
        if OWNERSHIP_TAG in (variable.get("tags") or []) and not variable.get("_feature")
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
