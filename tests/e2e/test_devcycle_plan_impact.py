"""A DevCycle plan that changes a target's split says who it moves, exactly, as a PostHog plan
does: a named target keeps its `_id`, so DevCycle's bucketing (DevCycleHQ/js-sdks bucketing.ts
`_generateBoundedHashes`, `decideTargetVariation`) moves the users whose hash lands in another
variation's range. Text, Markdown and JSON (valid against schemas/plan-v1.schema.json) carry it,
and after the apply the live evaluation agrees."""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.e2e.conftest import REPO, Cli

SCHEMA = json.loads((REPO / "schemas" / "plan-v1.schema.json").read_text())


@pytest.mark.slow
def test_a_devcycle_split_change_shows_the_share_of_users_it_moves(example: Cli) -> None:
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    checkout = example.cwd / "flags" / "checkout.yaml"
    text = checkout.read_text()
    assert "serve: {classic: 90, redesign: 10}" in text
    checkout.write_text(text.replace("{classic: 90, redesign: 10}", "{classic: 60, redesign: 40}"))

    planned = example("plan", "-o", "json")
    assert planned.returncode == 2, planned.stdout + planned.stderr
    plan = json.loads(planned.stdout)
    jsonschema.validate(plan, SCHEMA)
    found = {(i["flag"], i["environment"]): i for i in plan["impact"]}
    assert set(found) == {("new-checkout", "production")}
    split = found[("new-checkout", "production")]
    assert (split["method"], split["changed"], split["moves"]) == (
        "arithmetic", 30.0, {"classic -> redesign": 30.0},
    )  # fmt: skip

    text_plan = example("plan")
    assert (
        "  new-checkout [production]: 30% of the users target 2 serves (its audience, no earlier "
        "target holding them) (classic -> redesign 30%) - exact (the vendor's bucketing)"
    ) in text_plan.stdout, text_plan.stdout
    markdown = example("plan", "-o", "markdown")
    assert "| `new-checkout` | production | 30% of the users target 2 serves" in markdown.stdout

    # after the apply, the live evaluation (live ids) moves that share of sampled users
    users = [{"user_id": f"u-{n}", "email": f"u{n}@example.org"} for n in range(2000)]
    sample = example.cwd / "users.jsonl"
    sample.write_text("".join(json.dumps(u) + "\n" for u in users))
    checkout.write_text(text)  # back to 90/10, as live
    before = example("eval", "--live", "--env", "production", "--users", str(sample),
                     "--flag", "new-checkout", "-o", "json")  # fmt: skip
    checkout.write_text(text.replace("{classic: 90, redesign: 10}", "{classic: 60, redesign: 40}"))
    assert example("apply", "--yes").returncode == 0
    after = example("eval", "--live", "--env", "production", "--users", str(sample),
                    "--flag", "new-checkout", "-o", "json")  # fmt: skip
    assert before.returncode == 0 and after.returncode == 0, before.stderr + after.stderr
    was = [json.loads(line)["variation"] for line in before.stdout.splitlines()]
    now = [json.loads(line)["variation"] for line in after.stdout.splitlines()]
    moved = sum(1 for a, b in zip(was, now, strict=True) if (a, b) == ("classic", "redesign"))
    assert sum(1 for a, b in zip(was, now, strict=True) if a != b) == moved
    assert abs(100 * moved / len(users) - 30) < 4


@pytest.mark.slow
def test_a_devcycle_rollout_change_shows_the_share_of_users_it_moves(example: Cli) -> None:
    mobile = example.cwd / "flags" / "mobile.yaml"
    # dark-mode [production]: its only target's rollout, at 30 % since 2020, goes to 10 %
    gradual = (
        "start: 2026-12-01T09:00:00Z\n              start_percentage: 10\n              stages:\n"
        "                - {percentage: 100, at: 2026-12-15T09:00:00Z}"
    )
    text = mobile.read_text()
    assert gradual in text
    held = (
        "start: 2020-01-01T00:00:00Z\n              start_percentage: 0\n              stages:\n"
        "                - {{percentage: {}, at: 2020-01-02T00:00:00Z}}"
    )
    mobile.write_text(text.replace(gradual, held.format(30)))
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    mobile.write_text(text.replace(gradual, held.format(10)))
    planned = example("plan", "-o", "json")
    assert planned.returncode == 2, planned.stdout + planned.stderr
    plan = json.loads(planned.stdout)
    jsonschema.validate(plan, SCHEMA)
    (rollout,) = [i for i in plan["impact"] if i["flag"] == "dark-mode"]
    assert rollout["method"] == "arithmetic" and rollout["environment"] == "production"
    assert set(rollout["moves"]) == {"on -> (none)"}
    assert (rollout["changed"], rollout["moves"]) == (20.0, {"on -> (none)": 20.0})
    assert "users whose audience target 1 holds" in rollout["population"]
