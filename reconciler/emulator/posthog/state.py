"""All of the PostHog emulator's state, as plain JSON-ready records behind one lock.

Records are stored in the shape the emulator persists (not the shape the API renders), so
`to_json` is a deep copy and a snapshot written by one run loads in the next. Every handler
runs under `lock` (an RLock, so a persistence callback that calls `to_json` from inside a
write does not deadlock); requests are therefore serialised, which is what makes PostHog's
row-locked version increments and key uniqueness hold under concurrent clients.
"""

from __future__ import annotations

import copy
import marshal
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

Record = dict[str, Any]

SNAPSHOT_FORMAT = "flagsync-posthog-emulator/1"
ID_KINDS = ("feature_flag", "experiment", "cohort", "dashboard", "holdout", "action")


class _Row(BaseModel):
    """The fields every stored record must have; the rest is kept as it is."""

    model_config = ConfigDict(extra="allow")
    id: int


class _ProjectRow(_Row):
    name: str
    api_token: str
    group_type_mapping: dict[str, str]


class _TeamRow(_Row):
    team_id: int


class _FlagRow(_TeamRow):
    key: str
    filters: dict[str, Any]
    deleted: bool
    active: bool
    version: int | None


class _ExperimentRow(_TeamRow):
    name: str
    feature_flag_id: int
    deleted: bool


class _CohortRow(_TeamRow):
    name: str | None
    filters: dict[str, Any] | None
    deleted: bool
    is_static: bool


class _EventDefinitionRow(BaseModel):
    """`EventDefinition`: its id is a UUID, and its name is unique in a project."""

    model_config = ConfigDict(extra="allow")
    id: str
    team_id: int
    name: str


class _UserRow(_Row):
    uuid: str
    email: str


class _KeyRow(BaseModel):
    value: str
    user_id: int


class _Snapshot(BaseModel):
    """The persisted document. Unknown top-level keys are an error: they mean a wrong file."""

    model_config = ConfigDict(extra="forbid")
    format: str
    organization: dict[str, Any]
    users: list[_UserRow]
    personal_api_keys: list[_KeyRow]
    projects: list[_ProjectRow]
    cohorts: list[_CohortRow]
    feature_flags: list[_FlagRow]
    experiments: list[_ExperimentRow]
    holdouts: list[_TeamRow]
    dashboards: list[_TeamRow]
    next_ids: dict[str, int]
    # Added later: snapshots written before them load with none.
    event_definitions: list[_EventDefinitionRow] = []
    actions: list[_TeamRow] = []
    approval_policies: list[dict[str, Any]] = []
    change_requests: list[dict[str, Any]] = []


_STORED = (
    "organization",
    "users",
    "personal_api_keys",
    "projects",
    "cohorts",
    "feature_flags",
    "experiments",
    "holdouts",
    "dashboards",
    "event_definitions",
    "actions",
)
"""The attributes a rollback puts back (with `next_ids`)."""

_JOURNALED = ("feature_flags", "dashboards")
"""The collections that grow with the flags (a flag and its usage dashboard): a write's undo
journal records the rows it adds or removes and a copy of each record before its first
in-place change, so undoing costs what the request touched. The other collections of
`_STORED` are small (experiments, holdouts, cohorts, taxonomy, the organization and its
projects) and are copied whole at the start of each write."""
_WHOLE = tuple(name for name in _STORED if name not in _JOURNALED)

CHECK_JOURNAL = os.environ.get("FLAGSYNC_EMULATOR_CHECK_JOURNAL") == "1"
"""With FLAGSYNC_EMULATOR_CHECK_JOURNAL=1 (the test suite sets it) every write also takes a
full copy of the state, checks at its end that each flag or dashboard it changed was
recorded in the journal, and after an undo that the state equals the copy."""


