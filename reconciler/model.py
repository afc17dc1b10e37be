"""The canonical, provider-neutral model of flags.

Manifests are parsed into these objects, and each provider translates its live API objects into
them too; the plan is a diff of two such models. Every class here is *canonical*: two values that
mean the same thing compare equal (tags are sorted, percentages rounded, splits drop 0 % entries,
timestamps are UTC), so server-side reordering and defaults cannot produce phantom diffs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

VariableType = Literal["Boolean", "String", "Number", "JSON"]
FlagType = Literal["release", "experiment", "permission", "ops"]
FlagStatus = Literal["active", "complete", "archived"]
MetricDimension = Literal[
    "count_per_unique_user",
    "count_per_variable_evaluation",
    "sum_per_unique_user",
    "average_per_unique_user",
    "total_average",
    "total_sum",
]
MetricOptimize = Literal["increase", "decrease"]
Match = Literal["all", "any"]
RolloutType = Literal["schedule", "gradual", "stepped"]
StageTransition = Literal["linear", "discrete"]

# Fields a target's audience can filter on, as the manifest names them.
FilterField = Literal[
    "user_id",
    "email",
    "country",
    "platform",
    "platform_version",
    "device_model",
    "app_version",
    "custom",
    "audience",
    # PostHog: a person or group property (`data_key`), a cohort by name, another flag by key.
    "person",
    "group",
    "cohort",
    "flag",
    # DevCycle: a nested group of filters (all of them, or any), held in `Filter.filters`.
    "all",
    "any",
]
# Comparators, as the manifest names them (provider adapters map them to vendor symbols).
Comparator = Literal[
    "is",
    "is_not",
    "contains",
    "not_contains",
    "starts_with",
    "not_starts_with",
    "ends_with",
    "not_ends_with",
    "exists",
    "not_exists",
    "gt",
    "gte",
    "lt",
    "lte",
    "matches",
    "not_matches",
    "semver_eq",
    "semver_neq",
    "semver_gt",
    "semver_gte",
    "semver_lt",
    "semver_lte",
    "semver_tilde",
    "semver_caret",
    "semver_wildcard",
    "date_before",
    "date_after",
]
Scalar = str | bool | int | float

_NO_DEFAULT = object()
SETTING_DEFAULTS: dict[str, Any] = {
    "ensure_experience_continuity": False,
    "evaluation_runtime": "all",
    "early_exit": False,
}
"""The vendors' defaults for `Flag.settings` (PostHog's), which canonical settings leave out."""

PERCENT_DIGITS = 4
"""Percentages are compared at this many decimals: 33.3333 % survives a fraction round trip."""


def round_percent(value: float) -> float:
    """Canonical form of a percentage (0..100): rounded, and -0.0/ints folded to plain floats."""
    return float(round(float(value), PERCENT_DIGITS)) + 0.0


def canonical_time(value: datetime) -> datetime:
    """Timestamps compare in UTC with millisecond precision (the vendors store milliseconds)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.replace(microsecond=(value.microsecond // 1000) * 1000)


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds (`2026-01-02T03:04:05.000Z`): timestamps as written in
    manifests, and as DevCycle writes its own."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


_GIVEN: dict[frozenset[str], set[str]] = {}
"""One set of given field names per distinct set (see `Canonical.model_post_init`)."""


class Canonical(BaseModel):
    """Base: immutable, strict about unknown fields, compared by value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_post_init(self, context: Any, /) -> None:
        """Models with the same fields given share one set of those names (pydantic keeps a
        set per instance; a model is never assigned to, and pydantic copies the set before it
        changes one): the sets were over half the memory of 100,000 flags' models."""
        given = self.__pydantic_fields_set__
        object.__setattr__(
            self, "__pydantic_fields_set__", _GIVEN.setdefault(frozenset(given), given)
        )

    def __eq__(self, other: object) -> bool:
        """Field by field, as pydantic compares, minus its checks for generic and private
        attributes (these models have neither): a plan of 10,000 unchanged flags compares
        about 170,000 models, and this halves that time."""
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__


class Filter(Canonical):
    """One condition of an audience, e.g. email ends_with "@acme.com".

    `values` is empty for exists / not_exists. For `custom`, `data_key` names the custom data
    property and `data_key_type` its type; for `audience`, `values` are reusable audience keys.
    PostHog's fields: `person` and `group` name the property in `data_key` (a group filter also
    names its `group_type`, e.g. company); `cohort` values are cohort *names* and `flag` has the
    other flag's key in `data_key` and `[true]`, `[false]` or `[variant]` as values. Names and
    keys, never ids: ids differ per PostHog project, so providers resolve them when they write.
    """

    field: FilterField
    comparator: Comparator
    values: tuple[Scalar, ...] = ()
    data_key: str | None = None
    data_key_type: Literal["String", "Boolean", "Number"] | None = None
    group_type: str | None = None
    filters: tuple[Filter, ...] | None = None
    """For a nested group (`field` all or any): its filters. None on every other filter, so
    flat audiences dump exactly as before."""

    @classmethod
    def group(cls, match: Match, filters: tuple[Filter, ...]) -> Filter:
        return cls(field=match, comparator="is", filters=filters)


class Audience(Canonical):
    """Who a target applies to: all (AND) or any (OR) of its filters; no filters = everyone."""

    match: Match = "all"
    filters: tuple[Filter, ...] = ()

    @property
    def is_everyone(self) -> bool:
        return not self.filters


EVERYONE = Audience()


class RolloutStage(Canonical):
    """A step of a rollout: reach `percentage` at `at`, linearly or at once."""

    percentage: float
    at: datetime
    transition: StageTransition = "linear"

    @field_validator("percentage")
    @classmethod
    def _round(cls, value: float) -> float:
        return round_percent(value)

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return canonical_time(value)


class Rollout(Canonical):
    """A gradual, scheduled or stepped rollout of a target's audience."""

    type: RolloutType
    start: datetime
    start_percentage: float | None = None
    stages: tuple[RolloutStage, ...] = ()

    @field_validator("start_percentage")
    @classmethod
    def _round(cls, value: float | None) -> float | None:
        return None if value is None else round_percent(value)

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return canonical_time(value)


class Target(Canonical):
    """An ordered targeting rule: who (audience), what (serve: variation -> percent), when.

    `serve` is empty for a flag without variations (a PostHog boolean flag: matched users get
    `true`). `percentage` is the share of the audience the target includes (PostHog's
    rollout_percentage); None means all of it, and 100 is folded to None so both spellings of
    "everyone in the audience" compare equal.
    """

    name: str | None = None
    audience: Audience = EVERYONE
    serve: dict[str, float] = Field(default_factory=dict)
    rollout: Rollout | None = None
    percentage: float | None = None

    @field_validator("serve")
    @classmethod
    def _canonical_split(cls, value: dict[str, float]) -> dict[str, float]:
        # Kept in the manifest's order, so a plan prints a split as written; dicts compare
        # regardless of order.
        rounded = ((key, round_percent(pct)) for key, pct in value.items())
        return {key: pct for key, pct in rounded if pct != 0}

    @field_validator("percentage")
    @classmethod
    def _canonical_percentage(cls, value: float | None) -> float | None:
        if value is None or round_percent(value) == 100.0:
            return None
        return round_percent(value)


class EnvironmentConfig(Canonical):
    """A flag's configuration in one environment: on or off, and its ordered targets."""

    enabled: bool = False
    targets: tuple[Target, ...] = ()


class Variable(Canonical):
    """A typed value a flag hands to the application (DevCycle's variables)."""

    type: VariableType
    name: str
    description: str = ""


class Variation(Canonical):
    """A named set of variable values that targets serve; `payload` is any JSON value the SDK
    hands out with it (PostHog's per-variant payloads; None = no payload)."""

    name: str
    values: dict[str, Any] = Field(default_factory=dict)
    payload: Any = None


class Flag(Canonical):
    """A feature flag as the user declares it, across all environments of the workspace."""

    key: str
    name: str
    description: str = ""
    type: FlagType = "release"
    tags: tuple[str, ...] = ()
    variables: dict[str, Variable] = Field(default_factory=dict)
    variations: dict[str, Variation] = Field(default_factory=dict)
    environments: dict[str, EnvironmentConfig] = Field(default_factory=dict)
    payload: Any = None
    """A flag without variations: the JSON value served with `true` (PostHog's "true" payload)."""
    settings: dict[str, Any] = Field(default_factory=dict)
    """Provider-specific settings the neutral model does not cover, round-tripped untouched
    (PostHog: ensure_experience_continuity, evaluation_runtime). Values equal to the vendor's
    default are dropped, so leaving a setting out and writing its default compare equal."""
    control: str | None = None
    """An experiment's control variation (DevCycle's `controlVariation`); None for other types."""
    metrics: tuple[str, ...] = ()
    """Keys of the metrics measured for this flag (DevCycle metric associations), sorted."""
    status: FlagStatus = "active"
    """DevCycle's lifecycle: a `complete` flag serves `static_variation` to everyone; an
    `archived` one is served to no one."""
    static_variation: str | None = None
    """The variation a completed flag serves (None unless `status` is complete)."""

    @field_validator("tags", "metrics")
    @classmethod
    def _sorted_tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))

    @field_validator("settings")
    @classmethod
    def _without_defaults(cls, value: dict[str, Any]) -> dict[str, Any]:
        return {
            name: setting
            for name, setting in sorted(value.items())
            if SETTING_DEFAULTS.get(name, _NO_DEFAULT) != setting
        }


