"""PostHog's flag evaluation, offline: the answer posthog-python's local evaluation gives.

Every flag is compiled once per environment from what flagsync writes for it
(`translate.filters_body`), and evaluated as posthog-python does (client.py
`_compute_flag_locally`; feature_flags.py `match_feature_flag_properties`,
`_match_flag_conditions`, `is_condition_match`, `get_matching_variant`,
`evaluate_flag_dependency`, `_get_holdout_variant`), which mirrors PostHog's servers
(posthog/models/feature_flag/flag_matching.py `FeatureFlagMatcher`):

- an inactive flag is `false`; one with experience continuity needs PostHog's servers;
- a flag aggregated by a group type is evaluated for the user's group of that type (none:
  `false`), with the group's properties and its key as the bucketing id;
- an experiment's holdout comes first: `sha1("holdout-" + id)` below its share holds out;
- conditions in order; a condition matches when all its properties do and the user falls in
  its rollout: `sha1(flag key + "." + id)`, first 15 hex digits over 0xFFFFFFFFFFFFFFF, not
  above the percentage; the first match wins (with `early_exit`, a rollout miss ends it);
- the variant is the condition's override, else the bucket of `sha1(key + "." + id +
  "variant")` in the cumulative variant split; the payload is the served value's.

Where the SDK cannot decide locally (a property the user context lacks, a value it cannot
compare, a regex it leaves to the server) the evaluation is inexact and says why, as the SDK
answers nothing. flagsync also cannot know a cohort's members or, offline, a holdout's id:
answers that depend on them are inexact too, never a guess.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, cast

from reconciler.errors import UsageError
from reconciler.evaluation import Evaluation, Evaluator, UserContext
from reconciler.evaluation.flag_major import FlagParts, Looked, Part, Same
from reconciler.evaluation.summary import variation_of as summary_variation
from reconciler.model import Experiment, Filter, Flag, FlagSet, Holdout
from reconciler.providers.posthog import fast_evaluate as fast
from reconciler.providers.posthog import flag_major
from reconciler.providers.posthog.impact_arithmetic import arithmetic_impact
from reconciler.providers.posthog.property_match import (
    Inconclusive,
    Predicate,
    Properties,
    property_predicate,
)
from reconciler.providers.posthog.translate import variant_split

__all__ = ["arithmetic_impact", "bucket", "evaluator"]
LONG_SCALE = float(0xFFFFFFFFFFFFFFF)
ID_KEYS = ("distinct_id", "user_id")
RESERVED = frozenset({*ID_KEYS, "groups", "group_properties", "properties"})


def bucket(key: str, bucketing_value: str, salt: str = "", separator: str = ".") -> float:
    """posthog-python `_hash`: a uniform float in [0, 1] from sha1 of key and id."""
    digest = hashlib.sha1(f"{key}{separator}{bucketing_value}{salt}".encode()).hexdigest()
    return int(digest[:15], 16) / LONG_SCALE


class Unknowable(Exception):
    """The answer depends on what flagsync cannot know offline (a cohort's members, an id
    PostHog assigns)."""


# ---------------------------------------------------------------------------------------------
# compiled flags


@dataclass(frozen=True)
class _Check:
    """One property of a condition: a person/group predicate, a cohort, or a flag dependency."""

    kind: str  # "property" | "cohort" | "flag"
    text: str
    predicate: Predicate | None = None
    filter: Filter | None = None

    label: str = ""
    """The condition's label, which the miss note starts with."""

    @cached_property
    def false_note(self) -> str:
        return f"{self.label}: {self.text} is false"


