"""`run`, `summary` and `apply` with the real flagsync against an emulator: the step outputs,
the job summary, and the saved plan that apply applies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.github.conftest import Action, RealPlans


def test_a_plan_with_changes_sets_the_outputs(real_plans: RealPlans) -> None:
    outputs = real_plans.create_outputs
    assert outputs["changes"] == "true"
    assert outputs["exit-code"] == "2"
    plan = json.loads(Path(outputs["plan-json"]).read_text())
    assert plan["format_version"] == 1
    assert plan["summary"]["create"] == 12  # 6 flags, 3 custom properties, 1 audience, 2 metrics
    assert Path(outputs["plan-markdown"]).read_text().startswith("### flagsync plan")


def test_a_plan_without_changes_sets_the_outputs(real_plans: RealPlans) -> None:
    outputs = real_plans.unchanged_outputs
    assert outputs["changes"] == "false"
    assert outputs["exit-code"] == "0"
    assert json.loads(Path(outputs["plan-json"]).read_text())["changes_pending"] is False


def test_the_job_summary_has_the_plan(real_plans: RealPlans) -> None:
    text = real_plans.create_summary
    assert text.startswith("**flagsync plan** `flagsync.yaml`: 12 to create, 0 to update")
    assert "new-checkout" in text
    assert "| where | field | before | after |" in text
    assert real_plans.create.fingerprint[:12] in text


def test_apply_applies_the_saved_plan_and_reports(real_plans: RealPlans) -> None:
    assert real_plans.apply_outputs["exit-code"] == "0"
    assert "**flagsync apply** `flagsync.yaml`: applied" in real_plans.apply_summary
    assert "Apply complete: 12 created" in real_plans.apply_summary
    # and the next plan finds nothing left to do
    assert real_plans.unchanged_outputs["changes"] == "false"


def test_drift_sets_the_outputs_and_reports(real_plans: RealPlans) -> None:
    assert real_plans.drift_outputs["changes"] == "true"
    assert real_plans.drift_outputs["exit-code"] == "2"
    report = json.loads(Path(real_plans.drift_outputs["plan-json"]).read_text())
    assert report["drift"] is True
    assert real_plans.drift_summary.startswith("**flagsync drift** `flagsync.yaml`: drift found")
    assert '| flag | `name` | "Dark" | "Dark mode" |' in real_plans.drift_summary


@pytest.mark.slow
def test_a_failing_flagsync_fails_the_step_and_still_sets_outputs(
    action: Action, tmp_path: Path
) -> None:
    (tmp_path / "flagsync.yaml").write_text("provider: devcycle\nproject: demo\n")
    result = action("run", "--command", "plan", "--workspace", "flagsync.yaml")
    assert result.returncode == 1
    assert "flagsync plan failed (exit 1)" in result.stderr
    outputs = action.outputs()
    assert outputs["exit-code"] == "1"
    assert outputs["changes"] == "false"
    log = Path(outputs["log"]).read_text()
    assert log.strip()
    summary = action(
        "summary", "--workspace", "flagsync.yaml", "--exit-code", "1", "--log", outputs["log"]
    )
    assert summary.returncode == 0, summary.stderr
    assert "failed (exit 1)" in action.summary()


def test_an_unknown_command_is_refused(action: Action) -> None:
    result = action("run", "--command", "destroy")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_apply_without_a_plan_file_is_one_clear_line(action: Action, tmp_path: Path) -> None:
    result = action("apply", "--plan-json", str(tmp_path / "missing.json"))
    assert result.returncode == 1
    assert "no such plan file" in result.stderr
