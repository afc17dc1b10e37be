"""Feature change request documents: how they are stored, found and rendered.

A change request is stored as the vendor's `FeatureChangeRequest`, with nothing hidden in it, so
rendering one is a copy. The project-wide list answers `FeatureChangeRequestSummary`s (no
`changes`, no snapshot id, plus `feature {key, name, id}` so a client need not look the feature
up); a feature's own `changeRequests` lists its open requests as the same summaries without the
`feature` (the feature is the object they are embedded in).

A request is *open* while it is a `draft` or `pending` (a feature has at most one); only a
`pending` one locks its feature against other writes.
"""

from __future__ import annotations

import copy
from collections import defaultdict

from .store import DevCycleStore, Doc

STATUSES = ("draft", "pending", "approved", "applied", "rejected", "cancelled")
OPEN_STATUSES = ("draft", "pending")
SUMMARY_FIELDS = (
    "_id",
    "_project",
    "_feature",
    "status",
    "operation",
    "description",
    "reviewers",
    "reviews",
    "_createdBy",
    "_updatedBy",
    "createdAt",
    "updatedAt",
)


def _in_order(requests: list[Doc]) -> list[Doc]:
    return sorted(requests, key=lambda request: (request["createdAt"], request["_id"]))


def feature_requests(store: DevCycleStore, feature_id: str) -> list[Doc]:
    """Every change request of a feature, oldest first."""
    return _in_order([r for r in store.change_requests.values() if r["_feature"] == feature_id])


def open_requests(store: DevCycleStore, feature_id: str) -> list[Doc]:
    """The feature's requests in `draft` or `pending`, oldest first."""
    return [r for r in feature_requests(store, feature_id) if r["status"] in OPEN_STATUSES]


def pending_request(
    store: DevCycleStore, feature_id: str, except_id: str | None = None
) -> Doc | None:
    """The request that locks the feature (in `pending`), other than `except_id`, if any."""
    for request in feature_requests(store, feature_id):
        if request["status"] == "pending" and request["_id"] != except_id:
            return request
    return None


def render_request(request: Doc) -> Doc:
    """A stored request as the vendor's `FeatureChangeRequest`."""
    return copy.deepcopy(request)


def render_embedded(request: Doc) -> Doc:
    """A request as an entry of `Feature.changeRequests`."""
    return {name: copy.deepcopy(request[name]) for name in SUMMARY_FIELDS if name in request}


def render_summary(request: Doc, feature: Doc) -> Doc:
    """A request as the vendor's `FeatureChangeRequestSummary` (project-wide list)."""
    summary = render_embedded(request)
    summary["feature"] = {"key": feature["key"], "name": feature["name"], "id": feature["_id"]}
    return summary


def embedded_by_feature(store: DevCycleStore) -> dict[str, list[Doc]]:
    """Every feature's `changeRequests` in one pass over the requests (large feature lists)."""
    by_feature: dict[str, list[Doc]] = defaultdict(list)
    for request in _in_order(list(store.change_requests.values())):
        if request["status"] in OPEN_STATUSES:
            by_feature[request["_feature"]].append(render_embedded(request))
    return by_feature
