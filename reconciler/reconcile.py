"""Ties the pieces together for the commands: manifests + live state -> plan, and saved plans.

Ownership (DESIGN principle 3) is decided here: a live flag flagsync did not create is changed
only with `adopt`; a flagsync flag gone from the manifests is deleted only with `prune`; anything
else outside the manifests is listed and left alone.
"""

from __future__ import annotations

import fnmatch
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.errors import SavedPlanError, UnsupportedError, UsageError
from reconciler.impact import attach_impact
from reconciler.model import Flag, FlagSet
from reconciler.ordering import order
from reconciler.ownership import LEGACY_MARKER
from reconciler.plan import FORMAT_VERSION, Change, FieldChange, Plan, diff_flag
from reconciler.providers.base import Provider
from reconciler.providers.registry import provider_class
from reconciler.workspace import Workspace


@dataclass(frozen=True)
class PlanOptions:
    """What the user asked for on the command line (or in the workspace)."""

    prune: bool = False
    adopt: bool = False
    flag_patterns: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    cancel_stale: bool = False

    def selects(self, key: str) -> bool:
        return not self.flag_patterns or any(
            fnmatch.fnmatchcase(key, p) for p in self.flag_patterns
        )


def open_provider(
    workspace: Workspace, on_retry: Callable[[str], None] | None = None
) -> Provider[Any]:
    """The provider the workspace names, with credentials from the environment; `on_retry`
    hears about every retried request."""
    return provider_class(workspace.provider).from_workspace(workspace, on_retry)


