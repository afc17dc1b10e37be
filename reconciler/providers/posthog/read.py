"""Reading the live state of a workspace's PostHog projects: flags, cohorts, experiments
and holdouts per project (read concurrently, or in the background by `prefetch`), a flag's
copies merged into one model, ownership, and fingerprints of what a plan saw.

Reading costs, per project: list calls for its flags and cohorts (1,000 rows a page), never one
call per flag, plus one for its group types when a group filter needs them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pydantic import TypeAdapter

from reconciler.errors import ApiError, FlagsyncError, WorkspaceError
from reconciler.model import Flag, FlagSet
from reconciler.providers.base import Provider
from reconciler.providers.posthog import answers, dependencies, metric_events, translate
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.context import ProjectContext
from reconciler.providers.posthog.experiment_steps import LiveExperiment
from reconciler.providers.posthog.holdouts import LiveHoldout
from reconciler.providers.posthog.importing import imported
from reconciler.providers.posthog.merge import merge_projects
from reconciler.providers.posthog.staleness import STALE, stale_notes
from reconciler.providers.posthog.streaming import ProjectStream, Put
from reconciler.providers.shape import check
from reconciler.workspace import Workspace

READ_WORKERS = 4


Rows = list[dict[str, Any]]


ProjectRead = tuple[ProjectContext, Rows, Rows, Rows]

"""One project as read: its names and ids, flags, experiments and holdouts."""


@dataclass
class ProjectHead:
    """What a project's flag pages are compared with: its names and ids (its flags' ids are
    added as their pages are taken), experiments and holdouts."""

    context: ProjectContext
    experiments: Rows
    holdouts: Rows


_COMPARED = ("key", "name", "filters", "active", "tags", "deleted", "version")


@dataclass
class LiveState:
    """What one read saw, across the workspace's projects.

    `raw` holds each asked-for or owned flag's live objects per environment; `projects` each
    environment's names and ids. A flag is `owned` when every copy carries the ownership tag.
    An owned flag whose copies merge into its desired flag is only counted in `unchanged`: its
    copies and model are let go at once (a plan of 10,000 unchanged flags would otherwise hold
    every flag three times over), and it has no fingerprint, since a plan does not touch it.
    """

    flags: FlagSet
    fingerprints: Mapping[str, str]
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


class Reading(Provider[LiveState]):
    """The reading part of the PostHog provider, and the state the other parts share: the
    connection, the last read, and the ids learned while applying (flags, experiments and
    holdouts this apply created, for the calls that refer to them)."""

    workspace: Workspace
    client: PostHogClient
    _ids: dependencies.CreatedFlags
    _experiment_ids: dict[tuple[int, str], int]
    _holdout_ids: dependencies.CreatedFlags
    _planned_holdouts: set[tuple[str, str]]
    _last: LiveState | None
    _prefetched: dict[str, ProjectStream] | None
    _taxonomy: metric_events.ProjectTaxonomy

    def prefetch(self) -> None:
        """Start reading every project in background threads; the next `read` takes their
        pages. A plan calls this before it loads the manifests, so the downloads overlap with
        that work (up to `streaming.BUFFERED_PAGES` pages a project)."""
        if self._prefetched is None:
            self._prefetched = self._streams()

    def _streams(self) -> dict[str, ProjectStream]:
        pool = ThreadPoolExecutor(max_workers=READ_WORKERS, thread_name_prefix="posthog-read")
        streams = {
            env: ProjectStream(pool, partial(self._stream_project, env, project_id))
            for env, project_id in self.workspace.project_ids.items()
        }
        pool.shutdown(wait=False)
        return streams

    def read(self, keys: set[str], desired: Mapping[str, Flag] | None = None) -> LiveState:
        """Read every project; translate only the flags named in `keys` that differ from
        `desired`. The projects' flag pages are compared as they arrive: a flag whose every
        copy holds what flagsync would send is counted as unchanged and let go as soon as its
        last copy is seen, so memory holds the flags still waiting for a copy, not the
        projects' lists."""
        streams, self._prefetched = self._prefetched or self._streams(), None
        try:
            return self._read_streams(streams, keys, desired or {})
        finally:
            for stream in streams.values():
                stream.close()

    def _read_streams(
        self, streams: dict[str, ProjectStream], keys: set[str], wanted: Mapping[str, Flag]
    ) -> LiveState:
        heads: dict[str, ProjectHead] = {env: stream.head() for env, stream in streams.items()}
        contexts = {env: head.context for env, head in heads.items()}
        live = LiveState(flags=FlagSet(), fingerprints={}, projects=contexts)
        for env, head in heads.items():
            for holdout in head.holdouts:
                name = str(holdout.get("name") or "")
                live.holdouts.setdefault(name, {}).setdefault(env, []).append(
                    LiveHoldout(holdout, head.context.project_id, env)
                )
        experiment_keys = {
            env: {str(e.get("feature_flag_key") or "") for e in head.experiments}
            for env, head in heads.items()
        }
        shared = set(live.holdouts).union(*experiment_keys.values())
        experiment_flags: dict[str, dict[str, dict[str, Any]]] = {env: {} for env in heads}
        copies: dict[str, dict[str, dict[str, Any]]] = {}
        settled: set[str] = set()
        marker = self.workspace.ownership.marker
        iterators = {env: stream.pages() for env, stream in streams.items()}
        while iterators:  # a page of each project in turn: a flag's copies arrive together
            for env in list(iterators):
                page = next(iterators[env], None)
                if page is None:
                    del iterators[env]
                    continue
                context = contexts[env]
                ids = {str(raw["key"]): int(raw["id"]) for raw in page}
                context.flags.update(ids)
                self._ids.note_all(context.project_id, ids)
                for raw in page:
                    key = str(raw["key"])
                    if key in experiment_keys[env]:
                        experiment_flags[env][key] = raw
                    elif key not in settled:  # PostHog keeps a key unique in a project
                        per_env = copies.setdefault(key, {})
                        per_env[env] = raw
                        flag = wanted.get(key)
                        if (
                            len(per_env) == len(contexts)
                            and flag is not None
                            and key in keys
                            and key not in shared
                            and self._unchanged(flag, per_env, contexts, marker)
                            and not self._under_review(per_env, contexts)
                        ):
                            del copies[key]
                            settled.add(key)
                            live.owned.add(key)
                            live.unchanged.add(key)
        for env, head in heads.items():
            for experiment in head.experiments:
                key = str(experiment.get("feature_flag_key") or "")
                live.experiments.setdefault(key, {})[env] = LiveExperiment(
                    experiment, experiment_flags[env].pop(key, None), head.context.project_id, env
                )
        self._compare_rest(copies, keys, wanted, live)
        copies.clear()
        live.others.sort()
        live.fingerprints = LazyFingerprints(live.raw, live.experiments, live.holdouts)
        self._last = live
        return live

    def _unchanged(
        self,
        desired: Flag,
        copies: dict[str, dict[str, Any]],
        contexts: Mapping[str, ProjectContext],
        marker: str,
    ) -> bool:
        """Whether a flag with a copy in every project can be let go now: owned, every copy as
        flagsync would send it, none with what the plan names (unmanaged filter keys, stale).

        A copy as sent is owned (its tags are the sent tags, which hold this workspace's
        marker) and has no unmanaged filter keys (its filters equal the sent filters, whose
        keys are all managed), so only its stale status is left to look at."""
        return _as_sent(desired, copies, contexts, marker) and not any(
            raw.get("status") == STALE for raw in copies.values()
        )

    def _under_review(
        self, copies: dict[str, dict[str, Any]], contexts: Mapping[str, ProjectContext]
    ) -> bool:
        """Whether a change request names one of the flag's copies. Such a flag is kept even
        when nothing is to change: a request flagsync opened for a change the manifests have
        since taken back would still apply it on approval, so the plan names it (and
        `--cancel-stale` cancels it). Reading alone knows of no requests."""
        return False

    def _compare_rest(
        self,
        copies: dict[str, dict[str, dict[str, Any]]],
        keys: set[str],
        wanted: Mapping[str, Flag],
        live: LiveState,
    ) -> None:
        """The flags not let go while reading (a copy missing, differing, or another's):
        ownership, and models for those the plan compares."""
        contexts = live.projects
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
            if key in keys:
                desired_flag = wanted.get(key)
                if (
                    owned
                    and desired_flag is not None
                    and _as_sent(desired_flag, per_env, contexts, ownership.marker)
                    and _plain(key, per_env, live)
                ):
                    live.unchanged.add(key)
                    if self._under_review(per_env, contexts):
                        live.raw[key] = per_env  # its open requests are judged on its copies
                    continue
                model = merge_projects(
                    {env: _translated(raw, contexts[env]) for env, raw in per_env.items()}
                )
                if owned and desired_flag == model and _plain(key, per_env, live):
                    live.unchanged.add(key)
                    if self._under_review(per_env, contexts):
                        live.raw[key] = per_env
                    continue
                models[key] = model
            live.raw[key] = per_env
        live.flags = FlagSet(flags=models)

    def _stream_project(self, env: str, project_id: int, put: Put) -> None:
        """One project for `read`: its head (cohorts, experiments, holdouts), then its flag
        pages, archived ones last, each without deleted flags and counted once."""
        base = f"/api/projects/{project_id}"
        path = f"{base}/feature_flags/"
        listed = self._project_pages(env, project_id, path, "flags", None)
        first = next(listed, [])
        put("head", self._project_head(env, project_id))
        seen: set[Any] = set()
        for page in itertools.chain([first], listed):
            seen.update(row.get("id") for row in page)
            put("flags", [row for row in page if not row.get("deleted")])
        asked = {"archived": "true"}
        for page in self._project_pages(env, project_id, path, "archived flags", asked):
            rows = [r for r in page if r.get("id") not in seen and not r.get("deleted")]
            put("flags", rows)

    def _project_pages(
        self, env: str, project_id: int, path: str, what: str, params: dict[str, Any] | None
    ) -> Iterator[list[dict[str, Any]]]:
        """A flag list's pages, each checked against the shape flagsync reads; a project the
        key cannot see is the workspace's problem, named as such."""
        try:
            for page in self.client.pages(path, params):
                check(f"GET {path}", answers.FLAG_HEADS, page, f"a list of {what}")
                yield page
        except ApiError as error:
            self._name_unseen_project(env, project_id, error)
            raise

    def _name_unseen_project(self, env: str, project_id: int, error: ApiError) -> None:
        """A 403 or 404 on a project's flags is the workspace's problem (a wrong project id or
        a key without access): raised as such. Any other error is left to the caller."""
        if error.status in (403, 404):
            raise WorkspaceError(
                f"{self.workspace.file}: environment '{env}': PostHog project {project_id} "
                f"not found, or the personal API key cannot see it ({error})"
            ) from None

    def _project_head(
        self, env: str, project_id: int, flags: list[dict[str, Any]] | None = None
    ) -> ProjectHead:
        """What a project's flags are read against: its cohorts (by name), experiments and
        holdouts; `flags`: the project's flags when they are already read (their ids by key)."""
        base = f"/api/projects/{project_id}"
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
            cohorts={  # a cohort without a name cannot be named in a manifest
                str(c["name"]): int(c["id"])
                for c in cohorts
                if not c.get("deleted") and c.get("name") is not None
            },
            flags={str(f["key"]): int(f["id"]) for f in flags or ()},
            load_group_types=lambda: self._group_types(base),
        )
        return ProjectHead(context, experiments, holdouts)

    def _read_project(self, item: tuple[str, int]) -> ProjectRead:
        env, project_id = item
        path = f"/api/projects/{project_id}/feature_flags/"
        try:
            flags = self._with_archived(path, answers.FLAG_HEADS, "flags")
        except ApiError as error:
            self._name_unseen_project(env, project_id, error)
            raise
        flags = [flag for flag in flags if not flag.get("deleted")]
        head = self._project_head(env, project_id, flags)
        return head.context, flags, head.experiments, head.holdouts

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

    def for_import(
        self, live: LiveState, flags: FlagSet, selects: Callable[[str], bool]
    ) -> tuple[FlagSet, list[str]]:
        """`flags` with the live experiments and holdouts `flagsync import` writes."""
        found = imported(live.experiments, live.holdouts, self.workspace.environment_names, selects)
        return found.into(flags), found.notes + stale_notes(live.raw)


