"""Hypothesis strategies for flags DevCycle can express: the domain of the round-trip law."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from reconciler.model import (
    Audience,
    CustomProperty,
    EnvironmentConfig,
    Experiment,
    ExperimentVariant,
    Filter,
    Flag,
    FlagSet,
    Holdout,
    Metric,
    ReusableAudience,
    Rollout,
    RolloutStage,
    Target,
    Variable,
    Variation,
)

ENVIRONMENTS = ["development", "staging", "production"]
KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_."

keys = st.text(KEY_ALPHABET, min_size=1, max_size=12)
names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s != "")
descriptions = st.one_of(st.just(""), names)
STRING_FIELDS = ["user_id", "email", "country", "platform", "device_model"]
STRING_COMPARATORS = [
    "is",
    "is_not",
    "contains",
    "not_contains",
    "starts_with",
    "not_starts_with",
    "ends_with",
    "not_ends_with",
]
VERSION_COMPARATORS = ["is", "is_not", "gt", "gte", "lt", "lte"]
versions = st.builds(
    lambda a, b, c: f"{a}.{b}.{c}", st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)
)
countries = st.sampled_from(["US", "CA", "DE", "FR", "JP", "BR"])


def _values(values: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(values, min_size=1, max_size=3).map(tuple)


@st.composite
def filters(draw: st.DrawFn) -> Filter:
    kind = draw(st.sampled_from(["string", "country", "version", "custom", "exists"]))
    if kind == "string":
        return Filter(
            field=draw(st.sampled_from(["user_id", "email", "platform", "device_model"])),
            comparator=draw(st.sampled_from(STRING_COMPARATORS)),
            values=draw(_values(names)),
        )
    if kind == "country":
        return Filter(
            field="country",
            comparator=draw(st.sampled_from(["is", "is_not"])),
            values=draw(_values(countries)),
        )
    if kind == "version":
        return Filter(
            field=draw(st.sampled_from(["app_version", "platform_version"])),
            comparator=draw(st.sampled_from(VERSION_COMPARATORS)),
            values=draw(_values(versions)),
        )
    if kind == "exists":
        field = draw(st.sampled_from([*STRING_FIELDS, "custom"]))
        return Filter(
            field=field,
            comparator=draw(st.sampled_from(["exists", "not_exists"])),
            data_key=draw(keys) if field == "custom" else None,
            data_key_type=draw(st.sampled_from(["String", "Number", "Boolean"]))
            if field == "custom"
            else None,
        )
    data_type = draw(st.sampled_from(["String", "Number", "Boolean"]))
    value_strategy: st.SearchStrategy[Any] = {
        "String": names,
        "Number": st.integers(-1000, 1000),
        "Boolean": st.booleans(),
    }[data_type]
    comparators = ["is", "is_not"] + (["gt", "gte", "lt", "lte"] if data_type == "Number" else [])
    return Filter(
        field="custom",
        comparator=draw(st.sampled_from(comparators)),
        values=draw(_values(value_strategy)),
        data_key=draw(keys),
        data_key_type=data_type,
    )


audiences = st.one_of(
    st.just(Audience()),
    st.builds(
        Audience,
        match=st.sampled_from(["all", "any"]),
        filters=st.lists(filters(), min_size=1, max_size=3).map(tuple),
    ),
)

_BASE_TIME = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@st.composite
def rollouts(draw: st.DrawFn) -> Rollout:
    kind = draw(st.sampled_from(["schedule", "gradual", "stepped"]))
    start = _BASE_TIME + timedelta(minutes=draw(st.integers(0, 100_000)))
    if kind == "schedule":
        return Rollout(type="schedule", start=start)
    count = 1 if kind == "gradual" else draw(st.integers(1, 3))
    stages, at = [], start
    for _ in range(count):
        at = at + timedelta(hours=draw(st.integers(1, 500)))
        stages.append(
            RolloutStage(
                percentage=draw(st.integers(1, 100)),
                at=at,
                transition="linear" if kind == "gradual" else "discrete",
            )
        )
    return Rollout(
        type=kind,
        start=start,
        start_percentage=draw(st.integers(0, 100)),
        stages=tuple(stages),
    )


@st.composite
def splits(draw: st.DrawFn, variations: list[str]) -> dict[str, float]:
    """A split over some of `variations` summing to exactly 100 (in hundredths of a percent)."""
    chosen = draw(st.lists(st.sampled_from(variations), min_size=1, unique=True))
    if len(chosen) == 1:
        return {chosen[0]: 100.0}
    cuts = sorted(
        draw(
            st.lists(
                st.integers(1, 9999),
                min_size=len(chosen) - 1,
                max_size=len(chosen) - 1,
                unique=True,
            )
        )
    )
    bounds = [0, *cuts, 10000]
    return {v: (bounds[i + 1] - bounds[i]) / 100 for i, v in enumerate(chosen)}


VALUE_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "Boolean": st.booleans(),
    "String": st.text(max_size=20),
    "Number": st.one_of(st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6, allow_nan=False)),
    "JSON": st.dictionaries(
        st.text(KEY_ALPHABET, min_size=1, max_size=5),
        st.one_of(st.integers(-100, 100), st.text(max_size=5), st.booleans()),
        max_size=3,
    ),
}


@st.composite
def flags(
    draw: st.DrawFn,
    key: str | None = None,
    variable_prefix: str = "",
    metric_keys: tuple[str, ...] = (),
    lifecycle: bool = False,
) -> Flag:
    """A flag with typed variables, variations giving each a value, and targets per environment;
    an experiment has a control variation; with `lifecycle`, a flag may be complete (serving a
    static variation) or archived; it measures some of `metric_keys`."""
    flag_key = key or draw(keys)
    variable_keys = draw(st.lists(keys, min_size=0, max_size=3, unique=True))
    variables = {
        f"{variable_prefix}{flag_key}-{name}": Variable(
            type=draw(st.sampled_from(["Boolean", "String", "Number", "JSON"])),
            name=draw(names),
            description=draw(descriptions),
        )
        for name in variable_keys
    }
    variation_keys = draw(st.lists(keys, min_size=1, max_size=4, unique=True))
    variations = {
        variation: Variation(
            name=draw(names),
            values={name: draw(VALUE_STRATEGIES[var.type]) for name, var in variables.items()},
        )
        for variation in variation_keys
    }
    environments = {}
    for env in ENVIRONMENTS:
        targets = tuple(
            Target(
                name=draw(st.one_of(st.none(), names)),
                audience=draw(audiences),
                serve=draw(splits(variation_keys)),
                rollout=draw(st.one_of(st.none(), rollouts())),
            )
            for _ in range(draw(st.integers(0, 3)))
        )
        enabled = bool(targets) and draw(st.booleans())
        environments[env] = EnvironmentConfig(enabled=enabled, targets=targets)
    kind = draw(st.sampled_from(["release", "experiment", "permission", "ops"]))
    status = (
        draw(st.sampled_from(["active", "active", "complete", "archived"]))
        if lifecycle
        else "active"
    )
    return Flag(
        key=flag_key,
        name=draw(names),
        description=draw(descriptions),
        type=kind,
        tags=tuple(draw(st.lists(st.text(KEY_ALPHABET, min_size=1, max_size=8), max_size=3))),
        variables=variables,
        variations=variations,
        environments=environments,
        control=draw(st.sampled_from(variation_keys)) if kind == "experiment" else None,
        metrics=tuple(draw(st.lists(st.sampled_from(metric_keys), unique=True)))
        if metric_keys
        else (),
        status=status,
        static_variation=draw(st.sampled_from(variation_keys)) if status == "complete" else None,
    )


def renamed(flag: Flag, key: str) -> Flag:
    """`flag` under another key, its variables renamed with it (variable keys are project-wide)."""
    old = flag.key

    def rename(variable: str) -> str:
        return key + variable.removeprefix(old) if variable.startswith(old) else variable

    return flag.model_copy(
        update={
            "key": key,
            "variables": {rename(k): v for k, v in flag.variables.items()},
            "variations": {
                k: v.model_copy(update={"values": {rename(n): x for n, x in v.values.items()}})
                for k, v in flag.variations.items()
            },
        }
    )


# ---------------------------------------------------------------------------------------------
# PostHog: what one manifest can express for PostHog projects (no variables, no rollouts, one
# variant split per project, only `all` audiences, person/group/cohort filters)

POSTHOG_ENVIRONMENTS = ["staging", "production"]
POSTHOG_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_"
COHORTS = ["Beta testers", "Enterprise customers"]
posthog_keys = st.text(POSTHOG_KEY_ALPHABET, min_size=1, max_size=12)
json_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
        st.text(max_size=10),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
payloads = st.one_of(st.none(), json_values)
property_scalars = st.one_of(names, st.integers(-1000, 1000), st.booleans())


SEMVER_COMPARATORS = [
    "semver_eq", "semver_neq", "semver_gt", "semver_gte", "semver_lt", "semver_lte",
    "semver_tilde", "semver_caret", "semver_wildcard",
]  # fmt: skip


@st.composite
def property_filters(draw: st.DrawFn, field: str) -> Filter:
    """A person (or group: company) property condition with a PostHog operator."""
    comparator = draw(
        st.sampled_from(
            ["is", "is_not", "contains", "not_contains", "matches", "not_matches"]
            + ["gt", "gte", "lt", "lte", "exists", "not_exists"]
            + [*SEMVER_COMPARATORS, "date_before", "date_after"]
        )
    )
    values: tuple[Any, ...]
    if comparator == "semver_wildcard":
        values = (draw(st.sampled_from(["1.*", "1.2.*", "0.9.*", "2.0.1.*"])),)
    elif comparator.startswith("semver_"):
        values = (draw(st.sampled_from(["1.2.3", "v2.0.0", "0.4", "10", "1.2.3-beta.1"])),)
    elif comparator in ("date_before", "date_after"):
        values = (draw(st.sampled_from(["2025-06-01", "2026-01-31T12:00:00+00:00", "-7d"])),)
    elif comparator in ("is", "is_not"):
        values = draw(_values(property_scalars))
    elif comparator in ("contains", "not_contains"):
        values = draw(_values(names))
    elif comparator in ("matches", "not_matches"):
        values = (draw(st.text("abc.*^$0-9", min_size=1, max_size=8).filter(_compiles)),)
    elif comparator in ("gt", "gte", "lt", "lte"):
        values = (str(draw(st.integers(-1000, 1000))),)
    else:
        values = ()
    return Filter.model_validate(
        {
            "field": field,
            "comparator": comparator,
            "values": values,
            "data_key": draw(st.sampled_from(["email", "plan", "country", "$browser"])),
            "group_type": "company" if field == "group" else None,
        }
    )


def _compiles(pattern: str) -> bool:
    import re

    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


@st.composite
def posthog_audiences(draw: st.DrawFn) -> Audience:
    """Persons (person and cohort filters) or companies (group filters), never both."""
    kind = draw(st.sampled_from(["everyone", "persons", "groups"]))
    if kind == "everyone":
        return Audience()
    count = draw(st.integers(1, 3))
    if kind == "groups":
        return Audience(filters=tuple(draw(property_filters("group")) for _ in range(count)))
    items = []
    for _ in range(count):
        if draw(st.booleans()):
            items.append(draw(property_filters("person")))
        else:
            items.append(
                Filter(
                    field="cohort",
                    comparator=draw(st.sampled_from(["is", "is_not"])),
                    values=(draw(st.sampled_from(COHORTS)),),
                )
            )
    return Audience(filters=tuple(items))


percentages = st.one_of(
    st.none(), st.integers(0, 100).map(float), st.integers(0, 10000).map(lambda n: n / 100)
)


@st.composite
def whole_splits(draw: st.DrawFn, variations: list[str]) -> dict[str, float]:
    """A split over two or more of `variations` in whole percentages (none of them 0)."""
    chosen = draw(st.lists(st.sampled_from(variations), min_size=2, unique=True))
    cuts = sorted(
        draw(
            st.lists(
                st.integers(1, 99), min_size=len(chosen) - 1, max_size=len(chosen) - 1, unique=True
            )
        )
    )
    bounds = [0, *cuts, 100]
    return {v: float(bounds[i + 1] - bounds[i]) for i, v in enumerate(chosen)}


@st.composite
def posthog_flags(draw: st.DrawFn, key: str | None = None) -> Flag:
    """A flag PostHog can express, in a non-empty subset of the workspace's projects."""
    flag_key = key or draw(posthog_keys)
    variation_keys = draw(st.lists(posthog_keys, min_size=0, max_size=4, unique=True))
    variations = {
        variation: Variation(
            name=draw(st.one_of(st.just(variation), names)), payload=draw(payloads)
        )
        for variation in variation_keys
    }
    envs = draw(st.lists(st.sampled_from(POSTHOG_ENVIRONMENTS), min_size=1, unique=True))
    environments = {}
    for env in POSTHOG_ENVIRONMENTS:
        if env not in envs:
            continue
        split = draw(whole_splits(variation_keys)) if len(variation_keys) > 1 else {}
        targets = []
        for _ in range(draw(st.integers(1, 3))):
            if not variation_keys:
                serve: dict[str, float] = {}
            elif len(split) > 1 and draw(st.booleans()):
                serve = split
            else:
                serve = {draw(st.sampled_from(variation_keys)): 100.0}
            targets.append(
                Target(
                    name=draw(st.one_of(st.none(), names)),
                    audience=draw(posthog_audiences()),
                    serve=serve,
                    percentage=draw(percentages),
                )
            )
        environments[env] = EnvironmentConfig(enabled=draw(st.booleans()), targets=tuple(targets))
    return Flag(
        key=flag_key,
        name=flag_key,
        description=draw(descriptions),
        tags=tuple(draw(st.lists(posthog_keys, max_size=3))),
        variations=variations,
        environments=environments,
        payload=None if variations else draw(payloads),
        settings={
            "ensure_experience_continuity": draw(st.booleans()),
            "evaluation_runtime": draw(st.sampled_from(["server", "client", "all"])),
            "early_exit": draw(st.booleans()),
        },
    )


