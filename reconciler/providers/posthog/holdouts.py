"""PostHog experiment holdouts: live objects <-> the model, and the plan's steps for them.

A holdout has an id per project and nothing else to find it by, so flagsync matches a live
holdout to the manifest by name and resolves the name to the project's id when an experiment
needs it (`{holdout-id:<name>}` stands for a holdout the same apply creates). Holdouts have no
tags: flagsync marks the ones a workspace owns with its marker at the end of the description,
` [managed-by-flagsync:<name>]` (` [managed-by-flagsync]` for an unnamed workspace), which the
model does not see; ownership verdicts are those of flags (`reconciler.ownership`).

A holdout is deleted (a real DELETE in PostHog) only when flagsync owns it, it is gone from the
manifests for that project, pruning is on, and no experiment there will still use it: PostHog
would silently detach it from that experiment's flag.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import PlanError
from reconciler.model import Holdout
from reconciler.ownership import LEGACY_MARKER, Ownership
from reconciler.plan import Action, ApiCall, Change, FieldChange, Ref, Step, Subject, field_changes

MARKER = f" [{LEGACY_MARKER}]"
_MARKED = re.compile(rf"^(?P<text>.*?) ?\[(?P<marker>{LEGACY_MARKER}(?::[^\]]+)?)\]$", re.DOTALL)


def holdout_ref(name: str, project_id: int | str) -> Ref:
    """The id of a holdout this apply creates in a project (sent as a number)."""
    return Ref(resource="holdout", key=name, scope=str(project_id), number=True)


def placeholder(name: str) -> str:
    """Stands for the id of a holdout this apply creates in the call's project."""
    return Ref(resource="holdout", key=name).token


def placeholder_name(value: Any) -> str | None:
    """The holdout name a placeholder stands for, or None when `value` is not one."""
    if isinstance(value, str) and value.startswith("{holdout-id:") and value.endswith("}"):
        return value[len("{holdout-id:") : -1]
    return None


def _marked(raw: dict[str, Any]) -> tuple[str, str | None]:
    """The description without the ownership mark, and the mark's marker (None without one).
    PostHog trims the description it stores, so an empty description with the mark reads back
    without the mark's leading space."""
    description = str(raw.get("description") or "")
    found = _MARKED.match(description)
    if found is None:
        return description, None
    return found.group("text"), found.group("marker")


def is_owned(raw: dict[str, Any]) -> bool:
    """Marked by some flagsync workspace."""
    return _marked(raw)[1] is not None


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


