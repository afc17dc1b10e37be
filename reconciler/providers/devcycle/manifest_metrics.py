"""DevCycle experiments in manifests: the `metrics:` section, and the experiment and lifecycle
fields of a flag (`control`, `metrics`, `status`, `static_variation`).

DevCycle has no experiment object: an experiment is a feature of `type: experiment` with a
control variation and metrics associated with it. Metrics are project objects declared once
under `metrics:` and named by key from flags. These rules run on every manifest of the
workspace together, after the schema check.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.errors import Problem
from reconciler.manifest.metrics import SECTION, MetricSite
from reconciler.manifest.rules import FlagSite
from reconciler.manifest.suggest import did_you_mean


def check(metrics: list[MetricSite], flags: list[FlagSite]) -> list[Problem]:
    """Every problem with the workspace's metrics and its flags' experiment fields."""
    problems = list(_unique(metrics))
    declared = [site.data["key"] for site in metrics]
    for site in flags:
        problems.extend(_flag(site, declared))
    return problems


def _unique(metrics: list[MetricSite]) -> Iterator[Problem]:
    seen: dict[str, MetricSite] = {}
    for site in metrics:
        key = site.data["key"]
        if key in seen:
            first = seen[key]
            line, col = first.document.locate([SECTION, first.index, "key"])
            yield site.problem(
                ["key"],
                f"metric key '{key}' is already declared at {first.document.name}:{line}:{col}",
            )
        else:
            seen[key] = site


def _flag(site: FlagSite, declared: list[str]) -> Iterator[Problem]:
    data = site.data
    key = data["key"]
    variations = [variation["key"] for variation in data.get("variations") or []]
    known = ", ".join(variations) if variations else "none declared"
    experiment = data.get("type") == "experiment"
    if experiment and "control" not in data:
        yield site.problem(
            ["type"],
            f"experiment '{key}' needs a `control`: the variation the others are measured "
            f"against (variations: {known})",
        )
    if "control" in data:
        if not experiment:
            yield site.problem(
                ["control"], "only an experiment (`type: experiment`) has a control variation"
            )
        elif data["control"] not in variations:
            yield site.problem(
                ["control"],
                f"control '{data['control']}' is not a variation of flag '{key}' (variations: "
                f"{known}){did_you_mean(data['control'], variations)}",
            )
    for index, metric in enumerate(data.get("metrics") or []):
        if metric not in declared:
            yield site.problem(
                ["metrics", index],
                f"metric '{metric}' is not declared under `metrics:`"
                f"{did_you_mean(metric, declared)}",
            )
    status = data.get("status", "active")
    if status == "complete" and "static_variation" not in data:
        yield site.problem(
            ["status"],
            f"a complete flag serves one variation to everyone: name it in `static_variation` "
            f"(variations: {known})",
        )
    if "static_variation" in data:
        static = data["static_variation"]
        if status != "complete":
            yield site.problem(
                ["static_variation"],
                "`static_variation` is served only by a complete flag: add `status: complete` "
                "or remove it",
            )
        elif static not in variations:
            yield site.problem(
                ["static_variation"],
                f"static_variation '{static}' is not a variation of flag '{key}' (variations: "
                f"{known}){did_you_mean(static, variations)}",
            )
