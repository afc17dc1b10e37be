"""Planning for DevCycle: the requests for one flag's changes (one request per feature:
a v2 POST creates a feature with everything, a v2 PATCH updates exactly the parts that changed,
atomically), change requests where review is needed, deletions, project-level objects and
metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from reconciler.errors import PlanError
from reconciler.manifest.loader import locate_audience_reference
from reconciler.manifest.suggest import did_you_mean
from reconciler.model import EnvironmentConfig, Flag, FlagSet, Metric
from reconciler.plan import ApiCall, Change, PendingRequest, Plan, Ref, Step, Subject
from reconciler.providers.devcycle import (
    answers,
    approvals,
    audiences,
    change_requests,
    custom_properties,
    feature_status,
    metrics,
    translate,
    variables,
)
from reconciler.providers.devcycle.read import (
    LiveState,
    Reading,
    concurrency_fingerprint,
    model_fingerprint,
)
from reconciler.workspace import DEFAULT_REQUEST_DESCRIPTION


@dataclass
class FlagWork:
    """What a plan does for one flag: its changes (annotated with how they travel), the steps
    that make them, and the open change requests found on it."""

    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    pending: list[PendingRequest] = field(default_factory=list)


def _via_request(change: Change) -> Change:
    return change.model_copy(update={"via": "change-request"})


class Planning(Reading):
    """The planning part of the DevCycle provider."""

    def plan_project_objects(
        self,
        desired: FlagSet,
        live: LiveState,
        plan: Plan,
        prune: bool,
        adopt: bool,
        creates_only: bool = False,
    ) -> None:
        """Custom properties and reusable audiences (project-level: written directly). Targets
        may then use a declared audience the apply creates, by placeholder. `creates_only`:
        only the missing ones are created (a plan narrowed by --flag or --env)."""
        if desired.custom_properties:
            live_properties = self._list("customProperties", answers.CUSTOM_PROPERTIES)
            custom_properties.plan_custom_properties(
                self._v1, desired.custom_properties, live_properties, plan, creates_only
            )
        audiences.plan_audiences(
            self._v1,
            desired.audiences,
            live.audiences,
            plan,
            prune,
            adopt,
            creates_only,
            ownership=self.workspace.ownership,
        )
        for key in desired.audiences:
            live.audience_ids.setdefault(key, audiences.placeholder(key))
        if not creates_only:
            variables.plan_orphans(self._v1, live.orphaned_variables, desired, plan)

    def delete_step(self, key: str) -> Step:
        """Deleting a feature: DevCycle's only delete is v1, and it takes the variables along."""
        call = ApiCall(
            method="DELETE",
            path=f"{self._v1}/features/{quote(key, safe='')}",
            params={"deleteVariables": "true"},
            subject=Subject(kind="flag", key=key),
        )
        return Step(action="delete", key=key, calls=[call])

    def steps_for(
        self,
        desired: Flag,
        live: LiveState,
        changes: list[Change],
        adopt: bool = False,
        cancel_stale: bool = False,
    ) -> FlagWork:
        """The requests that apply `changes` (all about `desired`).

        Changes in change-request environments (and flag-wide changes, which reach those
        environments too) go into a change request for reviewers; the rest are written directly.
        A new feature is created directly, with its change-request environments off, and their
        targeting follows as a change request. With `adopt`, the ownership marker is added.
        """
        self._check_audiences(desired, live.audience_ids)
        held = set(self.workspace.change_request_environments)
        if live.approval_workflow:
            held = set(approvals.reviewed_environments(self.workspace, True))
        current = live.flags.flags.get(desired.key)
        if current is None:
            work = self._creation(desired, live, changes, held)
            # Under review, the status waits: it is a change request of its own, and the new
            # feature's targeting request is open (a later plan sends it).
            work = self._with_lifecycle(work, desired, None, [], status_direct=not held)
            audiences.with_refs(work.steps, live.audience_ids)
            return work
        changes, lifecycle = feature_status.split(changes)
        reviewed = [c for c in changes if c.environment in held or (c.environment is None and held)]
        direct = [c for c in changes if c not in reviewed]
        work = FlagWork(changes=[*direct, *(_via_request(c) for c in reviewed)])
        if direct:
            body = self._update_body(desired, direct, live, adopt)
            path = f"{self._v2}/features/{quote(desired.key, safe='')}"
            subject = Subject(kind="flag", key=desired.key)
            calls = [ApiCall(method="PATCH", path=path, body=body, subject=subject)] if body else []
            if "variables" in body:
                calls.extend(self._variable_deletions(desired, live))
            if calls:
                work.steps.append(Step(action="update", key=desired.key, calls=calls))
        request_body = self._update_body(desired, reviewed, live, adopt) if reviewed else None
        # Where changes need review, a status change is a change request of its own
        # (`featureStatusUpdate`); a feature has one open request at a time, so it waits while
        # the feature's other changes are under review.
        status_reviewed = bool(held) and feature_status.status_changed(desired, current)
        suffix = ""
        if request_body is None and status_reviewed:
            request_body, suffix = feature_status.status_body(desired), "/status"
        work = self._with_open_requests(
            desired.key, work, request_body, reviewed, live, cancel_stale, suffix
        )
        work = self._with_lifecycle(work, desired, current, lifecycle, not status_reviewed)
        audiences.with_refs(work.steps, live.audience_ids)
        return _guarded(work, current)

    def _with_lifecycle(
        self,
        work: FlagWork,
        desired: Flag,
        current: Flag | None,
        lifecycle: list[Change],
        status_direct: bool,
    ) -> FlagWork:
        """Add the flag's metric associations (always direct: DevCycle exempts them from
        approval) and, where no review is needed, its status change, to the flag's step."""
        calls = metrics.association_calls(self._v1, desired, current.metrics if current else ())
        status = feature_status.status_changed(desired, current)
        first: list[ApiCall] = []
        if status and status_direct:
            call = feature_status.status_call(self._v2, desired)
            if feature_status.status_first(desired, current):
                first.append(call)
            else:
                calls.append(call)
        for change in lifecycle:
            fields = {str(f.parts[0]) for f in change.fields if f.parts}
            if fields & feature_status.STATUS_FIELDS:
                change = feature_status.explained(change, desired)
                waiting = next((c.pending_request for c in work.changes if c.pending_request), None)
                via = "direct" if status_direct else "change-request"
                change = change.model_copy(update={"via": via, "pending_request": waiting})
            work.changes.append(change)
        if not calls and not first:
            return work
        step = next(
            (s for s in work.steps if s.via == "direct" and s.action in ("create", "update")),
            None,
        )
        if step is None:
            step = Step(action="update", key=desired.key, calls=[])
            work.steps.insert(0, step)
        step.calls = [*first, *step.calls, *calls]
        return work

    def plan_metrics(
        self, desired: dict[str, Metric], live: LiveState, plan: Plan, prune: bool
    ) -> None:
        """The project's metrics: created and updated before the flags, deleted after."""
        used_elsewhere = {
            metric
            for feature, keys in live.associations.items()
            if feature not in live.owned
            for metric in keys
        }
        changes, steps, left = metrics.plan(self._v1, desired, live.metrics, used_elsewhere, prune)
        plan.changes[:0] = changes
        plan.steps[:0] = steps
        plan.unmanaged.extend(left)

    def _creation(
        self, desired: Flag, live: LiveState, changes: list[Change], held: set[str]
    ) -> FlagWork:
        waiting = {
            env
            for env in held
            if desired.environments.get(env, EnvironmentConfig()) != EnvironmentConfig()
        }
        initial = desired.model_copy(
            update={
                "environments": {
                    env: EnvironmentConfig() if env in waiting else config
                    for env, config in desired.environments.items()
                }
            }
        )
        body = translate.flag_to_create_body(initial, live.audience_ids, marker=self._marker)
        path = f"{self._v2}/features"
        # What the POST alone makes: status and metric associations are later calls, so a
        # feature found after a lost answer is still active and measures nothing.
        made = initial.model_copy(
            update={"status": "active", "static_variation": None, "metrics": ()}
        )
        call = ApiCall(
            method="POST",
            path=path,
            body=body,
            expect=model_fingerprint(made),
            makes=Ref(resource="flag", key=desired.key, field="_id"),
            subject=Subject(kind="flag", key=desired.key),
        )
        create = Step(action="create", key=desired.key, calls=[call])
        work = FlagWork(
            changes=[_via_request(c) if c.environment in waiting else c for c in changes],
            steps=[create],
        )
        if waiting:
            configurations = {
                env: translate.config_body(desired.environments[env], live.audience_ids, [])
                for env in self.workspace.environment_names
                if env in waiting
            }
            work.steps.append(
                self._request_step(
                    desired.key, {"configurations": configurations}, sorted(waiting), ()
                )
            )
        return work

    def _with_open_requests(
        self,
        key: str,
        work: FlagWork,
        request_body: dict[str, Any] | None,
        reviewed: list[Change],
        live: LiveState,
        cancel_stale: bool,
        suffix: str = "",
    ) -> FlagWork:
        """Account for the feature's open change requests: one that already carries this change
        means nothing to do; any open one locks the feature against direct writes."""
        raw = live.raw.get(key) or {}
        requests = live.open_requests.get(key) or live.open_requests.get(raw.get("_id", ""), [])
        digest = change_requests.body_hash(request_body) if request_body is not None else None
        work.pending = change_requests.classify(key, requests, digest)
        matching = next((p for p in work.pending if p.state == "matches"), None)
        cancel = tuple(p.id for p in work.pending if p.state == "stale" and cancel_stale)
        for pending in work.pending:
            pending.cancelled = pending.id in cancel
        blocking = [
            p
            for p in work.pending
            if p.state == "foreign" or (p.state == "stale" and not p.cancelled)
        ]
        if matching or blocking:
            waiting_on = (matching or blocking[0]).id
            work.steps = []  # the feature is locked until the open request is resolved
            work.changes = [
                c.model_copy(update={"pending_request": waiting_on}) for c in work.changes
            ]
            return work
        if request_body is None and cancel:
            work.steps.append(change_requests.cancel_step(self._v2, key, cancel))
        if request_body is not None:
            envs = sorted(
                {c.environment for c in reviewed if c.environment}
                or set(self.workspace.change_request_environments)
            )
            step = self._request_step(key, request_body, envs, cancel, suffix)
            work.steps.append(step)
        return work

    def open_requests_only(self, key: str, live: LiveState, cancel_stale: bool) -> FlagWork:
        """For a flag with no changes: report its open change requests (flagsync's are stale,
        since the manifests now want nothing) and cancel them when asked."""
        return self._with_open_requests(key, FlagWork(), None, [], live, cancel_stale)

    def _request_step(
        self,
        key: str,
        body: dict[str, Any],
        environments: list[str],
        cancel: tuple[str, ...],
        suffix: str = "",
    ) -> Step:
        settings = [self.workspace.environments[env] for env in environments]
        reviewers = sorted({r for s in settings for r in s.reviewers})
        template = settings[0].description if settings else DEFAULT_REQUEST_DESCRIPTION
        summary = f"update {key} in {', '.join(environments)}"
        description = change_requests.describe(
            template, key, environments, summary, change_requests.body_hash(body)
        )
        return change_requests.request_step(
            self._v2, key, body, environments, reviewers, description, cancel, suffix
        )

    def _update_body(
        self, desired: Flag, changes: list[Change], live: LiveState, adopt: bool
    ) -> dict[str, Any]:
        """Only the parts that changed: arrays DevCycle replaces wholesale are sent whole."""
        current = live.flags.flags[desired.key]
        raw = live.raw[desired.key]
        body: dict[str, Any] = {}
        if any(change.environment is None for change in changes):
            if adopt:
                body["tags"] = translate.flag_fields_body(desired, marker=self._marker)["tags"]
            own = translate.flag_fields_body(desired, marker=self._marker)
            before = translate.flag_fields_body(current, marker=self._marker)
            body.update({name: value for name, value in own.items() if before.get(name) != value})
            if desired.variables != current.variables:
                body["variables"] = translate.variables_body(desired, marker=self._marker)
            if desired.variations != current.variations or "variables" in body:
                live_ids = {v["key"]: v["_id"] for v in raw.get("variations") or [] if "_id" in v}
                body["variations"] = translate.variations_body(desired, live_ids)
        envs = {change.environment for change in changes if change.environment}
        if envs:
            live_targets = _live_targets(raw, live.environment_keys)
            body["configurations"] = {
                env: translate.config_body(
                    desired.environments[env], live.audience_ids, live_targets.get(env, [])
                )
                for env in self.workspace.environment_names
                if env in envs
            }
        return body

    def _check_audiences(self, flag: Flag, audience_ids: dict[str, str]) -> None:
        for env, config in flag.environments.items():
            for target in config.targets:
                for item in target.audience.filters:
                    if item.field != "audience":
                        continue
                    for key in item.values:
                        if key not in audience_ids:
                            known = sorted(audience_ids)
                            where = f" (target '{target.name}')" if target.name else ""
                            site = locate_audience_reference(
                                self.workspace, flag.key, env, str(key)
                            )
                            raise PlanError(
                                f"{site + ': ' if site else ''}"
                                f"flag '{flag.key}' [{env}]: audience '{key}' does not exist in "
                                f"DevCycle project '{self.workspace.project}' and no manifest "
                                f"declares it{where}{did_you_mean(str(key), known)} (audiences: "
                                f"{', '.join(known) or 'none'})"
                            )

    def _variable_deletions(self, desired: Flag, live: LiveState) -> list[ApiCall]:
        """Variables the manifest dropped: DevCycle only detaches them from the feature (they
        would block their key for good), so they are deleted once the PATCH detached them."""
        current = live.flags.flags[desired.key]
        return [
            variables.delete_call(self._v1, key)
            for key in current.variables
            if key not in desired.variables
        ]


def _guarded(work: FlagWork, current: Flag) -> FlagWork:
    """Mark the first direct write to the feature with the state the plan saw, so it is
    refused if the feature changed meanwhile (later calls of the step follow flagsync's own
    write, and are not checked)."""
    for step in work.steps:
        if step.via != "direct":
            continue
        for index, call in enumerate(step.calls):
            about = call.subject.kind if call.subject is not None else None
            if about == "flag" and call.role in ("write", "status"):
                guarded = call.model_copy(update={"if_unchanged": concurrency_fingerprint(current)})
                step.calls[index] = guarded
                return work
    return work


def _live_targets(
    raw: dict[str, Any], environment_keys: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """The live targets of a feature per environment key (for keeping target `_id`s)."""
    result: dict[str, list[dict[str, Any]]] = {}
    for config in raw.get("configurations") or []:
        env = environment_keys.get(config.get("_environment", ""))
        if env:
            result[env] = config.get("targets") or []
    return result
