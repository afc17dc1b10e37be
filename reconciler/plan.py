"""The plan: what applying the manifests would change, as data.

A `Plan` holds the user-facing changes (per flag and environment, field by field, before -> after)
and the provider's `Step`s (the API calls that make them happen), plus a fingerprint of every
live object it was computed from. Renderers turn it into text, Markdown or JSON; `apply` runs its
steps. Diffing compares two canonical models (`reconciler.model`), never vendor payloads, so the
plan speaks the manifest's language.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reconciler.errors import AnswerShapeError
from reconciler.model import EnvironmentConfig, Flag, FlagSet

Action = Literal["create", "update", "delete"]
Via = Literal["direct", "change-request"]
Resource = Literal[
    "flag",
    "experiment",
    "holdout",
    "audience",
    "custom_property",
    "metric",
    "variable",
    "approval_policy",
]
StepKind = Literal["write", "change-request", "cancel-requests"]
"""What a step does: `write` changes its object directly (its `action` says how);
`change-request` opens a change request carrying the change for reviewers (cancelling stale ones
first); `cancel-requests` only cancels change requests the manifests no longer want."""
CallRole = Literal[
    "write",
    "tag",
    "status",
    "launch",
    "end",
    "archive",
    "associate",
    "dissociate",
    "cleanup",
    "open-request",
    "submit-request",
    "cancel-request",
]
"""What one call of a step is, so that apply, its log and executors never read it from the URL:
`write` the step's own create, update or delete (or a further write to the same object); `tag`
the ownership marker; `status` a lifecycle status; `launch`/`end`/`archive` an experiment's
lifecycle; `associate`/`dissociate` a link between objects (a metric and a feature); `cleanup`
the delete of what a write left behind (a variable its feature no longer uses);
`open-request`/`submit-request`/`cancel-request` a change request's."""
FORMAT_VERSION = 1
"""The format of a plan saved as JSON (`schemas/plan-v1.schema.json`): what `plan --out` writes
and `apply PLANFILE` reads."""

FLAG_FIELDS = (
    "name",
    "description",
    "type",
    "tags",
    "variables",
    "variations",
    "payload",
    "settings",
    "control",
    "metrics",
    "status",
    "static_variation",
)
# How deep a field path goes before the whole value is shown instead: a changed target shows as
# `targets[1].serve: before -> after`, not as a dozen nested leaves.
_ATOM_DEPTH = {"variables": 3, "variations": 4, "targets": 3, "settings": 2}
# Fields whose absence means a value (the model folds it to None): a change to or from the
# implicit value reads `targets[1].percentage: 10 -> 100`, not `10 -> (removed)`.
_IMPLICIT = {"percentage": 100.0}


class FieldChange(BaseModel):
    """One field's change; `before` is None for additions, `after` None for removals.

    `parts` is the path as a list (keys may contain dots); `path` its readable form.
    """

    path: str
    parts: list[str | int] = Field(default_factory=list)
    before: Any = None
    after: Any = None

    @classmethod
    def at(cls, parts: tuple[Any, ...], before: Any, after: Any) -> FieldChange:
        return cls(path=_dotted(parts), parts=list(parts), before=before, after=after)


class Change(BaseModel):
    """What happens to one flag (environment None) or one flag's environment."""

    action: Action
    resource: Resource = "flag"
    key: str
    environment: str | None = None
    fields: list[FieldChange] = Field(default_factory=list)
    via: Via = "direct"
    """`change-request`: the change goes to reviewers as a change request, not to the flag."""
    pending_request: str | None = None
    """The id of a pending change request that already carries this change (nothing to do)."""


