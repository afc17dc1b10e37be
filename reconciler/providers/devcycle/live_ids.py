"""The ids DevCycle assigned that bucketing depends on, read from the provider's live view.

A target's `_id` seeds the hashes of its rollout and split, and a split is walked in order of
its variations' `_id`s, so a split or a rollout can only be evaluated exactly once these ids are
known. They are the live ones when the flag is applied as it is (the environment's targets are
the live targets), and otherwise the ones an apply keeps: flagsync sends a target whose name
matches a live target with that target's `_id` (`translate.config_body`), and a variation with
its key's `_id` (`translate.variations_body`); DevCycle assigns new ids to the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import FlagsyncError
from reconciler.model import EnvironmentConfig, Flag
from reconciler.providers.devcycle import translate


@dataclass(frozen=True)
class FlagIds:
    """One flag's ids: variation key -> `_id`, and per environment the `_id` of each desired
    target by position (None for a target DevCycle would give a new id)."""

    variations: Mapping[str, str] = field(default_factory=dict)
    targets: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveView:
    """What evaluation needs from a read of the project: the raw features by key, environment
    `_id` -> key, and audience key -> `_id`."""

    features: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    environment_keys: Mapping[str, str] = field(default_factory=dict)
    audience_ids: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, live: Any) -> LiveView:
        """From the DevCycle provider's `LiveState` (or anything with `raw`,
        `environment_keys` and `audience_ids`), or None for no live view."""
        if live is None:
            return cls()
        if isinstance(live, LiveView):
            return live
        return cls(
            features=getattr(live, "raw", None) or {},
            environment_keys=getattr(live, "environment_keys", None) or {},
            audience_ids=getattr(live, "audience_ids", None) or {},
        )

    def ids(self, flag: Flag) -> FlagIds | None:
        """The ids bucketing would use for `flag` once applied; None for a feature DevCycle
        does not have yet."""
        raw = self.features.get(flag.key)
        if raw is None:
            return None
        variations = {
            v["key"]: v["_id"] for v in raw.get("variations") or [] if "_id" in v and "key" in v
        }
        targets: dict[str, tuple[str | None, ...]] = {}
        for config in raw.get("configurations") or []:
            env = self.environment_keys.get(config.get("_environment", ""))
            wanted = flag.environments.get(env or "")
            if env is None or wanted is None:
                continue
            live_targets = list(config.get("targets") or [])
            targets[env] = self._kept(raw, config, live_targets, wanted, env)
        return FlagIds(variations=variations, targets=targets)

    def _kept(
        self,
        raw: Mapping[str, Any],
        config: Mapping[str, Any],
        live_targets: list[dict[str, Any]],
        wanted: EnvironmentConfig,
        env: str,
    ) -> tuple[str | None, ...]:
        if self._same_targets(raw, config, wanted, env):
            return tuple(target.get("_id") for target in live_targets)
        # As `translate.config_body` sends them: the first live target of each name.
        by_name: dict[str, str] = {}
        for target in live_targets:
            name = target.get("name")
            if name and "_id" in target:
                by_name.setdefault(name, target["_id"])
        kept: list[str | None] = []
        for desired in wanted.targets:
            kept.append(by_name.pop(desired.name, None) if desired.name else None)
        return tuple(kept)

    def _same_targets(
        self, raw: Mapping[str, Any], config: Mapping[str, Any], wanted: EnvironmentConfig, env: str
    ) -> bool:
        """Whether the environment's live targets are the desired ones (an apply leaves them)."""
        variation_keys = {v["_id"]: v["key"] for v in raw.get("variations") or [] if "_id" in v}
        audience_keys = {audience_id: key for key, audience_id in self.audience_ids.items()}
        try:
            data = translate._config_data(
                dict(config), variation_keys, audience_keys, str(raw.get("key")), env
            )
            live = EnvironmentConfig.model_validate(data)
        except (FlagsyncError, ValueError):
            return False
        return live.targets == wanted.targets
