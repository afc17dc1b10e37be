"""Updating a DevCycle reusable audience whose live filters use another audience by `_id`
(DevCycle's `CreateAudienceDto.filters` is an `AudienceOperator`, which has no
`AudienceMatchFilter`: flagsync never writes one, but a live audience made elsewhere may carry
one) plans a replacement of the filters instead of failing."""

from __future__ import annotations

from reconciler.model import ReusableAudience
from reconciler.plan import Plan
from reconciler.providers.devcycle.audiences import plan_audiences
from reconciler.providers.devcycle.translate import OWNERSHIP_TAG

_DECLARED = ReusableAudience.model_validate(
    {
        "key": "staff-ios",
        "name": "staff-ios",
        "audience": {
            "match": "all",
            "filters": [{"field": "platform", "comparator": "is", "values": ["iOS"]}],
        },
    }
)


def test_a_live_audience_using_another_one_is_replaced_by_the_declared_filters() -> None:
    live = {
        "_id": "a2",
        "key": "staff-ios",
        "name": "staff-ios",
        "tags": [OWNERSHIP_TAG],
        "filters": {
            "operator": "and",
            "filters": [{"type": "audienceMatch", "comparator": "=", "_audiences": ["a1"]}],
        },
    }
    plan = Plan(provider="devcycle", project="demo", environments=["staging"])
    plan_audiences("/v1/projects/demo", {"staff-ios": _DECLARED}, [live], plan, False, False)
    (step,) = plan.steps
    body = step.calls[0].body
    assert body == {
        "filters": {
            "operator": "and",
            "filters": [
                {"type": "user", "subType": "platform", "comparator": "=", "values": ["iOS"]}
            ],
        }
    }
