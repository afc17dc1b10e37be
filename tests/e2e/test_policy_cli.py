"""Policy checks through the real CLI against the emulator: shown with the plan (text, JSON),
stopping apply with the rule that failed, and overridden only with a stated reason. Flag
metadata (owner, expires, permanent) satisfies the rules and never reaches the vendor."""

from __future__ import annotations

import json

import httpx
import pytest

from reconciler.manifest.fast_yaml import load_plain
from tests.e2e.conftest import Cli

POLICY = """
policy:
  require_on_new_flags: [owner, expires]
  max_rollout_step: {production: 25}
  forbid: {production: [delete]}
  rules:
    - name: small-batches
      expression: plan.summary.create + plan.summary.update <= 20
      message: split large changes into several pull requests
"""


def _with_policy(cli: Cli) -> None:
    workspace = cli.cwd / "flagsync.yaml"
    workspace.write_text(workspace.read_text() + POLICY)


def _own_all_flags(cli: Cli) -> None:
    """Give every example flag an owner and an expiry (or permanence)."""
    for manifest in (cli.cwd / "flags").glob("*.yaml"):
        lines, section = [], ""
        for line in manifest.read_text().splitlines():
            if line[:1].isalpha():
                section = line.split(":")[0]
            if section == "flags" and line.startswith("  - key: "):
                lines += ["  - owner: team-web", "    permanent: true", "    " + line[4:]]
            else:
                lines.append(line)
        manifest.write_text("\n".join(lines) + "\n")


@pytest.mark.slow
def test_plan_shows_the_failed_rules_and_apply_stops(example: Cli) -> None:
    _with_policy(example)
    plan = example("plan")
    assert plan.returncode == 2, plan.stderr
    assert "Policy: " in plan.stdout and "failed" in plan.stdout
    assert "require_on_new_flags: new flag 'new-checkout' has no owner, expires" in plan.stdout
    data = json.loads(example("plan", "-o", "json").stdout)
    assert data["policy"]["passed"] is False
    assert {v["rule"] for v in data["policy"]["violations"]} == {"require_on_new_flags"}
    applied = example("apply", "--yes")
    assert applied.returncode == 1
    assert "policy failed" in applied.stderr and "Nothing was applied" in applied.stderr
    assert "No changes." not in example("plan").stdout  # nothing was written


@pytest.mark.slow
def test_override_needs_a_reason_and_prints_it(example: Cli) -> None:
    _with_policy(example)
    refused = example("apply", "--yes", "--override-policy", " ")
    assert refused.returncode == 1
    assert "--override-policy needs a reason" in refused.stderr
    applied = example("apply", "--yes", "--override-policy", "bootstrapping the project")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Policy overridden (" in applied.stdout
    assert "bootstrapping the project" in applied.stdout


@pytest.mark.slow
def test_metadata_satisfies_the_policy_and_is_never_sent(example: Cli, api: httpx.Client) -> None:
    _with_policy(example)
    _own_all_flags(example)
    plan = example("plan")
    assert "Policy: 4 rules passed." in plan.stdout, plan.stdout
    assert example("apply", "--yes").returncode == 0
    feature = api.get("/v2/projects/demo/features/new-checkout").json()
    assert "team-web" not in json.dumps(feature)
    again = example("plan")
    assert again.returncode == 0, again.stdout  # no phantom diff from the metadata
    # changing only metadata changes nothing live
    checkout = example.cwd / "flags/checkout.yaml"
    checkout.write_text(checkout.read_text().replace("owner: team-web", "owner: team-pay", 1))
    assert example("plan").returncode == 0


@pytest.mark.slow
def test_a_rollout_step_too_large_for_production_is_stopped(example: Cli) -> None:
    _own_all_flags(example)
    assert example("apply", "--yes").returncode == 0
    _with_policy(example)
    checkout = example.cwd / "flags/checkout.yaml"
    checkout.write_text(
        checkout.read_text().replace("{classic: 90, redesign: 10}", "{classic: 50, redesign: 50}")
    )
    plan = example("plan")
    assert "max_rollout_step: 'new-checkout' [production] targets[1].serve moves 40 points" in (
        plan.stdout
    )
    assert example("apply", "--yes").returncode == 1
    checkout.write_text(
        checkout.read_text().replace("{classic: 50, redesign: 50}", "{classic: 70, redesign: 30}")
    )
    assert example("apply", "--yes").returncode == 0


def test_an_expression_that_is_not_cel_is_a_validation_problem(example: Cli) -> None:
    workspace = example.cwd / "flagsync.yaml"
    workspace.write_text(
        workspace.read_text() + "policy:\n  rules:\n    - {name: broken, expression: 'a +'}\n"
    )
    result = example("validate")
    assert result.returncode == 1
    assert "flagsync.yaml:16:34: policy rule 'broken': not valid CEL at column 3: 'a +'" in (
        result.stderr
    )


@pytest.mark.slow
def test_import_keeps_the_metadata_only_the_manifest_knows(example: Cli) -> None:
    _own_all_flags(example)
    assert example("apply", "--yes").returncode == 0
    imported = example("import", "--flag", "dark-mode")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    data = load_plain((example.cwd / "flags/mobile.yaml").read_text())
    [dark_mode] = [flag for flag in data["flags"] if flag["key"] == "dark-mode"]
    assert (dark_mode["owner"], dark_mode["permanent"]) == ("team-web", True)
    assert example("plan").returncode == 0
