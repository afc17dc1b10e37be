"""The PostHog provider: environments are projects; one step per flag and project.

Reading costs, per project: list calls for its flags and cohorts (1,000 rows a page), never one
call per flag, plus one for its group types when a group filter needs them; projects are read
concurrently.
Writing sends one request per flag and project: a POST with everything for a project the flag
is missing from (including one where it was soft-deleted: creating the key again frees the
tombstone), or a PATCH with the complete filters plus `version` and `original_flag`, so an edit
made in PostHog's UI since the plan is a 409 conflict rather than silently overwritten.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from reconciler.errors import ApiError, FlagsyncError
from reconciler.model import EnvironmentConfig, Experiment, Flag, FlagSet
from reconciler.plan import ApiCall, Change, PendingRequest, Plan, Step, field_changes
from reconciler.providers.posthog import answers, dependencies, metric_events, translate
from reconciler.providers.posthog.client import PostHogClient, default_limiter, personal_api_key
from reconciler.providers.posthog.context import ProjectContext, placeholder_key
from reconciler.providers.posthog.experiment_recovery import create_experiment, create_holdout
from reconciler.providers.posthog.experiment_steps import (
    LiveExperiment,
    experiment_placeholder,
    plan_experiment,
)
from reconciler.providers.posthog.holdouts import (
    LiveHoldout,
    placeholder_name,
    plan_holdouts,
)
from reconciler.providers.posthog.holdouts import placeholder as holdout_placeholder
from reconciler.providers.posthog.importing import imported
from reconciler.providers.posthog.merge import merge_projects
from reconciler.providers.posthog.promotion import missing_in_project
from reconciler.providers.shape import check
from reconciler.workspace import Workspace

READ_WORKERS = 4
Rows = list[dict[str, Any]]
ProjectRead = tuple[ProjectContext, Rows, Rows, Rows]
"""One project as read: its names and ids, flags, experiments and holdouts."""
_EXPERIMENTS = re.compile(r"^/api/projects/(\d+)/experiments/$")
_EXPERIMENT_WRITE = re.compile(r"^/api/projects/(\d+)/experiments/(?:\d+/)?$")
_HOLDOUTS = re.compile(r"^/api/projects/(\d+)/experiment_holdouts/$")
_PATH_PLACEHOLDER = re.compile(r"^/api/projects/(\d+)/.*\{(experiment-id|flag-id):([^}]+)\}")
_COMPARED = ("key", "name", "filters", "active", "tags", "deleted", "version")
_ORIGINAL = ("key", "name", "filters", "active", "tags", *translate.SETTINGS)


@dataclass
class LiveState:
    """What one read saw, across the workspace's projects.

    `raw` holds each asked-for or owned flag's live objects per environment; `projects` each
    environment's names and ids. A flag is `owned` when every copy carries the ownership tag.
    """

    flags: FlagSet
    fingerprints: dict[str, str]
    unchanged: set[str] = field(default_factory=set)
    owned: set[str] = field(default_factory=set)
    others: list[str] = field(default_factory=list)
    legacy: set[str] = field(default_factory=set)
    """Flags with the bare legacy marker, as a named workspace sees them."""
    elsewhere: dict[str, str] = field(default_factory=dict)
    """Flags another workspace owns: key -> that workspace's name."""
    raw: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    projects: dict[str, ProjectContext] = field(default_factory=dict)
    experiments: dict[str, dict[str, LiveExperiment]] = field(default_factory=dict)
    """Every live experiment by flag key and environment. Their flags are not in `flags`,
    `owned` or `others`: an experiment's flag is managed through the experiment."""
    holdouts: dict[str, dict[str, list[LiveHoldout]]] = field(default_factory=dict)
    """Every live holdout by name and environment (PostHog does not keep names unique)."""


@dataclass
class FlagWork:
    """What a plan does for one flag: changes, and one step per project that needs a write."""

    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    pending: list[PendingRequest] = field(default_factory=list)


