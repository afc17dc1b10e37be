"""The `/api/projects/{project_id}/experiment_holdouts/` endpoints (`ExperimentHoldoutViewSet`).

A holdout is a share of users kept out of every experiment that uses it. Its body is
`{name, description, filters: [{properties: [], rollout_percentage: N}]}`; every filter must
carry a `rollout_percentage` between 0 and 100 ("Rollout percentage must be present." / "...
must be between 0 and 100.", attr `filters`), and a create needs at least one filter ("Filters
are required to create an holdout group", an object-level error). After the create the server
stamps `variant: "holdout-<id>"` on each filter. The list is newest first with limit/offset
pages. Unlike flags and experiments, DELETE is a real (hard) delete: 204.

The holdout reaches the flags of the experiments that use it: on experiment create, on an edit
of the holdout's filters (every linked experiment's flag is rewritten through the flag
serializer, a versioned write), and on delete (detached from those flags). Where PostHog's
versions differ, the emulator follows the newer server: the flag carries
`filters.holdout = {"id": <id>, "exclusion_percentage": N}` (the format the official SDKs
evaluate locally) rather than the older `filters.holdout_groups` copy of the holdout's filters.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import not_found, required, validation_error
from .experiment_read import serialize_holdout
from .fields import as_str, now_iso, type_name
from .flag_write import update_flag
from .http import Call, Handler, Reply
from .pagination import paginate
from .state import PostHogState, Record


def flag_holdout(holdout: Record | None) -> dict[str, Any] | None:
    """What a linked flag's `filters.holdout` says for `holdout` (None: no holdout).

    Vendor behaviour unknown: which percentage a holdout with several filters excludes; the
    first filter's, as PostHog's UI only ever writes one."""
    if holdout is None:
        return None
    filters = holdout.get("filters") or [{}]
    return {"id": holdout["id"], "exclusion_percentage": filters[0].get("rollout_percentage")}


def _validate_filters(value: Any) -> list[dict[str, Any]]:
    """`ExperimentHoldoutSerializer.validate_filters`."""
    if not isinstance(value, list):
        # Vendor behaviour unknown: PostHog's JSONField takes any JSON and its loop would then
        # fail on a non-list; the emulator answers DRF's list message instead of a 500.
        raise validation_error(
            f'Expected a list of items but got type "{type_name(value)}".', "filters", "not_a_list"
        )
    for item in value:
        percentage = item.get("rollout_percentage") if isinstance(item, dict) else None
        if percentage is None:
            raise validation_error("Rollout percentage must be present.", "filters")
        if isinstance(percentage, bool) or not isinstance(percentage, int | float):
            # Vendor behaviour unknown: a non-number compares with a TypeError (a 500) there.
            raise validation_error("Rollout percentage must be between 0 and 100.", "filters")
        if percentage < 0 or percentage > 100:
            raise validation_error("Rollout percentage must be between 0 and 100.", "filters")
    return copy.deepcopy(value)


def _fields(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The serializer's field pass; `creating` is true for POST and PUT (required fields)."""
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = as_str(data["name"], "name", allow_blank=False, max_length=400)
    elif creating:
        raise required("name")
    if "description" in data:
        out["description"] = as_str(
            data["description"], "description", allow_null=True, max_length=400
        )
    if "filters" in data:
        out["filters"] = _validate_filters(data["filters"])
    return out


def _stamped(holdout_id: int, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`_get_filters_with_holdout_id`: each filter's `variant` is `holdout-<id>`."""
    return [{**item, "variant": f"holdout-{holdout_id}"} for item in filters]


def _linked_flags(state: PostHogState, holdout: Record) -> list[Record]:
    """The flags of the experiments that use `holdout` (soft-deleted experiments included)."""
    flags = []
    for experiment in state.experiments_of(holdout["team_id"]):
        if experiment.get("holdout_id") == holdout["id"]:
            flag = state.flag_by_id(experiment["feature_flag_id"])
            if flag is not None:
                flags.append(flag)
    return flags


def set_flag_holdout(
    state: PostHogState, flag: Record, user: Record, holdout: Record | None
) -> None:
    """Rewrite a flag's holdout through the flag serializer (a versioned write)."""
    filters = copy.deepcopy(flag["filters"])
    filters["holdout"] = flag_holdout(holdout)
    filters.pop("holdout_groups", None)
    update_flag(state, flag, user, {"filters": filters}, method="PATCH")


def _holdout(call: Call) -> Record:
    raw = call.params["holdout_id"]
    holdout = call.state.holdout(call.project_id, int(raw)) if raw.isdigit() else None
    if holdout is None:
        raise not_found()
    return holdout


def list_handler(call: Call) -> Reply:
    rows = sorted(
        (h for h in call.state.holdouts if h["team_id"] == call.project_id),
        key=lambda h: (h["created_at"], h["id"]),
        reverse=True,
    )
    page = paginate(call.request, rows)
    page["results"] = [serialize_holdout(call.state, h) for h in page["results"]]
    return Reply(page)


def create_handler(call: Call) -> Reply:
    fields = _fields(call.data(), creating=True)
    if not fields.get("filters"):
        raise validation_error("Filters are required to create an holdout group")
    now = now_iso()
    holdout_id = call.state.next_id("holdout")
    holdout: Record = {
        "id": holdout_id,
        "team_id": call.project_id,
        "name": fields["name"],
        "description": fields.get("description"),
        "filters": _stamped(holdout_id, fields["filters"]),
        "created_by_id": call.user["id"],
        "created_at": now,
        "updated_at": now,
    }
    call.state.holdouts.append(holdout)
    return Reply(serialize_holdout(call.state, holdout), 201)


def retrieve_handler(call: Call) -> Reply:
    return Reply(serialize_holdout(call.state, _holdout(call)))


def _updater(method: str) -> Handler:
    def handler(call: Call) -> Reply:
        holdout = _holdout(call)
        fields = _fields(call.data(), creating=method == "PUT")
        filters = fields.get("filters")
        if filters and filters != holdout["filters"]:
            fields["filters"] = _stamped(holdout["id"], filters)
            updated = {**holdout, **fields}
            for flag in _linked_flags(call.state, holdout):
                set_flag_holdout(call.state, flag, call.user, updated)
        holdout.update(fields)
        holdout["updated_at"] = now_iso()
        return Reply(serialize_holdout(call.state, holdout))

    return handler


def destroy_handler(call: Call) -> Reply:
    """Detach from every linked flag, then delete. Vendor behaviour unknown: what happens to
    the experiments' `holdout` link; the emulator clears it (a nullable foreign key)."""
    holdout = _holdout(call)
    for flag in _linked_flags(call.state, holdout):
        set_flag_holdout(call.state, flag, call.user, None)
    for experiment in call.state.experiments_of(holdout["team_id"]):
        if experiment.get("holdout_id") == holdout["id"]:
            experiment["holdout_id"] = None
    call.state.holdouts.remove(holdout)
    return Reply(None, 204)


COLLECTION: dict[str, Handler] = {"GET": list_handler, "POST": create_handler}
DETAIL: dict[str, Handler] = {
    "GET": retrieve_handler,
    "PATCH": _updater("PATCH"),
    "PUT": _updater("PUT"),
    "DELETE": destroy_handler,
}
