"""The `holdouts:` section of manifests, and the experiments' references to it.

A holdout is named, not keyed: PostHog gives it an id per project and nothing else to find it
by, so its name is unique across the workspace and experiments refer to it by that name. An
experiment using a holdout needs it in each of its environments (the holdout must exist in the
project the experiment is created in). Whether the workspace may have holdouts at all (PostHog
only) is `provider_rules`' business.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.errors import Problem
from reconciler.manifest.experiments import ExperimentSite, environment_problems, experiment_sites
from reconciler.manifest.source import Document
from reconciler.manifest.suggest import did_you_mean
from reconciler.model import Holdout

SECTION = "holdouts"


def holdout_sites(documents: list[Document]) -> list[ExperimentSite]:
    """Every holdout of every document, in file order."""
    return experiment_sites(documents, SECTION)


def check(
    holdouts: list[ExperimentSite], experiments: list[ExperimentSite], environments: list[str]
) -> list[Problem]:
    """Duplicate names, unknown environments, and experiments naming a holdout that is not
    declared (or not in one of their environments)."""
    problems: list[Problem] = []
    seen: dict[str, ExperimentSite] = {}
    for site in holdouts:
        name = site.data["name"]
        if name in seen:
            problems.append(
                site.problem(
                    ["name"], f"holdout '{name}' is already declared at {seen[name].at(['name'])}"
                )
            )
        else:
            seen[name] = site
        problems.extend(environment_problems(site, environments))
    for site in experiments:
        problems.extend(_reference(site, seen))
    return problems


def _reference(site: ExperimentSite, holdouts: dict[str, ExperimentSite]) -> Iterator[Problem]:
    name = site.data.get("holdout")
    if name is None:
        return
    declared = holdouts.get(name)
    if declared is None:
        yield site.problem(
            ["holdout"],
            f"holdout '{name}' is not declared under `holdouts:`"
            f"{did_you_mean(name, list(holdouts))}",
        )
        return
    missing = [
        env
        for env in site.data.get("environments") or []
        if env not in (declared.data.get("environments") or [])
    ]
    if missing:
        yield site.problem(
            ["holdout"],
            f"holdout '{name}' (declared at {declared.at(['name'])}) is not in "
            f"{', '.join(missing)}, where experiment '{site.data['key']}' is; add "
            f"{'them' if len(missing) > 1 else 'it'} to the holdout's environments",
        )


def build_holdout(data: dict[str, Any]) -> Holdout:
    """The model of one holdout."""
    return Holdout(
        name=data["name"],
        description=data.get("description", ""),
        percentage=data["percentage"],
        environments=tuple(data.get("environments") or ()),
    )
