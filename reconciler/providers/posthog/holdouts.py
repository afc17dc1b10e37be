"""PostHog experiment holdouts: live objects <-> the model, and the plan's steps for them.

A holdout has an id per project and nothing else to find it by, so flagsync matches a live
holdout to the manifest by name and resolves the name to the project's id when an experiment
needs it (`{holdout-id:<name>}` stands for a holdout the same apply creates). Holdouts have no
tags: flagsync marks the ones it owns with ` [managed-by-flagsync]` at the end of the
description, which the model does not see.

A holdout is deleted (a real DELETE in PostHog) only when flagsync owns it, it is gone from the
manifests for that project, pruning is on, and no experiment there will still use it: PostHog
would silently detach it from that experiment's flag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import FlagsyncError
from reconciler.model import Holdout
from reconciler.plan import Action, ApiCall, Change, FieldChange, Step, field_changes
from reconciler.providers.posthog.translate import OWNERSHIP_TAG

MARKER = f" [{OWNERSHIP_TAG}]"
PLACEHOLDER = "{{holdout-id:{name}}}"


def placeholder(name: str) -> str:
    """Stands for the id of a holdout this apply creates in the call's project."""
    return PLACEHOLDER.format(name=name)


def placeholder_name(value: Any) -> str | None:
    """The holdout name a placeholder stands for, or None when `value` is not one."""
    if isinstance(value, str) and value.startswith("{holdout-id:") and value.endswith("}"):
        return value[len("{holdout-id:") : -1]
    return None


def _marked(raw: dict[str, Any]) -> tuple[str, bool]:
    """The description without the ownership mark, and whether it had one. PostHog trims the
    description it stores, so an empty description with the mark reads back without the
    mark's leading space."""
    description = str(raw.get("description") or "")
    if description.endswith(MARKER):
        return description[: -len(MARKER)], True
    if description == MARKER.strip():
        return "", True
    return description, False


def is_owned(raw: dict[str, Any]) -> bool:
    return _marked(raw)[1]


def holdout_to_model(raw: dict[str, Any], env: str) -> Holdout:
    """One project's holdout: the percentage is its (first) filter's `rollout_percentage`."""
    description, _ = _marked(raw)
    filters = raw.get("filters") or [{}]
    return Holdout(
        name=str(raw.get("name") or ""),
        description=description,
        percentage=float(filters[0].get("rollout_percentage") or 0),
        environments=(env,),
    )


def holdout_body(holdout: Holdout) -> dict[str, Any]:
    """The create (and update) body: the marker on the description, one filter."""
    percentage = holdout.percentage
    return {
        "name": holdout.name,
        "description": f"{holdout.description}{MARKER}",
        "filters": [
            {
                "properties": [],
                "rollout_percentage": int(percentage) if percentage.is_integer() else percentage,
            }
        ],
    }


@dataclass(frozen=True)
class LiveHoldout:
    """One project's holdout as read."""

    raw: dict[str, Any]
    project_id: int
    environment: str

    @property
    def model(self) -> Holdout:
        return holdout_to_model(self.raw, self.environment)

    @property
    def owned(self) -> bool:
        return is_owned(self.raw)


@dataclass
class HoldoutWork:
    """What a plan does for the holdouts, and what it lists without touching."""

    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    adoptable: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    created: set[tuple[str, str]] = field(default_factory=set)
    """(environment, name) of every holdout the plan creates."""


def _comparable(holdout: Holdout) -> dict[str, Any]:
    return holdout.model_dump(mode="json", exclude={"name", "environments"})


def _change(
    action: str, name: str, env: str, before: dict[str, Any], after: dict[str, Any]
) -> Change:
    return Change.model_validate(
        {
            "action": action,
            "resource": "holdout",
            "key": name,
            "environment": env,
            "fields": [f.model_dump() for f in field_changes(before, after)],
        }
    )


def _step(action: Action, name: str, env: str, call: ApiCall) -> Step:
    return Step(action=action, resource="holdout", key=name, environments=[env], calls=[call])


def plan_holdouts(
    desired: dict[str, Holdout],
    live: dict[str, dict[str, list[LiveHoldout]]],
    environments: list[str],
    project_ids: dict[str, int],
    adopt: bool,
    prune: bool,
    still_used: Callable[[str, LiveHoldout], list[str]],
) -> HoldoutWork:
    """Changes and steps for every declared holdout in each environment it names, and the
    deletion (or listing) of flagsync's holdouts the manifests no longer name there.
    `still_used(env, holdout)` names the experiments that will use a live holdout after the
    plan."""
    work = HoldoutWork()
    for name, holdout in desired.items():
        for env in holdout.environments:
            if env not in environments:
                continue
            copies = live.get(name, {}).get(env, [])
            if len(copies) > 1:
                ids = ", ".join(str(c.raw.get("id")) for c in copies)
                raise FlagsyncError(
                    f"holdout '{name}' [{env}]: PostHog project {project_ids[env]} has "
                    f"{len(copies)} holdouts with this name (ids {ids}); rename or delete all "
                    "but one"
                )
            if not copies:
                path = f"/api/projects/{project_ids[env]}/experiment_holdouts/"
                call = ApiCall(method="POST", path=path, body=holdout_body(holdout))
                work.changes.append(_change("create", name, env, {}, _comparable(holdout)))
                work.steps.append(_step("create", name, env, call))
                work.created.add((env, name))
                continue
            _update(holdout, copies[0], adopt, work)
    for name, per_env in sorted(live.items()):
        for env, copies in sorted(per_env.items()):
            wanted = name in desired and env in desired[name].environments
            if wanted or env not in environments:
                continue
            for copy in copies:
                if copy.owned:
                    _retire(name, env, copy, prune, still_used(env, copy), work)
    return work


def _update(holdout: Holdout, live: LiveHoldout, adopt: bool, work: HoldoutWork) -> None:
    env, current = live.environment, live.model
    differs = _comparable(holdout) != _comparable(current)
    if not live.owned and not adopt:
        if differs:
            work.adoptable.append(f"{holdout.name} (holdout) [{env}]")
        return
    if not differs and live.owned:
        return
    change = _change("update", holdout.name, env, _comparable(current), _comparable(holdout))
    if not live.owned:
        change.fields.insert(0, FieldChange.at(("managed",), False, True))
    path = f"/api/projects/{live.project_id}/experiment_holdouts/{live.raw['id']}/"
    work.changes.append(change)
    work.steps.append(
        _step(
            "update",
            holdout.name,
            env,
            ApiCall(method="PATCH", path=path, body=holdout_body(holdout)),
        )
    )


def _retire(
    name: str, env: str, live: LiveHoldout, prune: bool, users: list[str], work: HoldoutWork
) -> None:
    if not prune:
        work.orphans.append(f"{name} (holdout) [{env}]")
        return
    if users:
        raise FlagsyncError(
            f"holdout '{name}' [{env}] is gone from the manifests but experiment "
            f"{', '.join(users)} in PostHog project {live.project_id} still uses it; deleting it "
            "would take it off that experiment's flag. Keep the holdout, or leave it out of "
            "the experiment first"
        )
    path = f"/api/projects/{live.project_id}/experiment_holdouts/{live.raw['id']}/"
    work.changes.append(Change(action="delete", resource="holdout", key=name, environment=env))
    work.steps.append(_step("delete", name, env, ApiCall(method="DELETE", path=path)))