class WriteJournal:
    """What one write request changed in the PostHog state, so a failed request can be undone
    (Django runs each request in a transaction that an error rolls back).

    Costs what the request touches: appending and removing rows of the journaled collections
    records the row and its position; `PostHogState.changing` copies a record (`marshal`, one
    C-level pass) before its first in-place change; the small collections are copied whole.
    """

    def __init__(self, state: PostHogState) -> None:
        self.state = state
        self.lists = {name: getattr(state, name) for name in _JOURNALED}
        self.whole = _copy([getattr(state, name) for name in _WHOLE] + [state.next_ids])
        self.saved: dict[int, tuple[Record, bytes | Any]] = {}
        self.rows: list[tuple[list[Record], Record, int | None]] = []
        """(collection, row, index it was removed from; None for an added row), in order."""
        self.full = _rolled_back(state) if CHECK_JOURNAL else None
        self.before = _record_bytes(state) if CHECK_JOURNAL else None

    def save(self, record: Record) -> None:
        if id(record) not in self.saved:
            self.saved[id(record)] = (record, _copy(record))

    def undo(self) -> None:
        """Put back everything the request changed."""
        state = self.state
        for rows, row, index in reversed(self.rows):
            if index is None:
                position = next(i for i in range(len(rows) - 1, -1, -1) if rows[i] is row)
                del rows[position]
            else:
                rows.insert(index, row)
        for record, saved in self.saved.values():
            record.clear()
            record.update(_copied(saved))
        for name, rows in self.lists.items():
            setattr(state, name, rows)
        *whole, next_ids = _copied(self.whole)
        for name, value in zip(_WHOLE, whole, strict=True):
            setattr(state, name, value)
        state.next_ids = next_ids
        state.reset_indexes()
        state._journal = None
        if self.full is not None and _rolled_back(state) != self.full:
            raise AssertionError("undoing a write did not give back the state before it")

    def check(self) -> None:
        """(FLAGSYNC_EMULATOR_CHECK_JOURNAL) every changed flag or dashboard was journaled."""
        if self.before is None:
            return
        after = _record_bytes(self.state)
        added = {id(row) for _, row, index in self.rows if index is None}
        for key, data in after.items():
            if key in self.before and self.before[key] != data and key not in self.saved:
                # marshal's bytes also depend on which objects are shared: compare the values.
                was, now = marshal.loads(self.before[key]), marshal.loads(data)
                changed = sorted(k for k in {*was, *now} if was.get(k) != now.get(k))
                if changed:
                    raise AssertionError(
                        f"a write changed {changed} of a record it did not journal: {now!r}"
                    )
            if key not in self.before and key not in added:
                raise AssertionError("a write added a row it did not journal")
        removed = {id(row) for _, row, index in self.rows if index is not None}
        for key in self.before:
            if key not in after and key not in removed:
                raise AssertionError("a write removed a row it did not journal")


def _copy(value: Any) -> Any:
    """A copy to put back later: `marshal` bytes (one C-level pass), or a deep copy when a
    value is something marshal cannot write."""
    try:
        return marshal.dumps(value)
    except ValueError:
        return copy.deepcopy(value)


def _copied(saved: Any) -> Any:
    """A fresh object from what `_copy` kept (it may be put back more than once)."""
    return marshal.loads(saved) if isinstance(saved, bytes) else copy.deepcopy(saved)


def _rolled_back(state: PostHogState) -> dict[str, Any]:
    """The part of the state a rollback puts back, as a deep copy."""
    whole = state.to_json()
    return {name: whole[name] for name in (*_STORED, "next_ids")}


def _record_bytes(state: PostHogState) -> dict[int, bytes]:
    return {id(row): marshal.dumps(row) for name in _JOURNALED for row in getattr(state, name)}


