"""The emulated DevCycle organization's state: plain JSON documents, ids, clock and lookups.

Everything the emulator knows is collections of JSON objects keyed by `_id` (projects,
environments, features, variables, audiences, feature change requests, custom properties,
metrics and their associations with features) plus a little bookkeeping. Keeping the state as
plain JSON makes persistence a `json.dump` and lets handlers build a changed copy of a document,
validate it, and only then put it back, which is what makes a failed PATCH change nothing.

Ids look like MongoDB ObjectIds (24 hex digits: seconds, an instance tag, a counter), as the
vendor's do. Timestamps are ISO 8601 UTC with milliseconds and `Z`, and strictly increase, so
`updatedAt` visibly moves on every write even within one millisecond.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .errors import Conflict, NotFound

Doc = dict[str, Any]
COLLECTIONS = (
    "projects",
    "environments",
    "features",
    "variables",
    "audiences",
    "changeRequests",
    "customProperties",
    "metrics",
    "metricAssociations",
)
# Collections added after state files of this format were first written: a file without one
# loads it empty instead of being refused.
LATER_COLLECTIONS = ("changeRequests", "customProperties", "metrics", "metricAssociations")
FORMAT_VERSION = 1


class DevCycleStore:
    """State of one emulated organization; `lock` serializes every request that touches it."""

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self.lock = threading.RLock()
        self.collections: dict[str, dict[str, Doc]] = {name: {} for name in COLLECTIONS}
        self.on_change = on_change
        self.staleness: dict[str, list[Doc]] = {}
        """Stale features a test seeded, by project `_id` (the vendor's rules are not public)."""
        self._tag = secrets.token_hex(5)
        self._counter = 0
        self._last_ms = 0
        self._keys: dict[str, dict[tuple[str | None, str], str]] = {}
        """Per collection, (project or None, key) -> `_id` of the first document with that key;
        built on a lookup by key during a read and dropped by every write (see `begin`)."""
        self._attached: dict[str, list[str]] | None = None
        """feature `_id` -> the `_id`s of its variables, in storage order (same lifetime)."""
        self._indexing = False
        self._read_cache: dict[Any, Any] = {}
        """Answers computed during reads (a project's documents in order, a list's selection),
        kept for the following reads and dropped by every write, as the indexes are."""

    # -- request bracketing ------------------------------------------------------------------

    def begin(self, writes: bool) -> None:
        """Called under `lock` before each API request: a read may use the lookup indexes, a
        write drops them (its handler may add, remove or re-key documents)."""
        self._indexing = not writes
        if writes:
            self.drop_indexes()

    def end(self, writes: bool) -> None:
        """Called under `lock` after each API request: nothing outside a read uses an index."""
        self._indexing = False
        if writes:
            self.drop_indexes()

    def drop_indexes(self) -> None:
        self._keys.clear()
        self._attached = None
        self._read_cache.clear()

    def cached_read(self, key: Any, compute: Callable[[], Any]) -> Any:
        """`compute()`, kept for the following reads until a write (each page of a list asks
        for the same selection); outside a read it is computed each time. The caller must not
        change what it gets."""
        if not self._indexing:
            return compute()
        try:
            return self._read_cache[key]
        except KeyError:
            found = self._read_cache[key] = compute()
            return found

    def _key_index(self, collection: str) -> dict[tuple[str | None, str], str]:
        index = self._keys.get(collection)
        if index is None:
            index = {}
            for doc_id, doc in self.collections[collection].items():
                key = doc.get("key")
                if isinstance(key, str):
                    index.setdefault((doc.get("_project"), key), doc_id)
                    index.setdefault((None, key), doc_id)
            self._keys[collection] = index
        return index

    def attached_variable_ids(self, feature_id: str) -> list[str] | None:
        """The `_id`s of a feature's variables in storage order, from the index during a read;
        None outside a read (the caller scans)."""
        if not self._indexing:
            return None
        if self._attached is None:
            attached: dict[str, list[str]] = {}
            for doc_id, doc in self.variables.items():
                owner = doc.get("_feature")
                if isinstance(owner, str):
                    attached.setdefault(owner, []).append(doc_id)
            self._attached = attached
        return self._attached.get(feature_id, [])

    # -- collections -----------------------------------------------------------------------

    @property
    def projects(self) -> dict[str, Doc]:
        return self.collections["projects"]

    @property
    def environments(self) -> dict[str, Doc]:
        return self.collections["environments"]

    @property
    def features(self) -> dict[str, Doc]:
        return self.collections["features"]

    @property
    def variables(self) -> dict[str, Doc]:
        return self.collections["variables"]

    @property
    def audiences(self) -> dict[str, Doc]:
        return self.collections["audiences"]

    @property
    def change_requests(self) -> dict[str, Doc]:
        return self.collections["changeRequests"]

    @property
    def custom_properties(self) -> dict[str, Doc]:
        return self.collections["customProperties"]

    @property
    def metrics(self) -> dict[str, Doc]:
        return self.collections["metrics"]

    @property
    def metric_associations(self) -> dict[str, Doc]:
        return self.collections["metricAssociations"]

    def is_empty(self) -> bool:
        return not any(self.collections.values())

    # -- ids and clock ---------------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh 24-hex id, unique within this store (persisted counter)."""
        self._counter = (self._counter + 1) % 0x1000000
        return f"{int(time.time()) & 0xFFFFFFFF:08x}{self._tag}{self._counter:06x}"

    def now(self) -> str:
        """The current time as the vendor writes it, strictly later than the previous call."""
        ms = max(int(time.time() * 1000), self._last_ms + 1)
        self._last_ms = ms
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"

    # -- lookups ---------------------------------------------------------------------------

    def in_project(self, collection: str, project_id: str) -> list[Doc]:
        """Every document of a collection that belongs to a project, in creation order (a new
        list: the caller may change it)."""
        if self._indexing:
            key = ("in_project", collection, project_id)
            return list(self.cached_read(key, lambda: self._in_project(collection, project_id)))
        return self._in_project(collection, project_id)

    def _in_project(self, collection: str, project_id: str) -> list[Doc]:
        docs = [
            doc for doc in self.collections[collection].values() if doc["_project"] == project_id
        ]
        return sorted(docs, key=lambda doc: (doc["createdAt"], doc["_id"]))

    def find(self, collection: str, project_id: str | None, ref: str) -> Doc | None:
        """A document by `_id` or `key` ("A Project key or ID"), scoped to a project if given."""
        docs = self.collections[collection]
        doc = docs.get(ref)
        if doc is not None and (project_id is None or doc["_project"] == project_id):
            return doc
        if self._indexing:
            # A hit is checked against the document as stored now; a miss scans, as below.
            found = docs.get(self._key_index(collection).get((project_id, ref), ""))
            same_scope = found is not None and (
                project_id is None or found["_project"] == project_id
            )
            if same_scope and found is not None and found.get("key") == ref:
                return found
        for doc in docs.values():
            if doc.get("key") == ref and (project_id is None or doc["_project"] == project_id):
                return doc
        return None

    def find_key(self, collection: str, project_id: str, key: str) -> Doc | None:
        """A document of a project by `key` only (keys in request bodies are never ids)."""
        if self._indexing:
            docs = self.collections[collection]
            found = docs.get(self._key_index(collection).get((project_id, key), ""))
            if found is not None and found.get("key") == key and found["_project"] == project_id:
                return found
        for doc in self.collections[collection].values():
            if doc.get("key") == key and doc["_project"] == project_id:
                return doc
        return None

    def get(self, collection: str, project_id: str | None, ref: str) -> Doc:
        """Like `find`, but a missing document is the vendor's 404."""
        doc = self.find(collection, project_id, ref)
        if doc is None:
            raise NotFound(ref)
        return doc

    def project(self, ref: str) -> Doc:
        return self.get("projects", None, ref)

    def ensure_unique_key(
        self,
        collection: str,
        project_id: str | None,
        key: str,
        error_type: str,
        except_id: str | None = None,
    ) -> None:
        """Raise the vendor's 409 when another document of the scope already has `key`."""
        for doc in self.collections[collection].values():
            same_scope = project_id is None or doc["_project"] == project_id
            if same_scope and doc.get("key") == key and doc["_id"] != except_id:
                raise Conflict(key, error_type)

    # -- persistence -----------------------------------------------------------------------

    def changed(self) -> None:
        """Called after every successful write: persists the state when a file is configured."""
        if self.on_change is not None:
            self.on_change()

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-serializable data."""
        return {
            "version": FORMAT_VERSION,
            "meta": {"tag": self._tag, "counter": self._counter, "lastMs": self._last_ms},
            **{name: list(docs.values()) for name, docs in self.collections.items()},
        }

    def load(self, data: Any) -> None:
        """Replace the state with a snapshot; raises ValueError saying what is malformed."""
        if not isinstance(data, dict):
            raise ValueError("the DevCycle state must be a JSON object")
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported DevCycle state version {data.get('version')!r}")
        meta = data.get("meta")
        if not isinstance(meta, dict) or not isinstance(meta.get("tag"), str):
            raise ValueError("the DevCycle state has no valid 'meta' object")
        collections: dict[str, dict[str, Doc]] = {}
        for name in COLLECTIONS:
            docs = data.get(name, [] if name in LATER_COLLECTIONS else None)
            if not isinstance(docs, list):
                raise ValueError(f"'{name}' must be a list of objects")
            for index, doc in enumerate(docs):
                if not isinstance(doc, dict) or not isinstance(doc.get("_id"), str):
                    raise ValueError(f"'{name}[{index}]' must be an object with an '_id'")
                if name != "projects" and not isinstance(doc.get("_project"), str):
                    raise ValueError(f"'{name}[{index}]' has no '_project'")
            collections[name] = {doc["_id"]: doc for doc in docs}
        self.collections = collections
        self.drop_indexes()
        self._tag = meta["tag"]
        self._counter = int(meta.get("counter", 0))
        self._last_ms = int(meta.get("lastMs", 0))