class Ref(BaseModel):
    """A value a call needs that does not exist when the plan is made, filled in when the call
    is sent: the id of an object the same apply creates (`to="object"`: which `resource`, its
    `key`, in which `scope` when ids differ per project), or a field of the answer of the
    step's previous call (`to="previous"`: a change request is submitted under the id its
    creation returned).

    The call carries `token` where the value goes (in its path, or as a whole value in its
    body); the executor replaces it. A dependency is data: apply orders steps by these refs,
    and nobody parses URLs to find them."""

    model_config = ConfigDict(frozen=True)

    to: Literal["object", "previous"] = "object"
    resource: Resource | None = None
    key: str = ""
    scope: str | None = None
    """Where the object's id is valid (a PostHog project id); None: the whole plan."""
    field: str = "id"
    """The answer's field that holds the value (`_id` for DevCycle, `id` for PostHog)."""
    number: bool = False
    """In the body, the value is sent as a JSON number (otherwise as text)."""

    @property
    def token(self) -> str:
        """What stands for the value in the planned call: `{flag-id:<key>}`, `{previous._id}`."""
        if self.to == "previous":
            return f"{{previous.{self.field}}}"
        return f"{{{(self.resource or '').replace('_', '-')}-id:{self.key}}}"


SubjectKind = Literal[Resource, "metric_association", "change_request"]
"""What a call is about: a `Resource`, a link between two (`metric_association`), or a change
request."""


class Subject(BaseModel):
    """The object a call is about, as data: so that the answer check, the recovery of a lost
    write and the executor know what a call writes without reading its URL.

    `key` is the object's key (or name) in the manifests; for a change request, or a link,
    the key of the object it changes. `id` is the vendor's id the call addresses in its path,
    when it addresses one (a `Ref` token when the object is made by the same apply, filled at
    send time); None for a create, or where the path names the key. `scope` is where ids are
    valid (a project), None when the plan has one."""

    model_config = ConfigDict(frozen=True)

    kind: SubjectKind
    key: str | None = None
    id: str | None = None
    scope: str | None = None


class ApiCall(BaseModel):
    """One request a step sends; `path` is relative to the API's base URL."""

    method: str
    path: str
    role: CallRole = "write"
    refs: list[Ref] = Field(default_factory=list)
    """The values this call needs from objects the same apply creates (see `Ref`)."""
    makes: Ref | None = None
    """The object this call creates, as the calls that need its id refer to it: the executor
    notes the id from the answer under it."""
    params: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    expect: str | None = None
    """For a create: a fingerprint of the object it makes. Finding an object with this
    fingerprint under the key (another applier, or a lost answer) means it is done."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Headers this request needs (a precondition such as `If-Match`)."""
    if_unchanged: str | None = None
    """For a write to an object the vendor gives no version to: a fingerprint of the object as
    the plan saw it. The provider reads the object again just before writing and refuses the
    write when it changed (someone edited it since the plan was made)."""
    subject: Subject | None = None
    """The object the call is about (see `Subject`); None in plans saved before calls carried
    it (`reconcile.typed_like` takes it from a fresh plan)."""

    def describe(self) -> str:
        query = "&".join(f"{key}={value}" for key, value in self.params.items())
        return f"{self.method} {self.path}" + (f"?{query}" if query else "")

    def resolved(self, previous: Any) -> ApiCall:
        """This call with its `to="previous"` refs replaced by the previous call's answer
        (a change request is submitted under the id its creation returned)."""
        wanted = [ref for ref in self.refs if ref.to == "previous"]
        if not wanted:
            return self
        values = {}
        for ref in wanted:
            if not isinstance(previous, dict) or ref.field not in previous:
                raise AnswerShapeError(
                    self.describe(), f"the previous call's answer carries no {ref.field} to use"
                )
            values[ref] = previous[ref.field]
        return self.filled(values)

    def needing(self, candidates: Iterable[Ref]) -> ApiCall:
        """This call with those `candidates` whose token it carries (in its path, or as a whole
        value in its body) added to its refs: how a planner records what a body it built
        refers to."""
        carried = _strings(self.body)
        found = [
            ref
            for ref in candidates
            if ref not in self.refs and (ref.token in carried or ref.token in self.path)
        ]
        return self.model_copy(update={"refs": [*self.refs, *found]}) if found else self

    def filled(self, values: dict[Ref, Any]) -> ApiCall:
        """This call with each ref's token replaced by its value: in the path as text, in the
        body where a whole value is the token (as a number for `Ref.number`, else as text).
        The refs filled are dropped from `refs`."""
        if not values:
            return self
        path = self.path
        for ref, value in values.items():
            path = path.replace(ref.token, str(value))
        by_token = {ref.token: (int(v) if ref.number else str(v)) for ref, v in values.items()}
        subject = self.subject
        if subject is not None and subject.id in by_token:
            subject = subject.model_copy(update={"id": str(by_token[subject.id])})
        return self.model_copy(
            update={
                "path": path,
                "body": _replace_tokens(self.body, by_token),
                "refs": [ref for ref in self.refs if ref not in values],
                "subject": subject,
            }
        )