@dataclass
class PostHogState:
    """Organization, projects, keys, cohorts, flags, experiments; JSON-serialisable."""

    organization: Record
    users: list[Record]
    personal_api_keys: list[Record]
    projects: list[Record]
    cohorts: list[Record] = field(default_factory=list)
    feature_flags: list[Record] = field(default_factory=list)
    experiments: list[Record] = field(default_factory=list)
    holdouts: list[Record] = field(default_factory=list)
    dashboards: list[Record] = field(default_factory=list)
    next_ids: dict[str, int] = field(default_factory=dict)
    event_definitions: list[Record] = field(default_factory=list)
    """The event names a project has seen (`EventDefinition`): experiment metrics check them."""
    actions: list[Record] = field(default_factory=list)
    approval_policies: list[Record] = field(default_factory=list)
    """`ApprovalPolicy` rows (UUID ids), each belonging to a project (`team_id`)."""
    change_requests: list[Record] = field(default_factory=list)
    """`ChangeRequest` rows (UUID ids) with their votes (`approvals`) inline."""
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    validation: str = field(default="strict", compare=False)
    """`strict`: the filter rules PostHog enforces only where its deployment setting lists them
    (variant sums, variant overrides, payload keys, operator value types) are enforced, as on
    PostHog Cloud; `lenient`: they are accepted, as an unconfigured deployment does. A run-time
    setting, not part of the snapshot."""
    _flags_by_id: dict[int, Record] | None = field(default=None, repr=False, compare=False)
    """Flags by id, first stored first; built by the first lookup, kept across writes by `add`
    and `discard` (ids never change), dropped when records are replaced wholesale."""
    _indexing: bool = field(default=False, repr=False, compare=False)
    _journal: WriteJournal | None = field(default=None, repr=False, compare=False)
    _by_key: dict[tuple[int, str], list[Record]] | None = field(
        default=None, repr=False, compare=False
    )
    """Flags by (project, key), soft-deleted ones included. Unlike the read indexes it lives
    across writes: each write updates it for the flags its journal shows it added, removed or
    changed, so a create's key check costs O(1), not a scan of every flag."""
    _key_of: dict[int, tuple[int, str]] = field(default_factory=dict, repr=False, compare=False)
    _read_cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    """Answers computed during reads (a project's flags, a list's order), dropped by writes."""

    STORED_LISTS = (*_STORED, "approval_policies", "change_requests")
    """Every stored attribute but `next_ids`, as a snapshot names them."""

    # -- construction and persistence -------------------------------------------------------

    @classmethod
    def seeded(cls) -> PostHogState:
        """The demo organization: two projects, their keys and cohorts (see `seed.py`)."""
        from .seed import seed_snapshot

        return cls.from_json(seed_snapshot())

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PostHogState:
        """Load a snapshot written by `to_json`; a ValueError names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("PostHog emulator state must be a JSON object")
        try:
            snapshot = _Snapshot.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in err['loc']) or '(root)'}: {err['msg']}"
                for err in exc.errors()[:5]
            )
            raise ValueError(f"invalid PostHog emulator state: {problems}") from None
        if snapshot.format != SNAPSHOT_FORMAT:
            raise ValueError(
                f"invalid PostHog emulator state: format is {snapshot.format!r}, "
                f"expected {SNAPSHOT_FORMAT!r}"
            )
        raw = copy.deepcopy(data)
        state = cls(
            organization=raw["organization"],
            users=raw["users"],
            personal_api_keys=raw["personal_api_keys"],
            projects=raw["projects"],
            cohorts=raw["cohorts"],
            feature_flags=raw["feature_flags"],
            experiments=raw["experiments"],
            holdouts=raw["holdouts"],
            dashboards=raw["dashboards"],
            next_ids=raw["next_ids"],
            event_definitions=raw.get("event_definitions", []),
            actions=raw.get("actions", []),
            approval_policies=raw.get("approval_policies", []),
            change_requests=raw.get("change_requests", []),
        )
        state._check_references()
        return state

    def check_references(self) -> None:
        """The cross-record rules of a loaded snapshot; a ValueError names what is wrong."""
        self._check_references()

    def to_json(self) -> dict[str, Any]:
        """A deep copy of everything, loadable by `from_json`."""
        with self.lock:
            return copy.deepcopy(
                {
                    "format": SNAPSHOT_FORMAT,
                    "organization": self.organization,
                    "users": self.users,
                    "personal_api_keys": self.personal_api_keys,
                    "projects": self.projects,
                    "cohorts": self.cohorts,
                    "feature_flags": self.feature_flags,
                    "experiments": self.experiments,
                    "holdouts": self.holdouts,
                    "dashboards": self.dashboards,
                    "next_ids": self.next_ids,
                    "event_definitions": self.event_definitions,
                    "actions": self.actions,
                    "approval_policies": self.approval_policies,
                    "change_requests": self.change_requests,
                }
            )

    def rollback_point(self) -> bytes | dict[str, Any]:
        """What `restore` needs to undo a write: the state as `marshal` bytes (one C-level pass,
        about ten times quicker than `to_json`'s deep copy), or `to_json` when a record holds
        something `marshal` cannot write."""
        with self.lock:
            try:
                return marshal.dumps([getattr(self, name) for name in _STORED] + [self.next_ids])
            except ValueError:
                return self.to_json()

    def begin_write(self) -> WriteJournal:
        """Called under `lock` before a write request: from now on the request's changes are
        recorded, and `WriteJournal.undo` puts them back."""
        self._journal = WriteJournal(self)
        return self._journal

    def changing(self, record: Record) -> Record:
        """Called before a record of `feature_flags` or `dashboards` is changed in place, so a
        failed request can put it back. Returns the record."""
        if self._journal is not None:
            self._journal.save(record)
        return record

    def add(self, rows: list[Record], row: Record) -> None:
        """Append a row to one of the state's collections, recorded for an undo."""
        rows.append(row)
        if self._journal is not None:
            self._journal.rows.append((rows, row, None))
        if rows is self.feature_flags:
            if self._by_key is not None:
                self._index_key(row)
            if self._flags_by_id is not None:
                self._flags_by_id.setdefault(row["id"], row)

    def discard(self, rows: list[Record], row: Record) -> None:
        """Remove a row (this very object) from one of the state's collections, recorded for
        an undo."""
        index = next(i for i, other in enumerate(rows) if other is row)
        del rows[index]
        if self._journal is not None:
            self._journal.rows.append((rows, row, index))
        if rows is self.feature_flags:
            if self._by_key is not None:
                self._unindex_key(row)
            if self._flags_by_id is not None and self._flags_by_id.get(row["id"]) is row:
                self._flags_by_id = None  # another flag may hold the same id: rebuild

    def begin(self, writes: bool) -> None:
        """Called under `lock` before each request: reads may use the indexes, writes drop
        them."""
        self._indexing = not writes
        if writes:
            self.drop_indexes()

    def end(self, writes: bool) -> None:
        """Called under `lock` after each request."""
        self._indexing = False
        if writes:
            self.drop_indexes()
            if self._journal is not None:
                self._reindex_written(self._journal)
                self._journal.check()
            self._journal = None

    def drop_indexes(self) -> None:
        """Forget the cached answers of reads (they are computed again by the next read)."""
        self._read_cache.clear()

    def reset_indexes(self) -> None:
        """Forget every index and cached answer: after records were replaced wholesale (an
        undo, a restored snapshot, a loaded state)."""
        self.drop_indexes()
        self._flags_by_id = None
        self._by_key = None
        self._key_of = {}

    def flags_with_key(self, project_id: int, key: str) -> list[Record]:
        """The project's flags (soft-deleted ones included) whose key is `key`."""
        if self._by_key is None:
            self._by_key, self._key_of = {}, {}
            for row in self.feature_flags:
                self._index_key(row)
        found = [
            f
            for f in self._by_key.get((project_id, key), [])
            if f["key"] == key and f["team_id"] == project_id
        ]
        if CHECK_JOURNAL:
            scanned = {id(f) for f in self._scan(project_id) if f["key"] == key}
            assert {id(f) for f in found} == scanned, f"the key index is stale for {key!r}"
        return found

    def _index_key(self, row: Record) -> None:
        assert self._by_key is not None
        where = (row["team_id"], row["key"])
        self._by_key.setdefault(where, []).append(row)
        self._key_of[id(row)] = where

    def _unindex_key(self, row: Record) -> None:
        assert self._by_key is not None
        where = self._key_of.pop(id(row), None)
        if where is not None:
            rows = self._by_key[where]
            rows[:] = [other for other in rows if other is not row]

    def _reindex_written(self, journal: WriteJournal) -> None:
        """After a committed write: the key index follows the flags it added, removed or
        changed (a key can change on update, restore or soft delete)."""
        if self._by_key is None:
            return
        present: dict[int, tuple[Record, bool]] = {}
        for rows, row, index in journal.rows:
            if rows is self.feature_flags:
                present[id(row)] = (row, index is None)
        for record, _ in journal.saved.values():
            if id(record) in self._key_of and id(record) not in present:
                present[id(record)] = (record, True)
        for row, stored in present.values():
            self._unindex_key(row)
            if stored:
                self._index_key(row)

    def cached_read(self, key: Any, compute: Any, *, still_valid: Any = None) -> Any:
        """`compute()`, kept for the following reads until a write: a list's pages each ask
        for the same filtered, ordered rows. The caller must not change what it gets.
        `still_valid(answer)`, if given, says whether a kept answer may still be given (an
        answer that depends on the time too); if not, it is computed again."""
        if not self._indexing:
            return compute()
        try:
            kept = self._read_cache[key]
        except KeyError:
            pass
        else:
            if still_valid is None or still_valid(kept):
                return kept
        found = self._read_cache[key] = compute()
        return found

    def restore(self, snapshot: bytes | dict[str, Any]) -> None:
        """Put back a snapshot taken with `rollback_point` or `to_json` (a whole-state
        rollback)."""
        self.reset_indexes()
        if isinstance(snapshot, bytes):
            with self.lock:
                *rows, next_ids = marshal.loads(snapshot)
                for name, value in zip(_STORED, rows, strict=True):
                    setattr(self, name, value)
                self.next_ids = next_ids
            return
        with self.lock:
            for name in (
                "organization",
                "users",
                "personal_api_keys",
                "projects",
                "cohorts",
                "feature_flags",
                "experiments",
                "holdouts",
                "dashboards",
                "next_ids",
            ):
                setattr(self, name, copy.deepcopy(snapshot[name]))
            for name in ("event_definitions", "actions", "approval_policies", "change_requests"):
                setattr(self, name, copy.deepcopy(snapshot.get(name, [])))

    def _check_references(self) -> None:
        """Cross-record rules a JSON schema cannot state (ids unique, owners exist)."""
        project_ids = {p["id"] for p in self.projects}
        if len(project_ids) != len(self.projects):
            raise ValueError("invalid PostHog emulator state: duplicate project id")
        tokens = [p["api_token"] for p in self.projects]
        if len(set(tokens)) != len(tokens):
            raise ValueError("invalid PostHog emulator state: duplicate project api_token")
        user_ids = {u["id"] for u in self.users}
        for key in self.personal_api_keys:
            if key["user_id"] not in user_ids:
                raise ValueError(
                    f"invalid PostHog emulator state: personal API key of unknown user "
                    f"{key['user_id']}"
                )
        for kind, rows in (
            ("cohort", self.cohorts),
            ("feature_flag", self.feature_flags),
            ("experiment", self.experiments),
            ("holdout", self.holdouts),
            ("dashboard", self.dashboards),
            ("action", self.actions),
        ):
            ids = [row["id"] for row in rows]
            if len(set(ids)) != len(ids):
                raise ValueError(f"invalid PostHog emulator state: duplicate {kind} id")
            for row in rows:
                if row["team_id"] not in project_ids:
                    raise ValueError(
                        f"invalid PostHog emulator state: {kind} {row['id']} belongs to "
                        f"unknown project {row['team_id']}"
                    )
            floor = max(ids, default=0) + 1
            self.next_ids[kind] = max(self.next_ids.get(kind, 1), floor)
        keys = [(f["team_id"], f["key"]) for f in self.feature_flags]
        if len(set(keys)) != len(keys):
            raise ValueError("invalid PostHog emulator state: duplicate feature flag key")
        flag_ids = {f["id"] for f in self.feature_flags}
        for experiment in self.experiments:
            if experiment["feature_flag_id"] not in flag_ids:
                raise ValueError(
                    f"invalid PostHog emulator state: experiment {experiment['id']} links "
                    f"unknown feature flag {experiment['feature_flag_id']}"
                )

    # -- lookups ------------------------------------------------------------------------------

    def next_id(self, kind: str) -> int:
        """Allocate the next id of a kind (ids are global, like PostgreSQL sequences)."""
        value = self.next_ids.get(kind, 1)
        self.next_ids[kind] = value + 1
        return value

    def user(self, user_id: int | None) -> Record | None:
        """A user by id."""
        return next((u for u in self.users if u["id"] == user_id), None)

    def user_for_personal_key(self, value: str) -> Record | None:
        """The owner of a personal API key."""
        key = next((k for k in self.personal_api_keys if k["value"] == value), None)
        return self.user(key["user_id"]) if key else None

    def project(self, project_id: int) -> Record | None:
        """A project by id."""
        return next((p for p in self.projects if p["id"] == project_id), None)

    def project_for_token(self, token: str) -> Record | None:
        """A project by its project API key (`phc_...`)."""
        return next((p for p in self.projects if p["api_token"] == token), None)

    def flags_of(self, project_id: int) -> list[Record]:
        """Every flag of a project, soft-deleted ones included (a new list: the caller may
        change it)."""
        if self._indexing:
            return list(self.cached_read(("flags_of", project_id), lambda: self._scan(project_id)))
        return self._scan(project_id)

    def _scan(self, project_id: int) -> list[Record]:
        return [f for f in self.feature_flags if f["team_id"] == project_id]

    def _indexed_flag(self, flag_id: int) -> Record | None:
        """The first stored flag with this id. The index lives across writes: adding and
        removing flags through `add` and `discard` keep it (ids never change)."""
        if self._flags_by_id is None:
            index: dict[int, Record] = {}
            for row in self.feature_flags:
                index.setdefault(row["id"], row)
            self._flags_by_id = index
        found = self._flags_by_id.get(flag_id)
        if CHECK_JOURNAL:
            scanned = next((f for f in self.feature_flags if f["id"] == flag_id), None)
            assert found is scanned, f"the id index is stale for flag {flag_id}"
        return found

    def flag(self, project_id: int, flag_id: int) -> Record | None:
        """A flag by id within a project."""
        found = self._indexed_flag(flag_id)
        return found if found is not None and found["team_id"] == project_id else None

    def flag_by_id(self, flag_id: int) -> Record | None:
        """A flag by its global id."""
        return self._indexed_flag(flag_id)

    def cohorts_of(self, project_id: int) -> list[Record]:
        """Every cohort of a project, deleted ones included."""
        return [c for c in self.cohorts if c["team_id"] == project_id]

    def cohort(self, project_id: int, cohort_id: int) -> Record | None:
        """A cohort by id within a project."""
        return next(
            (c for c in self.cohorts if c["id"] == cohort_id and c["team_id"] == project_id),
            None,
        )

    def experiments_of(self, project_id: int) -> list[Record]:
        """Every experiment of a project, soft-deleted ones included."""
        return [e for e in self.experiments if e["team_id"] == project_id]

    def experiments_of_flag(self, flag_id: int) -> list[Record]:
        """The experiments linked to a flag, soft-deleted ones included."""
        return [e for e in self.experiments if e["feature_flag_id"] == flag_id]

    def holdout(self, project_id: int, holdout_id: int) -> Record | None:
        """An experiment holdout by id within a project."""
        return next(
            (h for h in self.holdouts if h["id"] == holdout_id and h["team_id"] == project_id),
            None,
        )
