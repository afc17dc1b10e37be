"""The DevCycle provider: reads live state in a few list calls and turns changes into requests.

Reading costs one call for the environments, one for the audiences and one per 1,000 features
(never one per feature): DevCycle's v2 feature list carries variables, variations and every
environment's configuration. Writing sends one request per feature: a v2 POST creates a feature
with everything, a v2 PATCH updates exactly the parts that changed, atomically.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from pydantic import TypeAdapter

from reconciler.errors import ApiError, FlagsyncError
from reconciler.manifest.loader import locate_audience_reference
from reconciler.manifest.suggest import did_you_mean
from reconciler.model import EnvironmentConfig, Flag, FlagSet, Metric
from reconciler.plan import ApiCall, Change, PendingRequest, Plan, Step
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
from reconciler.providers.devcycle.client import (
    Credentials,
    DevCycleClient,
    Download,
    PageStream,
)
from reconciler.providers.http import RateLimiter
from reconciler.providers.shape import check
from reconciler.workspace import DEFAULT_REQUEST_DESCRIPTION, Workspace


@dataclass
class LiveState:
    """What one read saw.

    `flags` holds the models of the features that were asked for; `owned` the keys of every
    feature carrying flagsync's ownership marker; `others` the keys of the rest. Fingerprints
    cover the asked-for and the owned features (what a plan may change). `unchanged` are
    asked-for features found equal to their desired flag (owned, no open change request): a plan
    has nothing to do for them, so neither their model nor their raw object is kept.
    """

    flags: FlagSet
    fingerprints: Mapping[str, str]
    unchanged: set[str] = field(default_factory=set)
    owned: set[str] = field(default_factory=set)
    others: list[str] = field(default_factory=list)
    legacy: set[str] = field(default_factory=set)
    """Features with the bare legacy marker, as a named workspace sees them."""
    elsewhere: dict[str, str] = field(default_factory=dict)
    """Features another workspace owns: key -> that workspace's name."""
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    audience_ids: dict[str, str] = field(default_factory=dict)
    environment_keys: dict[str, str] = field(default_factory=dict)
    audiences: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Metric] = field(default_factory=dict)
    associations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Metric keys associated with each feature key (every feature, managed or not)."""
    approval_workflow: bool = False
    """The project takes feature changes only through change requests."""
    open_requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Open change requests (summaries) by feature key and `_id`."""
    orphaned_variables: list[str] = field(default_factory=list)
    """Variables flagsync tagged that no feature holds (a delete an apply left undone)."""


@dataclass
class _Downloads:
    """The lists one read needs, downloading."""

    environments: PageStream
    audiences: PageStream
    features: PageStream
    metrics: PageStream
    associations: Download
    variable_count: variables.VariableCount
    project: Download

    def close(self) -> None:
        for stream in (self.environments, self.audiences, self.features, self.metrics):
            stream.close()
        self.associations.close()
        self.variable_count.close()
        self.project.close()


@dataclass
class FlagWork:
    """What a plan does for one flag: its changes (annotated with how they travel), the steps
    that make them, and the open change requests found on it."""

    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    pending: list[PendingRequest] = field(default_factory=list)


def _via_request(change: Change) -> Change:
    return change.model_copy(update={"via": "change-request"})


