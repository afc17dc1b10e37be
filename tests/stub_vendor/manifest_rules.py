"""The stub vendor's manifest rules: nothing beyond the shared rules, every optional section
refused by the defaults."""

from __future__ import annotations

from reconciler.manifest.provider_rules import ManifestRules


class StubRules(ManifestRules):
    vendor = "Stub"


RULES = StubRules()
