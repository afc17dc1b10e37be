"""Discovery endpoints: the caller, its organization's projects, one project.

flagsync maps each environment to a PostHog project id; these are the calls a user (or
`flagsync` itself) makes to find those ids and the project API keys SDKs need. Only the fields
that matter for that are rendered.
"""

from __future__ import annotations

from typing import Any

from .errors import not_found
from .flag_read import user_basic
from .http import Call, Handler, Reply
from .pagination import paginate
from .state import PostHogState, Record


def serialize_project(state: PostHogState, project: Record) -> dict[str, Any]:
    """The fields of PostHog's `ProjectBackwardCompatSerializer` that identify a project."""
    return {
        "id": project["id"],
        "uuid": project.get("uuid"),
        "organization": project.get("organization", state.organization["id"]),
        "api_token": project["api_token"],
        "name": project["name"],
        "created_at": project.get("created_at"),
        "group_types": [
            {"group_type_index": int(index), "group_type": name}
            for index, name in sorted(project.get("group_type_mapping", {}).items())
        ],
    }


def list_projects(call: Call) -> Reply:
    page = paginate(call.request, sorted(call.state.projects, key=lambda p: p["id"]))
    page["results"] = [serialize_project(call.state, p) for p in page["results"]]
    return Reply(page)


def list_organization_projects(call: Call) -> Reply:
    organization = call.params["organization_id"]
    if organization not in ("@current", call.state.organization["id"]):
        raise not_found("Organization not found.")
    return list_projects(call)


def retrieve_project(call: Call) -> Reply:
    assert call.project is not None
    return Reply(serialize_project(call.state, call.project))


def list_group_types(call: Call) -> Reply:
    """`GET /api/projects/{id}/groups_types/`: the project's group types, an unpaginated list
    of the OpenAPI `GroupType` (names left unset, as PostHog has them until someone names them
    in the UI)."""
    assert call.project is not None
    mapping = call.project.get("group_type_mapping", {})
    return Reply(
        [
            {
                "group_type": name,
                "group_type_index": int(index),
                "name_singular": None,
                "name_plural": None,
                "detail_dashboard": None,
                "default_columns": None,
                "created_at": call.project.get("created_at"),
            }
            for index, name in sorted(mapping.items(), key=lambda item: int(item[0]))
        ]
    )


def me(call: Call) -> Reply:
    user = user_basic(call.state, call.user["id"]) or {}
    project = call.state.project(int(call.user.get("current_project_id") or 0))
    return Reply(
        {
            **user,
            "organization": {
                "id": call.state.organization["id"],
                "name": call.state.organization.get("name"),
            },
            "team": serialize_project(call.state, project) if project else None,
        }
    )


PROJECTS: dict[str, Handler] = {"GET": list_projects}
PROJECT: dict[str, Handler] = {"GET": retrieve_project}
GROUP_TYPES: dict[str, Handler] = {"GET": list_group_types}
ORGANIZATION_PROJECTS: dict[str, Handler] = {"GET": list_organization_projects}
ME: dict[str, Handler] = {"GET": me}