# ---------------------------------------------------------------------------------------------
# DevCycle reusable audiences and custom properties


@st.composite
def nested_audiences(draw: st.DrawFn, depth: int = 2) -> Audience:
    """An audience whose filters may be groups of filters (DevCycle's nested operators)."""
    members: list[Filter] = []
    for _ in range(draw(st.integers(1, 3))):
        if depth > 0 and draw(st.booleans()):
            inner = draw(nested_audiences(depth - 1))
            members.append(Filter.group(inner.match, inner.filters))
        else:
            members.append(draw(filters()))
    return Audience(match=draw(st.sampled_from(["all", "any"])), filters=tuple(members))


@st.composite
def reusable_audiences(draw: st.DrawFn, key: str) -> ReusableAudience:
    return ReusableAudience(
        key=key, name=draw(names), description=draw(descriptions), audience=draw(nested_audiences())
    )


@st.composite
def custom_properties(draw: st.DrawFn, key: str) -> CustomProperty:
    return CustomProperty(
        key=key,
        name=draw(names),
        property_key=draw(st.one_of(st.just(key), keys)),
        type=draw(st.sampled_from(["String", "Boolean", "Number"])),
    )


# ---------------------------------------------------------------------------------------------
# PostHog experiments and holdouts: what the `experiments:` and `holdouts:` sections express

