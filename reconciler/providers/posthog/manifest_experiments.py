"""PostHog experiments and holdouts in manifests (the `experiments:` and `holdouts:` sections).

An experiment owns the PostHog feature flag with its key, so the key must not also be declared
as a flag (PostHog would reuse or refuse the flag, and two owners would fight over it). A
holdout is named, not keyed: PostHog gives it an id per project and nothing else to find it by,
so its name is unique across the workspace and experiments refer to it by that name. An
experiment using a holdout needs it in each of its environments (the holdout must exist in the
project the experiment is created in). The rules run after the schema check, on every
experiment and holdout of the workspace together.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.errors import Problem
from reconciler.manifest.experiments import CONTROL, ExperimentSite, environment_problems
from reconciler.manifest.rules import SPLIT_TOTAL, FlagSite, exact_sum
from reconciler.manifest.suggest import did_you_mean
from reconciler.providers.posthog.manifest_flags import KEY


def check_experiments(
    sites: list[ExperimentSite], flags: list[FlagSite], environments: list[str]
) -> list[Problem]:
    """Every problem with the workspace's experiments, including clashes with its flags."""
    problems = list(_unique_keys(sites, flags))
    for site in sites:
        if not KEY.match(site.data["key"]):
            problems.append(
                site.problem(
                    ["key"],
                    f"'{site.data['key']}' is not a valid PostHog key: use only letters, digits, "
                    "'-' and '_' (no '.')",
                )
            )
        problems.extend(_variants(site))
        problems.extend(environment_problems(site, environments))
    return problems


def _unique_keys(sites: list[ExperimentSite], flags: list[FlagSite]) -> Iterator[Problem]:
    """An experiment's key is its flag's key: unique among experiments and flags alike."""
    flag_at = {flag.data["key"]: flag for flag in flags}
    seen: dict[str, ExperimentSite] = {}
    for site in sites:
        key = site.data["key"]
        if key in seen:
            yield site.problem(
                ["key"], f"experiment key '{key}' is already declared at {seen[key].at(['key'])}"
            )
        else:
            seen[key] = site
        flag = flag_at.get(key)
        if flag is not None:
            line, col = flag.document.locate(["flags", flag.index, "key"])
            yield site.problem(
                ["key"],
                f"experiment '{key}' owns the flag with that key, but it is also declared as a "
                f"flag at {flag.document.name}:{line}:{col}; remove the flag",
            )
            yield flag.problem(
                ["key"],
                f"flag '{key}' belongs to the experiment declared at {site.at(['key'])}; an "
                "experiment's flag is managed through the experiment",
            )


def _variants(site: ExperimentSite) -> Iterator[Problem]:
    variants = site.data.get("variants")
    if variants is None:
        return
    keys = [variant["key"] for variant in variants]
    for index, key in enumerate(keys):
        if key in keys[:index]:
            yield site.problem(
                ["variants", index, "key"],
                f"variant key '{key}' appears twice in experiment '{site.data['key']}'",
            )
    if CONTROL not in keys:
        yield site.problem(
            ["variants"],
            f"an experiment needs a variant with key 'control' (the baseline); got: "
            f"{', '.join(keys)}{did_you_mean(CONTROL, keys)}",
            at_key=True,
        )
    total = exact_sum(variant["split"] for variant in variants)
    if total != SPLIT_TOTAL:
        yield site.problem(
            ["variants"],
            f"splits add up to {total:f} %, they must add up to exactly 100 %",
            at_key=True,
        )


def check_holdouts(
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
