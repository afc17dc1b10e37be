"""DevCycle's offline evaluator: which variation (and which variable values) a user gets from a
flag in an environment, as DevCycle's server SDKs compute it from the SDK config.

The rules are the vendor's bucketing library (DevCycleHQ/js-sdks,
lib/shared/bucketing-assembly-script/assembly/bucketing/bucketing.ts,
`_generateBucketedConfig` and `evaluateSegmentationForFeature`): a feature is served only while
its environment is on (and it is not archived; a completed feature serves its static variation
to everyone); its targets are tried in order and the first whose rollout lets the user in
(passthrough rollouts, the default: a user a rollout leaves out falls through to the next
target) and whose audience holds the user serves its distribution, bucketed by the user's id.
Filters: `segmentation`; hashes, rollouts and splits: `bucketing`.

Exactness: a rollout (between 0 and 100 % at `now`) and a split hash the user with the target's
`_id`, and walk the split in order of the variations' `_id`s. DevCycle assigns these ids, so
without the live ones (`live`, see `live_ids`) such an answer is computed with stand-in ids
and marked `exact=False`, with the reason. Filters on `platform` and `platform_version` read
values the SDK supplies (the Python server SDK: "Python" and the interpreter's version); a
user context without them gets an inexact answer when such a filter is read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from reconciler.errors import FlagsyncError
from reconciler.evaluation.flag_major import FlagParts, Part, Same
from reconciler.evaluation.result import Evaluation, UserContext
from reconciler.evaluation.summary import variation_of as summary_variation
from reconciler.model import Audience, Filter, Flag, FlagSet, Rollout, Target
from reconciler.providers.devcycle import bucketing, flag_major
from reconciler.providers.devcycle.flag_major import Users
from reconciler.providers.devcycle.impact_arithmetic import (
    arithmetic_impact as arithmetic_impact,  # the plan's exact impact (`providers.evaluators`)
)
from reconciler.providers.devcycle.impact_arithmetic import epoch_ms, rollout_share
from reconciler.providers.devcycle.live_ids import FlagIds, LiveView
from reconciler.providers.devcycle.segmentation import (
    PLATFORM_FIELDS,
    Compiler,
    Predicate,
    SdkUser,
)
from reconciler.providers.devcycle.translate import FRACTION_DIGITS

_PLATFORM_UNKNOWN = (
    "a filter reads the SDK's platform or platform version, which the user context does not "
    "give (the Python server SDK sends 'Python' and its interpreter's version)"
)


class UnknownFlag(FlagsyncError):
    """Evaluation asked for a flag the manifests do not declare."""


class BadUser(FlagsyncError):
    """A user context the DevCycle SDK would refuse."""


def evaluator(
    desired: FlagSet,
    live: Any = None,
    *,
    now: datetime | None = None,
    passthrough_rollouts: bool = True,
) -> DevCycleEvaluator:
    """The evaluator of `desired`'s flags, audiences and custom properties.

    `live` is the DevCycle provider's live view (its `LiveState`, read without `desired` so it
    keeps every feature's raw object): the ids DevCycle assigned make split and rollout answers
    exact. `now` decides where scheduled and gradual rollouts stand (default: the current time).
    `passthrough_rollouts=False` evaluates a project whose setting `disablePassthroughRollouts`
    is on: the first target whose audience holds the user decides, and a rollout that leaves
    the user out serves nothing."""
    return DevCycleEvaluator(
        desired, LiveView.of(live), now or datetime.now(UTC), passthrough_rollouts
    )


@dataclass(frozen=True, slots=True)
class _Target:
    rule: str
    audience: Predicate
    rollout: float | None
    """The rollout's share (0..1) at `now`; None without a rollout."""
    seed: int
    bounds: tuple[float, ...]
    served: tuple[Evaluation, ...]
    """One evaluation per distribution entry, in the order the SDK walks them."""
    unknown_id: str | None
    """Why this target's hashes cannot be exact (ids DevCycle has not assigned yet), or None."""
    unknown_order: str | None
    splits: bool
    """Whether the variation depends on the user's hash (not one entry covering 100 %)."""
    split_failure: Evaluation
    """The answer when the split sums to less than the user's hash."""


@dataclass(frozen=True, slots=True)
class _Rules:
    """One flag in one environment, compiled."""

    fixed: Evaluation | None
    """The answer for everyone (off, archived, complete), or None to walk `targets`."""
    targets: tuple[_Target, ...] = ()
    none: Evaluation = Evaluation(flag="", environment="", variation=None, reason="")
    reads_platform: bool = False


