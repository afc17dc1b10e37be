"""The shape of PostHog's answers that flagsync relies on (PostHog's OpenAPI document,
`components.schemas`: FeatureFlag, Cohort, Experiment, ExperimentHoldout, GroupType; the
serializers in PostHog/posthog `posthog/api/feature_flag.py`, `cohort.py`,
`products/experiments/backend/.../experiment*.py`).

Only the fields flagsync reads are described, with the types it reads them as; other fields
pass unchecked. The models are checked, not used: readers keep PostHog's dictionaries.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter

from reconciler.errors import AnswerShapeError
from reconciler.plan import ApiCall
from reconciler.providers.shape import check

Text = str | None


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Variant(_Answer):
    key: str
    name: Text = None
    rollout_percentage: float | None = None


class Multivariate(_Answer):
    variants: list[Variant] | None = None


class Group(_Answer):
    properties: list[dict[str, Any]] | None = None
    rollout_percentage: float | None = None
    variant: Text = None
    description: Text = None


class Filters(_Answer):
    groups: list[Group] | None = None
    multivariate: Multivariate | None = None
    payloads: dict[str, Any] | None = None
    aggregation_group_type_index: int | None = None


class FlagHead(_Answer):
    """What every flag of a list must have, checked for all (cheap); the rest (`Flag`) is
    checked when reading a flag fails."""

    id: int
    key: str
    deleted: bool | None = None
    tags: list[str] | None = None
    filters: dict[str, Any] | None = None


class Flag(FlagHead):
    name: Text = None
    active: bool | None = None
    version: int | None = None
    filters: Filters | None = None  # type: ignore[assignment]


class Cohort(_Answer):
    id: int
    name: Text = None
    deleted: bool | None = None


class Experiment(_Answer):
    id: int
    name: Text = None
    feature_flag_key: Text = None
    feature_flag: dict[str, Any] | None = None
    holdout: dict[str, Any] | None = None
    deleted: bool | None = None


class Holdout(_Answer):
    id: int
    name: str


class GroupType(_Answer):
    group_type: str
    group_type_index: int


FLAG = TypeAdapter(Flag)
FLAG_HEADS = TypeAdapter(list[FlagHead])
COHORTS = TypeAdapter(list[Cohort])
EXPERIMENT = TypeAdapter(Experiment)
EXPERIMENTS = TypeAdapter(list[Experiment])
HOLDOUT = TypeAdapter(Holdout)
HOLDOUTS = TypeAdapter(list[Holdout])
GROUP_TYPES = TypeAdapter(list[GroupType])

_WRITTEN: dict[str, tuple[TypeAdapter[Any], str]] = {
    "flag": (FLAG, "a feature flag"),
    "experiment": (EXPERIMENT, "an experiment"),
    "holdout": (HOLDOUT, "a holdout"),
}


def check_written(call: ApiCall, answer: Any) -> None:
    """A create or update of a flag, experiment or holdout must answer with the object
    written: of its shape, with the id the call addresses, under the key or name sent.
    Anything else (no body, an error body with a 2xx status, another object) is an error.
    What the call writes is its `subject` (a lifecycle call such as `launch/` answers
    otherwise, and is not checked), never read from the URL."""
    about = call.subject
    if call.method not in ("POST", "PATCH") or about is None or about.kind not in _WRITTEN:
        return
    if call.role not in ("write", "tag"):
        return
    adapter, what = _WRITTEN[about.kind]
    described = f"{call.method} {call.path}"
    check(described, adapter, answer, what)
    body = call.body if isinstance(call.body, dict) else {}
    for name, wanted in (("id", about.id), ("key", body.get("key"))):
        if wanted is not None and str(answer.get(name)) != str(wanted):
            raise AnswerShapeError(
                described, f"the answer is {what} with {name} {answer.get(name)!r}, not {wanted!r}"
            )