class DevCycleProvider:
    """Plan and apply against one DevCycle project."""

    name = "devcycle"

    def __init__(self, workspace: Workspace, client: DevCycleClient) -> None:
        self.workspace = workspace
        self.client = client
        project = quote(workspace.project, safe="")
        self._v1 = f"/v1/projects/{project}"
        self._v2 = f"/v2/projects/{project}"
        # id -> key maps of the last read, to translate a feature found while applying
        self._last_environment_keys: dict[str, str] = {}
        self._last_audience_keys: dict[str, str] = {}
        self._prefetched: _Downloads | None = None
        self._created_audience_ids: dict[str, str] = {}

    @classmethod
    def from_workspace(
        cls, workspace: Workspace, on_retry: Callable[[str], None] | None = None
    ) -> DevCycleProvider:
        credentials = Credentials.from_environment()
        limiter = RateLimiter(workspace.rate_limit.per_minute, workspace.rate_limit.per_hour)
        client = DevCycleClient(
            workspace.api_url, workspace.auth_url, credentials, limiter=limiter, on_retry=on_retry
        )
        return cls(workspace, client)

    @property
    def _marker(self) -> str:
        return self.workspace.ownership.marker

    def close(self) -> None:
        if self._prefetched is not None:
            self._prefetched.close()
        self.client.close()

    def prefetch(self) -> None:
        """Start downloading the live state; the next `read` uses it. A plan calls this before
        it loads the manifests, so the downloads overlap with that work."""
        if self._prefetched is None:
            self._prefetched = self._downloads()

    def _downloads(self) -> _Downloads:
        return _Downloads(
            environments=PageStream(self.client, f"{self._v1}/environments"),
            audiences=PageStream(self.client, f"{self._v1}/audiences"),
            features=PageStream(self.client, f"{self._v2}/features"),
            metrics=PageStream(self.client, f"{self._v1}/metrics"),
            associations=Download(self.client, f"{self._v1}/metric-associations"),
            variable_count=variables.VariableCount(self.client, f"{self._v1}/variables"),
            project=Download(self.client, self._v1),
        )

    # -- read ------------------------------------------------------------------------------

    def read(self, keys: set[str], desired: Mapping[str, Flag] | None = None) -> LiveState:
        """Read the project's live state; translate only the features named in `keys`.

        Pages are translated as they arrive, while the next ones download. With `desired`, a
        feature equal to its desired flag is only counted in `unchanged` and let go at once:
        a plan of 10,000 unchanged flags would otherwise hold every feature twice (raw and
        model) on top of the manifests' models.
        """
        downloads, self._prefetched = self._prefetched or self._downloads(), None
        try:
            return self._read(downloads, keys, desired)
        finally:
            downloads.close()

    def _read(
        self, downloads: _Downloads, keys: set[str], desired: Mapping[str, Flag] | None
    ) -> LiveState:
        environments = self._environments(downloads.environments)
        workflow = approvals.workflow_enabled(downloads.project.result())
        approvals.check_workspace(self.workspace, workflow)
        open_requests = self._open_requests() if workflow else {}
        audiences = [
            audience
            for page in self._checked(downloads.audiences, "audiences", answers.AUDIENCES)
            for audience in page
        ]
        audience_keys = {a["_id"]: a.get("key") or a["_id"] for a in audiences}
        associations_answer = downloads.associations.result()
        check(
            f"GET {self._v1}/metric-associations",
            answers.ASSOCIATIONS,
            associations_answer,
            "a list of metric associations",
        )
        live_metrics, associations = metrics.read(
            self._checked(downloads.metrics, "metrics", answers.METRICS), associations_answer
        )
        flags: dict[str, Flag] = {}
        raw: dict[str, dict[str, Any]] = {}
        owned: set[str] = set()
        unchanged: set[str] = set()
        others: list[str] = []
        legacy: set[str] = set()
        elsewhere: dict[str, str] = {}
        wanted = desired or {}
        attached = 0
        ownership = self.workspace.ownership
        for page in self._checked(downloads.features, "features", answers.FEATURE_HEADS, self._v2):
            for feature in page:
                key = feature["key"]
                attached += len(feature.get("variables") or ())
                verdict = ownership.verdict(feature.get("tags"))
                is_owned = verdict == "mine"
                if is_owned:
                    owned.add(key)
                elif verdict == "legacy":
                    legacy.add(key)
                elif verdict == "elsewhere":
                    elsewhere[key] = ownership.owner(feature.get("tags"))
                if key not in keys:
                    if is_owned:
                        raw[key] = feature
                    else:
                        others.append(key)
                    continue
                flag = self._translated(feature, environments, audience_keys)
                if key in associations:  # a feature measures nothing unless associated
                    flag = flag.model_copy(update={"metrics": associations[key]})
                reviewing = key in open_requests or feature.get("_id") in open_requests
                if is_owned and not reviewing and wanted.get(key) == flag:
                    unchanged.add(key)
                    continue
                raw[key] = feature
                flags[key] = flag
        self._last_environment_keys, self._last_audience_keys = environments, audience_keys
        orphaned = []
        if variables.some_detached(downloads.variable_count.result(), attached):
            orphaned = variables.orphans(
                self.client.list_all(f"{self._v1}/variables"), marker=self._marker
            )
        return LiveState(
            flags=FlagSet(flags=flags, metrics=live_metrics),
            fingerprints=LazyFingerprints(raw),
            unchanged=unchanged,
            owned=owned,
            others=sorted(others),
            legacy=legacy,
            elsewhere=elsewhere,
            raw=raw,
            audience_ids={k: i for i, k in audience_keys.items()},
            environment_keys=environments,
            audiences=audiences,
            metrics=live_metrics,
            associations=associations,
            orphaned_variables=orphaned,
            approval_workflow=workflow,
            open_requests=open_requests,
        )

    def _checked(
        self,
        pages: Iterable[list[Any]],
        resource: str,
        adapter: TypeAdapter[Any],
        base: str | None = None,
    ) -> Iterator[list[Any]]:
        """The pages of a list, each checked against the shape flagsync reads."""
        call = f"GET {base or self._v1}/{resource}"
        for page in pages:
            check(call, adapter, page, f"a list of {resource}")
            yield page

    def _translated(
        self, feature: dict[str, Any], environments: dict[str, str], audience_keys: dict[str, str]
    ) -> Flag:
        """The model of a listed feature. Its full shape is checked only when reading it fails
        (checking every feature of a large project up front costs more than reading it), so a
        feature of another shape is still one error naming the call and the field."""
        try:
            return translate.feature_to_flag(
                feature, environments, audience_keys, self.workspace.environment_names
            )
        except FlagsyncError:
            raise
        except (TypeError, KeyError, AttributeError, ValueError, IndexError) as error:
            call = f"GET {self._v2}/features"
            check(call, answers.FEATURE, feature, "a feature", str(feature.get("key")))
            raise ApiError(
                call, f"feature '{feature.get('key')}' could not be read: {error!r}"
            ) from None

    def _list(self, resource: str, adapter: TypeAdapter[Any]) -> list[Any]:
        """A whole v1 list, checked."""
        items = self.client.list_all(f"{self._v1}/{resource}")
        check(f"GET {self._v1}/{resource}", adapter, items, f"a list of {resource}")
        return items

    def _open_requests(self) -> dict[str, list[dict[str, Any]]]:
        """The project's open change requests, from the documented project-wide list."""
        streams = [
            PageStream(self.client, f"{self._v2}/change-requests", {"status": status})
            for status in approvals.OPEN_STATUSES
        ]
        try:
            return approvals.by_feature(item for s in streams for page in s for item in page)
        finally:
            for stream in streams:
                stream.close()

    def _environments(self, stream: PageStream) -> dict[str, str]:
        """Environment `_id` -> key, after checking every workspace environment exists."""
        try:
            environments = [
                environment
                for page in self._checked(stream, "environments", answers.ENVIRONMENTS)
                for environment in page
            ]
        except ApiError as error:
            if error.status == 404:
                raise FlagsyncError(
                    f"DevCycle project '{self.workspace.project}' not found (or the credentials "
                    f"cannot see it): {error}"
                ) from None
            raise
        by_key = {env["key"]: env["_id"] for env in environments}
        missing = [env for env in self.workspace.environment_names if env not in by_key]
        if missing:
            raise FlagsyncError(
                f"{self.workspace.file}: environment(s) {', '.join(missing)} not found in DevCycle "
                f"project '{self.workspace.project}' (it has: {', '.join(sorted(by_key))})"
            )
        return {env_id: key for key, env_id in by_key.items()}

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

    def read_project_objects(self) -> FlagSet:
        """Every live custom property and audience, as `flagsync import` writes them."""
        properties = self._list("customProperties", answers.CUSTOM_PROPERTIES)
        live = self._list("audiences", answers.AUDIENCES)
        return FlagSet(
            custom_properties={p["key"]: custom_properties.to_model(p) for p in properties},
            audiences={a["key"]: audiences.to_model(a) for a in live if a.get("key")},
        )

    def _audience_id(self, key: str) -> str:
        """The `_id` of an audience created by this apply (for its placeholder)."""
        if key not in self._created_audience_ids:
            path = f"{self._v1}/audiences/{quote(key, safe='')}"
            answer = self.client.json("GET", path)
            check(f"GET {path}", answers.AUDIENCE, answer, "an audience")
            self._created_audience_ids[key] = str(answer["_id"])
        return self._created_audience_ids[key]

    # -- write -----------------------------------------------------------------------------

    def delete_step(self, key: str) -> Step:
        """Deleting a feature: DevCycle's only delete is v1, and it takes the variables along."""
        call = ApiCall(
            method="DELETE",
            path=f"{self._v1}/features/{quote(key, safe='')}",
            params={"deleteVariables": "true"},
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
            return self._with_lifecycle(work, desired, None, [], status_direct=not held)
        changes, lifecycle = feature_status.split(changes)
        reviewed = [c for c in changes if c.environment in held or (c.environment is None and held)]
        direct = [c for c in changes if c not in reviewed]
        work = FlagWork(changes=[*direct, *(_via_request(c) for c in reviewed)])
        if direct:
            body = self._update_body(desired, direct, live, adopt)
            path = f"{self._v2}/features/{quote(desired.key, safe='')}"
            calls = [ApiCall(method="PATCH", path=path, body=body)] if body else []
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
        return _guarded(work, f"{self._v2}/features/{quote(desired.key, safe='')}", current)

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
        call = ApiCall(method="POST", path=path, body=body, expect=model_fingerprint(made))
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
                            raise FlagsyncError(
                                f"{site + ': ' if site else ''}"
                                f"flag '{flag.key}' [{env}]: audience '{key}' does not exist in "
                                f"DevCycle project '{self.workspace.project}' and no manifest "
                                f"declares it{where}{did_you_mean(str(key), known)} (audiences: "
                                f"{', '.join(known) or 'none'})"
                            )

    def execute(self, call: ApiCall) -> Any:
        """Send one planned call; returns the decoded answer.

        A refusal is not a failure when it shows the write already happened (an earlier attempt
        whose answer was lost, or a concurrent apply of the same manifests). Any other refusal
        is an error: a direct write DevCycle refuses (say, because the project's approval
        workflow was turned on after the plan) is never turned into something else.
        """
        call = audiences.resolved(call, self._audience_id)
        if call.if_unchanged is not None:
            self._check_unchanged(call)
        try:
            if variables.is_delete(call, self._v1):
                return variables.delete_detached(self._send, self._read_path, call)
            return self._send(call)
        except ApiError as error:
            recovered = self._recover(call, error)
            if recovered is not None:
                return recovered
            raise

    def _check_unchanged(self, call: ApiCall) -> None:
        """DevCycle gives features no ETag or version to send with a write, so a write planned
        against one state of a feature reads it again first and refuses when it moved: an edit
        made in the dashboard since the plan is not overwritten silently. (The read and the
        write are two requests; an edit landing between them is not caught.)"""
        feature_path = call.path.removesuffix("/status")
        feature = self.client.json("GET", feature_path)
        check(f"GET {feature_path}", answers.FEATURE, feature, "a feature")
        found = None
        if isinstance(feature, dict):
            found = translate.feature_to_flag(
                feature,
                self._last_environment_keys,
                self._last_audience_keys,
                self.workspace.environment_names,
            )
        if found is None or concurrency_fingerprint(found) != call.if_unchanged:
            key = feature_path.rsplit("/", 1)[-1]
            raise FlagsyncError(
                f"{call.describe()}: feature '{key}' changed in DevCycle since it was planned "
                "(someone edited it meanwhile); it was not written, so the edit is kept. Run "
                "`flagsync plan` again."
            )

    def _send(self, call: ApiCall) -> Any:
        """Send a call; a write must answer with the object written (`answers.check_written`)."""
        answer = self.client.json(
            call.method,
            call.path,
            params=call.params or None,
            body=call.body,
            headers=call.headers or None,
        )
        answers.check_written(call, answer)
        return answer

    def _read_path(self, path: str) -> Any:
        return self.client.json("GET", path)

    def _variable_deletions(self, desired: Flag, live: LiveState) -> list[ApiCall]:
        """Variables the manifest dropped: DevCycle only detaches them from the feature (they
        would block their key for good), so they are deleted once the PATCH detached them."""
        current = live.flags.flags[desired.key]
        return [
            variables.delete_call(self._v1, key)
            for key in current.variables
            if key not in desired.variables
        ]

    def _same_feature(self, call: ApiCall) -> Any | None:
        """A create refused because the key is taken is done if the feature under that key is
        flagsync's and exactly what this create would have made (a lost answer, or a
        concurrent apply of the same manifests)."""
        key = quote(str((call.body or {}).get("key", "")), safe="")
        feature = self.client.json("GET", f"{self._v2}/features/{key}")
        check(f"GET {self._v2}/features/{key}", answers.FEATURE, feature, "a feature")
        if not translate.is_owned(feature, marker=self._marker):
            return None
        if call.expect is None or self._found_fingerprint(feature) == call.expect:
            return feature
        # The feature may use audiences made since the read (by this apply, or another): ids
        # the read never saw. Compare again with the audiences the project has now.
        current = self._list("audiences", answers.AUDIENCES)
        self._last_audience_keys = {
            **self._last_audience_keys,
            **{a["_id"]: a.get("key") or a["_id"] for a in current if isinstance(a, dict)},
        }
        return feature if self._found_fingerprint(feature) == call.expect else None

    def _found_fingerprint(self, feature: dict[str, Any]) -> str:
        """The model fingerprint of a feature found while applying, its audience ids read as
        the keys known now: those of the last read and of the audiences this apply made."""
        audience_keys = {
            **self._last_audience_keys,
            **{found: key for key, found in self._created_audience_ids.items()},
        }
        found = translate.feature_to_flag(
            feature,
            self._last_environment_keys,
            audience_keys,
            self.workspace.environment_names,
        )
        return model_fingerprint(found)

    def _same_project_object(self, call: ApiCall, body: dict[str, Any]) -> Any | None:
        """A custom property or audience create refused as a duplicate is done when the object
        under that key is exactly what it would have made."""
        checks = {
            f"{self._v1}/customProperties": custom_properties.is_created,
            f"{self._v1}/audiences": audiences.is_created,
            f"{self._v1}/metrics": metrics.is_created,
        }
        is_created = checks.get(call.path)
        if is_created is None:
            return None
        found = self.client.json("GET", f"{call.path}/{quote(str(body.get('key', '')), safe='')}")
        return found if is_created(found, body) else None

    def _recover(self, call: ApiCall, error: ApiError) -> Any | None:
        """The answer a call would have had, when its refusal shows that it already happened."""
        try:
            return self._recovered(call, error)
        except ApiError:
            return None  # the look-up failed too: report the original refusal

    def _recovered(self, call: ApiCall, error: ApiError) -> Any | None:
        if call.method == "DELETE" and error.status == 404:
            return {}  # already gone: what the delete wanted
        if call.method == "POST" and call.path == f"{self._v2}/features" and error.status == 409:
            return self._same_feature(call)
        if call.method == "POST" and error.status == 409 and isinstance(call.body, dict):
            found = self._same_project_object(call, call.body)
            if found is not None:
                return found
        if not error.after_lost_attempt or error.status is None or error.status >= 500:
            return None
        if (
            call.method == "POST"
            and error.status == 409
            and call.path.endswith("/metric-associations")
        ):
            return {}  # the association made by the lost attempt (it has no other content)
        if call.method == "POST" and call.path.endswith("/change-requests"):
            found = self.client.json("GET", call.path)
            check(f"GET {call.path}", answers.CHANGE_REQUESTS, found, "a list of change requests")
            drafts = [r for r in found if r.get("status") == "draft"]
            return drafts[0] if len(drafts) == 1 else None
        if call.method == "PATCH" and call.path.endswith(("/submit", "/cancel")):
            request = self.client.json("GET", call.path.rsplit("/", 1)[0])
            wanted = "pending" if call.path.endswith("/submit") else "cancelled"
            return (
                request if isinstance(request, dict) and request.get("status") == wanted else None
            )
        return None


class LazyFingerprints(Mapping[str, str]):
    """Fingerprints of the features read, computed when asked for: a plan needs only those of
    the flags it touches, and hashing every feature of a large project costs seconds."""

    def __init__(self, raw: dict[str, dict[str, Any]]) -> None:
        self._raw = raw
        self._computed: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        if key not in self._computed:
            self._computed[key] = fingerprint(self._raw[key])
        return self._computed[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def concurrency_fingerprint(flag: Flag) -> str:
    """What a re-read must find for a planned write to go ahead: the feature's own meaning
    (metric associations are a separate list, not part of the feature read back)."""
    return model_fingerprint(flag.model_copy(update={"metrics": ()}))


def _guarded(work: FlagWork, feature_path: str, current: Flag) -> FlagWork:
    """Mark the first direct write to the feature with the state the plan saw, so it is
    refused if the feature changed meanwhile (later calls of the step follow flagsync's own
    write, and are not checked)."""
    for step in work.steps:
        if step.via != "direct":
            continue
        for index, call in enumerate(step.calls):
            if call.method == "PATCH" and call.path in (feature_path, f"{feature_path}/status"):
                guarded = call.model_copy(update={"if_unchanged": concurrency_fingerprint(current)})
                step.calls[index] = guarded
                return work
    return work


def model_fingerprint(flag: Flag) -> str:
    """A hash of a flag's canonical model: equal meaning, equal fingerprint."""
    content = json.dumps(flag.model_dump(mode="json"), sort_keys=True)  # splits keep no order
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def fingerprint(feature: dict[str, Any]) -> str:
    """What identifies the version of a live feature a plan saw: its `updatedAt` and a hash of
    the whole object (so a change that does not move `updatedAt` is noticed too)."""
    digest = hashlib.sha256(json.dumps(feature, sort_keys=True).encode()).hexdigest()[:16]
    return f"{feature.get('updatedAt', '')}#{digest}"


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
