"""Projects (`/v1/projects`): the organization's top-level containers."""

from __future__ import annotations

import copy
from typing import Any

from .environments import create_default_environments
from .errors import CannotDeleteLast
from .http import Call, Reply, paged_reply
from .store import DevCycleStore, Doc
from .validation import validate_body

ORGANIZATION_ID = "org_emulator"
# Vendor behaviour unknown: the errorType name, by analogy with ERR_DUPE_FEATURE_KEY.
ERR_DUPE = "ERR_DUPE_PROJECT_KEY"


def default_settings(created_at: str) -> dict[str, Any]:
    """Every field `ProjectSettings` requires; approvals off, as for a new project.

    Vendor behaviour unknown: the exact defaults of the settings other than
    `featureApprovalWorkflow` (chosen as "everything off", staleness checks on).
    """
    return {
        "edgeDB": {"enabled": False},
        "optIn": {
            "enabled": False,
            "title": "",
            "description": "",
            "imageURL": "",
            "colors": {"primary": "#531cd9", "secondary": "#16dec0"},
            "poweredByAlignment": "center",
        },
        "sdkTypeVisibility": {"enabledInFeatureSettings": False},
        "lifeCycle": {"disableCodeRefChecks": False},
        "obfuscation": {"enabled": False, "required": False},
        "featureApprovalWorkflow": {
            "enabled": False,
            "allowPublisherBypass": True,
            "defaultReviewers": [],
        },
        "disablePassthroughRollouts": False,
        "staleness": {
            "enabled": True,
            "released": {"enabled": True},
            "unmodifiedLong": {"enabled": True},
            "unmodifiedShort": {"enabled": True},
            "unused": {"enabled": True},
            "email": {
                "enabled": False,
                "frequency": "weekly",
                "users": [],
                "lastNotification": created_at,
            },
        },
        "dynatrace": {"enabled": False, "environmentMap": {}},
    }


def new_project(store: DevCycleStore, fields: dict[str, Any], actor: str) -> Doc:
    """Create (and store) a project with its three default environments."""
    now = store.now()
    project: Doc = {
        "_id": store.new_id(),
        "_organization": ORGANIZATION_ID,
        "_createdBy": actor,
        "name": fields["name"],
        "key": fields["key"],
        "settings": default_settings(now),
        "createdAt": now,
        "updatedAt": now,
        "hasJiraIntegration": False,
        "hasReceivedCodeUsages": False,
        "hasUserConfigFetch": False,
        "jiraBaseUrl": "",
        "readonly": False,
        "vercelEdgeConfigConnections": [],
    }
    for optional in ("description", "color"):
        if optional in fields:
            project[optional] = fields[optional]
    _merge_settings(project, fields.get("settings"))
    store.projects[project["_id"]] = project
    create_default_environments(store, project["_id"], actor)
    return project


def _merge_settings(project: Doc, settings: dict[str, Any] | None) -> None:
    """Each settings group given replaces the stored one; groups not given stay."""
    for name, value in (settings or {}).items():
        project["settings"][name] = copy.deepcopy(value)


def render(project: Doc) -> Doc:
    return dict(project)


def list_projects(call: Call) -> Reply:
    return paged_reply(call, list(call.store.projects.values()), render)


def create_project(call: Call) -> Reply:
    body = validate_body(call.body, "CreateProjectDto")
    call.store.ensure_unique_key("projects", None, body["key"], ERR_DUPE)
    return Reply(render(new_project(call.store, body, call.actor)), status=201)


def get_project(call: Call) -> Reply:
    return Reply(render(call.store.project(call.param("key"))))


def update_project(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("key"))
    body = validate_body(call.body, "UpdateProjectDto")
    if "key" in body:
        store.ensure_unique_key("projects", None, body["key"], ERR_DUPE, project["_id"])
    for name in ("name", "key", "description", "color"):
        if name in body:
            project[name] = body[name]
    _merge_settings(project, body.get("settings"))
    project["updatedAt"] = store.now()
    return Reply(render(project))


def update_protected_settings(call: Call) -> Reply:
    """`PATCH /v1/projects/{key}/settings/protected`: approval workflow and staleness."""
    store = call.store
    project = store.project(call.param("key"))
    body = validate_body(call.body, "UpdateProtectedProjectSettingsDto")
    settings = body["settings"]
    project["settings"]["featureApprovalWorkflow"] = copy.deepcopy(
        settings["featureApprovalWorkflow"]
    )
    staleness = copy.deepcopy(settings["staleness"])
    last = project["settings"]["staleness"]["email"].get("lastNotification", project["createdAt"])
    staleness["email"]["lastNotification"] = last
    project["settings"]["staleness"] = staleness
    project["updatedAt"] = store.now()
    return Reply(render(project))


def delete_project(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("key"))
    if len(store.projects) <= 1:
        raise CannotDeleteLast()
    del store.projects[project["_id"]]
    for name in [name for name in store.collections if name != "projects"]:
        docs = store.collections[name]
        for doc_id in [i for i, doc in docs.items() if doc["_project"] == project["_id"]]:
            del docs[doc_id]
    return Reply()
