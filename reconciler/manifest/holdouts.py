"""The `holdouts:` section of manifests: where each holdout sits, and its model.

A holdout is named, not keyed; experiments refer to it by that name. Which vendor has holdouts,
and their rules, is the vendor's manifest rules' business (`reconciler.manifest.provider_rules`).
"""

from __future__ import annotations

from typing import Any

from reconciler.manifest.experiments import ExperimentSite, experiment_sites
from reconciler.manifest.source import Document
from reconciler.model import Holdout

SECTION = "holdouts"


def holdout_sites(documents: list[Document]) -> list[ExperimentSite]:
    """Every holdout of every document, in file order."""
    return experiment_sites(documents, SECTION)


def build_holdout(data: dict[str, Any]) -> Holdout:
    """The model of one holdout."""
    return Holdout(
        name=data["name"],
        description=data.get("description", ""),
        percentage=data["percentage"],
        environments=tuple(data.get("environments") or ()),
    )
