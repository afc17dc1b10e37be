"""Planning for PostHog: one step per flag and project (a POST with everything where the flag
is missing, a PATCH with the complete filters plus `version` and `original_flag` elsewhere),
soft deletions, experiments and holdouts, and the order of the finished plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import PlanError
from reconciler.model import Experiment, Flag, FlagSet
from reconciler.plan import ApiCall, Change, PendingRequest, Plan, Ref, Step, Subject, field_changes
from reconciler.providers.posthog import dependencies, metric_events, translate
from reconciler.providers.posthog.context import ProjectContext, flag_ref
from reconciler.providers.posthog.experiment_steps import plan_experiment
from reconciler.providers.posthog.holdouts import LiveHoldout, plan_holdouts
from reconciler.providers.posthog.holdouts import placeholder as holdout_placeholder
from reconciler.providers.posthog.read import LiveState
from reconciler.providers.posthog.reviewing import Reviewing
from reconciler.providers.posthog.staleness import stale_notes

_ORIGINAL = ("key", "name", "filters", "active", "tags", *translate.SETTINGS)


@dataclass
class FlagWork:
    """What a plan does for one flag: changes, and one step per project that needs a write."""

    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    pending: list[PendingRequest] = field(default_factory=list)


class Planning(Reviewing):
    """The planning part of the PostHog provider."""

    def steps_for(
        self,
        desired: Flag,
        live: LiveState,
        changes: list[Change],
        adopt: bool = False,
        cancel_stale: bool = False,
    ) -> FlagWork:
        """One step per project whose flag differs from the manifest (or is missing there).

        A change to a flag-level field (description, variations, payloads, tags, settings)
        reaches every project, since PostHog keeps them per project; an environment change only
        its project. A project the flag is missing from shows as a creation in the plan.
        """
        copies = live.raw.get(desired.key, {})
        everywhere = any(change.environment is None for change in changes)
        touched = {change.environment for change in changes if change.environment}
        work = FlagWork(changes=[self._as_creation(c, desired, copies) for c in changes])
        for env in desired.environments:
            if not (everywhere or env in touched):
                continue
            context = live.projects[env]
            raw = copies.get(env)
            if raw is None:
                work.steps.append(self._create_step(desired, env, context))
                continue
            wanted = _in(desired, env)
            marker = self.workspace.ownership.marker
            if translate.flag_to_model(raw, context) == wanted and translate.is_owned(
                raw, marker=marker
            ):
                continue
            work.steps.append(self._update_step(desired, env, context, raw))
        for change in changes:
            if change.action == "delete" and change.environment in copies:
                work.steps.append(self._retire_step(desired.key, change.environment, live))
        return self._reviewed(desired.key, work, live, cancel_stale)

    def _as_creation(self, change: Change, desired: Flag, copies: dict[str, Any]) -> Change:
        """An environment change for a project the flag is missing from reads as a creation."""
        env = change.environment
        if env is None or env in copies or change.action != "update":
            return change
        config = desired.environments[env].model_dump(mode="json", exclude_none=True)
        return change.model_copy(update={"action": "create", "fields": field_changes({}, config)})

    def _create_step(self, desired: Flag, env: str, context: ProjectContext) -> Step:
        marker = self.workspace.ownership.marker
        body = translate.create_body(desired, env, context, marker=marker)
        path = f"/api/projects/{context.project_id}/feature_flags/"
        return Step(
            action="create",
            key=desired.key,
            environments=[env],
            calls=[
                ApiCall(
                    method="POST",
                    path=path,
                    body=body,
                    refs=_refs(body, context),
                    makes=flag_ref(desired.key, context.project_id),
                    subject=Subject(kind="flag", key=desired.key, scope=str(context.project_id)),
                )
            ],
        )

    def _update_step(
        self, desired: Flag, env: str, context: ProjectContext, raw: dict[str, Any]
    ) -> Step:
        body = translate.flag_body(desired, env, context, marker=self.workspace.ownership.marker)
        if raw.get("archived") and desired.status != "archived":
            body["archived"] = False
        body["version"] = raw.get("version")
        body["original_flag"] = {name: raw[name] for name in _ORIGINAL if name in raw}
        path = f"/api/projects/{context.project_id}/feature_flags/{raw['id']}/"
        return Step(
            action="update",
            key=desired.key,
            environments=[env],
            calls=[
                ApiCall(
                    method="PATCH",
                    path=path,
                    body=body,
                    refs=_refs(body, context),
                    subject=Subject(
                        kind="flag",
                        key=desired.key,
                        id=str(raw["id"]),
                        scope=str(context.project_id),
                    ),
                )
            ],
        )

    def _retire_step(self, key: str, env: str, live: LiveState) -> Step:
        raw = live.raw[key][env]
        return Step(
            action="delete",
            key=key,
            environments=[env],
            calls=[self._soft_delete(live.projects[env].project_id, raw)],
        )

    def open_requests_only(self, key: str, live: LiveState, cancel_stale: bool) -> FlagWork:
        """The change requests open on a flag the manifests want nothing changed on. A flag
        let go while reading (its copies not kept) has none to judge: its copies were as sent,
        and a request is judged against a copy."""
        if key not in live.raw:
            return FlagWork()
        return self._reviewed(key, FlagWork(), live, cancel_stale)

    def delete_step(self, key: str) -> Step:
        """Soft delete (PostHog answers DELETE with 405): `PATCH {"deleted": true}` in every
        project the flag is in."""
        if self._last is None or key not in self._last.raw:
            raise PlanError(f"flag '{key}': not read from PostHog, cannot plan its deletion")
        copies = self._last.raw[key]
        calls = [
            self._soft_delete(self._last.projects[env].project_id, raw)
            for env, raw in copies.items()
        ]
        return Step(action="delete", key=key, environments=list(copies), calls=calls)

    @staticmethod
    def _soft_delete(project_id: int, raw: dict[str, Any]) -> ApiCall:
        path = f"/api/projects/{project_id}/feature_flags/{raw['id']}/"
        about = Subject(kind="flag", key=raw.get("key"), id=str(raw["id"]), scope=str(project_id))
        return ApiCall(method="PATCH", path=path, body={"deleted": True}, subject=about)

    def plan_experiments(
        self,
        desired: dict[str, Experiment],
        live: LiveState,
        plan: Plan,
        adopt: bool,
        environments: list[str],
    ) -> None:
        """Add the experiments' changes and steps to `plan`; list the live experiments no
        manifest names (flagsync never deletes an experiment)."""
        project_ids = {env: context.project_id for env, context in live.projects.items()}
        ownership = self.workspace.ownership

        def holdout_ref(env: str, name: str) -> int | str:
            if (env, name) in self._planned_holdouts:
                return holdout_placeholder(name)
            found = live.holdouts.get(name, {}).get(env, [])
            if not found:
                raise PlanError(
                    f"holdout '{name}' does not exist in PostHog project {project_ids[env]} "
                    f"[{env}] and this plan does not create it there"
                )
            return int(found[0].raw["id"])

        for key, experiment in desired.items():
            work = plan_experiment(
                experiment,
                live.experiments.get(key, {}),
                project_ids,
                environments,
                adopt,
                holdout_ref,
                ownership,
            )
            self._check_metric_events(work.steps, plan)
            plan.changes.extend(work.changes)
            plan.steps.extend(work.steps)
            plan.adoptable.extend(work.adoptable)
            plan.owned_elsewhere.update(work.elsewhere)
        for key, copies in sorted(live.experiments.items()):
            wanted = desired[key].environments if key in desired else ()
            for env, copy in sorted(copies.items()):
                if env in wanted:
                    continue
                verdict = ownership.verdict(copy.tags)
                if verdict == "mine":
                    plan.orphans.append(f"{key} (experiment) [{env}]")
                elif verdict == "legacy":
                    plan.legacy.append(f"{key} (experiment) [{env}]")

    def _check_metric_events(self, steps: list[Step], plan: Plan) -> None:
        """Experiment writes whose metrics name events a project has not seen carry
        `allow_unknown_events`, and the plan says so; a missing action stops the plan."""
        for step in steps:
            for call in step.calls:
                about = call.subject
                if about is None or about.kind != "experiment" or about.scope is None:
                    continue
                if call.role != "write" or call.method not in ("POST", "PATCH") or not call.body:
                    continue
                project_id = int(about.scope)
                where = f"experiment '{step.key}' [{', '.join(step.environments)}]"
                unseen = metric_events.prepare_write(self._taxonomy, project_id, call.body, where)
                if unseen:
                    plan.notices.append(metric_events.notice(where, project_id, unseen))

    def plan_holdouts(
        self,
        desired: FlagSet,
        live: LiveState,
        plan: Plan,
        adopt: bool,
        prune: bool,
        selects: Callable[[str], bool],
    ) -> None:
        """Add the holdouts' changes and steps to `plan` (before the experiments are planned:
        an experiment refers to a holdout the plan creates by placeholder). A holdout is planned
        when its name is selected or a selected experiment uses it."""
        used = {e.holdout for key, e in desired.experiments.items() if selects(key)}
        wanted = {name: h for name, h in desired.holdouts.items() if selects(name) or name in used}
        project_ids = {env: context.project_id for env, context in live.projects.items()}

        def still_used(env: str, holdout: LiveHoldout) -> list[str]:
            users = []
            for key, copies in sorted(live.experiments.items()):
                copy = copies.get(env)
                if copy is None or (copy.raw.get("holdout") or {}).get("id") != holdout.raw["id"]:
                    continue
                declared = desired.experiments.get(key)
                moving_away = (
                    declared is not None
                    and env in declared.environments
                    and declared.holdout != holdout.model.name
                    and copy.model.status == "draft"
                )
                if not moving_away:
                    users.append(f"'{key}'")
            return users

        work = plan_holdouts(
            wanted,
            live.holdouts,
            plan.environments,
            project_ids,
            adopt,
            prune,
            still_used,
            self.workspace.ownership,
        )
        self._planned_holdouts = work.created
        plan.changes.extend(work.changes)
        plan.steps.extend(work.steps)
        plan.adoptable.extend(work.adoptable)
        plan.orphans.extend(work.orphans)
        plan.owned_elsewhere.update(work.elsewhere)
        plan.legacy.extend(work.legacy)

    def finish_plan(self, plan: Plan) -> None:
        """Refuse a flag depending on a flag no step creates in its project, and add the
        notices. (The order, a flag after the flags it depends on and holdouts around the
        experiments, is `reconciler.ordering`'s, from the steps' refs.)"""
        dependencies.check_refs(plan.steps)
        plan.notices.extend(self._unmanaged_filter_notices())
        if self._last is not None:
            plan.notices.extend(stale_notes(self._last.raw))
        self._finish_reviews(plan)

    def _unmanaged_filter_notices(self) -> list[str]:
        """Flag filter keys flagsync leaves as they are (an early access feature's
        `feature_enrollment`, say): named, so nothing the flag evaluates with is hidden."""
        if self._last is None:
            return []
        found = []
        for key in sorted(self._last.raw):
            for env, raw in self._last.raw[key].items():
                extra = translate.unmanaged_filter_keys(raw)
                if extra:
                    found.append(
                        f"flag '{key}' [{env}]: filters keys flagsync does not manage stay as "
                        f"they are in PostHog: {', '.join(extra)}"
                    )
        return found


def _in(flag: Flag, env: str) -> Flag:
    """`flag` as one project sees it: the flag-level fields and that one environment."""
    return flag.model_copy(update={"environments": {env: flag.environments[env]}})


def _refs(body: dict[str, Any], context: ProjectContext) -> list[Ref]:
    """The flags this apply creates that a flag's body depends on, in its project."""
    return dependencies.flag_refs(body, context.project_id)
