"""Features: v2 create/list/get/PATCH, v1 list/get/PATCH/DELETE.

A write builds a draft (a deep copy of the feature plus the variables it would own), applies
the request to it, checks the whole draft (`check_feature`) and only then commits it, so a
refused request changes nothing. PATCH semantics: every field is optional; arrays given
(`variables`, `variations`, `tags`) replace the current ones wholesale; `configurations` changes
only the environments it names, and within one only the parts given (`status`, `targets`).
`apply_update` is that PATCH on a draft, shared with change requests, which apply the same body
later; direct writes first pass `ensure_direct_write` (approval workflow, pending request lock).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .documents import (
    commit,
    feature_variables,
    initial_configurations,
    new_variable,
    render_feature,
    render_features,
    updated_variable,
)
from .errors import BadRequest, Conflict
from .feature_checks import check_feature
from .feature_locks import ensure_direct_write, ensure_unlocked
from .http import Call, Reply, encode_json
from .metrics import forget_feature
from .pagination import check_enum, parse_page_query, select
from .store import DevCycleStore, Doc
from .targeting import apply_config
from .validation import validate_body

ERR_DUPE_FEATURE = "ERR_DUPE_FEATURE_KEY"
# Vendor behaviour unknown: these errorType names, by analogy with ERR_DUPE_FEATURE_KEY.
ERR_DUPE_VARIABLE = "ERR_DUPE_VARIABLE_KEY"
ERR_DUPE_VARIATION = "ERR_DUPE_VARIATION_KEY"
FEATURE_TYPES = ("release", "experiment", "permission", "ops")
FEATURE_STATUSES = ("active", "complete", "archived")
STALENESS_FILTERS = ("all", "unused", "released", "unmodified", "notStale")


@dataclass
class Draft:
    """A feature as a write would leave it, with the variables it would own."""

    store: DevCycleStore
    project: Doc
    feature: Doc
    variables: list[Doc]
    actor: str
    now: str
    source: str = "api"
    detached: list[Doc] = field(default_factory=list)

    @property
    def environments(self) -> list[Doc]:
        return self.store.in_project("environments", self.project["_id"])

    def check(self) -> None:
        """Raise what the whole feature, as the write would leave it, breaks."""
        check_feature(self.store, self.feature, self.variables, self.environments)

    def check_and_commit(self) -> None:
        self.check()
        self.feature["updatedAt"] = self.now
        commit(self.store, self.feature, self.variables, self.detached, self.now)

    def render(self) -> Doc:
        return render_feature(self.store, self.feature)


def draft_of(call: Call) -> Draft:
    """A draft of the feature named in the path (`{feature}`: key or id)."""
    store = call.store
    project = store.project(call.param("project"))
    feature = store.get("features", project["_id"], call.param("feature"))
    return new_draft(store, project, feature, call.actor, call.source)


def new_draft(store: DevCycleStore, project: Doc, feature: Doc, actor: str, source: str) -> Draft:
    """A draft of a stored feature: copies, so the stored documents change only on commit."""
    return Draft(
        store=store,
        project=project,
        feature=copy.deepcopy(feature),
        variables=[copy.deepcopy(v) for v in feature_variables(store, feature["_id"])],
        actor=actor,
        now=store.now(),
        source=source,
    )


# -- building blocks shared by create and update ----------------------------------------------


def apply_variables(draft: Draft, dtos: list[dict[str, Any]]) -> None:
    """Make `dtos` the feature's variables: update attached ones, attach unattached project
    variables, create new ones; the feature's other variables are detached, not deleted."""
    # Vendor behaviour unknown: that variables left out are detached (not deleted), as the
    # vendor's Terraform provider relies on; that a key attached elsewhere is a 409.
    store, project_id, feature_id = draft.store, draft.project["_id"], draft.feature["_id"]
    result: list[Doc] = []
    seen: set[str] = set()
    for dto in dtos:
        key = dto["key"]
        if key in seen:
            raise Conflict(key, ERR_DUPE_VARIABLE)
        seen.add(key)
        existing = store.find_key("variables", project_id, key)
        if existing is None:
            result.append(
                new_variable(
                    store, project_id, dto, feature_id, draft.actor, draft.now, draft.source
                )
            )
        elif existing.get("_feature") in (None, feature_id):
            variable = updated_variable(existing, dto, draft.now)
            variable["_feature"] = feature_id
            result.append(variable)
        else:
            raise Conflict(key, ERR_DUPE_VARIABLE)
    draft.detached = [v for v in draft.variables if v["key"] not in seen]
    draft.variables = result


