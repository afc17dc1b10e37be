"""DevCycle's manifest rules (found through `reconciler.providers.registry`): no PostHog-only
fields on flags, DevCycle's experiments (`metrics:`), reusable audiences and custom properties;
PostHog's experiments and holdouts refused, naming what DevCycle has instead."""

from __future__ import annotations

from reconciler.errors import Problem
from reconciler.manifest.audiences import SectionSite
from reconciler.manifest.experiments import ExperimentSite
from reconciler.manifest.metrics import MetricSite
from reconciler.manifest.provider_rules import ManifestRules
from reconciler.manifest.rules import FlagSite
from reconciler.providers.devcycle import manifest_audiences, manifest_flags, manifest_metrics


class DevCycleRules(ManifestRules):
    vendor = "DevCycle"
    flags_checked_per_file = True
    """Each flag's rules read that flag alone; metrics and custom properties are checked
    against the flags only when a file declares them."""

    def check_flags(self, flags: list[FlagSite]) -> list[Problem]:
        return [problem for site in flags for problem in manifest_flags.flag_problems(site)]

    def check_metrics(self, metrics: list[MetricSite], flags: list[FlagSite]) -> list[Problem]:
        return manifest_metrics.check(metrics, flags)

    def check_audiences(
        self, audiences: list[SectionSite], properties: list[SectionSite], flags: list[FlagSite]
    ) -> list[Problem]:
        return manifest_audiences.check(audiences, properties, flags)

    def check_experiments(
        self, experiments: list[ExperimentSite], flags: list[FlagSite], environments: list[str]
    ) -> list[Problem]:
        return [
            site.problem(
                [],
                "experiments are managed for PostHog workspaces only (DevCycle experiments are "
                "not supported yet)",
            )
            for site in experiments
        ]

    def check_holdouts(
        self,
        holdouts: list[ExperimentSite],
        experiments: list[ExperimentSite],
        environments: list[str],
    ) -> list[Problem]:
        """Holdouts are PostHog experiment holdouts: a DevCycle workspace cannot have them."""
        return [
            site.problem(
                [],
                "holdouts are PostHog experiment holdouts; DevCycle has no holdouts (remove the "
                "`holdouts:` entry)",
            )
            for site in holdouts
        ]


RULES = DevCycleRules()