def holdout_body(holdout: Holdout, marker: str = LEGACY_MARKER) -> dict[str, Any]:
    """The create (and update) body: the workspace's marker on the description, one filter."""
    percentage = holdout.percentage
    return {
        "name": holdout.name,
        "description": f"{holdout.description} [{marker}]",
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

    @property
    def markers(self) -> list[str]:
        marker = _marked(self.raw)[1]
        return [] if marker is None else [marker]


@dataclass
class HoldoutWork:
    """What a plan does for the holdouts, and what it lists without touching."""

    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    adoptable: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    created: set[tuple[str, str]] = field(default_factory=set)
    """(environment, name) of every holdout the plan creates."""
    elsewhere: dict[str, str] = field(default_factory=dict)
    """Declared holdouts another workspace owns, and that workspace's name."""
    legacy: list[str] = field(default_factory=list)
    """Undeclared holdouts carrying the bare marker, seen by a named workspace."""


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
    ownership: Ownership | None = None,
) -> HoldoutWork:
    """Changes and steps for every declared holdout in each environment it names, and the
    deletion (or listing) of flagsync's holdouts the manifests no longer name there.
    `still_used(env, holdout)` names the experiments that will use a live holdout after the
    plan. Only the holdouts this workspace owns (`ownership`) are changed without --adopt or
    deleted; one with the bare marker is taken over by a named workspace that declares it."""
    ownership = ownership or Ownership()
    work = HoldoutWork()
    for name, holdout in desired.items():
        for env in holdout.environments:
            if env not in environments:
                continue
            copies = live.get(name, {}).get(env, [])
            if len(copies) > 1:
                ids = ", ".join(str(c.raw.get("id")) for c in copies)
                raise PlanError(
                    f"holdout '{name}' [{env}]: PostHog project {project_ids[env]} has "
                    f"{len(copies)} holdouts with this name (ids {ids}); rename or delete all "
                    "but one"
                )
            if not copies:
                path = f"/api/projects/{project_ids[env]}/experiment_holdouts/"
                body = holdout_body(holdout, ownership.marker)
                made = holdout_ref(name, project_ids[env])
                about = Subject(kind="holdout", key=name, scope=str(project_ids[env]))
                call = ApiCall(method="POST", path=path, body=body, makes=made, subject=about)
                work.changes.append(_change("create", name, env, {}, _comparable(holdout)))
                work.steps.append(_step("create", name, env, call))
                work.created.add((env, name))
                continue
            _update(holdout, copies[0], adopt, work, ownership)
    for name, per_env in sorted(live.items()):
        for env, copies in sorted(per_env.items()):
            wanted = name in desired and env in desired[name].environments
            if wanted or env not in environments:
                continue
            for copy in copies:
                verdict = ownership.verdict(copy.markers)
                if verdict == "mine":
                    _retire(name, env, copy, prune, still_used(env, copy), work)
                elif verdict == "legacy":
                    work.legacy.append(f"{name} (holdout) [{env}]")
    return work


def _update(
    holdout: Holdout, live: LiveHoldout, adopt: bool, work: HoldoutWork, ownership: Ownership
) -> None:
    env, current = live.environment, live.model
    differs = _comparable(holdout) != _comparable(current)
    verdict = ownership.verdict(live.markers)
    if verdict == "elsewhere":
        work.elsewhere[f"{holdout.name} (holdout) [{env}]"] = ownership.owner(live.markers)
        return
    if verdict == "none" and not adopt:
        if differs:
            work.adoptable.append(f"{holdout.name} (holdout) [{env}]")
        return
    if not differs and verdict == "mine":
        return
    change = _change("update", holdout.name, env, _comparable(current), _comparable(holdout))
    if verdict == "legacy":
        change.fields.insert(0, FieldChange.at(("managed",), LEGACY_MARKER, ownership.marker))
    elif verdict == "none":
        change.fields.insert(0, FieldChange.at(("managed",), False, True))
    path = f"/api/projects/{live.project_id}/experiment_holdouts/{live.raw['id']}/"
    work.changes.append(change)
    work.steps.append(
        _step(
            "update",
            holdout.name,
            env,
            ApiCall(
                method="PATCH",
                path=path,
                body=holdout_body(holdout, ownership.marker),
                subject=_about(holdout.name, live),
            ),
        )
    )


def _retire(
    name: str, env: str, live: LiveHoldout, prune: bool, users: list[str], work: HoldoutWork
) -> None:
    if not prune:
        work.orphans.append(f"{name} (holdout) [{env}]")
        return
    if users:
        raise PlanError(
            f"holdout '{name}' [{env}] is gone from the manifests but experiment "
            f"{', '.join(users)} in PostHog project {live.project_id} still uses it; deleting it "
            "would take it off that experiment's flag. Keep the holdout, or leave it out of "
            "the experiment first"
        )
    path = f"/api/projects/{live.project_id}/experiment_holdouts/{live.raw['id']}/"
    work.changes.append(Change(action="delete", resource="holdout", key=name, environment=env))
    call = ApiCall(method="DELETE", path=path, subject=_about(name, live))
    work.steps.append(_step("delete", name, env, call))


def _about(name: str, live: LiveHoldout) -> Subject:
    """What a call to a live holdout is about."""
    return Subject(kind="holdout", key=name, id=str(live.raw["id"]), scope=str(live.project_id))
