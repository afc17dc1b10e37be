"""A project's stale features: `GET /v1/projects/{key}/staleness`.

Source: /work/shared/vendor/devcycle/devcycle-management-openapi.json, operation
`ProjectsController_getStaleness` ("Get all stale Features for a Project": paged, `includeSilenced`,
an array of FeatureStalenessEntity). Vendor behaviour unknown: the rules by which DevCycle's
server decides a feature is stale are not public, so the emulator decides nothing. It answers
what a test seeded (`PUT /_emulator/devcycle/staleness`) and an empty list otherwise. A seeded
entry silenced (`disabled`, or `snoozedUntil` in the future) is listed only with
`includeSilenced=true`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .http import Call, Reply, paged_reply
from .store import DevCycleStore, Doc

SEED_PATH = "/devcycle/staleness"
REASONS = ("released", "unused", "unmodifiedShort", "unmodifiedLong")
_ENTITY = ("key", "name", "_feature", "stale", "updatedAt", "disabled", "snoozedUntil", "reason")


def _silenced(entry: Doc) -> bool:
    if entry.get("disabled"):
        return True
    until = entry.get("snoozedUntil")
    if not until:
        return False
    return datetime.fromisoformat(str(until).replace("Z", "+00:00")) > datetime.now(UTC)


def list_staleness(call: Call) -> Reply:
    project = call.store.project(call.param("key"))
    entries = list(call.store.staleness.get(project["_id"], []))
    silenced = call.query.get("includeSilenced", "false") == "true"
    return paged_reply(
        call,
        entries,
        lambda doc: {k: doc[k] for k in _ENTITY if k in doc} | {"metaData": {}},
        lambda doc: silenced or not _silenced(doc),
    )


def seed_routes(store: DevCycleStore) -> list[Route]:
    """`PUT /_emulator/devcycle/staleness` with `{"project": key, "features": [{"feature": key,
    "reason": ..., "updatedAt"?: ..., "disabled"?: ..., "snoozedUntil"?: ...}]}` replaces
    the project's stale features (400 `{"message": ...}` on bad input)."""

    async def put(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"null")
            with store.lock:
                project = store.project(str(body["project"]))
                entries = [_entry(store, project["_id"], item) for item in body["features"]]
                store.staleness = {**store.staleness, project["_id"]: entries}
        except Exception as exc:  # noqa: BLE001 - any bad seed is the test's 400
            return JSONResponse({"message": f"bad staleness seed: {exc!r}"}, status_code=400)
        return JSONResponse({"features": len(entries)})

    return [Route(SEED_PATH, put, methods=["PUT"])]


def _entry(store: DevCycleStore, project_id: str, item: dict[str, Any]) -> Doc:
    feature = store.get("features", project_id, str(item["feature"]))
    if item.get("reason") is not None and item["reason"] not in REASONS:
        raise ValueError(f"reason must be one of {', '.join(REASONS)}")
    entry: Doc = {
        "_id": feature["_id"],
        "_feature": feature["_id"],
        "key": feature["key"],
        "name": feature["name"],
        "stale": True,
        "disabled": bool(item.get("disabled", False)),
        "updatedAt": item.get("updatedAt") or store.now(),
    }
    for name in ("reason", "snoozedUntil"):
        if item.get(name) is not None:
            entry[name] = item[name]
    return entry
