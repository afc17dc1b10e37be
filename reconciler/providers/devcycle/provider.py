"""The DevCycle provider: reads live state in a few list calls and turns changes into requests.

Reading costs one call for the environments, one for the audiences and one per 1,000 features
(never one per feature): DevCycle's v2 feature list carries variables, variations and every
environment's configuration. Writing sends one request per feature: a v2 POST creates a feature
with everything, a v2 PATCH updates exactly the parts that changed, atomically.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from reconciler.errors import ApiError, FlagsyncError
from reconciler.model import Flag, FlagSet
from reconciler.plan import ApiCall, Change, Step
from reconciler.providers.devcycle import translate
from reconciler.providers.devcycle.client import Credentials, DevCycleClient
from reconciler.workspace import Workspace


@dataclass
class LiveState:
    """What one read saw.

    `flags` holds the models of the features that were asked for; `owned` the keys of every
    feature carrying flagsync's ownership marker; `others` the keys of the rest. Fingerprints
    cover the asked-for and the owned features (what a plan may change).
    """

    flags: FlagSet
    fingerprints: dict[str, str]
    owned: set[str] = field(default_factory=set)
    others: list[str] = field(default_factory=list)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    audience_ids: dict[str, str] = field(default_factory=dict)
    environment_keys: dict[str, str] = field(default_factory=dict)


class DevCycleProvider:
    """Plan and apply against one DevCycle project."""

    name = "devcycle"

    def __init__(self, workspace: Workspace, client: DevCycleClient) -> None:
        self.workspace = workspace
        self.client = client
        project = quote(workspace.project, safe="")
        self._v1 = f"/v1/projects/{project}"
        self._v2 = f"/v2/projects/{project}"

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> DevCycleProvider:
        credentials = Credentials.from_environment()
        client = DevCycleClient(workspace.api_url, workspace.auth_url, credentials)
        return cls(workspace, client)

    def close(self) -> None:
        self.client.close()

    # -- read ------------------------------------------------------------------------------

    def read(self, keys: set[str]) -> LiveState:
        """Read the project's live state; translate only the features named in `keys`."""
        environments = self._environments()
        audiences = self.client.list_all(f"{self._v1}/audiences")
        audience_keys = {a["_id"]: a.get("key") or a["_id"] for a in audiences}
        features = self.client.list_all(f"{self._v2}/features")
        flags: dict[str, Flag] = {}
        raw: dict[str, dict[str, Any]] = {}
        fingerprints: dict[str, str] = {}
        owned: set[str] = set()
        others: list[str] = []
        for feature in features:
            key = feature["key"]
            is_owned = translate.is_owned(feature)
            if is_owned:
                owned.add(key)
            if key not in keys:
                if is_owned:
                    raw[key] = feature
                    fingerprints[key] = fingerprint(feature)
                else:
                    others.append(key)
                continue
            raw[key] = feature
            fingerprints[key] = fingerprint(feature)
            flags[key] = translate.feature_to_flag(
                feature, environments, audience_keys, self.workspace.environment_names
            )
        return LiveState(
            flags=FlagSet(flags=flags),
            fingerprints=fingerprints,
            owned=owned,
            others=sorted(others),
            raw=raw,
            audience_ids={k: i for i, k in audience_keys.items()},
            environment_keys=environments,
        )

    def _environments(self) -> dict[str, str]:
        """Environment `_id` -> key, after checking every workspace environment exists."""
        try:
            environments = self.client.list_all(f"{self._v1}/environments")
        except ApiError as error:
            if error.status == 404:
                raise FlagsyncError(
                    f"DevCycle project '{self.workspace.project}' not found (or the credentials "
                    f"cannot see it): {error}"
                ) from None
            raise
        by_key = {env["key"]: env["_id"] for env in environments}
        missing = [env for env in self.workspace.environment_names if env not in by_key]
        if missing:
            raise FlagsyncError(
                f"{self.workspace.file}: environment(s) {', '.join(missing)} not found in DevCycle "
                f"project '{self.workspace.project}' (it has: {', '.join(sorted(by_key))})"
            )
        return {env_id: key for key, env_id in by_key.items()}

    # -- write -----------------------------------------------------------------------------

    def delete_step(self, key: str) -> Step:
        """Deleting a feature: DevCycle's only delete is v1, and it takes the variables along."""
        call = ApiCall(
            method="DELETE",
            path=f"{self._v1}/features/{quote(key, safe='')}",
            params={"deleteVariables": "true"},
        )
        return Step(action="delete", key=key, calls=[call])

    def step_for(
        self, desired: Flag, live: LiveState, changes: list[Change], adopt: bool = False
    ) -> Step:
        """The requests that apply `changes` (all about `desired`) to the live feature; with
        `adopt`, the feature also gets flagsync's ownership marker."""
        self._check_audiences(desired, live.audience_ids)
        path = f"{self._v2}/features"
        if desired.key not in live.flags.flags:
            body = translate.flag_to_create_body(desired, live.audience_ids)
            return Step(
                action="create",
                key=desired.key,
                calls=[ApiCall(method="POST", path=path, body=body)],
            )
        raw = live.raw[desired.key]
        body = self._update_body(desired, live.flags.flags[desired.key], raw, changes, live)
        if adopt:
            body["tags"] = translate.flag_fields_body(desired)["tags"]
        call = ApiCall(method="PATCH", path=f"{path}/{quote(desired.key, safe='')}", body=body)
        return Step(action="update", key=desired.key, calls=[call])

    def _update_body(
        self,
        desired: Flag,
        current: Flag,
        raw: dict[str, Any],
        changes: list[Change],
        live: LiveState,
    ) -> dict[str, Any]:
        """Only the parts that changed: arrays DevCycle replaces wholesale are sent whole."""
        body: dict[str, Any] = {}
        if any(change.environment is None for change in changes):
            own = translate.flag_fields_body(desired)
            before = translate.flag_fields_body(current)
            body.update({name: value for name, value in own.items() if before[name] != value})
            if desired.variables != current.variables:
                body["variables"] = translate.variables_body(desired)
            if desired.variations != current.variations or "variables" in body:
                live_ids = {v["key"]: v["_id"] for v in raw.get("variations") or [] if "_id" in v}
                body["variations"] = translate.variations_body(desired, live_ids)
        envs = {change.environment for change in changes if change.environment}
        if envs:
            live_targets = _live_targets(raw, live.environment_keys)
            body["configurations"] = {
                env: translate.config_body(
                    desired.environments[env], live.audience_ids, live_targets.get(env, [])
                )
                for env in self.workspace.environment_names
                if env in envs
            }
        return body

    def _check_audiences(self, flag: Flag, audience_ids: dict[str, str]) -> None:
        for env, config in flag.environments.items():
            for target in config.targets:
                for item in target.audience.filters:
                    if item.field != "audience":
                        continue
                    for key in item.values:
                        if key not in audience_ids:
                            raise FlagsyncError(
                                f"flag '{flag.key}' [{env}]: audience '{key}' does not exist in "
                                f"DevCycle project '{self.workspace.project}'"
                            )

    def execute(self, call: ApiCall) -> Any:
        """Send one planned call; returns the decoded answer."""
        return self.client.json(call.method, call.path, params=call.params or None, body=call.body)


def fingerprint(feature: dict[str, Any]) -> str:
    """What identifies the version of a live feature a plan saw: its `updatedAt` and a hash of
    the whole object (so a change that does not move `updatedAt` is noticed too)."""
    digest = hashlib.sha256(json.dumps(feature, sort_keys=True).encode()).hexdigest()[:16]
    return f"{feature.get('updatedAt', '')}#{digest}"


def _live_targets(
    raw: dict[str, Any], environment_keys: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """The live targets of a feature per environment key (for keeping target `_id`s)."""
    result: dict[str, list[dict[str, Any]]] = {}
    for config in raw.get("configurations") or []:
        env = environment_keys.get(config.get("_environment", ""))
        if env:
            result[env] = config.get("targets") or []
    return result
