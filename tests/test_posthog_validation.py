"""What PostHog cannot express is a located validation error, never a silent drop; and the
PostHog-only fields are errors on a DevCycle workspace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main

POSTHOG = """\
provider: posthog
environments:
  staging: {project_id: 1}
  production: {project_id: 2}
manifests: flags/
"""


def validate(file: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "-w", str(file)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_devcycle_features_on_posthog_are_errors_at_file_line(
    make_workspace: Callable[..., Path],
) -> None:
    manifest = """\
        flags:
          - key: new.checkout
            name: New checkout
            type: ops
            variables:
              version: {type: String}
            variations:
              - {key: a, values: {version: v1}}
              - {key: b, values: {version: v2}}
            environments:
              production:
                enabled: true
                targets:
                  - audience:
                      any:
                        - email: {ends_with: "@acme.com"}
                    serve: {a: 50, b: 50}
                    rollout: {type: schedule, start: "2026-12-01T09:00:00Z"}
                  - serve: {a: 90, b: 10}
                  - percentage: 10
        """
    code, output = validate(make_workspace({"checkout.yaml": manifest}, workspace=POSTHOG))
    assert code == 1
    expected = [
        "flags/checkout.yaml:2:10: 'new.checkout' is not a valid PostHog key: use only letters, "
        "digits, '-' and '_' (no '.')",
        "flags/checkout.yaml:3:11: PostHog flags have no name apart from the key",
        "flags/checkout.yaml:4:11: PostHog flags have no type",
        "flags/checkout.yaml:5:5: PostHog flags have no variables",
        "flags/checkout.yaml:8:18: PostHog variations have no variable values",
        "flags/checkout.yaml:15:15: PostHog matches every filter of a target (all)",
        "flags/checkout.yaml:16:19: `email` filters are DevCycle's; on PostHog write "
        "`person: {key: email, ...}`",
        "flags/checkout.yaml:18:13: PostHog cannot schedule a rollout",
        "flags/checkout.yaml:19:20: PostHog has one variant split per flag and project",
        "flags/checkout.yaml:20:13: this flag has variations, so every target needs `serve`",
    ]
    for line in expected:
        assert line in output, f"{line}\n---\n{output}"


def test_posthog_rules_for_boolean_flags_payloads_and_dependencies(
    make_workspace: Callable[..., Path],
) -> None:
    manifest = """\
        flags:
          - key: parent
            tags: [Checkout]
            environments:
              staging:
                targets: [{percentage: 50}]
          - key: child
            variations:
              - {key: a, payload: 1}
            payload: {x: 1}
            environments:
              staging:
                enabled: true
                targets:
                  - audience:
                      all:
                        - flag: {key: parent, is: blue}
                        - group: {type: company, key: plan, is: pro}
                    serve: a
              production:
                targets:
                  - audience:
                      all:
                        - flag: {key: parent, is: true}
                    serve: a
          - key: boolean
            environments:
              staging:
                targets:
                  - serve: on
                    audience:
                      all:
                        - person: {key: email, matches: "(unclosed"}
              production: {}
        """
    code, output = validate(make_workspace({"flags.yaml": manifest}, workspace=POSTHOG))
    assert code == 1
    expected = [
        "flags/flags.yaml:3:12: PostHog stores tags trimmed and lower-case: write 'checkout'",
        "flags/flags.yaml:10:5: a flag with variations has a payload per variation",
        "flags/flags.yaml:17:31: flag 'parent' is off in 'staging': PostHog only allows "
        "dependencies on active flags",
        "flags/flags.yaml:17:43: 'blue' is not a variation of flag 'parent' (variations: none: "
        "it is a boolean flag)",
        "flags/flags.yaml:16:15: PostHog matches a target either on persons",
        "flags/flags.yaml:24:31: flag 'parent' does not exist in 'production'",
        "flags/flags.yaml:30:13: a PostHog flag without variations is a boolean flag",
        "flags/flags.yaml:33:49: not a valid regular expression",
        "flags/flags.yaml:34:7: 'production' has no targets: a PostHog flag needs at least one "
        "release condition",
    ]
    for line in expected:
        assert line in output, f"{line}\n---\n{output}"


def test_posthog_fields_on_devcycle_are_errors(make_workspace: Callable[..., Path]) -> None:
    manifest = """\
        flags:
          - key: pay
            payload: 1
            posthog: {evaluation_runtime: server}
            variations:
              - {key: on, payload: 2}
            environments:
              production:
                targets:
                  - percentage: 10
                    audience:
                      all:
                        - cohort: Beta testers
        """
    code, output = validate(make_workspace({"pay.yaml": manifest}))
    assert code == 1
    for line in [
        "flags/pay.yaml:3:5: payloads are PostHog's",
        "flags/pay.yaml:4:5: `posthog:` settings apply to PostHog workspaces only",
        "flags/pay.yaml:6:19: payloads are PostHog's",
        "flags/pay.yaml:10:13: missing required field 'serve'",
        "flags/pay.yaml:10:13: `percentage` is PostHog's",
        "flags/pay.yaml:13:19: `cohort` filters are PostHog's",
    ]:
        assert line in output, f"{line}\n---\n{output}"


def test_posthog_workspace_needs_a_project_per_environment(
    make_workspace: Callable[..., Path],
) -> None:
    workspace = """\
        provider: posthog
        environments:
          staging: {}
          production: {project_id: 2, changes: change-request, reviewers: [alice]}
          preview: {project_id: 2}
        """
    code, output = validate(make_workspace({}, workspace=workspace))
    assert code == 1
    assert "flagsync.yaml:3:3: environment 'staging' needs `project_id: <id>`" in output
    assert "change requests are not supported" not in output
    assert "`reviewers` does not apply to PostHog" in output, output
    assert "flagsync.yaml:5:25: project 2 is already environment 'production'" in output


def test_a_valid_posthog_manifest_passes(make_workspace: Callable[..., Path]) -> None:
    manifest = """\
        flags:
          - key: checkout-button
            description: Which colour converts.
            variations:
              - {key: control, payload: {colour: grey}}
              - {key: treatment, name: Green, payload: {colour: green}}
            posthog: {ensure_experience_continuity: true, evaluation_runtime: server}
            environments:
              staging:
                enabled: true
                targets:
                  - audience:
                      all:
                        - person: {key: email, contains: "@acme.com"}
                        - cohort: {is_not: Beta testers}
                    serve: treatment
                  - serve: {control: 50, treatment: 50}
                    percentage: 10
        """
    code, output = validate(make_workspace({"ok.yaml": manifest}, workspace=POSTHOG))
    assert code == 0, output
    assert output.startswith("OK: 1 flag valid")


BASE = """\
flags:
  - key: split
    variations:
      - {key: a, payload: {size: 1}}
      - {key: b}
    environments:
      staging:
        enabled: true
        targets:
          - TARGET
"""


@pytest.mark.parametrize(
    "target",
    [
        "serve: {a: 60, b: 60}",
        "serve: c",
        "{audience: {all: [{person: {key: plan, contains: 5}}]}, serve: a}",
        "{audience: {all: [{person: {key: v, semver_gt: '1.x'}}]}, serve: a}",
        "{audience: {all: [{person: {key: d, date_after: soon}}]}, serve: a}",
    ],
    ids=["variant sum", "variant override", "operator value type", "semver value", "date value"],
)  # fmt: skip
def test_rules_posthog_enforces_only_by_deployment_setting_are_flagsync_s_own(
    make_workspace: Callable[..., Path], target: str
) -> None:
    """Variant sums, variant overrides and operator values: PostHog rejects these only where
    its deployment lists the rule (`_filters_rule_is_enforced`), so flagsync rejects them
    itself, located. (Payload keys cannot disagree: a payload belongs to its variation.)"""
    manifest = BASE.replace("TARGET", target)
    code, output = validate(make_workspace({"split.yaml": manifest}, workspace=POSTHOG))
    assert code == 1, output
    assert "flags/split.yaml:10:" in output, output
