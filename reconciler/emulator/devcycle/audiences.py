"""Reusable project audiences (`/v1/projects/{project}/audiences`).

A feature's target uses one through an `audienceMatch` filter naming its `_id`, which is why an
audience still referenced cannot be deleted.
"""

from __future__ import annotations

import copy

from .errors import BadRequest, PreconditionFailed
from .http import Call, Reply, paged_reply
from .store import Doc
from .targeting import audience_users, filter_problems, leaf_filters
from .validation import validate_body

# Vendor behaviour unknown: the errorType name, by analogy with ERR_DUPE_FEATURE_KEY.
ERR_DUPE = "ERR_DUPE_AUDIENCE_KEY"
FIELDS = ("name", "key", "description", "filters", "tags")


def render(audience: Doc, with_usage: bool = False, used: bool = False) -> Doc:
    rendered = dict(audience)
    if with_usage:
        rendered["hasUsage"] = used
    return rendered


def _check_filters(audience: Doc) -> None:
    problems = filter_problems(audience["filters"]["filters"], "filters.filters")
    if problems:
        raise BadRequest(problems)


def list_audiences(call: Call) -> Reply:
    """Paged; `includeUsage=true` adds `hasUsage`."""
    store = call.store
    project = store.project(call.param("project"))
    with_usage = call.query.get("includeUsage") == "true"
    used: set[str] = set()
    if with_usage:
        used = {
            audience["_id"]
            for audience in store.in_project("audiences", project["_id"])
            if audience_users(store, audience["_id"])
        }
    audiences = store.in_project("audiences", project["_id"])
    return paged_reply(call, audiences, lambda a: render(a, with_usage, a["_id"] in used))


def create_audience(call: Call) -> Reply:
    """`name` and `key` are optional in the schema but "must be set for project-level
    audiences" (the vendor's field description): both are required here."""
    store = call.store
    project = store.project(call.param("project"))
    body = validate_body(call.body, "CreateAudienceDto")
    missing = [f"{name} should not be empty" for name in ("name", "key") if name not in body]
    if missing:
        raise BadRequest(missing)
    store.ensure_unique_key("audiences", project["_id"], body["key"], ERR_DUPE)
    now = store.now()
    audience: Doc = {
        "_id": store.new_id(),
        "_project": project["_id"],
        **{name: copy.deepcopy(body[name]) for name in FIELDS if name in body},
        "source": call.source,
        "_createdBy": call.actor,
        "createdAt": now,
        "updatedAt": now,
        "readonly": False,
    }
    _check_filters(audience)
    store.audiences[audience["_id"]] = audience
    return Reply(render(audience), status=201)


def get_audience(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    return Reply(render(store.get("audiences", project["_id"], call.param("key"))))


def update_audience(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    current = store.get("audiences", project["_id"], call.param("key"))
    body = validate_body(call.body, "UpdateAudienceDto")
    if "key" in body:
        store.ensure_unique_key("audiences", project["_id"], body["key"], ERR_DUPE, current["_id"])
    audience = copy.deepcopy(current)
    audience.update(copy.deepcopy(body))
    _check_filters(audience)
    audience["updatedAt"] = store.now()
    store.audiences[audience["_id"]] = audience
    return Reply(render(audience))


def delete_audience(call: Call) -> Reply:
    """The vendor declares a 412 for this route: an audience still used by a target."""
    # Vendor behaviour unknown: what the 412 is for; "used by a feature's target" here.
    store = call.store
    project = store.project(call.param("project"))
    audience = store.get("audiences", project["_id"], call.param("key"))
    users = audience_users(store, audience["_id"])
    if users:
        names = ", ".join(sorted(f"'{feature['key']}'" for feature in users))
        raise PreconditionFailed(
            f"Audience '{audience['key']}' is used by the targeting of Feature {names}"
        )
    del store.audiences[audience["_id"]]
    return Reply()


def audience_usage(call: Call) -> Reply:
    """`GET /v1/projects/{project}/audiences/{key}/usage`: the features whose targets match the
    audience (OpenAPI: `AudienceUsage {features: AudienceFeature[]}`, each `{key, name, id,
    environments}`)."""
    # Vendor behaviour unknown: what `environments` holds (`AudienceEnvironments` is an object
    # without properties); here the keys of the environments whose targets use the audience,
    # each `{"targets": [target names]}`.
    store = call.store
    project = store.project(call.param("project"))
    audience = store.get("audiences", project["_id"], call.param("key"))
    environment_keys = {
        env["_id"]: env["key"] for env in store.in_project("environments", project["_id"])
    }
    features = []
    for feature in audience_users(store, audience["_id"]):
        environments: dict[str, Doc] = {}
        for env_id, config in feature["configurations"].items():
            names = [
                target.get("name") or target["_id"]
                for target in config["targets"]
                if any(
                    audience["_id"] in item.get("_audiences", [])
                    for item in leaf_filters(target["audience"]["filters"])
                    if item.get("type") == "audienceMatch"
                )
            ]
            if names:
                environments[environment_keys.get(env_id, env_id)] = {"targets": names}
        features.append(
            {
                "key": feature["key"],
                "name": feature["name"],
                "id": feature["_id"],
                "environments": environments,
            }
        )
    return Reply({"features": features})
