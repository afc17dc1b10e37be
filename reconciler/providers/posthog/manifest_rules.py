"""PostHog's manifest rules (found through `reconciler.providers.registry`): PostHog's own rules
for flags, experiments and holdouts; DevCycle's fields and sections refused, naming what PostHog
has instead."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, cast

from reconciler.errors import Problem
from reconciler.manifest.audiences import SectionSite
from reconciler.manifest.experiments import ExperimentSite
from reconciler.manifest.metrics import MetricSite
from reconciler.manifest.provider_rules import ManifestRules
from reconciler.manifest.rules import FlagSite
from reconciler.providers.posthog import manifest_experiments, manifest_flags


class PostHogRules(ManifestRules):
    vendor = "PostHog"
    settings_section = "posthog"
    flags_checked_per_file = True  # a dependency reads only `DependencyFacts` of its flag

    def check_flags(self, flags: list[FlagSite]) -> list[Problem]:
        problems = list(manifest_flags.flag_problems(flags))
        for site in flags:
            problems += manifest_flags.devcycle_fields(site)
        return problems

    def flag_facts(self, site: FlagSite) -> Hashable | None:
        return manifest_flags.dependency_facts(site.data)

    def flag_references(self, site: FlagSite) -> list[tuple[str, Hashable]]:
        return [
            (other, (env, other, value)) for env, other, value in manifest_flags.dependencies(site)
        ]

    def reference_holds(self, reference: Hashable, facts: Hashable | None) -> bool:
        if not isinstance(facts, manifest_flags.DependencyFacts):
            return True  # not declared in the manifests: checked at plan time
        env, other, value = cast(tuple[str, str, Any], reference)
        return not any(manifest_flags.dependency_problems(env, other, value, facts))

    def check_metrics(self, metrics: list[MetricSite], flags: list[FlagSite]) -> list[Problem]:
        return [
            site.problem(
                [],
                "`metrics:` are DevCycle's (PostHog experiments list their metrics "
                "in their own `metrics`)",
            )
            for site in metrics
        ]

    def check_experiments(
        self, experiments: list[ExperimentSite], flags: list[FlagSite], environments: list[str]
    ) -> list[Problem]:
        return manifest_experiments.check_experiments(experiments, flags, environments)

    def check_holdouts(
        self,
        holdouts: list[ExperimentSite],
        experiments: list[ExperimentSite],
        environments: list[str],
    ) -> list[Problem]:
        return manifest_experiments.check_holdouts(holdouts, experiments, environments)

    def check_audiences(
        self, audiences: list[SectionSite], properties: list[SectionSite], flags: list[FlagSite]
    ) -> list[Problem]:
        return [
            site.problem(
                [],
                f"`{site.section}` are DevCycle's; PostHog targets cohorts and person "
                "properties (`cohort`, `person` filters)",
            )
            for site in (*audiences, *properties)
        ]


RULES = PostHogRules()