class PostHogProvider:
    """Plan and apply against the PostHog projects of a workspace's environments."""

    name = "posthog"

    def __init__(self, workspace: Workspace, client: PostHogClient) -> None:
        self.workspace = workspace
        self.client = client
        self._ids = dependencies.CreatedFlags()
        self._experiment_ids: dict[tuple[int, str], int] = {}
        self._holdout_ids = dependencies.CreatedFlags()
        self._planned_holdouts: set[tuple[str, str]] = set()
        self._last: LiveState | None = None
        self._prefetched: dict[str, Future[ProjectRead]] | None = None
        self._taxonomy = metric_events.ProjectTaxonomy(client)

    @classmethod
    def from_workspace(
        cls, workspace: Workspace, on_retry: Callable[[str], None] | None = None
    ) -> PostHogProvider:
        limiter = default_limiter(workspace.rate_limit.per_minute, workspace.rate_limit.per_hour)
        client = PostHogClient(
            workspace.api_url, personal_api_key(), limiter=limiter, on_retry=on_retry
        )
        return cls(workspace, client)

    def close(self) -> None:
        """Stop what a prefetch has not started yet, and close the connections (a project read
        still running then fails in its thread, unheard)."""
        for pending in (self._prefetched or {}).values():
            pending.cancel()
        self._prefetched = None
        self.client.close()

    def prefetch(self) -> None:
        """Start reading every project in background threads; the next `read` uses the result.
        A plan calls this before it loads the manifests, so the downloads overlap with that
        work."""
        if self._prefetched is not None:
            return
        pool = ThreadPoolExecutor(max_workers=READ_WORKERS, thread_name_prefix="posthog-read")
        self._prefetched = {
            env: pool.submit(self._read_project, (env, project_id))
            for env, project_id in self.workspace.project_ids.items()
        }
        pool.shutdown(wait=False)

    # -- read ------------------------------------------------------------------------------

    def read(self, keys: set[str], desired: Mapping[str, Flag] | None = None) -> LiveState:
        """Read every project; translate only the flags named in `keys` (`desired` is not used:
        PostHog projects are read whole, and a flag is merged from its copies first)."""
        read = self._read_projects()
        contexts = {env: context for env, (context, _, _, _) in read.items()}
        copies: dict[str, dict[str, dict[str, Any]]] = {}
        live = LiveState(flags=FlagSet(), fingerprints={}, projects=contexts)
        for env, (context, flags, experiments, holdouts) in read.items():
            for holdout in holdouts:
                name = str(holdout.get("name") or "")
                live.holdouts.setdefault(name, {}).setdefault(env, []).append(
                    LiveHoldout(holdout, context.project_id, env)
                )
            by_key = {str(raw["key"]): raw for raw in flags}
            for raw in flags:
                self._ids.note(context.project_id, str(raw["key"]), int(raw["id"]))
            for experiment in experiments:
                key = str(experiment.get("feature_flag_key") or "")
                live.experiments.setdefault(key, {})[env] = LiveExperiment(
                    experiment, by_key.pop(key, None), context.project_id, env
                )
            for key, raw in by_key.items():
                copies.setdefault(key, {})[env] = raw
        models: dict[str, Flag] = {}
        ownership = self.workspace.ownership
        for key, per_env in copies.items():
            verdicts = {ownership.verdict(raw.get("tags")) for raw in per_env.values()}
            owned = verdicts == {"mine"}
            if owned:
                live.owned.add(key)
            elif "elsewhere" in verdicts:
                tags = [tag for raw in per_env.values() for tag in raw.get("tags") or ()]
                live.elsewhere[key] = ownership.owner(tags)
            elif verdicts <= {"mine", "legacy"}:
                live.legacy.add(key)
            if key not in keys and not owned:
                live.others.append(key)
                continue
            live.raw[key] = per_env
            live.fingerprints[key] = fingerprint(per_env)
            if key in keys:
                models[key] = merge_projects(
                    {env: _translated(raw, contexts[env]) for env, raw in per_env.items()}
                )
        live.flags = FlagSet(flags=models)
        live.others.sort()
        for key, experiment_copies in live.experiments.items():
            seen = experiment_fingerprint(experiment_copies)
            live.fingerprints[key] = (
                f"{live.fingerprints[key]}|{seen}" if key in live.fingerprints else seen
            )
        for name, holdout_copies in live.holdouts.items():
            seen = holdout_fingerprint(holdout_copies)
            live.fingerprints[name] = (
                f"{live.fingerprints[name]}|{seen}" if name in live.fingerprints else seen
            )
        self._last = live
        return live

    def _read_projects(self) -> dict[str, ProjectRead]:
        """Every project, read concurrently (or as the prefetch read it: used once)."""
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is not None:
            return {env: pending.result() for env, pending in prefetched.items()}
        projects = self.workspace.project_ids
        with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
            return dict(zip(projects, pool.map(self._read_project, projects.items()), strict=True))

    def _read_project(self, item: tuple[str, int]) -> ProjectRead:
        env, project_id = item
        base = f"/api/projects/{project_id}"
        try:
            flags = self._with_archived(f"{base}/feature_flags/", answers.FLAG_HEADS, "flags")
        except ApiError as error:
            if error.status in (403, 404):
                raise FlagsyncError(
                    f"{self.workspace.file}: environment '{env}': PostHog project {project_id} "
                    f"not found, or the personal API key cannot see it ({error})"
                ) from None
            raise
        flags = [flag for flag in flags if not flag.get("deleted")]
        cohorts = self._list(f"{base}/cohorts/", answers.COHORTS, "cohorts")
        experiments = [
            e
            for e in self._with_archived(f"{base}/experiments/", answers.EXPERIMENTS, "experiments")
            if not e.get("deleted")
        ]
        holdouts = self._list(
            f"{base}/experiment_holdouts/", answers.HOLDOUTS, "experiment holdouts"
        )
        context = ProjectContext(
            environment=env,
            project_id=project_id,
            cohorts={str(c["name"]): int(c["id"]) for c in cohorts if not c.get("deleted")},
            flags={str(f["key"]): int(f["id"]) for f in flags},
            load_group_types=lambda: self._group_types(base),
        )
        return context, flags, experiments, holdouts

    def _list(
        self,
        path: str,
        adapter: TypeAdapter[Any],
        what: str,
        params: dict[str, Any] | None = None,
    ) -> list[Any]:
        """A whole list, checked against the shape flagsync reads."""
        items = self.client.list_all(path, params)
        check(f"GET {path}", adapter, items, f"a list of {what}")
        return items

    def _with_archived(self, path: str, adapter: TypeAdapter[Any], what: str) -> list[Any]:
        """A list endpoint's rows, archived ones included: PostHog lists archived flags and
        experiments only when asked (`exclude_archived_unless_requested`,
        `filter_experiments_queryset`), and a reconciler that cannot see them would plan to
        create them again. A server without archiving ignores the parameter and answers the
        same rows twice; they are counted once."""
        rows = self._list(path, adapter, what)
        seen = {row.get("id") for row in rows}
        archived = self._list(path, adapter, f"archived {what}", {"archived": "true"})
        return rows + [row for row in archived if row.get("id") not in seen]

    def _group_types(self, base: str) -> dict[str, int]:
        """The project's group types by name (`company` -> 0)."""
        answer = self.client.json("GET", f"{base}/groups_types/")
        check(f"GET {base}/groups_types/", answers.GROUP_TYPES, answer or [], "group types")
        return {
            str(g["group_type"]): int(g["group_type_index"])
            for g in answer or []
            if isinstance(g, dict)
        }

    def promotion_problems(
        self, flag: Flag, source: EnvironmentConfig, target: str, desired: FlagSet
    ) -> list[str]:
        """What `target`'s project lacks to take `source`'s targeting (`flagsync promote`);
        the project is read once per provider."""
        contexts: dict[str, ProjectContext] = self.__dict__.setdefault("_promotion_contexts", {})
        if target not in contexts:
            project = self.workspace.project_ids[target]
            contexts[target] = self._read_project((target, project))[0]
        return missing_in_project(flag, source, target, contexts[target], desired)

    def for_import(
        self, live: LiveState, flags: FlagSet, selects: Callable[[str], bool]
    ) -> tuple[FlagSet, list[str]]:
        """`flags` with the live experiments and holdouts `flagsync import` writes."""
        found = imported(live.experiments, live.holdouts, self.workspace.environment_names, selects)
        return found.into(flags), found.notes

    # -- plan ------------------------------------------------------------------------------

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
        return work

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
            calls=[ApiCall(method="POST", path=path, body=body)],
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
            calls=[ApiCall(method="PATCH", path=path, body=body)],
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
        """PostHog change requests are not supported yet: there is never one to report."""
        return FlagWork()

    def delete_step(self, key: str) -> Step:
        """Soft delete (PostHog answers DELETE with 405): `PATCH {"deleted": true}` in every
        project the flag is in."""
        if self._last is None or key not in self._last.raw:
            raise FlagsyncError(f"flag '{key}': not read from PostHog, cannot plan its deletion")
        copies = self._last.raw[key]
        calls = [
            self._soft_delete(self._last.projects[env].project_id, raw)
            for env, raw in copies.items()
        ]
        return Step(action="delete", key=key, environments=list(copies), calls=calls)

    @staticmethod
    def _soft_delete(project_id: int, raw: dict[str, Any]) -> ApiCall:
        path = f"/api/projects/{project_id}/feature_flags/{raw['id']}/"
        return ApiCall(method="PATCH", path=path, body={"deleted": True})

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
                raise FlagsyncError(
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
                found = _EXPERIMENT_WRITE.match(call.path)
                if not found or call.method not in ("POST", "PATCH") or not call.body:
                    continue
                project_id = int(found.group(1))
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
        """Order the steps so a flag is created before the flags depending on it, and a holdout
        is created (or changed) before the experiments and deleted after them."""
        first = [s for s in plan.steps if s.resource == "holdout" and s.action != "delete"]
        last = [s for s in plan.steps if s.resource == "holdout" and s.action == "delete"]
        rest = [s for s in plan.steps if s.resource != "holdout"]
        plan.steps = first + dependencies.order_steps(rest) + last
        plan.notices.extend(self._unmanaged_filter_notices())

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

    # -- apply -----------------------------------------------------------------------------

    def execute(self, call: ApiCall) -> Any:
        """Send one planned call, with placeholders replaced by the ids they stand for."""
        created = dependencies.creates(call)
        try:
            return self._execute(call, created)
        except BaseException:
            holdout = _HOLDOUTS.match(call.path)
            if call.method == "POST" and holdout is not None and isinstance(call.body, dict):
                # Experiments waiting for this holdout's id stop waiting.
                self._holdout_ids.failed(int(holdout.group(1)), str(call.body.get("name")))
            raise

    def _execute(self, call: ApiCall, created: tuple[int, str] | None) -> Any:
        try:
            call = self._with_holdout_id(self._resolved(self._resolved_path(call)))
            if call.method == "POST" and _EXPERIMENTS.match(call.path):
                answer = create_experiment(self.client, call)
            elif call.method == "POST" and _HOLDOUTS.match(call.path):
                answer = create_holdout(self.client, call)
            else:
                answer = self.client.json(
                    call.method, call.path, params=call.params or None, body=call.body
                )
            answers.check_written(call, answer)
        except ApiError as error:
            recovered = self._recover(call, error)
            if recovered is None:
                if created is not None:
                    self._ids.failed(*created)
                raise self._explained(call, error) from None
            answer = recovered
        except FlagsyncError:
            if created is not None:
                self._ids.failed(*created)
            raise
        if created is not None and isinstance(answer, dict) and "id" in answer:
            self._ids.note(created[0], created[1], int(answer["id"]))
        self._note_experiment(call, answer)
        self._note_holdout(call, answer)
        return answer

    def describe(self, call: ApiCall) -> str:
        """The call as it was sent: ids in place of the placeholders in its path."""
        try:
            return self._resolved_path(call).describe()
        except FlagsyncError:
            return call.describe()

    def _note_holdout(self, call: ApiCall, answer: Any) -> None:
        """A created holdout's id, for the experiments of the same apply that use it."""
        project = _HOLDOUTS.match(call.path)
        if call.method == "POST" and project is not None and isinstance(answer, dict):
            self._holdout_ids.note(int(project.group(1)), str(answer["name"]), int(answer["id"]))

    def _with_holdout_id(self, call: ApiCall) -> ApiCall:
        """The call with a `{holdout-id:<name>}` placeholder in its body replaced by the id of
        the holdout this apply created (waiting, bounded, for its create to answer)."""
        body = call.body if isinstance(call.body, dict) else {}
        name = placeholder_name(body.get("holdout_id"))
        if name is None:
            return call
        project = int(call.path.split("/")[3])
        holdout_id = self._holdout_ids.wait(project, name)
        if holdout_id is None:
            raise FlagsyncError(
                f"{call.describe()}: holdout '{name}' was not created in PostHog project "
                f"{project}, so the experiment cannot use it"
            )
        return call.model_copy(update={"body": {**body, "holdout_id": holdout_id}})

    def _note_experiment(self, call: ApiCall, answer: Any) -> None:
        """A created experiment's id and its new flag's id, for the calls after it."""
        project = _EXPERIMENTS.match(call.path)
        if call.method != "POST" or project is None or not isinstance(answer, dict):
            return
        key = str(answer.get("feature_flag_key") or (call.body or {}).get("feature_flag_key"))
        self._experiment_ids[(int(project.group(1)), key)] = int(answer["id"])
        flag = answer.get("feature_flag")
        if isinstance(flag, dict) and "id" in flag:
            self._ids.note(int(project.group(1)), key, int(flag["id"]))

    def _resolved_path(self, call: ApiCall) -> ApiCall:
        """The call with an experiment's or flag's id placeholder in its path replaced: the
        calls after an experiment's create address what the create made."""
        found = _PATH_PLACEHOLDER.search(call.path)
        if found is None:
            return call
        project, kind, key = int(found.group(1)), found.group(2), found.group(3)
        if kind == "experiment-id":
            known: int | None = self._experiment_ids.get((project, key))
        else:
            known = self._ids.wait(project, key, timeout=0)
        if known is None:
            raise FlagsyncError(
                f"{call.describe()}: experiment '{key}' was not created in PostHog project "
                f"{project}, so this call cannot be sent"
            )
        path = call.path.replace(
            experiment_placeholder(key) if kind == "experiment-id" else "{flag-id:" + key + "}",
            str(known),
        )
        return call.model_copy(update={"path": path})

    def _resolved(self, call: ApiCall) -> ApiCall:
        """The call with every `{flag-id:<key>}` replaced by the flag's id in its project."""
        parents = dependencies.placeholders(call)
        if not parents:
            return call
        project = dependencies.project_of(call)
        assert project is not None
        body = json.loads(json.dumps(call.body))
        for prop in dependencies.flag_properties(body):
            parent = placeholder_key(prop.get("key"))
            if parent is None:
                continue
            flag_id = self._ids.wait(project, parent)
            if flag_id is None:
                raise FlagsyncError(
                    f"{call.describe()}: flag '{body.get('key', '')}' depends on flag "
                    f"'{parent}', which was not created in PostHog project {project}"
                )
            prop["key"] = str(flag_id)
        return call.model_copy(update={"body": body})

    def _explained(self, call: ApiCall, error: ApiError) -> ApiError:
        if error.status != 409 or call.method != "PATCH":
            return error
        key = ((call.body or {}).get("original_flag") or {}).get("key", "")
        return ApiError(
            error.call,
            f"flag '{key}' was changed in PostHog since the plan; run `flagsync plan` again to "
            "see the current state (nothing was overwritten)",
            status=409,
            vendor_message=error.vendor_message,
        )

    def _recover(self, call: ApiCall, error: ApiError) -> Any | None:
        """Refusals that are not failures.

        - An approval policy: PostHog answers 409 with a `change_request_id`, leaves the flag
          unchanged and opens a change request for reviewers: a pending change, not an error.
        - A create whose first answer was lost and that was committed: the flag found under the
          key is flagsync's (tagged), so the create happened.
        """
        request_id = error.body.get("change_request_id") if isinstance(error.body, dict) else None
        if error.status == 409 and request_id is not None:
            return {"flagsync_change_request": str(request_id)}
        created = dependencies.creates(call)
        if created is None or not error.after_lost_attempt or error.status != 400:
            return None
        project, key = created
        try:
            found = self.client.list_all(f"/api/projects/{project}/feature_flags/", {"search": key})
        except ApiError:
            return None
        marker = self.workspace.ownership.marker
        mine = [f for f in found if f.get("key") == key and translate.is_owned(f, marker=marker)]
        return mine[0] if len(mine) == 1 else None


def _translated(raw: dict[str, Any], context: ProjectContext) -> Flag:
    """The model of a listed flag. Its full shape is checked only when reading it fails
    (checking every flag of a large project up front costs more than reading it), so a flag
    of another shape is still one error naming the call and the field."""
    try:
        return translate.flag_to_model(raw, context)
    except FlagsyncError:
        raise
    except (TypeError, KeyError, AttributeError, ValueError, IndexError) as error:
        call = f"GET /api/projects/{context.project_id}/feature_flags/"
        check(call, answers.FLAG, raw, "a feature flag", str(raw.get("key")))
        raise ApiError(call, f"flag '{raw.get('key')}' could not be read: {error!r}") from None


def _in(flag: Flag, env: str) -> Flag:
    """`flag` as one project sees it: the flag-level fields and that one environment."""
    return flag.model_copy(update={"environments": {env: flag.environments[env]}})


def experiment_fingerprint(copies: dict[str, LiveExperiment]) -> str:
    """Which state of an experiment a plan saw: a hash of each project's experiment and flag."""
    content = {
        env: {"experiment": live.raw, "flag": live.flag} for env, live in sorted(copies.items())
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode())
    return f"experiment#{digest.hexdigest()[:16]}"


def holdout_fingerprint(copies: dict[str, list[LiveHoldout]]) -> str:
    """Which state of a holdout (by name) a plan saw, across projects."""
    content = {env: [live.raw for live in found] for env, found in sorted(copies.items())}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode())
    return f"holdout#{digest.hexdigest()[:16]}"


def fingerprint(copies: dict[str, dict[str, Any]]) -> str:
    """Which versions of a flag's copies a plan saw: id and `version` per project, and a hash of
    what flagsync manages (so an edit that does not move `version` is noticed too)."""
    versions = ",".join(
        f"{env}:{raw.get('id')}@{raw.get('version')}" for env, raw in sorted(copies.items())
    )
    content = {
        env: {name: raw.get(name) for name in (*_COMPARED, *translate.SETTINGS)}
        for env, raw in sorted(copies.items())
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
    return f"{versions}#{digest}"
