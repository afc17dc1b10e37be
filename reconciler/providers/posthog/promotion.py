"""What a PostHog project must already have before a flag's targeting is promoted into it.

On PostHog an environment is a project, and cohorts, group types and flags have ids per
project: a target naming the cohort "Beta testers" works in production only if production's
project has a cohort of that name too. Promotion names such a gap instead of guessing (it never
creates cohorts or picks a similar one).
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.model import EnvironmentConfig, Filter, Flag, FlagSet
from reconciler.providers.posthog.context import ProjectContext
from reconciler.providers.posthog.read import Reading


def _filters(config: EnvironmentConfig) -> Iterator[Filter]:
    def walk(filters: tuple[Filter, ...]) -> Iterator[Filter]:
        for item in filters:
            yield item
            if item.filters:
                yield from walk(item.filters)

    for target in config.targets:
        yield from walk(target.audience.filters)


def missing_in_project(
    flag: Flag, source: EnvironmentConfig, target: str, context: ProjectContext, desired: FlagSet
) -> list[str]:
    """Cohorts, group types and flag dependencies the source's targets name that the target
    project lacks (a dependency counts as present when the manifests configure that flag in
    the target too: the same apply creates it)."""
    problems: list[str] = []
    where = f"PostHog project {context.project_id} ({target})"
    filters = list(_filters(source))
    cohorts = sorted({str(v) for f in filters if f.field == "cohort" for v in f.values})
    for name in cohorts:
        if name not in context.cohorts:
            problems.append(f"cohort '{name}' does not exist in {where}")
    groups = sorted({f.group_type for f in filters if f.field == "group" and f.group_type})
    for name in groups:
        if name not in context.group_types:
            problems.append(f"group type '{name}' does not exist in {where}")
    for key in sorted({f.data_key for f in filters if f.field == "flag" and f.data_key}):
        declared = desired.flags.get(key)
        if key not in context.flags and (declared is None or target not in declared.environments):
            problems.append(f"depends on flag '{key}', which {where} does not have")
    return problems


class Promoting(Reading):
    """`flagsync promote`'s question to PostHog: what does the target project lack? Each
    project is read once per provider."""

    def promotion_problems(
        self, flag: Flag, source: EnvironmentConfig, target: str, desired: FlagSet
    ) -> list[str]:
        contexts: dict[str, ProjectContext] = self.__dict__.setdefault("_promotion_contexts", {})
        if target not in contexts:
            project = self.workspace.project_ids[target]
            contexts[target] = self._read_project((target, project))[0]
        return missing_in_project(flag, source, target, contexts[target], desired)