EVENTS = ["signed up", "annual plan purchased", "checkout started", "checkout completed"]
events = st.sampled_from(EVENTS)
metrics = st.one_of(
    st.builds(
        lambda event, name: {
            "kind": "ExperimentMetric",
            "metric_type": "mean",
            **({"name": name} if name else {}),
            "source": {"kind": "EventsNode", "event": event},
        },
        events,
        st.one_of(st.none(), names),
    ),
    st.builds(
        lambda first, then: {
            "kind": "ExperimentMetric",
            "metric_type": "funnel",
            "series": [
                {"kind": "EventsNode", "event": first},
                {"kind": "EventsNode", "event": then},
            ],
        },
        events,
        events,
    ),
)
posthog_environments = st.lists(st.sampled_from(POSTHOG_ENVIRONMENTS), min_size=1, unique=True).map(
    tuple
)


@st.composite
def holdouts(draw: st.DrawFn, name: str | None = None) -> Holdout:
    """A holdout in a non-empty subset of the workspace's projects."""
    return Holdout(
        name=name or draw(names),
        description=draw(descriptions),
        percentage=draw(
            st.one_of(st.integers(0, 100), st.integers(0, 10000).map(lambda n: n / 100))
        ),
        environments=draw(posthog_environments),
    )


@st.composite
def experiments(
    draw: st.DrawFn, key: str | None = None, available: tuple[Holdout, ...] = ()
) -> Experiment:
    """An experiment: control plus 1-3 variants in whole, non-zero splits; a holdout (one of
    `available`) only in projects the holdout is in."""
    others = draw(
        st.lists(posthog_keys.filter(lambda k: k != "control"), min_size=1, max_size=3, unique=True)
    )
    variant_keys = ["control", *others]
    cuts = sorted(
        draw(
            st.lists(
                st.integers(1, 99),
                min_size=len(variant_keys) - 1,
                max_size=len(variant_keys) - 1,
                unique=True,
            )
        )
    )
    bounds = [0, *cuts, 100]
    variants = {
        variant: ExperimentVariant(split=bounds[i + 1] - bounds[i], payload=draw(payloads))
        for i, variant in enumerate(variant_keys)
    }
    holdout = draw(st.one_of(st.none(), st.sampled_from(available))) if available else None
    envs = draw(
        st.lists(
            st.sampled_from(holdout.environments if holdout else POSTHOG_ENVIRONMENTS),
            min_size=1,
            unique=True,
        )
    )
    return Experiment(
        key=key or draw(posthog_keys),
        name=draw(names),
        description=draw(descriptions),
        variants=variants,
        metrics=tuple(draw(st.lists(metrics, max_size=2))),
        secondary_metrics=tuple(draw(st.lists(metrics, max_size=2))),
        status=draw(st.sampled_from(["draft", "running", "stopped"])),
        environments=tuple(envs),
        holdout=None if holdout is None else holdout.name,
    )


