"""What a `featureStaticConfigurationUpdate` change request does to a completed feature.

A completed feature serves one variation to everyone; what stays editable is its metadata, the
values of the variables it serves and whether each environment is on (vendor docs, "status and
lifecycle"). `UpdateStaticConfigurationDto` says exactly that: the feature fields
`UpdateFeatureDto` also has, `variables` ("the static value of each variable") and
`environments` ("the status of the configuration in each environment").

The emulator does not serve the static-configuration routes themselves (GET and PATCH
`.../static-configuration`); it applies this operation only for change requests.

Vendor behaviour unknown, and the emulator's choices:
- only a completed feature has a static configuration: 412 otherwise (at creation of the
  request and again when it is applied);
- `variables` maps variable keys to values, written into the static variation's values;
- `environments` maps environment keys or ids to `{"status": "active" | "inactive"}`, the shape
  of a configuration's status elsewhere in the API.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import BadRequest, PreconditionFailed
from .features import Draft, apply_configurations, apply_update
from .store import Doc

FEATURE_FIELDS = (
    "key",
    "name",
    "description",
    "type",
    "tags",
    "controlVariation",
    "settings",
    "sdkVisibility",
    "staleness",
    "summary",
)
CONFIG_STATUSES = ("active", "inactive")


def ensure_complete(feature: Doc) -> None:
    """Refuse (412) a static configuration change to a feature that is not complete."""
    if feature["status"] != "complete":
        raise PreconditionFailed(
            f"Feature '{feature['key']}' is not complete: only a completed Feature has a "
            "static configuration"
        )


def apply_static_configuration(draft: Draft, body: dict[str, Any]) -> None:
    """Apply a validated `UpdateStaticConfigurationDto` to a draft (not checked nor committed)."""
    ensure_complete(draft.feature)
    statuses = _environment_statuses(body.get("environments", {}))
    apply_update(draft, {name: body[name] for name in FEATURE_FIELDS if name in body})
    static = next(
        v for v in draft.feature["variations"] if v["key"] == draft.feature["staticVariation"]
    )
    # A value for a variable the feature does not have is the usual 412 of `check_feature`.
    static.setdefault("variables", {}).update(copy.deepcopy(body.get("variables", {})))
    apply_configurations(draft, {ref: {"status": status} for ref, status in statuses.items()})


def _environment_statuses(environments: dict[str, Any]) -> dict[str, str]:
    """`{environment: {"status": ...}}` checked, as `{environment: status}`; 400 otherwise."""
    problems = []
    statuses = {}
    for ref, entry in environments.items():
        path = f"environments.{ref}"
        if not isinstance(entry, dict):
            problems.append(f"{path} must be an object")
            continue
        problems += [
            f"{path}.property {name} should not exist" for name in entry if name != "status"
        ]
        if entry.get("status") not in CONFIG_STATUSES:
            problems.append(
                f"{path}.status must be one of the following values: {', '.join(CONFIG_STATUSES)}"
            )
        else:
            statuses[ref] = str(entry["status"])
    if problems:
        raise BadRequest(problems)
    return statuses