class Step(BaseModel):
    """A unit of apply work: the calls for one resource, sent in order."""

    kind: StepKind = "write"
    action: Action
    resource: Resource = "flag"
    key: str
    calls: list[ApiCall]
    via: Via = "direct"
    environments: list[str] = Field(default_factory=list)
    """For a change request: the environments whose changes it carries."""
    reviewers: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _kind_from_via(cls, data: Any) -> Any:
        """A step built without a kind: a change request's if it goes to reviewers."""
        if isinstance(data, dict) and "kind" not in data:
            via = data.get("via", "direct")
            return {**data, "kind": "change-request" if via == "change-request" else "write"}
        return data


class PendingRequest(BaseModel):
    """A change request waiting for review on a flag the plan looked at."""

    key: str
    id: str
    status: str
    state: Literal["matches", "stale", "foreign", "rejected", "expired", "failed"]
    """matches: it carries exactly this plan's change; stale: flagsync opened it for a change the
    manifests no longer want; foreign: someone else opened it (the flag is locked until it is
    resolved); rejected, expired, failed: closed recently without being applied (`reason`)."""
    cancelled: bool = False
    reason: str | None = None


class Impact(BaseModel):
    """Who a targeting change moves, in one environment: the share of users whose served
    variation changes, and from what to what.

    `method` says how it was found: `arithmetic` (exact, from the vendor's bucketing: a split
    or rollout change), `sample` (the workspace's sample users evaluated before and after), or
    `unknown` (`changed` is then None and `note` says why)."""

    flag: str
    environment: str
    method: Literal["arithmetic", "sample", "unknown"]
    changed: float | None = None
    """Percent of `population` whose variation changes."""
    population: str = ""
    moves: dict[str, float] = Field(default_factory=dict)
    """"from -> to" -> percent of `population`."""
    note: str = ""