@st.composite
def experiment_sets(draw: st.DrawFn, prefix: str = "") -> FlagSet:
    """Holdouts with distinct names and experiments with distinct keys that use them (each
    experiment's holdout is in all its projects)."""
    count = draw(st.integers(0, 2))
    made = tuple(draw(holdouts(name=f"{prefix}holdout {i}")) for i in range(count))
    found = [
        draw(experiments(key=f"{prefix}exp-{i}", available=made))
        for i in range(draw(st.integers(0 if made else 1, 3)))
    ]
    return FlagSet(experiments={e.key: e for e in found}, holdouts={h.name: h for h in made})


def prefixed(generated: FlagSet, prefix: str) -> FlagSet:
    """`generated` with `prefix` before every key and holdout name, so examples sharing one
    server do not meet."""
    return FlagSet(
        experiments={
            f"{prefix}{key}": e.model_copy(
                update={
                    "key": f"{prefix}{key}",
                    "holdout": None if e.holdout is None else f"{prefix}{e.holdout}",
                }
            )
            for key, e in generated.experiments.items()
        },
        holdouts={
            f"{prefix}{name}": h.model_copy(update={"name": f"{prefix}{name}"})
            for name, h in generated.holdouts.items()
        },
    )


def experiment_metrics(prefix: str) -> dict[str, Metric]:
    """Two DevCycle metrics (one counted, one averaged; one with a description) for generated
    flags to measure, keyed with `prefix` so tests sharing a server do not meet."""
    made = [
        Metric(
            key=f"{prefix}signups",
            name="Sign-ups",
            event="signup",
            dimension="count_per_unique_user",
            optimize="increase",
        ),
        Metric(
            key=f"{prefix}latency",
            name="Latency",
            description="Page load time",
            event="page_loaded",
            dimension="average_per_unique_user",
            optimize="decrease",
        ),
    ]
    return {metric.key: metric for metric in made}
