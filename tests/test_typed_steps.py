"""Typed steps: what a step and each of its calls is, and what it depends on, is data (a kind, a
role, `Ref`s), and one ordering rule (`reconciler.ordering`) decides the order apply runs them in.
A saved plan carries all of it, valid against schemas/plan-v1.schema.json; a plan saved by an
earlier flagsync, without it, is refused with a message saying so."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from reconciler.apply import apply_plan
from reconciler.cli import main
from reconciler.errors import AnswerShapeError, PlanError, SavedPlanError
from reconciler.ordering import order, schedule
from reconciler.plan import ApiCall, Plan, Ref, Step
from reconciler.render import render_json

SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "schemas" / "plan-v1.schema.json").read_text()
)


def _step(resource: str, key: str, action: str = "create", **more: Any) -> Step:
    calls = more.pop("calls", None) or [ApiCall(method="POST", path=f"/{resource}/{key}")]
    return Step.model_validate(
        {"resource": resource, "key": key, "action": action, "calls": calls, **more}
    )


def _names(steps: list[Step]) -> list[str]:
    return [f"{s.action} {s.resource} {s.key}" for s in steps]


def test_what_others_refer_to_is_written_first_and_deleted_last() -> None:
    steps = [
        _step("flag", "checkout"),
        _step("audience", "gone", "delete"),
        _step("holdout", "control-group"),
        _step("experiment", "pricing"),
        _step("custom_property", "plan"),
        _step("holdout", "old", "delete"),
        _step("audience", "staff"),
        _step("custom_property", "unused", "delete"),
    ]
    assert _names(order(steps)) == [
        "create custom_property plan",
        "create holdout control-group",
        "create audience staff",
        "create flag checkout",
        "create experiment pricing",
        "delete audience gone",
        "delete holdout old",
        "delete custom_property unused",
    ]
    assert [len(wave) for wave in schedule(steps)] == [1, 2, 2, 2, 1]


def _depending(key: str, on: str) -> Step:
    ref = Ref(resource="flag", key=on, scope="1")
    body = {"filters": {"groups": [{"properties": [{"type": "flag", "key": ref.token}]}]}}
    return _step("flag", key, calls=[ApiCall(method="POST", path="/f/", body=body, refs=[ref])])


def test_a_flag_starts_after_the_flags_its_calls_refer_to() -> None:
    steps = [_depending("child", on="parent"), _step("flag", "other"), _step("flag", "parent")]
    assert _names(order(steps)) == ["create flag parent", "create flag child", "create flag other"]


def test_flags_referring_to_each_other_are_refused() -> None:
    with pytest.raises(PlanError, match="flags depend on each other in a cycle through 'a'"):
        order([_depending("a", on="b"), _depending("b", on="a")])


def test_an_objects_direct_writes_run_before_its_change_request() -> None:
    request = _step("flag", "checkout", "update", kind="change-request", via="change-request")
    write = _step("flag", "checkout", "update")
    assert [s.kind for s in order([request, write])] == ["write", "change-request"]


def test_a_ref_token_is_filled_in_the_path_and_as_a_whole_body_value() -> None:
    flag = Ref(resource="flag", key="parent")
    holdout = Ref(resource="holdout", key="10 %", number=True)
    call = ApiCall(
        method="PATCH",
        path=f"/api/projects/1/feature_flags/{flag.token}/",
        body={"key": flag.token, "holdout_id": holdout.token, "name": f"x {flag.token}"},
        refs=[flag, holdout],
    )
    sent = call.filled({flag: 12, holdout: "7"})
    assert (flag.token, holdout.token) == ("{flag-id:parent}", "{holdout-id:10 %}")
    assert sent.path == "/api/projects/1/feature_flags/12/"
    assert sent.body == {"key": "12", "holdout_id": 7, "name": "x {flag-id:parent}"}
    assert sent.refs == []


def test_a_call_needing_the_previous_answer_gets_it_or_says_it_is_missing() -> None:
    previous = Ref(to="previous", field="_id")
    call = ApiCall(method="PATCH", path=f"/requests/{previous.token}/submit", refs=[previous])
    assert call.resolved({"_id": "cr1"}).path == "/requests/cr1/submit"
    with pytest.raises(AnswerShapeError, match="the previous call's answer carries no _id"):
        call.resolved({"id": 3})


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def execute(self, call: ApiCall) -> Any:
        with self.lock:
            self.sent.append(call.describe())
        return {"_id": "cr9"}

    def describe(self, call: ApiCall) -> str:
        return call.describe()


def test_the_apply_log_reads_roles_and_kinds_not_urls() -> None:
    """A call's URL says nothing to apply: a submit whose path does not end in /submit still
    reads as a submitted change request."""
    previous = Ref(to="previous", field="_id")
    request = Step(
        kind="change-request",
        via="change-request",
        action="update",
        key="checkout",
        reviewers=["ana"],
        calls=[
            ApiCall(method="POST", path="/requests", role="open-request"),
            ApiCall(
                method="POST",
                path=f"/requests/{previous.token}",
                role="submit-request",
                refs=[previous],
            ),
        ],
    )
    named_so = _step(
        "flag",
        "launch",
        "update",
        calls=[
            ApiCall(method="PATCH", path="/flags/launch/submit"),
            ApiCall(method="POST", path="/flags/launch/status"),
        ],
    )
    plan = Plan(provider="devcycle", project="p", environments=[], steps=[request, named_so])
    lines: list[str] = []
    result = apply_plan(plan, _Recorder(), lines.append, workers=1)
    assert result.ok
    assert lines == [
        "  opened change request cr9 for checkout  (POST /requests)",
        "  submitted change request cr9 to ana for checkout  (POST /requests/cr9)",
        "  updated launch  (PATCH /flags/launch/submit)",
        "  updated launch  (POST /flags/launch/status)",
    ]


def test_a_plan_with_kinds_roles_and_refs_is_valid_against_the_schema() -> None:
    step = _depending("child", on="parent")
    plan = Plan(provider="posthog", project="staging=1", environments=["staging"], steps=[step])
    data = json.loads(render_json(plan))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["steps"][0]["kind"] == "write"
    assert data["steps"][0]["calls"][0]["refs"][0]["resource"] == "flag"
    assert Plan.model_validate(data).steps == plan.steps


def test_a_plan_saved_by_an_earlier_flagsync_is_refused_with_a_reason(
    make_workspace: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = make_workspace({})
    plan = Plan(provider="devcycle", project="demo", environments=[], steps=[_step("flag", "a")])
    data = json.loads(render_json(plan))
    for step in data["steps"]:  # as the previous version wrote it
        del step["kind"]
        for call in step["calls"]:
            del call["role"], call["refs"]
    saved = workspace.parent / "old-plan.json"
    saved.write_text(json.dumps(data))
    monkeypatch.setenv("DEVCYCLE_API_TOKEN", "token")
    monkeypatch.setenv("DEVCYCLE_API_URL", "http://127.0.0.1:9")
    result = CliRunner().invoke(main, ["apply", str(saved), "--yes", "-w", str(workspace)])
    assert result.exit_code == 1
    assert "old-plan.json was written by an earlier version of flagsync" in result.output
    assert "run `flagsync plan --out` again" in result.output
    assert isinstance(result.exception, SystemExit)
    assert isinstance(result.exception.__context__, SavedPlanError)


def test_a_reference_to_what_the_objects_own_step_creates_is_no_cycle() -> None:
    made = Ref(resource="experiment", key="pricing", scope="1")
    step = _step(
        "experiment",
        "pricing",
        calls=[
            ApiCall(method="POST", path="/experiments/"),
            ApiCall(method="POST", path=f"/experiments/{made.token}/launch/", refs=[made]),
        ],
    )
    assert order([step]) == [step]


def test_a_devcycle_change_request_step_says_what_each_call_is() -> None:
    from reconciler.providers.devcycle import change_requests

    step = change_requests.request_step(
        "/v2/projects/demo",
        "checkout",
        {"status": "active"},
        ["production"],
        ["ana"],
        "d",
        ("old",),
    )
    assert step.kind == "change-request"
    assert [c.role for c in step.calls] == ["cancel-request", "open-request", "submit-request"]
    assert step.calls[2].refs == [Ref(to="previous", field="_id")]
    cancel = change_requests.cancel_step("/v2/projects/demo", "checkout", ("old",))
    assert cancel.kind == "cancel-requests" and cancel.calls[0].role == "cancel-request"


def test_a_posthog_experiment_create_names_the_ids_it_needs() -> None:
    from reconciler.model import Experiment
    from reconciler.providers.posthog.experiment_steps import plan_experiment

    experiment = Experiment.model_validate(
        {
            "key": "pricing",
            "name": "Pricing",
            "status": "running",
            "environments": ["staging"],
            "variants": {"control": {"split": 50}, "test": {"split": 50}},
        }
    )
    work = plan_experiment(experiment, {}, {"staging": 7}, ["staging"], False, lambda env, name: 0)
    (step,) = work.steps
    assert [c.role for c in step.calls] == ["write", "tag", "launch"]
    assert step.calls[0].makes == Ref(resource="experiment", key="pricing", scope="7")
    assert step.calls[1].refs == [Ref(resource="flag", key="pricing", scope="7")]
    assert step.calls[1].path == "/api/projects/7/feature_flags/{flag-id:pricing}/"
    assert step.calls[2].refs == [Ref(resource="experiment", key="pricing", scope="7")]


def test_vendor_code_reads_what_a_call_is_about_from_data_not_its_url() -> None:
    """Answer checks, executors and recovery know what a call writes from its `subject` (and
    its `role`, `refs`, `makes`): no vendor module takes a call's path apart (`split`,
    `rsplit`, `removesuffix`, `strip`, a regex match) to find a resource, key, id or project."""
    import ast

    providers = Path(__file__).resolve().parent.parent / "reconciler" / "providers"
    parsing = {"split", "rsplit", "removesuffix", "removeprefix", "strip", "partition"}
    found = []
    for path in sorted(providers.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            on_path = isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "path"
            if on_path and node.func.attr in parsing:
                found.append(f"{path.name}:{node.lineno} .path.{node.func.attr}()")
            reads_path = any(isinstance(a, ast.Attribute) and a.attr == "path" for a in node.args)
            if node.func.attr in ("match", "fullmatch", "search") and reads_path:
                found.append(f"{path.name}:{node.lineno} a regex over .path")
    assert found == []
