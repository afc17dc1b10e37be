"""PostHog's live experiments and holdouts as one model each, for `flagsync import`.

A manifest declares an experiment (or holdout) once for all the projects it is in, so the
copies of each project are merged: the environments are every project it is in, the content is
the copies' common content. Copies that differ cannot be written as one entry; the first
environment's (in the workspace's order) is written and a note names the others, where the
plan then shows what apply would change. An experiment owns its flag: a plain flag with an
imported experiment's key (in a project without the experiment) is not written as a flag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from reconciler.model import Experiment, FlagSet, Holdout
from reconciler.providers.posthog.experiment_steps import LiveExperiment
from reconciler.providers.posthog.holdouts import LiveHoldout

Item = TypeVar("Item", Experiment, Holdout)


@dataclass
class Imported:
    """What import writes besides the flags, and what it has to tell the user."""

    experiments: dict[str, Experiment] = field(default_factory=dict)
    holdouts: dict[str, Holdout] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    adoptable: list[str] = field(default_factory=list)

    def into(self, flags: FlagSet) -> FlagSet:
        """`flags` with the experiments and holdouts, less the flags the experiments own."""
        owned = [key for key in flags.flags if key in self.experiments]
        for key in owned:
            self.notes.append(
                f"flag '{key}' is not written as a flag: experiment '{key}' owns that key"
            )
        return FlagSet(
            flags={k: f for k, f in flags.flags.items() if k not in self.experiments},
            experiments=self.experiments,
            holdouts=self.holdouts,
        )


def imported(
    experiments: dict[str, dict[str, LiveExperiment]],
    holdouts: dict[str, dict[str, list[LiveHoldout]]],
    environments: list[str],
    selects: Callable[[str], bool],
) -> Imported:
    """The selected experiments, and the holdouts selected by name or used by them."""
    result = Imported()
    for key, copies in sorted(experiments.items()):
        if not selects(key):
            continue
        models = {env: copies[env].model for env in environments if env in copies}
        result.experiments[key] = _merged(f"experiment '{key}'", models, result.notes)
        if not all(copies[env].owned for env in models):
            result.adoptable.append(f"experiment '{key}'")
    used = {e.holdout for e in result.experiments.values() if e.holdout is not None}
    for name, per_env in sorted(holdouts.items()):
        if not (selects(name) or name in used):
            continue
        held: dict[str, Holdout] = {}
        for env in environments:
            found = per_env.get(env) or []
            if len(found) > 1:
                result.notes.append(
                    f"holdout '{name}' [{env}]: {len(found)} holdouts have this name in the "
                    "project; the first is written, and the plan refuses until all but one are "
                    "renamed or deleted"
                )
            if found:
                held[env] = found[0].model
        result.holdouts[name] = _merged(f"holdout '{name}'", held, result.notes)
        if not all(copies[0].owned for copies in per_env.values() if copies):
            result.adoptable.append(f"holdout '{name}'")
    if result.adoptable:
        result.notes.append(
            f"{', '.join(result.adoptable)}: not created by flagsync; changed only after "
            "`flagsync apply --adopt`"
        )
    return result


def _merged(what: str, copies: dict[str, Item], notes: list[str]) -> Item:
    """One model for all `copies` (by environment, in the workspace's order)."""
    envs = list(copies)
    first = copies[envs[0]]
    differs = [
        env
        for env in envs[1:]
        if copies[env].model_copy(update={"environments": first.environments}) != first
    ]
    if differs:
        notes.append(
            f"{what} differs between projects: written as in {envs[0]}; the plan shows what "
            f"apply would change in {', '.join(differs)}"
        )
    return first.model_copy(update={"environments": tuple(sorted(envs))})