@dataclass(frozen=True)
class _Condition:
    rule: str
    label: str
    checks: tuple[_Check, ...]
    rollout: float
    variant: str | None
    aggregation: str | None
    override: str | None = None
    """The condition's variant when it is one of the flag's (PostHog ignores any other)."""

    @cached_property
    def matched(self) -> str:
        """What the reason says when the condition matches (before the variant's note)."""
        inside = f" (inside its {self.rollout:g}% rollout)" if self.rollout < 100 else ""
        return f"{self.label} matched{inside}"

    @cached_property
    def matched_override(self) -> str:
        return f"{self.matched}; its override serves '{self.override}'"

    @cached_property
    def out_prefix(self) -> str:
        return f"{self.label}: outside its {self.rollout:g}% rollout"

    @cached_property
    def no_group(self) -> str:
        return f"{self.label}: the user has no {self.aggregation}"


@dataclass
class _Flag:
    key: str
    active: bool
    continuity: bool
    early_exit: bool
    aggregation: str | None
    variants: tuple[tuple[float, float, str], ...]
    payloads: dict[str, Any]
    conditions: tuple[_Condition, ...]
    holdout: tuple[str, float, int | None] | None = None
    unknown: str | None = None
    chains: dict[str, list[str]] = field(default_factory=dict)


def _describe(item: Filter) -> str:
    if item.field == "cohort":
        return f"{'not ' if item.comparator == 'is_not' else ''}in cohort '{item.values[0]}'"
    if item.field == "flag":
        return f"flag '{item.data_key}' is {item.values[0]!r}"
    values = ", ".join(repr(v) for v in item.values)
    return f"{item.data_key} {item.comparator.replace('_', ' ')} {values}".rstrip()


def _check(item: Filter, label: str) -> _Check:
    if item.field in ("cohort", "flag"):
        return _Check(item.field, _describe(item), filter=item, label=label)
    return _Check("property", _describe(item), property_predicate(item), item, label=label)


def _table(split: list[tuple[str, float]]) -> tuple[tuple[float, float, str], ...]:
    """posthog-python `variant_lookup_table`: cumulative [min, max) per variant."""
    rows = []
    low: float = 0
    for key, percentage in split:
        high = low + _as_written(percentage) / 100
        rows.append((low, high, key))
        low = high
    return tuple(rows)


