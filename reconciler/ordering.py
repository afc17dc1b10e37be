"""The order a plan's steps run in: one rule, for every provider, used by the plan and by apply.

As octoDNS orders its Create/Update/Delete changes, the rule follows what refers to what:

1. **Waves.** Objects that others refer to are written first and deleted last: custom
   properties (wave 0), then what filters on them or what flags refer to (audiences, metrics,
   holdouts: wave 1), then flags, experiments and variables (wave 2); deletions the other way
   (a deleted audience in wave 3, a deleted custom property in wave 4). Approval policies
   (PostHog) come last, so the flag writes of a plan meet the policies the plan read. Each wave
   finishes before the next starts.
2. **One object's steps in order.** Within a wave, the steps of one object (resource and key)
   run one after the other, its direct writes before its change requests (a feature is created
   before the request carrying its reviewed environments' targeting); different objects run
   concurrently.
3. **References first.** An object whose calls refer (`plan.Ref`) to another object that a step
   of the same wave writes starts after that object (apply starts objects in this order, so
   the create a call waits for is always under way); objects that refer to each other in a
   cycle are refused. Otherwise objects keep their plan order. (A reference to what the
   object's own step creates is ordered by the step's calls.)

The order of calls inside a step is the planner's: it follows the vendor's rules for one object
(DevCycle: a feature leaving `complete` changes status before it is edited).
"""

from __future__ import annotations

from reconciler.errors import PlanError
from reconciler.plan import Resource, Step

Group = tuple[str, str]
"""An object of the plan: (resource, key)."""

_REFERRED = {"custom_property": 0, "audience": 1, "metric": 1, "holdout": 1}
_LAST_WAVE = 2
"""Flags, experiments and variables: the wave everything else is ordered around."""
_KIND_ORDER = {"write": 0, "cancel-requests": 1, "change-request": 1}


def wave(step: Step) -> int:
    """The wave a step runs in (rule 1)."""
    if step.resource == "approval_policy":
        # Last: the flag writes of the same plan meet the policies the plan read.
        return 2 * _LAST_WAVE + 1
    position = _REFERRED.get(step.resource)
    if position is None:
        return _LAST_WAVE
    return 2 * _LAST_WAVE - position if step.action == "delete" else position


def schedule(steps: list[Step]) -> list[list[list[Step]]]:
    """The steps as waves (in order) of objects (in start order), each object's steps in the
    order they run."""
    waves: dict[int, dict[Group, list[Step]]] = {}
    for step in steps:
        waves.setdefault(wave(step), {}).setdefault((step.resource, step.key), []).append(step)
    result = []
    for number in sorted(waves):
        groups = waves[number]
        for group in groups.values():
            group.sort(key=lambda step: _KIND_ORDER[step.kind])
        result.append([groups[name] for name in _referred_first(groups)])
    return result


def order(steps: list[Step]) -> list[Step]:
    """The steps in the order `schedule` starts them: the order a plan lists them in."""
    return [step for groups in schedule(steps) for group in groups for step in group]


def _referred_first(groups: dict[Group, list[Step]]) -> list[Group]:
    """The objects in plan order, each after the objects of this wave its calls refer to."""
    needs: dict[Group, set[Group]] = {}
    for name, group in groups.items():
        for step in group:
            for call in step.calls:
                for ref in call.refs:
                    target = (ref.resource or "", ref.key)
                    if ref.to == "object" and target in groups and target != name:
                        needs.setdefault(name, set()).add(target)
    ordered: list[Group] = []
    visiting: set[Group] = set()
    done: set[Group] = set()

    def visit(name: Group) -> None:
        if name in done:
            return
        if name in visiting:
            raise PlanError(
                f"{_plural(name[0])} depend on each other in a cycle through '{name[1]}'"
            )
        visiting.add(name)
        for needed in sorted(needs.get(name, ())):
            visit(needed)
        visiting.discard(name)
        done.add(name)
        ordered.append(name)

    for name in groups:
        visit(name)
    return ordered


def _plural(resource: Resource | str) -> str:
    return {"custom_property": "custom properties"}.get(resource, f"{resource}s")
