"""The `experiments:` section of manifests: where each experiment sits, its rules, its model.

An experiment owns the PostHog feature flag with its key, so the key must not also be declared
as a flag (PostHog would reuse or refuse the flag, and two owners would fight over it). Only
PostHog workspaces have experiments here: DevCycle's are a separate feature, not yet supported.
The rules run after the schema check, on every experiment of the workspace together.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.errors import Problem
from reconciler.manifest.provider_rules import POSTHOG_KEY
from reconciler.manifest.rules import SPLIT_TOTAL, FlagSite, exact_sum
from reconciler.manifest.source import Document
from reconciler.manifest.suggest import did_you_mean
from reconciler.model import Experiment, ExperimentVariant

SECTION = "experiments"
CONTROL = "control"
DEFAULT_VARIANTS = {"control": 50.0, "test": 50.0}
"""PostHog's own default when an experiment names no variants."""


@dataclass(frozen=True)
class ExperimentSite:
    """An experiment's plain data and where it sits: document and index in `experiments`
    (or in another top-level section of PostHog objects, such as `holdouts`)."""

    document: Document
    index: int
    data: dict[str, Any]
    section: str = SECTION

    def problem(self, path: list[str | int], message: str, at_key: bool = False) -> Problem:
        return self.document.problem([self.section, self.index, *path], message, at_key)

    def at(self, path: list[str | int]) -> str:
        line, col = self.document.locate([self.section, self.index, *path])
        return f"{self.document.name}:{line}:{col}"


def experiment_sites(documents: list[Document], section: str = SECTION) -> list[ExperimentSite]:
    """Every experiment (or other item of `section`) of every document, in file order."""
    return [
        ExperimentSite(document, index, item, section)
        for document in documents
        for index, item in enumerate(document.data.get(section) or [])
    ]


def check(
    sites: list[ExperimentSite], flags: list[FlagSite], environments: list[str], provider: str
) -> list[Problem]:
    """Every problem with the workspace's experiments, including clashes with its flags."""
    if provider != "posthog":
        return [
            site.problem(
                [],
                "experiments are managed for PostHog workspaces only (DevCycle experiments are "
                "not supported yet)",
            )
            for site in sites
        ]
    problems = list(_unique_keys(sites, flags))
    for site in sites:
        if not POSTHOG_KEY.match(site.data["key"]):
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


def environment_problems(site: ExperimentSite, environments: list[str]) -> Iterator[Problem]:
    """An environment the workspace does not declare, for an experiment or a holdout."""
    for index, env in enumerate(site.data.get("environments") or []):
        if env not in environments:
            yield site.problem(
                ["environments", index],
                f"environment '{env}' is not in the workspace (it declares: "
                f"{', '.join(environments)}){did_you_mean(env, environments)}",
            )


def build_experiment(data: dict[str, Any]) -> Experiment:
    """The model of one experiment (defaults explicit: control/test 50/50, draft)."""
    declared = data.get("variants") or [
        {"key": key, "split": split} for key, split in DEFAULT_VARIANTS.items()
    ]
    return Experiment(
        key=data["key"],
        name=data["name"],
        description=data.get("description", ""),
        variants={
            item["key"]: ExperimentVariant(split=item["split"], payload=item.get("payload"))
            for item in declared
        },
        metrics=tuple(data.get("metrics") or ()),
        secondary_metrics=tuple(data.get("secondary_metrics") or ()),
        status=data.get("status", "draft"),
        environments=tuple(data.get("environments") or ()),
        holdout=data.get("holdout"),
    )