class DevCycleEvaluator:
    """DevCycle's evaluation rules applied to one set of flags (see the module).

    A user context is read once while it is the one passed in turn (every flag for one user,
    as `eval` asks): pass a new mapping for another user rather than changing one in place."""

    def __init__(
        self, desired: FlagSet, live: LiveView, now: datetime, passthrough_rollouts: bool
    ) -> None:
        self.flags = desired.flags
        self.audiences: dict[str, Audience] = {
            key: audience.audience for key, audience in desired.audiences.items()
        }
        self.live = live
        self.now_ms = epoch_ms(now)
        self.passthrough = passthrough_rollouts
        self.compiler = Compiler(self.audiences)
        self._rules: dict[tuple[str, str], _Rules] = {}
        self._ids: dict[str, FlagIds | None] = {}
        self._last_context: UserContext | None = None
        self._last_user: SdkUser | None = None

    # -- the Evaluator protocol ------------------------------------------------------------

    def evaluate(self, flag_key: str, environment: str, user: UserContext) -> Evaluation:
        rules = self._rules.get((flag_key, environment))
        if rules is None:
            rules = self._rules[(flag_key, environment)] = self._compile(flag_key, environment)
        if rules.fixed is not None:
            return rules.fixed
        if user is self._last_context and self._last_user is not None:
            sdk_user = self._last_user
        else:  # a caller evaluates every flag for one user in turn: convert it once
            sdk_user = self._last_user = sdk_user_of(user)
            self._last_context = user
        inexact: str | None = None
        if rules.reads_platform and None in (sdk_user.platform, sdk_user.platform_version):
            inexact = _PLATFORM_UNKNOWN
        passthrough = self.passthrough
        for target in rules.targets:
            share = target.rollout
            if share is not None and passthrough and share < 1:
                # A rollout under 100 % is checked first; a user it leaves out falls through.
                if share == 0:
                    continue
                guess = target.unknown_id
                if guess is None:
                    if bucketing.rollout_hash(sdk_user.user_id, target.seed) > share:
                        continue
                else:  # stand-in hashes decide; inexact only if the audience holds the user
                    if not target.audience(sdk_user):
                        continue
                    inexact = inexact or guess
                    if bucketing.rollout_hash(sdk_user.user_id, target.seed) > share:
                        continue
                    return self._serve(rules, target, sdk_user, inexact)
            if target.audience(sdk_user):
                return self._serve(rules, target, sdk_user, inexact)
        return _inexact(rules.none, inexact)

    def variations(
        self, flag_keys: list[str], environment: str
    ) -> Callable[[UserContext], list[Any]]:
        """Every flag's variation key for one user after another (an `Inexact` where the
        answer is not exact): what `eval --summary` counts. The first-match walk of `evaluate`
        without its answers; a path that could be inexact (an id DevCycle has not assigned
        yet, a platform field the user lacks) is answered by `evaluate` itself, so the
        exactness and its reason are that walk's."""
        rules = [self._rules_of(key, environment) for key in flag_keys]
        pairs = list(zip(flag_keys, rules, strict=True))

        def answers(user: UserContext) -> list[Any]:
            sdk_user: SdkUser | None = None
            found: list[Any] = []
            for key, flag_rules in pairs:
                if flag_rules.fixed is not None:
                    found.append(flag_rules.fixed.variation)
                    continue
                if sdk_user is None:
                    sdk_user = self._last_user = sdk_user_of(user)
                    self._last_context = user
                found.append(self._variation(key, environment, flag_rules, user, sdk_user))
            return found

        return answers

    def flag_major(
        self, flag_keys: list[str], environment: str, users: Sequence[UserContext]
    ) -> FlagParts:
        """`variations`' answers one flag over every user at a time (`evaluation.flag_major`).
        The flags are compiled and the users read here, in order, as `variations` does (a
        user is read only when some flag is not fixed), so the first refused user is the one
        reported."""
        rules = [self._rules_of(key, environment) for key in flag_keys]
        walked = any(flag_rules.fixed is None for flag_rules in rules)
        people = Users([sdk_user_of(user) for user in users] if walked else [])
        everyone = range(len(users))
        passthrough = self.passthrough

        def parts(index: int) -> list[Part]:
            flag_rules = rules[index]
            if flag_rules.fixed is not None:
                return [Same(flag_rules.fixed.variation, everyone)]
            return flag_major.walk(flag_rules, people, passthrough, _settle, _PLATFORM_UNKNOWN)

        return parts

    def _variation(
        self, key: str, environment: str, rules: _Rules, user: UserContext, sdk_user: SdkUser
    ) -> Any:
        def full() -> Any:
            return summary_variation(self.evaluate(key, environment, user))

        if rules.reads_platform and None in (sdk_user.platform, sdk_user.platform_version):
            return full()
        passthrough = self.passthrough
        for target in rules.targets:
            share = target.rollout
            if share is not None and passthrough and share < 1:
                if share == 0:
                    continue
                if target.unknown_id is not None:
                    return full()
                if bucketing.rollout_hash(sdk_user.user_id, target.seed) > share:
                    continue
            if not target.audience(sdk_user):
                continue
            if share is not None and not passthrough:
                if 0 < share < 1 and target.unknown_id is not None:
                    return full()
                if not self._in_rollout(target, sdk_user):
                    return rules.none.variation
            if not target.splits:
                return target.served[0].variation
            if target.unknown_id is not None or target.unknown_order is not None:
                return full()
            return self._served(target, sdk_user).variation
        return rules.none.variation

    def _rules_of(self, flag_key: str, environment: str) -> _Rules:
        rules = self._rules.get((flag_key, environment))
        if rules is None:
            rules = self._rules[(flag_key, environment)] = self._compile(flag_key, environment)
        return rules

    def _serve(
        self, rules: _Rules, target: _Target, sdk_user: SdkUser, inexact: str | None
    ) -> Evaluation:
        """The answer of the first target that holds the user."""
        share = target.rollout
        if share is not None and not self.passthrough:
            if 0 < share < 1:
                inexact = inexact or target.unknown_id
            if not self._in_rollout(target, sdk_user):
                return _inexact(rules.none, inexact, f"target {target.rule}'s rollout")
        if not target.splits:
            return _inexact(target.served[0], inexact)
        inexact = inexact or target.unknown_id or target.unknown_order
        return _inexact(self._served(target, sdk_user), inexact)

    # -- evaluation ------------------------------------------------------------------------

    @staticmethod
    def _in_rollout(target: _Target, user: SdkUser) -> bool:
        share = target.rollout or 0.0
        if share == 0:
            return False
        if share >= 1:
            return True  # every bounded hash is at most 1
        return bucketing.passes_rollout(share, bucketing.rollout_hash(user.user_id, target.seed))

    @staticmethod
    def _served(target: _Target, user: SdkUser) -> Evaluation:
        if not target.splits:
            return target.served[0]
        index = bucketing.pick(target.bounds, bucketing.bucketing_hash(user.user_id, target.seed))
        if index is None:
            return target.split_failure
        return target.served[index]

    # -- compiling -------------------------------------------------------------------------

    def _compile(self, flag_key: str, env: str) -> _Rules:
        flag = self.flags.get(flag_key)
        if flag is None:
            known = ", ".join(sorted(self.flags)[:10]) or "none"
            raise UnknownFlag(f"no flag '{flag_key}' in the manifests (flags: {known})")
        config = flag.environments.get(env)

        def fixed(variation: str | None, reason: str, rule: str | None = None) -> _Rules:
            return _Rules(fixed=_evaluation(flag, env, variation, reason, rule))

        if flag.status == "archived":
            return fixed(None, "the flag is archived: DevCycle serves it to no one")
        if config is None:
            return fixed(None, f"the flag has no configuration in {env}: it is off there")
        if not config.enabled:
            return fixed(None, f"the flag is off in {env}")
        if flag.status == "complete":
            return fixed(
                flag.static_variation,
                "the flag is complete: everyone gets its static variation",
                "complete",
            )
        if flag.key not in self._ids:
            self._ids[flag.key] = self.live.ids(flag)
        ids = self._ids[flag.key]
        targets = tuple(
            self._target(flag, env, index, target, ids)
            for index, target in enumerate(config.targets)
        )
        reads_platform = any(self._reads_platform(t.audience, set()) for t in config.targets)
        return _Rules(
            fixed=None,
            targets=targets,
            none=_evaluation(flag, env, None, "no target's audience holds the user"),
            reads_platform=reads_platform,
        )

    def _target(
        self, flag: Flag, env: str, index: int, target: Target, ids: FlagIds | None
    ) -> _Target:
        rule = f"'{target.name}'" if target.name else f"#{index + 1}"
        known = ids.targets.get(env, ()) if ids else ()
        target_id = known[index] if index < len(known) else None
        unknown_id = None
        if target_id is None:
            target_id = f"{flag.key}:{env}:{index}"  # a stand-in: some id, not DevCycle's
            unknown_id = (
                f"target {rule} has no id yet: its rollout and split hash the user with the "
                "target's _id, which DevCycle assigns when it is applied"
            )
        variation_ids = ids.variations if ids else {}
        entries = list(target.serve.items())
        missing = [key for key, _ in entries if key not in variation_ids]
        unknown_order = None
        if missing:
            unknown_order = (
                f"variation '{missing[0]}' has no id yet: the SDK walks a split in order of "
                "the variations' _ids, which DevCycle assigns when it is applied"
            )
        # Stand-ins for ids DevCycle has not assigned: creation order, as ObjectIds ascend.
        position = {key: i for i, key in enumerate(flag.variations)}
        sort_ids = [variation_ids.get(key) or f"~{position.get(key, 0):08d}" for key, _ in entries]
        order = bucketing.id_order(sort_ids)
        fractions = [round(entries[i][1] / 100, FRACTION_DIGITS) for i in order]
        rule_name = target.name or f"#{index + 1}"
        served = tuple(
            _evaluation(
                flag,
                env,
                entries[i][0],
                f"target {rule} holds the user"
                + (" (split)" if len(entries) > 1 else "")
                + (" and its rollout includes them" if target.rollout else ""),
                rule_name,
            )
            for i in order
        )
        return _Target(
            rule=rule,
            audience=self.compiler.audience(target.audience),
            rollout=None if target.rollout is None else self._share(target.rollout),
            seed=bucketing.target_seed(target_id),
            bounds=tuple(bucketing.cumulative(fractions)),
            served=served,
            unknown_id=unknown_id,
            unknown_order=unknown_order,
            splits=not (fractions and fractions[0] >= 1),
            split_failure=Evaluation(
                flag=flag.key,
                environment=env,
                variation=None,
                reason=f"target {rule}'s split sums to less than 100 %: the SDK fails "
                "to pick a variation and serves the code's default",
                rule=rule,
            ),
        )

    def _share(self, rollout: Rollout) -> float:
        return rollout_share(rollout, self.now_ms)

    def _reads_platform(self, audience: Audience, seen: set[str]) -> bool:
        return any(self._filter_reads_platform(item, seen) for item in audience.filters)

    def _filter_reads_platform(self, item: Filter, seen: set[str]) -> bool:
        if item.filters is not None:
            return any(self._filter_reads_platform(member, seen) for member in item.filters)
        if item.field == "audience":
            for key in map(str, item.values):
                if key not in seen and key in self.audiences:
                    seen.add(key)
                    if self._reads_platform(self.audiences[key], seen):
                        return True
            return False
        return item.field in PLATFORM_FIELDS