def apply_variations(draft: Draft, dtos: list[dict[str, Any]]) -> None:
    """Make `dtos` the feature's variations, keeping the `_id` of a variation matched by `_id`
    or else by key (targets reference variations by id)."""
    # Vendor behaviour unknown: a variation given without `variables` has none; an `_id` that
    # names no variation of the feature is ignored; a key twice in the list is a 409.
    current = draft.feature["variations"]
    by_id = {v["_id"]: v for v in current}
    by_key = {v["key"]: v for v in current}
    control_id = by_key.get(draft.feature.get("controlVariation", ""), {}).get("_id")
    result = []
    seen: set[str] = set()
    used_ids: set[str] = set()
    for dto in dtos:
        if dto["key"] in seen:
            raise Conflict(dto["key"], ERR_DUPE_VARIATION)
        seen.add(dto["key"])
        match = by_id.get(dto.get("_id", "")) or by_key.get(dto["key"])
        if match is not None and match["_id"] in used_ids:
            match = None  # already taken by an earlier entry (matched by `_id`)
        if match is not None:
            used_ids.add(match["_id"])
        result.append(
            {
                "_id": match["_id"] if match else draft.store.new_id(),
                "key": dto["key"],
                "name": dto["name"],
                "variables": copy.deepcopy(dto.get("variables", {})),
            }
        )
    draft.feature["variations"] = result
    renamed = [v["key"] for v in result if v["_id"] == control_id]
    if renamed:
        draft.feature["controlVariation"] = renamed[0]


def settle_control_variation(draft: Draft, requested: str | None) -> None:
    """`controlVariation`: as requested, else kept if it still exists, else the first variation.

    Vendor behaviour unknown: the default. The vendor's own data shows the first variation's
    key ("variation-on"); with no variation the emulator uses "".
    """
    keys = [v["key"] for v in draft.feature["variations"]]
    if requested is not None:
        draft.feature["controlVariation"] = requested
    elif draft.feature.get("controlVariation") not in keys:
        draft.feature["controlVariation"] = keys[0] if keys else ""


def apply_configurations(draft: Draft, dtos: dict[str, dict[str, Any]]) -> None:
    """Apply per-environment DTOs keyed by environment key or id."""
    # Vendor behaviour unknown: an environment that does not exist; a 404 here, like every
    # other reference to a missing object.
    store, project_id = draft.store, draft.project["_id"]
    for ref, dto in dtos.items():
        env = store.get("environments", project_id, ref)
        configs = draft.feature["configurations"]
        configs[env["_id"]] = apply_config(
            store,
            project_id,
            configs.get(env["_id"]),
            dto,
            draft.feature["variations"],
            now=draft.now,
            actor=draft.actor,
        )
        if env["type"] == "production":
            draft.feature["prodTargetingUpdatedAt"] = draft.now


# -- handlers --------------------------------------------------------------------------------


def list_features(call: Call) -> Reply:
    """v1 and v2 list; filters `type`, `status`, `keys` (repeated or comma-separated)."""
    store = call.store
    project = store.project(call.param("project"))
    query = parse_page_query(call.query)
    kind = check_enum(call.query, "type", FEATURE_TYPES)
    status = check_enum(call.query, "status", FEATURE_STATUSES)
    # Vendor behaviour unknown: what the staleness filter selects; the emulator validates it
    # and ignores it (no feature is ever stale here), as it ignores customStatus.
    check_enum(call.query, "staleness", STALENESS_FILTERS)
    keys = {key for raw in call.query.getlist("keys") for key in raw.split(",") if key}
    # Vendor behaviour unknown: whether archived features are hidden without a status filter;
    # every feature is listed here.

    def matches(feature: Any) -> bool:
        return (
            (kind is None or feature["type"] == kind)
            and (status is None or feature["status"] == status)
            and (not keys or feature["key"] in keys)
        )

    # Each page of a list asks for the same selection: kept until the next write.
    order = (query.sort_by, query.descending, query.search, query.created_by)
    cache_key = ("features", project["_id"], order, kind, status, frozenset(keys))
    selected: list[Any] = store.cached_read(
        cache_key, lambda: select(store.in_project("features", project["_id"]), query, matches)
    )
    start = (query.page - 1) * query.per_page
    page, total = selected[start : start + query.per_page], len(selected)
    # Encoded here, under the store's lock, so the page can share the stored documents.
    body = render_features(store, [dict(feature) for feature in page], shared=True)
    return Reply(encoded=encode_json(body), headers={"count": str(total)})