def _as_written(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _compile_flag(flag: Flag, env: str) -> _Flag:
    config = flag.environments[env]
    conditions = []
    for index, target in enumerate(config.targets):
        group_types = [f.group_type for f in target.audience.filters if f.field == "group"]
        label = f"condition {index + 1}" + (f" ({target.name})" if target.name else "")
        variant = next(iter(target.serve)) if flag.variations and len(target.serve) == 1 else None
        conditions.append(
            _Condition(
                rule=target.name or f"condition {index + 1}",
                label=label,
                checks=tuple(_check(item, label) for item in target.audience.filters),
                rollout=100.0 if target.percentage is None else target.percentage,
                variant=variant,
                aggregation=group_types[0] if group_types else None,
                override=variant if variant in flag.variations else None,
            )
        )
    levels = {condition.aggregation for condition in conditions}
    split = variant_split(flag, config) if flag.variations else {}
    payloads = {
        key: variation.payload
        for key, variation in flag.variations.items()
        if variation.payload is not None
    }
    if not flag.variations and flag.payload is not None:
        payloads["true"] = flag.payload
    return _Flag(
        key=flag.key,
        active=config.enabled and flag.status != "archived",
        continuity=bool(flag.settings.get("ensure_experience_continuity")),
        early_exit=bool(flag.settings.get("early_exit")),
        aggregation=levels.pop() if len(levels) == 1 else None,
        variants=_table([(key, split[key]) for key in flag.variations]),
        payloads=payloads,
        conditions=tuple(conditions),
    )


def _compile_experiment(
    experiment: Experiment, holdouts: Mapping[str, Holdout], holdout_id: int | None
) -> _Flag:
    """An experiment's flag as PostHog creates it: everyone, the variants' split, inactive
    while a draft, and its holdout in front."""
    holdout = holdouts.get(experiment.holdout or "")
    return _Flag(
        key=experiment.key,
        active=experiment.status in ("running", "stopped"),
        continuity=False,
        early_exit=False,
        aggregation=None,
        variants=_table([(key, v.split) for key, v in experiment.variants.items()]),
        payloads={k: v.payload for k, v in experiment.variants.items() if v.payload is not None},
        conditions=(_Condition("everyone", "the experiment (everyone)", (), 100.0, None, None),),
        holdout=(holdout.name, holdout.percentage, holdout_id) if holdout else None,
        unknown=(
            "an archived experiment's flag may be on or off"
            if experiment.status == "archived"
            else None
        ),
    )


def _chains(flags: dict[str, _Flag]) -> None:
    """Each flag dependency's `dependency_chain`, as PostHog serves it for local evaluation:
    the referenced flag's transitive dependencies in evaluation order, ending with it, or []
    when it cannot be evaluated (a cycle, a missing flag)."""

    def deps(flag: _Flag) -> list[str]:
        return [
            str(c.filter.data_key)
            for cond in flag.conditions
            for c in cond.checks
            if c.kind == "flag" and c.filter is not None
        ]

    def chain(start: str) -> list[str]:
        order: list[str] = []
        visiting: set[str] = set()

        def visit(key: str) -> None:
            if key not in flags or key in visiting:
                raise KeyError(key)
            if key in order:
                return
            visiting.add(key)
            for dependency in deps(flags[key]):
                visit(dependency)
            visiting.discard(key)
            order.append(key)

        try:
            visit(start)
        except KeyError:
            return []
        return order

    for flag in flags.values():
        for dependency in deps(flag):
            found = [] if dependency == flag.key else chain(dependency)
            flag.chains[dependency] = [] if flag.key in found else found


# ---------------------------------------------------------------------------------------------
# evaluation


@dataclass
class _User:
    distinct_id: str
    person: dict[str, Any]
    groups: dict[str, str]
    group_properties: dict[str, dict[str, Any]]


def user_of(user: UserContext) -> _User:
    """A user context as posthog-python receives it: `distinct_id` (or `user_id`), person
    properties (every other top-level key, and those under `properties`), `groups` (type ->
    key) and `group_properties` (type -> properties). The SDK adds `distinct_id` to the person
    and `$group_key` to each group."""
    if not isinstance(user, Mapping):
        raise UsageError('a user context is a JSON object, e.g. {"distinct_id": "u1"}')
    identity = next((user[k] for k in ID_KEYS if user.get(k) not in (None, "")), None)
    if identity is None:
        raise UsageError('a PostHog user needs a "distinct_id" (or "user_id")')
    distinct_id = identity if isinstance(identity, str) else str(identity)
    nested = user.get("properties") or {}
    groups = user.get("groups") or {}
    group_properties = user.get("group_properties") or {}
    if not all(isinstance(v, Mapping) for v in (nested, groups, group_properties)):
        raise UsageError('"properties", "groups" and "group_properties" must be objects')
    person = {k: v for k, v in user.items() if k not in RESERVED}
    person.update(nested)
    person.setdefault("distinct_id", distinct_id)
    keys = {str(name): key if isinstance(key, str) else str(key) for name, key in groups.items()}
    return _User(
        distinct_id,
        person,
        keys,
        {
            name: {"$group_key": key, **(group_properties.get(name) or {})}
            for name, key in keys.items()
        },
    )


@dataclass
class _Outcome:
    value: bool | str
    rule: str | None
    why: str


class _Run:
    """One top-level evaluation: its flag-dependency cache, as the SDK keeps one per call."""

    def __init__(self, flags: dict[str, _Flag]) -> None:
        self.flags = flags
        self.cache: dict[str, bool | str | None] = {}

    def top(self, flag: _Flag, user: _User) -> _Outcome:
        if flag.unknown:
            raise Unknowable(flag.unknown)
        if not flag.active:
            return _Outcome(False, None, "the flag is disabled here")
        if flag.continuity:
            raise Inconclusive(
                "experience continuity is on: PostHog's SDK leaves the flag to its servers"
            )
        if flag.aggregation is not None:
            if flag.aggregation not in user.groups:
                return _Outcome(
                    False, None, f"the flag is for {flag.aggregation} groups; the user has none"
                )
            key = user.groups[flag.aggregation]
            props = user.group_properties[flag.aggregation]
            return self.match(flag, key, props, key, user.groups, user.group_properties)
        return self.match(
            flag, user.distinct_id, user.person, user.distinct_id, user.groups,
            user.group_properties,
        )  # fmt: skip

    def match(
        self,
        flag: _Flag,
        distinct_id: str,
        props: Properties,
        bucketing: str,
        groups: Mapping[str, str],
        group_properties: Mapping[str, Properties],
    ) -> _Outcome:
        if flag.holdout is not None:
            name, percentage, holdout_id = flag.holdout
            share = min(max(percentage, 0.0), 100.0)
            if share == 100.0 or bucket("holdout", bucketing, separator="-") <= share / 100:
                if holdout_id is None:
                    raise Unknowable(
                        f"held out by holdout '{name}': PostHog serves 'holdout-<its id>', "
                        "an id it assigns (known with --live)"
                    )
                return _Outcome(f"holdout-{holdout_id}", "holdout", f"held out by '{name}'")
        inconclusive: Inconclusive | None = None
        misses: list[str] = []
        for condition in flag.conditions:
            effective, effective_bucketing = props, bucketing
            aggregation = condition.aggregation
            if aggregation is not None and aggregation != flag.aggregation:
                if aggregation not in groups:
                    misses.append(condition.no_group)
                    continue
                effective = group_properties[aggregation]
                effective_bucketing = groups[aggregation]
            try:
                miss = self.condition(flag, condition, distinct_id, effective, effective_bucketing)
            except Inconclusive as error:
                inconclusive = inconclusive or error
                misses.append(f"{condition.label}: undecided ({error})")
                continue
            if miss is None:
                return self.matched(flag, condition, effective_bucketing)
            misses.append(miss)
            if flag.early_exit and miss.startswith(condition.out_prefix):
                break
        if inconclusive is not None:
            raise Inconclusive(f"no condition matched for sure; {inconclusive}", inconclusive.kind)
        why = "; ".join(misses) if misses else "the flag has no conditions"
        return _Outcome(False, None, f"no condition matched ({why})")

    @staticmethod
    def matched(flag: _Flag, condition: _Condition, bucketing: str) -> _Outcome:
        """The value a matched condition serves: its override, else the variant bucket."""
        if condition.override is not None:
            return _Outcome(condition.override, condition.rule, condition.matched_override)
        if not flag.variants:
            return _Outcome(True, condition.rule, condition.matched)
        point = bucket(flag.key, bucketing, salt="variant")
        for low, high, key in flag.variants:
            if low <= point < high:
                why = f"{condition.matched}; variant bucket {point:.4f} gives '{key}'"
                return _Outcome(key, condition.rule, why)
        return _Outcome(True, condition.rule, f"{condition.matched}; no variant's bucket")

    def condition(
        self, flag: _Flag, condition: _Condition, distinct_id: str, props: Properties,
        bucketing: str,
    ) -> str | None:  # fmt: skip
        """None when the condition matches, else why not (starting with `out_prefix` when
        only the rollout left the user out); raises where the SDK cannot decide."""
        inconclusive: Inconclusive | None = None
        cohort: _Check | None = None
        for check in condition.checks:
            try:
                if check.predicate is not None:
                    matched = check.predicate(props)
                elif check.kind == "flag":
                    matched = self.dependency(flag, check, distinct_id, props)
                else:
                    cohort = check
                    continue
            except Inconclusive as error:
                inconclusive = inconclusive or error
                continue
            if not matched:
                return check.false_note
        if cohort is not None:
            # even outside the rollout: the SDK checks the rollout only once the properties
            # match, and a cohort it cannot decide leaves the whole flag undecided
            raise Unknowable(
                f"{condition.label} depends on whether the user is {cohort.text}; flagsync "
                "does not know a cohort's members (PostHog evaluates the cohort)"
            )
        if inconclusive is not None:
            raise inconclusive
        point = bucket(flag.key, bucketing) if condition.rollout < 100 else 0.0
        if point > condition.rollout / 100:
            return f"{condition.out_prefix} (bucket {point:.4f})"
        return None

    def dependency(self, flag: _Flag, check: _Check, distinct_id: str, props: Properties) -> bool:
        """posthog-python `evaluate_flag_dependency`."""
        assert check.filter is not None
        key = str(check.filter.data_key)
        expected = check.filter.values[0] if check.filter.values else None
        if expected is None:
            return False
        chain = flag.chains.get(key) or []
        if not chain:
            raise Inconclusive(f"the dependency on flag '{key}' cannot be evaluated")
        if any(k not in self.cache and k not in self.flags for k in chain):
            raise Inconclusive(f"flag '{key}' depends on a flag not in this environment")
        for dep_key in chain:
            if dep_key in self.cache:
                continue
            dep = self.flags[dep_key]
            if not dep.active:
                self.cache[dep_key] = False
                continue
            if dep.continuity or dep.unknown:
                self.cache[dep_key] = None
                if dep.unknown:
                    raise Unknowable(f"flag '{dep_key}': {dep.unknown}")
                raise Inconclusive(f"flag '{dep_key}' has experience continuity on")
            try:
                self.cache[dep_key] = self.match(dep, distinct_id, props, distinct_id, {}, {}).value
            except Inconclusive as error:
                self.cache[dep_key] = None
                raise Inconclusive(f"flag '{dep_key}' is undecided: {error}") from error
        actual = self.cache.get(key)
        if actual is None:
            raise Inconclusive(f"flag '{key}' is undecided")
        if isinstance(actual, str) and actual:
            if isinstance(expected, bool):
                return expected
            return isinstance(expected, str) and actual == expected
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected


def variation_of(value: bool | str) -> str:
    """The variation a PostHog answer is: the variant, or "true" / "false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _holdout_ids(live: Any) -> dict[str, dict[str, int]]:
    """environment -> holdout name -> id, from the provider's read of the live state."""
    found: dict[str, dict[str, int]] = {}
    for name, copies in (getattr(live, "holdouts", None) or {}).items():
        for environment, holdouts in copies.items():
            for holdout in holdouts:
                if isinstance(holdout.raw.get("id"), int):
                    found.setdefault(environment, {})[name] = holdout.raw["id"]
    return found


def _live_holdouts(live: Any) -> dict[str, dict[str, Holdout]]:
    """environment -> holdout name -> the live holdout, from the provider's read."""
    found: dict[str, dict[str, Holdout]] = {}
    for name, copies in (getattr(live, "holdouts", None) or {}).items():
        for environment, holdouts in copies.items():
            if holdouts:
                found.setdefault(environment, {})[name] = holdouts[0].model
    return found


def _live_experiments(live: Any) -> dict[str, dict[str, Experiment]]:
    """environment -> the live experiments there, from the provider's read (for --live)."""
    found: dict[str, dict[str, Experiment]] = {}
    for key, copies in (getattr(live, "experiments", None) or {}).items():
        for environment, experiment in copies.items():
            found.setdefault(environment, {})[key] = experiment.model
    return found


class PostHogEvaluator:
    """PostHog's evaluation of one workspace's flags, compiled per environment."""

    def __init__(self, desired: FlagSet, live: Any = None, *, reference: bool = False) -> None:
        """`reference=True` answers every evaluation with the reference walk (`_Run`) instead
        of the flags' specialised functions (`fast_evaluate`): the same answers, slower; the
        tests compare the two."""
        self._desired = desired
        self._holdout_ids: Mapping[str, Mapping[str, int]] = (
            live.get("holdout_ids", {}) if isinstance(live, Mapping) else _holdout_ids(live)
        )
        self._experiments = _live_experiments(live) if hasattr(live, "experiments") else None
        self._holdouts: dict[str, dict[str, Holdout]] = _live_holdouts(live)
        self._compiled: dict[str, dict[str, _Flag]] = {}
        self._shared: dict[str, _Run] = {}
        self._reference = reference
        self._fast: dict[str, dict[str, fast.FastFlag]] = {}
        self._predicates: dict[tuple[str, ...], Predicate] = {}

    def flags(self, environment: str) -> dict[str, _Flag]:
        compiled = self._compiled.get(environment)
        if compiled is None:
            compiled = {
                key: _compile_flag(flag, environment)
                for key, flag in self._desired.flags.items()
                if environment in flag.environments
            }
            ids = self._holdout_ids.get(environment, {})
            experiments = (
                self._desired.experiments
                if self._experiments is None
                else self._experiments.get(environment, {})
            )
            for key, experiment in experiments.items():
                if environment in experiment.environments:
                    holdout_id = ids.get(experiment.holdout or "")
                    holdouts = self._holdouts.get(environment, self._desired.holdouts)
                    compiled[key] = _compile_experiment(experiment, holdouts, holdout_id)
            _chains(compiled)
            self._compiled[environment] = compiled
        return compiled

    def _runs(self, environment: str) -> _Run:
        run = self._shared.get(environment)
        if run is None:
            run = self._shared[environment] = _Run(self.flags(environment))
        return run

    def evaluate(self, flag_key: str, environment: str, user: UserContext) -> Evaluation:
        return self.evaluate_user(flag_key, environment, user_of(user))

    def evaluate_many(
        self, flag_keys: list[str], environment: str, user: UserContext
    ) -> list[Evaluation]:
        """Several flags for one user, reading the user context once."""
        return self.bulk(flag_keys, environment)(user)

    def bulk(self, flag_keys: list[str], environment: str) -> Callable[[UserContext], list[Any]]:
        """A function answering `flag_keys` for one user after another: the flags are looked
        up and compiled once, here, rather than for every user."""
        parsed_user = user_of
        if self._reference:
            evaluate = self._evaluate_reference
            return lambda user: [evaluate(key, environment, parsed_user(user)) for key in flag_keys]
        return _each_user([self._fast_flag(key, environment) for key in flag_keys])

    def evaluate_user(self, flag_key: str, environment: str, user: _User) -> Evaluation:
        if self._reference:
            return self._evaluate_reference(flag_key, environment, user)
        return self._fast_flag(flag_key, environment)(user, _utf8(user.distinct_id))

    def _fast_flag(self, flag_key: str, environment: str) -> fast.FastFlag:
        compiled = self._fast.setdefault(environment, {})
        function = compiled.get(flag_key)
        if function is None:
            function = compiled[flag_key] = self._specialise(flag_key, environment)
        return function

    def _specialise(self, flag_key: str, environment: str) -> fast.FastFlag:
        """The flag's function of the user (see `fast_evaluate`)."""

        def reference(user: Any, identity: bytes | None) -> Evaluation:
            return self._evaluate_reference(flag_key, environment, user)

        flag = self.flags(environment).get(flag_key)
        if flag is None or flag.unknown or not flag.active or flag.continuity:
            everyone = reference(_User("anyone", {}, {}, {}), None)  # the same for every user
            return lambda user, identity: everyone
        if not _person_only(flag):
            return reference
        conditions, no_match = self._conditions(flag_key, environment, flag)
        return fast.compile_person_flag(
            flag_key, environment, conditions, flag.variants, flag.early_exit, no_match, reference
        )

    def _conditions(
        self, flag_key: str, environment: str, flag: _Flag
    ) -> tuple[list[fast.Condition], Evaluation]:
        """A person-property flag's conditions with their answers prebuilt, and the answer
        when none matches (what both specialised walks share)."""

        def answer(variation: bool | str, why: str, rule: str | None) -> Evaluation:
            values: dict[str, Any] = {"value": variation}
            payload = flag.payloads.get(variation_of(variation))
            if payload is not None:
                values["payload"] = payload
            shared = MappingProxyType(values)  # one answer is handed to many users: read-only
            return Evaluation(flag_key, environment, variation_of(variation), why, rule, shared)

        conditions = []
        for condition in flag.conditions:
            checks = tuple(
                (self._remembering(check), check.false_note, check.false_note.startswith(
                    condition.out_prefix))
                for check in condition.checks
            )  # fmt: skip
            if condition.override is not None:
                matched = answer(condition.override, condition.matched_override, condition.rule)
            else:
                matched = answer(True, condition.matched, condition.rule)
            compiled = fast.Condition(checks, condition.rollout, condition.out_prefix, matched)
            if condition.override is None and flag.variants:
                compiled.bucket_prefix = f"{condition.matched}; variant bucket "
                compiled.no_bucket = answer(
                    True, f"{condition.matched}; no variant's bucket", condition.rule
                )
                compiled.by_variant = {
                    key: answer(key, "", condition.rule) for _, _, key in flag.variants
                }
            conditions.append(compiled)
        no_match = answer(False, "no condition matched (the flag has no conditions)", None)
        return conditions, no_match

    def variations(
        self, flag_keys: list[str], environment: str
    ) -> Callable[[UserContext], list[Any]]:
        """Like `bulk`, the variation key only (an `Inexact` where the answer is not exact):
        what `eval --summary` counts, without a reason or an answer object per user and flag."""
        parsed_user = user_of
        if self._reference:
            evaluate = self._evaluate_reference
            return lambda user: [
                summary_variation(evaluate(key, environment, parsed_user(user)))
                for key in flag_keys
            ]
        return _each_user([self._variation_flag(key, environment) for key in flag_keys])

    def flag_major(
        self, flag_keys: list[str], environment: str, users: Sequence[UserContext]
    ) -> FlagParts:
        """`variations`' answers one flag over every user at a time (`evaluation.flag_major`).
        The users are read here, in order, so the first one PostHog's SDK refuses is the one
        reported; the flags are compiled when asked for (in a worker, its own share)."""
        if self._reference:
            raise NotImplementedError("the reference walk answers user by user")
        parsed = [user_of(user) for user in users]
        identities = [_utf8(user.distinct_id) for user in parsed]
        everyone = [i for i, identity in enumerate(identities) if identity is not None]
        nameless = [i for i, identity in enumerate(identities) if identity is None]
        column = flag_major.columns([user.person for user in parsed])
        known = cast(list[bytes], identities)
        salted = [b"" if identity is None else identity + b"variant" for identity in identities]

        def parts(index: int) -> list[Part]:
            key = flag_keys[index]
            function = self._variation_flag(key, environment)
            flag = self.flags(environment).get(key)
            if flag is None or flag.unknown or not flag.active or flag.continuity:
                return [Same(function(parsed[0], None), range(len(parsed)))] if parsed else []
            if not _person_only(flag):
                answers = list(map(function, parsed, identities))
                return [Looked(answers, range(len(parsed)), range(len(parsed)))]
            conditions, no_match = self._conditions(key, environment, flag)
            compiled = flag_major.PersonFlag(
                key, conditions, flag.variants, flag.early_exit, no_match.variation, column
            )

            def reference(i: int) -> Any:
                return function(parsed[i], None)  # the per-user function's fallback

            found = compiled.parts(everyone, known, salted, reference)
            if nameless:
                answers = [reference(i) for i in nameless]
                found.append(Looked(answers, nameless, range(len(nameless))))
            return found

        return parts

    def _variation_flag(self, flag_key: str, environment: str) -> fast.FastVariation:
        """The flag's variation-only function of the user (see `fast_evaluate`)."""

        def reference(user: Any, identity: bytes | None) -> Any:
            return summary_variation(self._evaluate_reference(flag_key, environment, user))

        flag = self.flags(environment).get(flag_key)
        if flag is None or flag.unknown or not flag.active or flag.continuity:
            everyone = reference(_User("anyone", {}, {}, {}), None)  # the same for every user
            return lambda user, identity: everyone
        if not _person_only(flag):
            return reference
        conditions, no_match = self._conditions(flag_key, environment, flag)
        return fast.compile_person_variation(
            flag_key, conditions, flag.variants, flag.early_exit, no_match.variation, reference
        )

    def _remembering(self, check: _Check) -> Predicate:
        """The check's predicate, remembering its result per text value (one for all flags with
        the same filter), except for dates: a relative date moves with the clock, as the SDK
        reads it on every call."""
        assert check.predicate is not None
        item = check.filter
        if item is None or item.comparator in ("date_before", "date_after"):
            return check.predicate
        signature = (str(item.data_key), item.field, item.comparator, repr(item.values))
        found = self._predicates.get(signature)
        if found is None:
            found = self._predicates[signature] = fast.remembered(check.predicate, signature[0])
        return found

    def _evaluate_reference(self, flag_key: str, environment: str, user: _User) -> Evaluation:
        flags = self.flags(environment)
        flag = flags.get(flag_key)
        if flag is None:
            return Evaluation(flag_key, environment, None, f"no flag '{flag_key}' in {environment}")
        try:
            # a flag without dependencies needs no dependency cache of its own
            run = _Run(flags) if flag.chains else self._runs(environment)
            outcome = run.top(flag, user)
        except Inconclusive as error:
            return Evaluation(
                flag_key, environment, None,
                f"PostHog's SDK cannot decide locally ({error}); it asks PostHog's servers",
                exact=False,
            )  # fmt: skip
        except Unknowable as error:
            return Evaluation(flag_key, environment, None, str(error), exact=False)
        values: dict[str, Any] = {"value": outcome.value}
        payload = flag.payloads.get(variation_of(outcome.value))
        if payload is not None:
            values["payload"] = payload
        return Evaluation(
            flag_key, environment, variation_of(outcome.value), outcome.why, outcome.rule, values
        )


def _each_user(
    functions: list[Callable[[_User, bytes | None], Any]],
) -> Callable[[UserContext], list[Any]]:
    """Answers of the compiled flags `functions` for one user after another: the user is
    parsed, and its id encoded for the hashes, once for all the flags."""

    def answers(user: UserContext) -> list[Any]:
        parsed = user_of(user)
        identity = _utf8(parsed.distinct_id)
        return [function(parsed, identity) for function in functions]

    return answers


def _utf8(distinct_id: str) -> bytes | None:
    """The id as the hash reads it; None when it cannot be encoded (the reference walk then
    answers, and fails as it does)."""
    try:
        return distinct_id.encode()
    except UnicodeEncodeError:
        return None


def _person_only(flag: _Flag) -> bool:
    """Whether every condition reads only person properties (what `fast_evaluate`
    specialises): no group, cohort, flag dependency or holdout."""
    return (
        flag.holdout is None
        and flag.aggregation is None
        and all(
            condition.aggregation is None and all(c.kind == "property" for c in condition.checks)
            for condition in flag.conditions
        )
    )


def evaluator(desired: FlagSet, live: Any = None, *, reference: bool = False) -> Evaluator:
    """PostHog's evaluator for `desired`. `live` may carry what only PostHog knows:
    `{"holdout_ids": {environment: {holdout name: id}}}`. `reference=True`: see
    `PostHogEvaluator`."""
    return PostHogEvaluator(desired, live, reference=reference)