def _as_sent(
    desired: Flag,
    copies: dict[str, dict[str, Any]],
    contexts: Mapping[str, ProjectContext],
    marker: str,
) -> bool:
    """Whether every copy holds exactly what flagsync would send for `desired` in its project,
    field by field: then it reads back as `desired` (apply-then-plan-empty is the law that
    makes a sent body read back as its flag), and the copy needs no model. The quick test for
    unchanged flags; False (a copy edited elsewhere, or stored in another form) only means the
    copies are translated and compared as models."""
    if copies.keys() != desired.environments.keys() or not _readable(desired):
        return False
    archived = desired.status == "archived"
    try:
        shared = translate.shared_body(desired, marker=marker)  # `flag_body` less two fields
        for env, raw in copies.items():
            if bool(raw.get("archived")) != archived:
                return False
            if any(raw.get(name) != value for name, value in shared.items()):
                return False
            config = desired.environments[env]
            if raw.get("active") != (config.enabled and not archived):
                return False
            if raw.get("filters") != translate.filters_body(desired, config, contexts[env]):
                return False
    except (FlagsyncError, KeyError, ValueError, TypeError):
        return False
    return True


def _readable(flag: Flag) -> bool:
    """Whether a flag has only what a PostHog flag reads back as (its name is its key; no
    DevCycle lifecycle, control variation or metric associations): the law behind `_as_sent`
    holds for manifests that pass validation, and this keeps the quick test to those."""
    return (
        flag.name == flag.key
        and flag.status in ("active", "archived")
        and flag.control is None
        and not flag.metrics
        and flag.static_variation is None
    )


