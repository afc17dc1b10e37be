"""Who a plan's targeting changes move: per changed flag and environment, the share of users
whose served variation changes, from what to what.

Three ways, best first: the vendor's bucketing arithmetic, exact where the change is only a
split or a rollout (the vendor's evaluator module may offer `arithmetic_impact(before, after,
environment)`); else the workspace's sample users (`impact_sample:` in flagsync.yaml, JSON
Lines), each evaluated before and after with the vendor's offline evaluation; else unknown,
saying so. Vendor-neutral: the vendor's rules come through `providers.evaluators`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from reconciler.errors import FlagsyncError
from reconciler.evaluation import Evaluator
from reconciler.evaluation.users import read_users
from reconciler.model import Flag, FlagSet
from reconciler.plan import Impact, Plan
from reconciler.providers.evaluators import arithmetic_impact, evaluator_for, offers_evaluation
from reconciler.workspace import Workspace

SAMPLE_BUDGET = 400_000
"""Evaluations a plan spends on sample users (before and after, all rule changes together):
a plan of many rule changes measures each over fewer users rather than taking minutes."""
NONE = "(none)"
"""What a user is served by a flag that does not exist (before a create, after a delete)."""


def _serving(flag: Flag | None, environment: str) -> Any:
    """What decides a flag's answers in one environment (a change elsewhere moves no one)."""
    if flag is None or environment not in flag.environments:
        return None
    return (
        flag.environments[environment],
        flag.variations,
        flag.payload,
        flag.settings,
        flag.status,
        flag.static_variation,
    )


def _sample(workspace: Workspace) -> list[dict[str, Any]] | None:
    path = workspace.impact_sample
    return None if path is None else list(read_users(path))


def _by_sample(
    key: str, environment: str, old: Evaluator, new: Evaluator, users: list[dict[str, Any]]
) -> Impact:
    moves: Counter[str] = Counter()
    undecided = 0
    for user in users:
        was = old.evaluate(key, environment, user)
        now = new.evaluate(key, environment, user)
        if not (was.exact and now.exact):
            undecided += 1
        elif was.variation != now.variation:
            moves[f"{was.variation or NONE} -> {now.variation or NONE}"] += 1
    decided = len(users) - undecided
    note = f"{undecided} of the sample's users undecided offline" if undecided else ""
    if not decided:
        return Impact(
            flag=key, environment=environment, method="unknown", note=note or "empty sample"
        )
    return Impact(
        flag=key,
        environment=environment,
        method="sample",
        changed=round(100 * sum(moves.values()) / decided, 2),
        population=f"the {decided} sample users decided offline",
        moves={move: round(100 * count / decided, 2) for move, count in sorted(moves.items())},
        note=note,
    )


def impacts(
    workspace: Workspace, desired: FlagSet, live: Mapping[str, Flag | None], plan: Plan
) -> list[Impact]:
    """The impact of every flag change in the plan, per environment it changes serving in."""
    keys = list(dict.fromkeys(c.key for c in plan.changes if c.resource == "flag"))
    if not keys or not offers_evaluation(workspace.provider):
        return []
    arithmetic = arithmetic_impact(workspace.provider)
    users = _sample(workspace)
    found: list[Impact] = []
    pending: list[tuple[str, str]] = []
    for key in keys:
        old, new = live.get(key), desired.flags.get(key)
        for environment in plan.environments:
            if _serving(old, environment) == _serving(new, environment):
                continue
            exact = arithmetic(old, new, environment) if arithmetic and old and new else None
            if exact is not None:
                found.append(exact)
            else:
                pending.append((key, environment))
    if not pending:
        return found
    if users is None:
        note = "a rule change: set impact_sample in flagsync.yaml (users, JSON Lines) to measure it"
        return found + [
            Impact(flag=key, environment=env, method="unknown", note=note) for key, env in pending
        ]
    users = users[: max(100, SAMPLE_BUDGET // (2 * len(pending)))]
    # before: the live version of every flag the plan read (none for a flag it creates), the
    # manifests' version of the others
    before = {k: f for k, f in desired.flags.items() if k not in live}
    before.update({k: f for k, f in live.items() if f is not None})
    old_evaluator = evaluator_for(workspace.provider, FlagSet(flags=before))
    new_evaluator = evaluator_for(workspace.provider, desired)
    for key, environment in pending:
        found.append(_by_sample(key, environment, old_evaluator, new_evaluator, users))
    return found


def attach_impact(
    plan: Plan, workspace: Workspace, desired: FlagSet, live: Mapping[str, Flag | None]
) -> None:
    """Adds the impacts to the plan; an evaluation that fails leaves the plan as it is, with
    a warning (impact is for the reviewer, never a reason to stop a plan)."""
    try:
        plan.impact = impacts(workspace, desired, live, plan)
    except FlagsyncError as error:
        plan.warnings.append(f"impact not computed: {error}")