ExperimentStatus = Literal["draft", "running", "stopped", "archived"]
EXPERIMENT_STATUSES: tuple[ExperimentStatus, ...] = ("draft", "running", "stopped", "archived")
"""The order an experiment moves in; PostHog cannot move it back."""
SERVER_METRIC_FIELDS = frozenset({"uuid", "fingerprint"})
"""Keys PostHog adds to every metric; they carry no meaning the manifest could declare."""


class ExperimentVariant(Canonical):
    """One arm of an experiment: its share of the users (percent) and an optional payload."""

    split: float
    payload: Any = None

    @field_validator("split")
    @classmethod
    def _round(cls, value: float) -> float:
        return round_percent(value)


class Experiment(Canonical):
    """A PostHog experiment: it owns the feature flag with its key, and lives in the projects
    (environments) it names. `metrics` are PostHog's own JSON objects, kept as they are except
    for the server-assigned `uuid` and `fingerprint`, so a read-back compares equal."""

    key: str
    name: str
    description: str = ""
    variants: dict[str, ExperimentVariant] = Field(default_factory=dict)
    metrics: tuple[dict[str, Any], ...] = ()
    secondary_metrics: tuple[dict[str, Any], ...] = ()
    status: ExperimentStatus = "draft"
    environments: tuple[str, ...] = ()
    holdout: str | None = None
    """The name of the holdout whose users the experiment leaves out (see `Holdout`)."""

    @field_validator("variants")
    @classmethod
    def _sorted_variants(cls, value: dict[str, ExperimentVariant]) -> dict[str, ExperimentVariant]:
        return dict(sorted(value.items()))

    @field_validator("metrics", "secondary_metrics")
    @classmethod
    def _without_server_fields(
        cls, value: tuple[dict[str, Any], ...]
    ) -> tuple[dict[str, Any], ...]:
        return tuple(
            {name: item for name, item in metric.items() if name not in SERVER_METRIC_FIELDS}
            for metric in value
        )

    @field_validator("environments")
    @classmethod
    def _sorted_environments(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))


