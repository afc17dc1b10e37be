"""A plan that changes targeting says who it moves, per flag and environment: exactly for a
split or a rollout change (PostHog's bucketing: independent uniform hashes for rollout and
variant, posthog-python feature_flags.py `_hash`, `get_matching_variant`), over the workspace's
sample users for a rule change, and "unknown" without a sample. Text, Markdown and JSON (valid
against schemas/plan-v1.schema.json) carry it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import REPO
from tests.e2e.posthog_support import posthog_example

SCHEMA = json.loads((REPO / "schemas" / "plan-v1.schema.json").read_text())


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert text.count(old) >= count, old
    path.write_text(text.replace(old, new, count))


@pytest.mark.slow
def test_plans_show_who_a_targeting_change_moves(tmp_path: Path, emulator: EmulatorServer) -> None:
    example = posthog_example(tmp_path, emulator)
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    checkout = example.cwd / "flags" / "checkout.yaml"
    # a split change in staging (50/50 -> 40/60), a rollout change in production (10 -> 30 %)
    _edit(checkout, "serve: {control: 50, treatment: 50}", "serve: {control: 40, treatment: 60}")
    _edit(checkout, "percentage: 10", "percentage: 30")
    # a rule change: staff now by a different domain
    onboarding = example.cwd / "flags" / "onboarding.yaml"
    _edit(onboarding, "is_not: free", "is: enterprise")
    planned = example("plan", "-o", "json")
    assert planned.returncode == 2, planned.stderr
    plan = json.loads(planned.stdout)
    jsonschema.validate(plan, SCHEMA)
    found = {(i["flag"], i["environment"]): i for i in plan["impact"]}
    split = found[("checkout-button", "staging")]
    assert split["method"] == "arithmetic"
    assert split["changed"] == 10.0 and split["moves"] == {"control -> treatment": 10.0}
    rollout = found[("new-checkout", "production")]
    assert (rollout["method"], rollout["changed"], rollout["moves"]) == (
        "arithmetic", 20.0, {"false -> true": 20.0},
    )  # fmt: skip
    rule = found[("new-onboarding", "staging")]
    assert rule["method"] == "unknown" and "impact_sample" in rule["note"]
    assert ("checkout-button", "production") not in found  # its targeting did not change there

    # with a sample, the rule change is measured over it
    users = [
        {"distinct_id": f"u-{n}", "country": "DE", "plan": ["free", "pro", "enterprise"][n % 3]}
        for n in range(300)
    ]
    (example.cwd / "users.jsonl").write_text("".join(json.dumps(u) + "\n" for u in users))
    workspace = example.cwd / "flagsync.yaml"
    workspace.write_text(workspace.read_text() + "impact_sample: users.jsonl\n")
    planned = example("plan", "-o", "json")
    rule = {(i["flag"], i["environment"]): i for i in json.loads(planned.stdout)["impact"]}[
        ("new-onboarding", "staging")
    ]
    assert rule["method"] == "sample"
    assert rule["population"] == "the 300 sample users decided offline"
    assert set(rule["moves"]) == {"true -> false"}  # pro users inside the rollout lose it
    assert 5 < rule["changed"] < 30
    text = example("plan")
    assert "Who it moves (users whose variation changes):" in text.stdout
    assert (
        "  checkout-button [staging]: 10% of the users the variant split serves (a condition "
        "without an override) (control -> treatment 10%) - exact (the vendor's bucketing)"
    ) in text.stdout
    markdown = example("plan", "-o", "markdown")
    assert (
        "| `new-checkout` | production | 20% of the users who reach condition 2" in markdown.stdout
    )
