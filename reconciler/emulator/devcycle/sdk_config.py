"""The SDK config: what DevCycle's config CDN gives a server SDK for one environment.

Local-bucketing server SDKs download this document and evaluate every user themselves with the
vendor's bucketing library, so it, not the Management API, decides what an application sees.
It is built from the current state on every request, so a write through the Management API
reaches an SDK on its next poll, as a publish to the vendor's CDN does.

The shape is the vendor's `ConfigBody` (js-sdks, lib/shared/types/src/types/config/
configBody.ts and models/; checked against the bucketing library's parser, configBodyV2.ts,
and the vendor's SDK fixtures): `project` and `environment` summaries, the `features` served
in the environment (each with its variations and that environment's `configuration`), the
`variables` of those features, `variableHashes`, the reusable `audiences` its targets match,
and the environment's `clientSDKKey`.

Vendor behaviour unknown, and the emulator's choices:
- a feature is in the config only while its configuration in the environment is `active`, it is
  not archived, and its `sdkVisibility` does not hide it from server SDKs; the SDK then serves
  the code's default for its variables, as the vendor documents for a feature that is off;
- `variables` lists the variables of the features in the config (the vendor's comment says
  "all dynamic variables in a project"; a variable without a served feature evaluates to the
  default either way);
- `variableHashes` (used by the vendor's Bucketing API only, ignored by local bucketing) hash
  `key` with the environment's id; the vendor's hash function is not published;
- no `sse` section: the emulator has no realtime stream, and the SDKs then keep polling;
- the configuration's `_id` is derived from the feature and environment (the emulator stores no
  configuration id).
"""

from __future__ import annotations

import hashlib
from typing import Any

from .documents import feature_variables
from .sdk_targets import config_target, derived_id, referenced_audiences, static_target
from .store import DevCycleStore, Doc

# The project settings the config carries: the vendor's type names edgeDB and optIn, the SDK
# fixtures add sdkTypeVisibility, and the bucketing library reads disablePassthroughRollouts.
PROJECT_SETTINGS = ("edgeDB", "optIn", "sdkTypeVisibility", "disablePassthroughRollouts")


def build_config(store: DevCycleStore, env: Doc) -> Doc:
    """The config a server SDK gets for `env`, from the store as it is now."""
    project = store.projects[env["_project"]]
    features = [
        feature
        for feature in store.in_project("features", project["_id"])
        if is_served(feature, env)
    ]
    variables: list[Doc] = []
    rendered = []
    for feature in features:
        own = feature_variables(store, feature["_id"])
        variables.extend(own)
        rendered.append(_feature(feature, env, own))
    targets = [target for feature in rendered for target in feature["configuration"]["targets"]]
    body: Doc = {
        "project": _project(project),
        "environment": {"_id": env["_id"], "key": env["key"]},
        "features": rendered,
        "variables": [{"_id": v["_id"], "key": v["key"], "type": v["type"]} for v in variables],
        "variableHashes": {v["key"]: _variable_hash(v["key"], env) for v in variables},
        "audiences": referenced_audiences(store, targets),
    }
    client_keys = env.get("sdkKeys", {}).get("client", [])
    if client_keys:
        body["clientSDKKey"] = client_keys[0]["key"]
    return body


def is_served(feature: Doc, env: Doc) -> bool:
    """Whether the feature is in the environment's config (see the module's choices)."""
    config = feature["configurations"].get(env["_id"])
    return (
        config is not None
        and config["status"] == "active"
        and feature["status"] != "archived"
        and feature.get("sdkVisibility", {}).get("server", True) is not False
    )


def _project(project: Doc) -> Doc:
    settings = project.get("settings", {})
    return {
        "_id": project["_id"],
        "key": project["key"],
        "a0_organization": project["_organization"],
        "settings": {name: settings[name] for name in PROJECT_SETTINGS if name in settings},
    }


def _feature(feature: Doc, env: Doc, variables: list[Doc]) -> Doc:
    config = feature["configurations"][env["_id"]]
    if feature["status"] == "complete":
        static = next(v for v in feature["variations"] if v["key"] == feature["staticVariation"])
        targets = [static_target(feature, env, static["_id"])]
    else:
        targets = [config_target(target) for target in config["targets"]]
    rendered: Doc = {
        "_id": feature["_id"],
        "key": feature["key"],
        "type": feature["type"],
        "variations": [_variation(variation, variables) for variation in feature["variations"]],
        "configuration": {"_id": derived_id(feature["_id"], env["_id"]), "targets": targets},
    }
    if "settings" in feature:
        rendered["settings"] = feature["settings"]
    return rendered


def _variation(variation: Doc, variables: list[Doc]) -> Doc:
    """A variation with its values keyed by variable `_id` (`_var`), as the config has them."""
    values: dict[str, Any] = variation.get("variables", {})
    return {
        "_id": variation["_id"],
        "key": variation["key"],
        "name": variation["name"],
        "variables": [
            {"_var": variable["_id"], "value": values[variable["key"]]}
            for variable in variables
            if variable["key"] in values
        ],
    }


def _variable_hash(key: str, env: Doc) -> int:
    digest = hashlib.sha256(f"{key}{env['_id']}".encode()).digest()
    return int.from_bytes(digest[:4], "big")
