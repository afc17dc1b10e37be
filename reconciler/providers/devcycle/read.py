"""Reading a DevCycle project's live state: the lists one read downloads (in the background,
page by page), the features' models, ownership, and fingerprints of what a plan saw.

Reading costs one call for the environments, one for the audiences and one per 1,000 features
(never one per feature): DevCycle's v2 feature list carries variables, variations and every
environment's configuration.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from reconciler.errors import ApiError, FlagsyncError, WorkspaceError
from reconciler.model import Flag, FlagSet, Metric
from reconciler.providers.base import Provider
from reconciler.providers.devcycle import (
    answers,
    approvals,
    audiences,
    custom_properties,
    metrics,
    translate,
    variables,
)
from reconciler.providers.devcycle.client import DevCycleClient, Download, PageStream
from reconciler.providers.shape import check
from reconciler.workspace import Workspace


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


class Reading(Provider[LiveState]):
    """The reading part of the DevCycle provider, and the state the other parts share: the
    connection, the project's paths, and the id -> key maps of the last read (a feature found
    while applying is translated with them)."""

    workspace: Workspace
    client: DevCycleClient
    _v1: str
    _v2: str
    _last_environment_keys: dict[str, str]
    _last_audience_keys: dict[str, str]
    _prefetched: _Downloads | None
    _created_audience_ids: dict[str, str]

    @property
    def _marker(self) -> str:
        return self.workspace.ownership.marker

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
                raise WorkspaceError(
                    f"DevCycle project '{self.workspace.project}' not found (or the credentials "
                    f"cannot see it): {error}"
                ) from None
            raise
        by_key = {env["key"]: env["_id"] for env in environments}
        missing = [env for env in self.workspace.environment_names if env not in by_key]
        if missing:
            raise WorkspaceError(
                f"{self.workspace.file}: environment(s) {', '.join(missing)} not found in DevCycle "
                f"project '{self.workspace.project}' (it has: {', '.join(sorted(by_key))})"
            )
        return {env_id: key for key, env_id in by_key.items()}

    def read_project_objects(self) -> FlagSet:
        """Every live custom property and audience, as `flagsync import` writes them."""
        properties = self._list("customProperties", answers.CUSTOM_PROPERTIES)
        live = self._list("audiences", answers.AUDIENCES)
        return FlagSet(
            custom_properties={p["key"]: custom_properties.to_model(p) for p in properties},
            audiences={a["key"]: audiences.to_model(a) for a in live if a.get("key")},
        )


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


def model_fingerprint(flag: Flag) -> str:
    """A hash of a flag's canonical model: equal meaning, equal fingerprint."""
    content = json.dumps(flag.model_dump(mode="json"), sort_keys=True)  # splits keep no order
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def fingerprint(feature: dict[str, Any]) -> str:
    """What identifies the version of a live feature a plan saw: its `updatedAt` and a hash of
    the whole object (so a change that does not move `updatedAt` is noticed too)."""
    digest = hashlib.sha256(json.dumps(feature, sort_keys=True).encode()).hexdigest()[:16]
    return f"{feature.get('updatedAt', '')}#{digest}"
