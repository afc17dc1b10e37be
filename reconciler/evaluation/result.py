"""What an evaluation answers and what a vendor's evaluator offers.

Kept apart from any vendor so the `eval` and `test` commands, flag tests and the plan's impact
figures work the same on every provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

UserContext = Mapping[str, Any]
"""A user as the vendor's SDK receives it: an id (`user_id` or `distinct_id`), built-in fields
(`email`, `country`, ...), and custom properties (DevCycle's `customData`, PostHog's person and
group properties)."""


@dataclass(frozen=True)
class Evaluation:
    """One flag evaluated for one user in one environment.

    `variation` is the key of the variation served (PostHog: the variant, or "true"/"false" for a
    boolean flag), None when the flag serves nothing (off, or no target matched: the SDK's
    default). PostHog's SDK answers `false` for an inactive flag or when no condition matches,
    so there it is "false"; None there means no such flag, or an inexact answer. `values` are
    the values the user reads: DevCycle's variable values, PostHog's payload under the key
    "payload" (and the SDK's own answer under "value"). `reason` says why in a sentence;
    `rule` names what matched (a target's name or its position, "override", "rollout"), None
    when nothing did.
    """

    flag: str
    environment: str
    variation: str | None
    reason: str
    rule: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    exact: bool = True
    """False when the answer depends on something offline evaluation cannot know (an id the
    server assigns, a cohort's members): the evaluation says so instead of guessing."""


class Evaluator(Protocol):
    """A vendor's evaluation rules applied to one set of flags."""

    def evaluate(self, flag_key: str, environment: str, user: UserContext) -> Evaluation: ...