def _plain(key: str, copies: dict[str, dict[str, Any]], live: LiveState) -> bool:
    """Whether an unchanged flag can be let go: no experiment or holdout shares its key (their
    fingerprints are combined) and no copy has filter keys flagsync leaves alone or is marked
    stale by PostHog (the plan names those)."""
    if key in live.experiments or key in live.holdouts:
        return False
    return not any(
        translate.unmanaged_filter_keys(raw) or raw.get("status") == STALE
        for raw in copies.values()
    )


class LazyFingerprints(Mapping[str, str]):
    """Fingerprints of the flags, experiments and holdouts read, computed when asked for: a
    plan needs only those of what it touches, and hashing every flag of a large project costs
    seconds."""

    def __init__(
        self,
        raw: dict[str, dict[str, dict[str, Any]]],
        experiments: dict[str, dict[str, LiveExperiment]],
        holdouts: dict[str, dict[str, list[LiveHoldout]]],
    ) -> None:
        self._raw, self._experiments, self._holdouts = raw, experiments, holdouts
        self._computed: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        if key not in self._computed:
            parts = []
            if key in self._raw:
                parts.append(fingerprint(self._raw[key]))
            if key in self._experiments:
                parts.append(experiment_fingerprint(self._experiments[key]))
            if key in self._holdouts:
                parts.append(holdout_fingerprint(self._holdouts[key]))
            if not parts:
                raise KeyError(key)
            self._computed[key] = "|".join(parts)
        return self._computed[key]

    def __contains__(self, key: object) -> bool:
        return key in self._raw or key in self._experiments or key in self._holdouts

    def __iter__(self) -> Iterator[str]:
        return iter(
            {
                **dict.fromkeys(self._raw),
                **dict.fromkeys(self._experiments),
                **dict.fromkeys(self._holdouts),
            }
        )

    def __len__(self) -> int:
        return sum(1 for _ in self)


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
