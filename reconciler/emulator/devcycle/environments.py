"""Environments of a project and their SDK keys (`/v1/projects/{project}/environments`)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from .errors import CannotDeleteLast, NotFound
from .http import Call, Reply, paged_reply
from .store import DevCycleStore, Doc
from .validation import validate_body

SDK_KINDS = ("mobile", "client", "server")
# Vendor behaviour unknown: the errorType name, by analogy with ERR_DUPE_FEATURE_KEY.
ERR_DUPE = "ERR_DUPE_ENVIRONMENT_KEY"
DEFAULT_ENVIRONMENTS = (
    ("development", "Development", "development"),
    ("staging", "Staging", "staging"),
    ("production", "Production", "production"),
)


def new_sdk_key(kind: str, created_at: str) -> dict[str, Any]:
    """An SDK key shaped like the vendor's (`dvc_server_<uuid>_<hash>`), never compromised."""
    token = str(uuid.uuid4()).replace("-", "_")
    return {
        "key": f"dvc_{kind}_{token}_{secrets.token_hex(4)[:7]}",
        "createdAt": created_at,
        "compromised": False,
    }


def new_environment(
    store: DevCycleStore, project_id: str, fields: dict[str, Any], actor: str
) -> Doc:
    """Create (and store) an environment with one SDK key of each kind."""
    now = store.now()
    env: Doc = {
        "_id": store.new_id(),
        "_project": project_id,
        "key": fields["key"],
        "name": fields["name"],
        "type": fields["type"],
        "_createdBy": actor,
        "createdAt": now,
        "updatedAt": now,
        "sdkKeys": {kind: [new_sdk_key(kind, now)] for kind in SDK_KINDS},
        "readonly": False,
    }
    for optional in ("description", "color", "settings"):
        if optional in fields:
            env[optional] = fields[optional]
    store.environments[env["_id"]] = env
    return env


def create_default_environments(store: DevCycleStore, project_id: str, actor: str) -> None:
    """Every new project starts with Development, Staging and Production (vendor docs)."""
    for key, name, kind in DEFAULT_ENVIRONMENTS:
        new_environment(store, project_id, {"key": key, "name": name, "type": kind}, actor)


def render(env: Doc) -> Doc:
    return dict(env)


def list_environments(call: Call) -> Reply:
    project = call.store.project(call.param("project"))
    return paged_reply(call, call.store.in_project("environments", project["_id"]), render)


def create_environment(call: Call) -> Reply:
    project = call.store.project(call.param("project"))
    body = validate_body(call.body, "CreateEnvironmentDto")
    call.store.ensure_unique_key("environments", project["_id"], body["key"], ERR_DUPE)
    env = new_environment(call.store, project["_id"], body, call.actor)
    return Reply(render(env), status=201)


def get_environment(call: Call) -> Reply:
    project = call.store.project(call.param("project"))
    return Reply(render(call.store.get("environments", project["_id"], call.param("key"))))


def update_environment(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    env = store.get("environments", project["_id"], call.param("key"))
    body = validate_body(call.body, "UpdateEnvironmentDto")
    if "key" in body:
        store.ensure_unique_key("environments", project["_id"], body["key"], ERR_DUPE, env["_id"])
    env.update(body)
    env["updatedAt"] = store.now()
    return Reply(render(env))


def delete_environment(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    env = store.get("environments", project["_id"], call.param("key"))
    if len(store.in_project("environments", project["_id"])) <= 1:
        raise CannotDeleteLast()
    del store.environments[env["_id"]]
    for feature in store.in_project("features", project["_id"]):
        feature["configurations"].pop(env["_id"], None)
    return Reply()


def generate_sdk_keys(call: Call) -> Reply:
    """Add a new key of each requested kind (rotation keeps the old ones until deleted)."""
    store = call.store
    project = store.project(call.param("project"))
    env = store.get("environments", project["_id"], call.param("environment"))
    body = validate_body(call.body, "GenerateSdkTokensDto")
    now = store.now()
    # Vendor behaviour unknown: an empty body; the emulator then adds no key.
    for kind in SDK_KINDS:
        if body.get(kind):
            env["sdkKeys"][kind].append(new_sdk_key(kind, now))
    env["updatedAt"] = now
    return Reply(render(env), status=201)


def invalidate_sdk_key(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    env = store.get("environments", project["_id"], call.param("environment"))
    key = call.param("key")
    for kind in SDK_KINDS:
        keys = env["sdkKeys"][kind]
        for item in keys:
            if item["key"] == key:
                if len(keys) <= 1:
                    raise CannotDeleteLast()
                keys.remove(item)
                env["updatedAt"] = store.now()
                return Reply()
    raise NotFound(key)