class Plan(BaseModel):
    """Everything `apply` needs and a reviewer wants to see."""

    provider: str
    project: str
    environments: list[str]
    changes: list[Change] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    fingerprints: dict[str, str] = Field(default_factory=dict)
    unmanaged: list[str] = Field(default_factory=list)
    """Live flags in no manifest and not flagsync's: never touched."""
    adoptable: list[str] = Field(default_factory=list)
    """Live flags the manifests declare that flagsync did not create: taken over with --adopt."""
    orphans: list[str] = Field(default_factory=list)
    """flagsync's flags gone from the manifests and not pruned: deleted with --prune."""
    managed_count: int = 0
    """How many live flags flagsync manages: the base of the safety thresholds."""
    pending_requests: list[PendingRequest] = Field(default_factory=list)
    workspace: str | None = None
    """The workspace's name, whose ownership marker this plan honours (None: unnamed)."""
    owned_elsewhere: dict[str, str] = Field(default_factory=dict)
    """Declared objects another workspace owns (key -> its name): never touched."""
    legacy: list[str] = Field(default_factory=list)
    """Objects with the bare legacy marker that this named workspace does not declare: left
    alone (they may belong to any unnamed workspace)."""
    blocked: list[str] = Field(default_factory=list)
    """Declared objects that differ from the live state but that this plan may not change
    (not adopted, or owned by another workspace): the plan is not "no changes"."""
    warnings: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    """What the plan was asked for (prune, adopt, flags, environments): a saved plan is checked
    against a fresh plan asked the same."""
    notices: list[str] = Field(default_factory=list)
    """What a reviewer should know that is not a change (a provider's own remarks)."""
    impact: list[Impact] = Field(default_factory=list)
    """Per changed flag and environment: the users whose served variation changes."""

    @property
    def has_changes(self) -> bool:
        return bool(self.steps)

    @property
    def differs(self) -> bool:
        """Whether the manifests and the live state differ, whether or not this plan can act."""
        return bool(self.steps or self.blocked)

    def add(
        self,
        action: Action,
        resource: Resource,
        key: str,
        call: ApiCall,
        fields: list[FieldChange] | None = None,
    ) -> None:
        """A change to a project-level object (audience, custom property) and the one request
        that makes it."""
        self.changes.append(Change(action=action, resource=resource, key=key, fields=fields or []))
        self.steps.append(Step(action=action, resource=resource, key=key, calls=[call]))

    def counts(self) -> dict[str, int]:
        """Flags (and other objects) to create, update and delete directly, and change
        requests to open: each object once per kind of change, however many projects or
        requests it takes (PostHog writes a flag once per project; DevCycle once in all)."""
        return step_counts(self.steps)

    def fingerprint(self) -> str:
        """A hash of the live state the plan was computed from and of its changes."""
        payload = json.dumps(
            {"fingerprints": self.fingerprints, "steps": [s.model_dump() for s in self.steps]},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def _strings(body: Any) -> set[str]:
    """Every string value in `body`, at any depth."""
    if isinstance(body, str):
        return {body}
    if isinstance(body, dict):
        return set().union(*(_strings(value) for value in body.values()))
    if isinstance(body, list):
        return set().union(*(_strings(value) for value in body))
    return set()


def _replace_tokens(body: Any, by_token: dict[str, Any]) -> Any:
    """`body` with every string equal to a token replaced by its value (a copy; unchanged
    parts are shared)."""
    if isinstance(body, str):
        return by_token.get(body, body)
    if isinstance(body, dict):
        return {key: _replace_tokens(value, by_token) for key, value in body.items()}
    if isinstance(body, list):
        return [_replace_tokens(value, by_token) for value in body]
    return body


def step_counts(steps: Iterable[Step]) -> dict[str, int]:
    """How many objects the steps create, update, delete, and send for review."""
    result = {"create": 0, "update": 0, "delete": 0, "change_request": 0}
    seen: set[tuple[str, str, str]] = set()
    for step in steps:
        kind = "change_request" if step.via == "change-request" else step.action
        if (kind, step.resource, step.key) not in seen:
            seen.add((kind, step.resource, step.key))
            result[kind] += 1
    return result


def diff_flagsets(desired: FlagSet, live: FlagSet) -> list[Change]:
    """Changes that turn `live` into `desired`, for the flags `desired` declares."""
    changes: list[Change] = []
    for key, flag in desired.flags.items():
        changes.extend(diff_flag(flag, live.flags.get(key)))
    return changes


def diff_flag(desired: Flag, live: Flag | None) -> list[Change]:
    """The flag-level change (if any) followed by one change per environment that differs."""
    if live is None:
        return _creation(desired)
    if desired == live:
        return []
    changes: list[Change] = []
    fields = field_changes(_flag_part(live), _flag_part(desired))
    if fields:
        changes.append(Change(action="update", key=desired.key, fields=fields))
    for env, config in desired.environments.items():
        before = live.environments.get(env, EnvironmentConfig())
        if config != before:
            fields = _env_changes(before, config)
            changes.append(Change(action="update", key=desired.key, environment=env, fields=fields))
    return changes


def _env_changes(before: EnvironmentConfig, after: EnvironmentConfig) -> list[FieldChange]:
    """An environment's field changes, its targets matched by name (when every target on both
    sides has a distinct name), so that inserting a target reads as one new target, not as a
    rename of the next one plus a new last one. Indexes are the manifest's positions; a target
    gone from the manifest reads `targets[<name>]: ... -> (removed)`."""
    old, new = _env_part(before), _env_part(after)
    old_targets, new_targets = old.get("targets") or [], new.get("targets") or []
    old_names = [target.get("name") for target in old_targets]
    new_names = [target.get("name") for target in new_targets]
    if old_names == new_names or not (_distinct(old_names) and _distinct(new_names)):
        return field_changes(old, new)
    by_name = dict(zip(old_names, old_targets, strict=True))
    aligned = {**old, "targets": [by_name.get(name) for name in new_names]}
    fields = field_changes(aligned, new)
    kept = set(new_names)
    fields += [
        FieldChange(path=f"targets[{name}]", parts=["targets", name], before=target, after=None)
        for name, target in by_name.items()
        if name not in kept
    ]
    old_order = [name for name in old_names if name in kept]
    new_order = [name for name in new_names if name in by_name]
    if old_order != new_order:
        fields.append(FieldChange.at(("target order",), old_order, new_order))
    return fields


def _distinct(names: list[Any]) -> bool:
    return all(isinstance(name, str) and name for name in names) and len(set(names)) == len(names)


_IMPLIED_ON_CREATE = {("status", "active"), ("type", "release")}
"""A new flag's fields that only restate the default; a vendor without them (PostHog has no
flag types or names) would otherwise see fields its flags do not have."""


def _creation(flag: Flag) -> list[Change]:
    listed = {
        k: v
        for k, v in _flag_part(flag).items()
        if not (k in ("status", "type") and (k, v) in _IMPLIED_ON_CREATE)
        and not (k == "name" and v == flag.key)
    }
    changes = [Change(action="create", key=flag.key, fields=field_changes({}, listed))]
    for env, config in flag.environments.items():
        if config != EnvironmentConfig():
            fields = field_changes({}, _env_part(config))
            changes.append(Change(action="create", key=flag.key, environment=env, fields=fields))
    return changes


def _flag_part(flag: Flag) -> dict[str, Any]:
    return flag.model_dump(mode="json", include=set(FLAG_FIELDS))


def _env_part(config: EnvironmentConfig) -> dict[str, Any]:
    return config.model_dump(mode="json", exclude_none=True)


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """Field-level differences between two plain dicts, at the depth a reviewer reads them."""
    if not before:
        return list(_listing(after))
    # Imported when a flag differs: a plan with nothing to change starts faster without it.
    from deepdiff import DeepDiff

    report = DeepDiff(before, after, verbose_level=0, view="tree")
    paths: dict[tuple[Any, ...], None] = {}
    for level in _levels(report.values()):
        path = tuple(level.path(output_format="list"))
        paths.setdefault(_atom(path), None)
    order = {key: index for index, key in enumerate({**before, **after})}

    def reading_order(path: tuple[Any, ...]) -> tuple[Any, ...]:
        # model field order first, then list indexes numerically and names alphabetically
        rest = tuple((isinstance(item, str), item) for item in path[1:])
        return (order.get(path[0], len(order)), rest)

    return [
        FieldChange.at(
            path, _implicit(path, _get(before, path)), _implicit(path, _get(after, path))
        )
        for path in sorted(paths, key=reading_order)
    ]


def _implicit(path: tuple[Any, ...], value: Any) -> Any:
    if value is None and path and path[-1] in _IMPLICIT and path[0] == "targets":
        return _IMPLICIT[str(path[-1])]
    return value


def _listing(after: dict[str, Any]) -> Iterable[FieldChange]:
    """A new object's fields for a creation: one line per variable, variation and target."""
    for key, value in after.items():
        if not value:
            continue
        if key in ("variables", "variations") and isinstance(value, dict):
            for name, item in value.items():
                yield FieldChange.at((key, name), None, item)
        elif key == "targets" and isinstance(value, list):
            for index, item in enumerate(value):
                yield FieldChange.at((key, index), None, item)
        else:
            yield FieldChange.at((key,), None, value)


def _levels(groups: Iterable[Any]) -> Iterable[Any]:
    for group in groups:
        yield from group


def _atom(path: tuple[Any, ...]) -> tuple[Any, ...]:
    if not path:
        return path
    return path[: _ATOM_DEPTH.get(path[0], 1)]


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for item in path:
        in_dict = isinstance(data, dict) and item in data
        in_list = isinstance(data, list) and isinstance(item, int) and item < len(data)
        if in_dict or in_list:
            data = data[item]
        else:
            return None
    return data


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for item in path:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else str(item))
    return text
