"""What a DevCycle flag cannot have: PostHog's payloads, percentages and filters (another
vendor's settings field is refused for every vendor, by `provider_rules.foreign_settings`)."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.errors import Problem
from reconciler.manifest.rules import FlagSite
from reconciler.manifest.walk import target_filters, targets

POSTHOG_FIELDS = ("person", "group", "cohort", "flag")
"""Filter fields of the manifest format that are PostHog's."""


def flag_problems(site: FlagSite) -> Iterator[Problem]:
    """What DevCycle cannot take in one flag, each with what to write instead."""
    data = site.data
    for env, config in (data.get("environments") or {}).items():
        if (config or {}).get("enabled") and not (config or {}).get("targets"):
            yield site.problem(
                ["environments", env, "enabled"],
                f"'{env}' is enabled but has no targets: DevCycle refuses to enable an environment "
                "without targets; add one, e.g. `targets: [{serve: <variation>}]`",
            )
    if "payload" in data:
        yield site.problem(
            ["payload"],
            "payloads are PostHog's; a DevCycle flag hands out values through `variables` "
            "and each variation's `values`",
            at_key=True,
        )
    for index, variation in enumerate(data.get("variations") or []):
        if "payload" in variation:
            yield site.problem(
                ["variations", index, "payload"],
                "payloads are PostHog's; give the variation `values` for the flag's variables",
                at_key=True,
            )
    for base, target in targets(site):
        if "serve" not in target:
            yield site.problem(
                base, "missing required field 'serve': which variation (or split) the target gets"
            )
        if "percentage" in target:
            yield site.problem(
                [*base, "percentage"],
                "`percentage` is PostHog's; on DevCycle serve a split, or roll the target out "
                "with `rollout`",
                at_key=True,
            )
        for path, field, _ in target_filters(target, base):
            if field in POSTHOG_FIELDS:
                yield site.problem(
                    path,
                    f"`{field}` filters are PostHog's; on DevCycle use user_id, email, country, "
                    "platform, platform_version, device_model, app_version, custom or audience",
                    at_key=True,
                )
