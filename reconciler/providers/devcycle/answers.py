"""The shape of DevCycle's answers that flagsync relies on (DevCycle's Management API
OpenAPI document, `components.schemas`: Feature, Environment, Audience, Metric,
CustomProperty, FeatureChangeRequest).

Only the fields flagsync reads are described, with the types it reads them as; every other
field passes unchecked (`extra="ignore"`), so the vendor adding fields breaks nothing. The
models are checked, not used: readers keep the vendor's dictionaries.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from reconciler.errors import AnswerShapeError
from reconciler.plan import ApiCall
from reconciler.providers.shape import check

Text = str | None


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Filter(_Answer):
    """An audience filter, or a nested operator (`filters` inside)."""

    type: Text = None
    comparator: Text = None
    subType: Text = None  # noqa: N815 (the vendor's name)
    values: list[Any] | None = None
    audiences: list[str] | None = Field(default=None, alias="_audiences")
    dataKey: Text = None  # noqa: N815
    dataKeyType: Text = None  # noqa: N815
    operator: Text = None
    filters: list[Filter] | None = None


class Operator(_Answer):
    operator: Text = None
    filters: list[Filter] | None = None


class TargetAudience(_Answer):
    name: Text = None
    filters: Operator | None = None


class Share(_Answer):
    variation: str = Field(alias="_variation")
    percentage: float


class Stage(_Answer):
    type: Text = None
    date: str
    percentage: float


class Rollout(_Answer):
    type: str
    startDate: str  # noqa: N815
    startPercentage: float | None = None  # noqa: N815
    stages: list[Stage] | None = None


class Target(_Answer):
    id: Text = Field(default=None, alias="_id")
    name: Text = None
    audience: TargetAudience | None = None
    distribution: list[Share] | None = None
    rollout: Rollout | None = None


class Configuration(_Answer):
    environment: str = Field(alias="_environment")
    status: Text = None
    targets: list[Target] | None = None


class Variable(_Answer):
    key: str
    type: str
    name: Text = None
    description: Text = None


class Variation(_Answer):
    id: Text = Field(default=None, alias="_id")
    key: str
    name: Text = None
    variables: dict[str, Any] | None = None


class Feature(_Answer):
    id: Text = Field(default=None, alias="_id")
    key: str
    name: Text = None
    description: Text = None
    type: Text = None
    status: Text = None
    tags: list[str] | None = None
    variables: list[Variable] | None = None
    variations: list[Variation] | None = None
    configurations: list[Configuration] | None = None
    controlVariation: Text = None  # noqa: N815
    staticVariation: Text = None  # noqa: N815
    changeRequests: list[Any] | None = None  # noqa: N815
    updatedAt: Text = None  # noqa: N815


class Environment(_Answer):
    id: str = Field(alias="_id")
    key: str


class Audience(_Answer):
    id: str = Field(alias="_id")
    key: Text = None
    name: Text = None
    description: Text = None
    tags: list[str] | None = None
    filters: Operator | None = None


class Metric(_Answer):
    key: str
    name: Text = None
    description: Text = None
    event: str
    dimension: str
    optimize: str


class Keyed(_Answer):
    key: Text = None


class Association(_Answer):
    feature: Keyed | None = None
    metric: Keyed | None = None


class CustomProperty(_Answer):
    key: str
    name: Text = None
    type: str
    propertyKey: Text = None  # noqa: N815


class ChangeRequest(_Answer):
    id: str = Field(alias="_id")
    status: Text = None


class Staleness(_Answer):
    """A FeatureStalenessEntity (`GET /v1/projects/{key}/staleness`): what a notice names."""

    key: str
    stale: bool
    reason: Text = None
    updatedAt: Text = None  # noqa: N815


class FeatureHead(_Answer):
    """What every feature of a list must have, checked for all (cheap); a feature's other
    fields are checked when reading it fails (`Feature`)."""

    key: str
    tags: list[str] | None = None
    configurations: list[dict[str, Any]] | None = None
    changeRequests: list[Any] | None = None  # noqa: N815


FEATURE = TypeAdapter(Feature)
STALENESS = TypeAdapter(list[Staleness])
FEATURE_HEADS = TypeAdapter(list[FeatureHead])
FEATURES = TypeAdapter(list[Feature])
ENVIRONMENTS = TypeAdapter(list[Environment])
AUDIENCE = TypeAdapter(Audience)
AUDIENCES = TypeAdapter(list[Audience])
METRIC = TypeAdapter(Metric)
METRICS = TypeAdapter(list[Metric])
ASSOCIATIONS = TypeAdapter(list[Association])
CUSTOM_PROPERTY = TypeAdapter(CustomProperty)
CUSTOM_PROPERTIES = TypeAdapter(list[CustomProperty])
CHANGE_REQUEST = TypeAdapter(ChangeRequest)
CHANGE_REQUESTS = TypeAdapter(list[ChangeRequest])

_WRITTEN: dict[str, tuple[TypeAdapter[Any], str]] = {
    "flag": (FEATURE, "a feature"),
    "audience": (AUDIENCE, "an audience"),
    "metric": (METRIC, "a metric"),
    "custom_property": (CUSTOM_PROPERTY, "a custom property"),
}


def check_written(call: ApiCall, answer: Any) -> None:
    """A create or update must answer with the object written: of its resource's shape, and,
    where the call names the key, under that key (opening a change request: with a change
    request). Anything else (no body, an error body with a 2xx status, another object) is an
    error, never a success. What the call writes is its `subject`, never read from the URL."""
    about = call.subject
    if call.method not in ("POST", "PATCH", "PUT") or about is None:
        return
    described = f"{call.method} {call.path}"
    if about.kind == "change_request":
        if call.role == "open-request":
            check(described, CHANGE_REQUEST, answer, "a change request")
        return
    if about.kind not in _WRITTEN:
        return
    adapter, what = _WRITTEN[about.kind]
    check(described, adapter, answer, what)
    wanted = (call.body or {}).get("key") if isinstance(call.body, dict) else None
    if wanted is None:
        wanted = about.key
    found = answer.get("key")
    if wanted is not None and found != wanted and answer.get("_id") != wanted:
        raise AnswerShapeError(
            described, f"the answer is {what} '{found}', not the '{wanted}' written"
        )