class Holdout(Canonical):
    """A PostHog experiment holdout: a share of users (percent) kept out of every experiment
    that names it, in the projects (environments) it lists. Its name is its identity, as
    holdout ids differ per project."""

    name: str
    description: str = ""
    percentage: float
    environments: tuple[str, ...] = ()

    @field_validator("percentage")
    @classmethod
    def _round(cls, value: float) -> float:
        return round_percent(value)

    @field_validator("environments")
    @classmethod
    def _sorted_environments(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))


CustomPropertyType = Literal["String", "Boolean", "Number"]


class CustomProperty(Canonical):
    """A DevCycle custom property: a typed key (`property_key`) of the SDK user's custom data,
    which `custom` filters name."""

    key: str
    name: str
    property_key: str
    type: CustomPropertyType


class ReusableAudience(Canonical):
    """A DevCycle project audience: defined once, used by targets through an `audience` filter.
    Its filters may nest groups (`Filter.group`)."""

    key: str
    name: str
    description: str = ""
    audience: Audience = EVERYONE


class Metric(Canonical):
    """A DevCycle experiment metric: how an event the SDKs send is aggregated, and which way
    is better. `dimension` is the vendor's enum in lower case (`COUNT_PER_UNIQUE_USER` is
    `count_per_unique_user`)."""

    key: str
    name: str
    description: str = ""
    event: str
    dimension: MetricDimension
    optimize: MetricOptimize


class FlagSet(Canonical):
    """All flags (and experiments) of one workspace (desired) or one project (live), by key;
    PostHog's holdouts and DevCycle's reusable audiences, custom properties and metrics beside
    them."""

    flags: dict[str, Flag] = Field(default_factory=dict)
    experiments: dict[str, Experiment] = Field(default_factory=dict)
    holdouts: dict[str, Holdout] = Field(default_factory=dict)
    audiences: dict[str, ReusableAudience] = Field(default_factory=dict)
    custom_properties: dict[str, CustomProperty] = Field(default_factory=dict)
    metrics: dict[str, Metric] = Field(default_factory=dict)


def comparable(flag: Flag) -> dict[str, Any]:
    """The plain-data form of a flag that diffs compare: JSON-like, order-insensitive maps."""
    return flag.model_dump(mode="json")
