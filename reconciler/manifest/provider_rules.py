"""What one vendor checks in the manifests beyond the schema and the shared rules.

The manifest format is shared, so the schema accepts the union of what the vendors can do. Each
vendor's package has a `manifest_rules.py` whose `RULES` (a `ManifestRules`) turns everything
its vendor cannot express into a located error naming what to write instead; the loader finds
it through `reconciler.providers.registry`, so this module names no vendor. Nothing is dropped
silently: a setting that vanished on the way to the server would come back as an endless plan.

A vendor's rules override the hooks of the sections it has; the defaults refuse a section the
vendor does not have.
"""

from __future__ import annotations

from collections.abc import Hashable
from functools import cache

from reconciler.errors import Problem
from reconciler.manifest.audiences import SectionSite
from reconciler.manifest.experiments import ExperimentSite
from reconciler.manifest.metrics import MetricSite
from reconciler.manifest.rules import FlagSite
from reconciler.providers.registry import VENDORS, vendor_module


class ManifestRules:
    """One vendor's manifest rules; each hook returns every problem it finds."""

    vendor = "this vendor"
    """How messages name the vendor."""
    settings_section: str | None = None
    """The flag field that holds the vendor's own flag settings (`Flag.settings`, passed to
    the vendor as they are); None: the vendor has none, and its rules refuse the others'."""
    flags_checked_per_file = False
    """Whether `check_flags`, and the flags' part of `check_metrics`, `check_experiments` and
    `check_audiences` when no file declares those sections, look at each flag alone, or at
    other flags only through `flag_facts` and `flag_references`: then a flags-only workspace
    is checked file by file and each file let go of once read (`lean_load`)."""

    def flag_facts(self, site: FlagSite) -> Hashable | None:
        """The little of this flag that the rules of other flags read (hashable, so equal
        facts are kept once); None when they read nothing of it."""
        return None

    def flag_references(self, site: FlagSite) -> list[tuple[str, Hashable]]:
        """(key of another flag, what of it is checked) for each check `check_flags` makes of
        this flag against another flag."""
        return []

    def reference_holds(self, reference: Hashable, facts: Hashable | None) -> bool:
        """Whether `check_flags` finds nothing wrong with a reference (from `flag_references`)
        to a flag whose `flag_facts` are `facts`."""
        return True

    def check_flags(self, flags: list[FlagSite]) -> list[Problem]:
        """What the vendor cannot express in these flags."""
        return []

    def check_metrics(self, metrics: list[MetricSite], flags: list[FlagSite]) -> list[Problem]:
        """The `metrics:` section, and the flags' references to it."""
        return [self._refused(site, "`metrics:` are") for site in metrics]

    def check_experiments(
        self, experiments: list[ExperimentSite], flags: list[FlagSite], environments: list[str]
    ) -> list[Problem]:
        """The `experiments:` section, including clashes with the flags."""
        return [self._refused(site, "experiments are") for site in experiments]

    def check_holdouts(
        self,
        holdouts: list[ExperimentSite],
        experiments: list[ExperimentSite],
        environments: list[str],
    ) -> list[Problem]:
        """The `holdouts:` section, and the experiments' references to it."""
        return [self._refused(site, "holdouts are") for site in holdouts]

    def check_audiences(
        self, audiences: list[SectionSite], properties: list[SectionSite], flags: list[FlagSite]
    ) -> list[Problem]:
        """The `audiences:` and `custom_properties:` sections, and the flags' `custom`
        filters against the declared properties."""
        return [self._refused(site, f"`{site.section}` are") for site in (*audiences, *properties)]

    def _refused(
        self, site: FlagSite | MetricSite | ExperimentSite | SectionSite, what: str
    ) -> Problem:
        return site.problem([], f"{what} not supported for {self.vendor} workspaces")


def rules_for(vendor: str) -> ManifestRules:
    """The manifest rules of a vendor (the workspace's `provider:` value)."""
    rules = vendor_module(vendor, "manifest_rules").RULES
    if not isinstance(rules, ManifestRules):
        raise TypeError(f"the manifest rules of {vendor} are not a ManifestRules")
    return rules


@cache
def settings_section(vendor: str | None) -> str | None:
    """The flag field of a vendor's own settings (`ManifestRules.settings_section`); None for
    no vendor (a flag read or written without one)."""
    return rules_for(vendor).settings_section if vendor else None


def settings_sections() -> tuple[str, ...]:
    """The settings fields of every registered vendor, in the registry's order."""
    return tuple(section for vendor in VENDORS if (section := settings_section(vendor)))


def foreign_settings(sites: list[FlagSite], vendor: str) -> list[Problem]:
    """Another vendor's settings field on a flag, refused naming whose it is (the workspace's
    vendor would otherwise drop it silently)."""
    own = settings_section(vendor)
    owners = {
        section: rules_for(name).vendor
        for name in VENDORS
        if (section := settings_section(name)) and section != own
    }
    return [
        site.problem([section], f"`{section}:` settings apply to {owner} workspaces only", True)
        for site in sites
        for section, owner in owners.items()
        if section in site.data
    ]
