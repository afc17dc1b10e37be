"""The `experiments:` section of manifests: where each experiment sits, and its model.

An experiment owns the feature flag with its key. Which vendor has experiments, and their rules,
is the vendor's manifest rules' business (`reconciler.manifest.provider_rules`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.errors import Problem
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
