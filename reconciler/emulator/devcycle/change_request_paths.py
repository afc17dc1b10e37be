"""Which operation a change request carries, read from the `path` of the PATCH it holds.

`CreateFeatureChangeRequestDto` is "the request you would otherwise have sent": `{path, method:
"PATCH", body}`. Its `operation` is one of the three v2 feature PATCH routes, so it follows from
the path: `/v2/projects/{p}/features/{f}` is `featureUpdate`, `.../status` is
`featureStatusUpdate`, `.../static-configuration` is `featureStaticConfigurationUpdate`.

Vendor behaviour unknown, and the emulator's choices: the path is the API path as a client
sends it (no host, no query string), project and feature named by key or id, and it must name
the project and feature of the route it is posted to; anything else is a 400.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from .errors import BadRequest
from .store import DevCycleStore, Doc

OPERATIONS = {
    "": "featureUpdate",
    "/status": "featureStatusUpdate",
    "/static-configuration": "featureStaticConfigurationUpdate",
}
PATH = re.compile(
    r"^/v2/projects/(?P<project>[^/?#]+)/features/(?P<feature>[^/?#]+)"
    r"(?P<suffix>/status|/static-configuration)?$"
)
SHAPES = (
    "/v2/projects/{project}/features/{feature}",
    "/v2/projects/{project}/features/{feature}/status",
    "/v2/projects/{project}/features/{feature}/static-configuration",
)


def operation_of(store: DevCycleStore, path: str, project: Doc, feature: Doc) -> str:
    """The operation `path` names; 400 unless it is one of `SHAPES` for this very feature."""
    match = PATH.match(path)
    if match is None:
        raise BadRequest([f"path must be one of: {', '.join(SHAPES)}"])
    named_project = store.find("projects", None, unquote(match["project"]))
    if named_project is None or named_project["_id"] != project["_id"]:
        raise BadRequest(
            [f"path must name the project of this change request ('{project['key']}')"]
        )
    named_feature = store.find("features", project["_id"], unquote(match["feature"]))
    if named_feature is None or named_feature["_id"] != feature["_id"]:
        raise BadRequest(
            [f"path must name the feature of this change request ('{feature['key']}')"]
        )
    return OPERATIONS[match["suffix"] or ""]