def make_plan(
    workspace: Workspace,
    desired: FlagSet,
    provider: Provider[Any],
    options: PlanOptions | None = None,
) -> Plan:
    """Read live state, diff it against the manifests, and attach the calls per flag."""
    options = options or PlanOptions()
    unknown = [env for env in options.environments if env not in workspace.environments]
    if unknown:
        raise UsageError(
            f"--env {', '.join(unknown)}: not an environment of the workspace "
            f"({', '.join(workspace.environment_names)})"
        )
    selected = {key: flag for key, flag in desired.flags.items() if options.selects(key)}
    live = provider.read(set(selected), selected)
    legacy, elsewhere = live.legacy, live.elsewhere
    plan = Plan(
        provider=provider.name,
        project=workspace.project_label,
        environments=list(options.environments or workspace.environment_names),
        unmanaged=[k for k in live.others if k not in desired.flags and k not in legacy],
        managed_count=len(live.owned),
        workspace=workspace.name,
        legacy=sorted(legacy - set(desired.flags)),
        options=asdict(options),
    )
    if options.flag_patterns and not selected:
        plan.warnings.append(
            f"--flag {' '.join(options.flag_patterns)}: no flag in the manifests matches"
        )
    if options.prune and not workspace.ownership.named:
        plan.warnings.append(
            "this workspace has no `name:`, so --prune deletes every flag carrying the bare "
            "`managed-by-flagsync` marker, including those of other unnamed workspaces on the "
            "project; give each workspace a name"
        )
    # Project-wide objects: a plan narrowed to some flags or environments never deletes them,
    # and only creates the missing ones (its flags may need them), like a flag's flag-wide
    # fields under --env.
    narrowed = bool(options.flag_patterns or options.environments)
    if provider.SUPPORTS_AUDIENCES:
        provider.plan_project_objects(
            desired, live, plan, options.prune and not narrowed, options.adopt, narrowed
        )
    elif desired.audiences or desired.custom_properties:
        raise UnsupportedError(
            f"audiences and custom properties are not supported for {provider.name} workspaces"
        )
    before: dict[str, Flag | None] = {}
    for key, flag in selected.items():
        current = flag if key in live.unchanged else live.flags.flags.get(key)
        before[key] = current
        if current is not None and key in elsewhere:
            plan.owned_elsewhere[key] = elsewhere[key]
            if diff_flag(flag, current):
                plan.blocked.append(key)
            continue
        adopting = current is not None and key not in live.owned
        migrating = adopting and key in legacy
        if adopting and not options.adopt and not migrating:
            plan.adoptable.append(key)
            if diff_flag(flag, current):
                plan.blocked.append(key)
            continue
        changes = diff_flag(flag, current) + _strays(
            flag, current, key in live.owned, options, plan
        )
        changes = _restrict(changes, options.environments)
        if migrating:
            marker = workspace.ownership.marker
            ownership = FieldChange.at(("managed",), LEGACY_MARKER, marker)
            changes.insert(0, Change(action="update", key=key, fields=[ownership]))
        elif adopting:
            ownership = FieldChange.at(("managed",), False, True)
            changes.insert(0, Change(action="update", key=key, fields=[ownership]))
        if changes:
            work = provider.steps_for(flag, live, changes, adopting, options.cancel_stale)
        elif current is not None:
            work = provider.open_requests_only(key, live, options.cancel_stale)
        else:
            continue
        plan.changes.extend(work.changes)
        plan.steps.extend(work.steps)
        plan.pending_requests.extend(work.pending)
    if provider.SUPPORTS_HOLDOUTS:
        prune = options.prune and not options.environments
        provider.plan_holdouts(desired, live, plan, options.adopt, prune, options.selects)
    elif desired.holdouts:
        raise UnsupportedError(f"holdouts are not supported for {provider.name} workspaces")
    if provider.SUPPORTS_EXPERIMENTS:
        experiments = {k: e for k, e in desired.experiments.items() if options.selects(k)}
        provider.plan_experiments(experiments, live, plan, options.adopt, plan.environments)
    elif desired.experiments:
        raise UnsupportedError(f"experiments are not supported for {provider.name} workspaces yet")
    if provider.SUPPORTS_METRICS:
        provider.plan_metrics(desired.metrics, live, plan, options.prune and not narrowed)
    for key in sorted(live.owned - set(desired.flags)):
        if not options.selects(key):
            continue
        if options.prune and not options.environments:
            plan.changes.append(Change(action="delete", key=key))
            plan.steps.append(provider.delete_step(key))
            before[key] = live.flags.flags.get(key)
        else:
            plan.orphans.append(key)
    provider.finish_plan(plan)
    plan.steps = order(plan.steps)  # listed in the order apply runs them
    attach_impact(plan, workspace, desired, before)
    # Fingerprints of what the plan touches: a saved plan is checked against them, and the
    # GitHub Action's reviewed-plan hash covers them (computing all of them costs seconds).
    touched = {step.key for step in plan.steps}
    plan.fingerprints = {key: live.fingerprints[key] for key in touched if key in live.fingerprints}
    return plan


def _strays(
    flag: Flag, current: Flag | None, owned: bool, options: PlanOptions, plan: Plan
) -> list[Change]:
    """Environments a live flag is in that its manifest no longer names (PostHog: a project the
    flag was promoted to and then withdrawn from). Like a flag gone from the manifests, it is
    deleted there only when flagsync owns it and pruning is on; otherwise the plan lists it."""
    if current is None or not owned:
        return []
    stray = [env for env in current.environments if env not in flag.environments]
    if stray and not options.prune:
        plan.orphans.extend(f"{flag.key} [{env}]" for env in stray)
        return []
    return [Change(action="delete", key=flag.key, environment=env) for env in stray]


def _restrict(changes: list[Change], environments: tuple[str, ...]) -> list[Change]:
    """With --env, only those environments change; flag-wide fields (name, variations, ...)
    would change every environment, so they wait for a run without --env, except on create."""
    if not environments:
        return changes
    creating = any(c.action == "create" and c.environment is None for c in changes)
    return [
        change
        for change in changes
        if change.environment in environments or (change.environment is None and creating)
    ]