def _evaluation(
    flag: Flag, env: str, variation: str | None, reason: str, rule: str | None = None
) -> Evaluation:
    values: dict[str, Any] = {}
    if variation is not None and variation in flag.variations:
        given = flag.variations[variation].values
        values = {key: given[key] for key in flag.variables if key in given}
    return Evaluation(
        flag=flag.key,
        environment=env,
        variation=variation,
        reason=reason,
        rule=rule,
        values=MappingProxyType(values),  # one answer is handed to many users: read-only
    )


def _inexact(evaluation: Evaluation, why: str | None, excluded_by: str | None = None) -> Evaluation:
    if why is None and excluded_by is None:
        return evaluation
    if excluded_by is not None:
        evaluation = dataclasses.replace(
            evaluation, reason=f"{excluded_by} leaves the user out: the SDK serves nothing"
        )
    if why is None:
        return evaluation
    reason = f"{evaluation.reason}; inexact: {why}"
    return dataclasses.replace(evaluation, exact=False, reason=reason)


def _settle(evaluation: Evaluation, why: str | None, excluded_by: str | None) -> Any:
    """The summary's answer for `_inexact(evaluation, why, excluded_by)`."""
    return summary_variation(_inexact(evaluation, why, excluded_by))


_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "country": ("country",),
    "device_model": ("device_model", "deviceModel"),
    "app_version": ("app_version", "appVersion"),
    "platform": ("platform",),
    "platform_version": ("platform_version", "platformVersion"),
}


def sdk_user_of(user: UserContext) -> SdkUser:
    """A user context as the bucketing library sees the user: `user_id` (or `distinct_id`),
    the built-in fields by their manifest or SDK names, and custom data (`custom`,
    `customData` or `custom_data`) with private custom data (`privateCustomData`,
    `private_custom_data`) over it."""
    user_id = user.get("user_id", user.get("distinct_id"))
    if not isinstance(user_id, str) or not user_id:
        raise BadUser("a DevCycle user needs a non-empty string 'user_id'")
    fields: dict[str, str | None] = {}
    for name, aliases in _ALIASES.items():
        value = next((user[alias] for alias in aliases if alias in user), None)
        fields[name] = value if isinstance(value, str) else None
    custom: dict[str, Any] = {}
    for key in ("custom", "customData", "custom_data", "privateCustomData", "private_custom_data"):
        data = user.get(key)
        if isinstance(data, Mapping):
            custom.update(data)
    return SdkUser(
        user_id=user_id,
        email=fields["email"],
        country=fields["country"],
        device_model=fields["device_model"],
        app_version=fields["app_version"],
        platform=fields["platform"],
        platform_version=fields["platform_version"],
        custom=custom,
    )