def get_feature(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    return Reply(
        render_feature(store, store.get("features", project["_id"], call.param("feature")))
    )


def create_feature(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    body = validate_body(call.body, "CreateFeatureDto")
    store.ensure_unique_key("features", project["_id"], body["key"], ERR_DUPE_FEATURE)
    now = store.now()
    feature: Doc = {
        "_id": store.new_id(),
        "_project": project["_id"],
        "source": call.source,
        "type": body.get("type", "release"),
        "status": "active",
        "name": body["name"],
        "key": body["key"],
        "_createdBy": call.actor,
        "createdAt": now,
        "updatedAt": now,
        "variations": [],
        "controlVariation": "",
        "tags": list(body.get("tags", [])),
        "readonly": False,
        "settings": copy.deepcopy(
            body.get("settings")
            or {"publicName": body["name"], "publicDescription": "", "optInEnabled": False}
        ),
        "sdkVisibility": copy.deepcopy(
            body.get("sdkVisibility") or {"mobile": True, "client": True, "server": True}
        ),
        "summary": {"maintainers": [], "links": [], "markdown": ""},
        "configurations": initial_configurations(store, project["_id"], now, call.actor),
    }
    if "description" in body:
        feature["description"] = body["description"]
    # Vendor behaviour unknown: whether the API adds the dashboard's default variations and
    # variable when none are given (the vendor's CLI sends them itself); none are added here.
    draft = Draft(store, project, feature, [], call.actor, now, call.source)
    for dto in body.get("variables", []):
        # A new feature cannot take over an existing variable: the key is taken.
        if store.find_key("variables", project["_id"], dto["key"]) is not None:
            raise Conflict(dto["key"], ERR_DUPE_VARIABLE)
    apply_variables(draft, body.get("variables", []))
    apply_variations(draft, body.get("variations", []))
    settle_control_variation(draft, body.get("controlVariation"))
    apply_configurations(draft, body.get("configurations", {}))
    draft.check_and_commit()
    return Reply(draft.render(), status=201)


def update_feature(call: Call) -> Reply:
    draft = draft_of(call)
    body = validate_body(call.body, "UpdateFeatureDto")
    ensure_direct_write(draft.store, draft.project, draft.feature)
    apply_update(draft, body)
    draft.check_and_commit()
    return Reply(draft.render())


def apply_update(draft: Draft, body: dict[str, Any]) -> None:
    """Apply a validated `UpdateFeatureDto` to a draft (not yet checked nor committed)."""
    feature = draft.feature
    if "key" in body:
        draft.store.ensure_unique_key(
            "features", draft.project["_id"], body["key"], ERR_DUPE_FEATURE, feature["_id"]
        )
    for name in ("key", "name", "description", "type", "tags", "settings", "sdkVisibility"):
        if name in body:
            feature[name] = copy.deepcopy(body[name])
    if "summary" in body:
        feature["summary"].update(copy.deepcopy(body["summary"]))
    # Vendor behaviour unknown: what `staleness` (an untyped object) changes; it is accepted
    # and ignored.
    if "variables" in body:
        apply_variables(draft, body["variables"])
    if "variations" in body:
        apply_variations(draft, body["variations"])
    settle_control_variation(draft, body.get("controlVariation"))
    apply_configurations(draft, body.get("configurations", {}))


def delete_feature(call: Call) -> Reply:
    """v1 only. `deleteVariables=true` deletes the feature's variables, otherwise detaches them."""
    store = call.store
    project = store.project(call.param("project"))
    feature = store.get("features", project["_id"], call.param("feature"))
    delete_variables = call.query.get("deleteVariables")
    if delete_variables not in (None, "true", "false"):
        raise BadRequest(["deleteVariables must be a boolean value"])
    # Vendor behaviour unknown: deleting a feature locked by a pending change request; refused
    # (412) like every other write to it. The approval workflow does not gate deletes: delete is
    # not a change request operation, so requiring one would make features undeletable.
    ensure_unlocked(store, feature)
    now = store.now()
    for variable in feature_variables(store, feature["_id"]):
        if delete_variables == "true":
            del store.variables[variable["_id"]]
        else:
            variable.pop("_feature", None)
            variable["updatedAt"] = now
    # Vendor behaviour unknown: what becomes of the feature's change requests; they go with it
    # (they cannot be applied to a feature that no longer exists).
    for request_id in [
        request_id
        for request_id, request in store.change_requests.items()
        if request["_feature"] == feature["_id"]
    ]:
        del store.change_requests[request_id]
    forget_feature(store, feature)
    del store.features[feature["_id"]]
    return Reply()