def load_saved_plan(path: Path, workspace: Workspace) -> Plan:
    """A plan written by `plan --out`, checked to belong to this workspace's project."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SavedPlanError(f"{path}: cannot read the plan file: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise SavedPlanError(
            f"{path}:{error.lineno}:{error.colno}: not a plan file (invalid JSON)"
        ) from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise SavedPlanError(f"{path}: not a flagsync plan file of format {FORMAT_VERSION}")
    steps = data.get("steps")
    # Every step of a plan this version writes has a kind; a file where none has one was written
    # before steps were typed (one where only some lack it was edited: compared below as such).
    if (
        isinstance(steps, list)
        and steps
        and all(isinstance(s, dict) and "kind" not in s for s in steps)
    ):
        raise SavedPlanError(
            f"{path} was written by an earlier version of flagsync (its steps carry no kind, "
            "and their dependencies are not typed): nothing was applied; run `flagsync plan "
            "--out` again with this version"
        )
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        raise SavedPlanError(f"{path}: not a valid plan file: {error.errors()[0]['msg']}") from None
    if (plan.provider, plan.project) != (workspace.provider, workspace.project_label):
        raise SavedPlanError(
            f"{path} was planned for {plan.provider} project '{plan.project}', but the "
            f"workspace targets {workspace.provider} project '{workspace.project_label}'"
        )
    return plan


def saved_options(plan: Plan, default: PlanOptions) -> PlanOptions:
    """The options a saved plan was computed with (`default` for a file that does not say)."""
    if not plan.options:
        return default
    given = plan.options
    try:
        return PlanOptions(
            prune=bool(given.get("prune", False)),
            adopt=bool(given.get("adopt", False)),
            cancel_stale=bool(given.get("cancel_stale", False)),
            flag_patterns=tuple(str(p) for p in given.get("flag_patterns") or ()),
            environments=tuple(str(e) for e in given.get("environments") or ()),
        )
    except TypeError:
        raise SavedPlanError("the plan file's options are not a flagsync plan's") from None


def beyond_fresh(saved: Plan, fresh: Plan) -> list[str]:
    """The steps of a saved plan that a fresh plan (same manifests, same options, the live
    state now) does not have: a plan file is data anyone with the file could have edited, so
    it may do only what flagsync would do now. Each step is compared whole (every call, path
    and body); a fresh plan may have more (something else changed since), never other."""

    available = Counter(_identity(step) for step in fresh.steps)
    extra = []
    for step in saved.steps:
        found = _identity(step)
        if available[found] > 0:
            available[found] -= 1
        else:
            extra.append(f"{step.action} {step.resource} {step.key}")
    return extra


def _identity(step: Any) -> str:
    """A step as the calls it sends: what each call is about (`ApiCall.subject`) is the
    planner's description of them, left out (a plan saved before calls carried it compares
    equal; `typed_like` takes it from the fresh plan)."""
    data = step.model_dump(mode="json")
    for call in data["calls"]:
        call.pop("subject", None)
    return json.dumps(data, sort_keys=True)


def typed_like(saved: Plan, fresh: Plan) -> Plan:
    """The saved plan with each step replaced by the fresh plan's step that sends the same
    calls (after `beyond_fresh` found one for every step): the calls are the saved ones, what
    they are about is the planner's own, never the file's."""
    available: dict[str, list[Any]] = {}
    for step in fresh.steps:
        available.setdefault(_identity(step), []).append(step)
    steps = []
    for step in saved.steps:
        twins = available.get(_identity(step))
        steps.append(twins.pop(0) if twins else step)
    return saved.model_copy(update={"steps": steps})


def moved_since(plan: Plan, provider: Provider[Any]) -> list[str]:
    """The flags a saved plan touches whose live state changed since it was computed."""
    touched = {step.key for step in plan.steps}
    live = provider.read(touched)
    moved = []
    for key in sorted(touched):
        if live.fingerprints.get(key) != plan.fingerprints.get(key):
            moved.append(key)
    return moved
