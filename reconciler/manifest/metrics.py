"""The `metrics:` section of manifests: where each metric sits, and its model.

Metrics are project objects declared once under `metrics:` and named by key from flags. Which
vendor has them, and their rules, is the vendor's manifest rules' business
(`reconciler.manifest.provider_rules`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.errors import Problem
from reconciler.manifest.source import Document
from reconciler.model import Metric

SECTION = "metrics"


@dataclass(frozen=True)
class MetricSite:
    """A metric's plain data and where it sits: document and index in `metrics`."""

    document: Document
    index: int
    data: dict[str, Any]

    def problem(self, path: list[str | int], message: str, at_key: bool = False) -> Problem:
        return self.document.problem([SECTION, self.index, *path], message, at_key)


def metric_sites(documents: list[Document]) -> list[MetricSite]:
    """Every metric of every document, in file order."""
    return [
        MetricSite(document, index, item)
        for document in documents
        for index, item in enumerate(document.data.get(SECTION) or [])
    ]


def build_metric(data: dict[str, Any]) -> Metric:
    return Metric(
        key=data["key"],
        name=data.get("name", data["key"]),
        description=data.get("description", ""),
        event=data["event"],
        dimension=data["dimension"],
        optimize=data["optimize"],
    )
