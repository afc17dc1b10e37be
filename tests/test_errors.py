"""The exception tree (docs/errors.md): every public class is importable from
`reconciler.errors`, derives from `FlagsyncError` (so a caller's catch-all keeps working), is
documented, and is what the command raises for its kind of failure, printed as one message
with exit 1."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

import reconciler.errors as errors
from reconciler.cli import main
from reconciler.errors import (
    AnswerShapeError,
    ApiError,
    ApiStatusError,
    CredentialsError,
    FlagsyncError,
    NetworkError,
    PolicyError,
    SafetyError,
    SavedPlanError,
    UsageError,
    ValidationFailed,
    WorkspaceError,
)
from reconciler.plan import ApiCall, Plan, Step
from reconciler.policy.evaluate import PolicyReport, enforce
from reconciler.policy.violation import Violation
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.safety import check_safety
from reconciler.workspace import Safety

DOCS = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
FAST = RetryPolicy(attempts=2, timeout=5, wait_initial=0.001, wait_max=0.002, wait_jitter=0)


def _classes() -> list[type[BaseException]]:
    return [
        value
        for value in (getattr(errors, name) for name in errors.__all__)
        if isinstance(value, type) and issubclass(value, BaseException)
    ]


def test_every_public_error_derives_from_flagsync_error() -> None:
    classes = _classes()
    assert len(classes) >= 15
    assert all(issubclass(cls, FlagsyncError) for cls in classes)
    assert {name for name in dir(errors) if name.endswith("Error")} <= set(errors.__all__)


def test_the_tree_is_documented_with_each_class_once() -> None:
    text = DOCS.read_text(encoding="utf-8")
    tree = text.split("```")[1]
    for cls in _classes():
        assert len(re.findall(rf"\b{cls.__name__}\b", tree)) == 1, cls.__name__
        assert f"| `{cls.__name__}` |" in text, f"{cls.__name__}: no row saying when it is raised"
        # the tree's indentation matches the classes' bases
        parent = cls.__mro__[1].__name__
        if cls is not FlagsyncError:
            line = next(line for line in tree.splitlines() if f" {cls.__name__} " in line + " ")
            above = tree[: tree.index(line)].splitlines()
            depth = line.index(cls.__name__)
            owner = next(row for row in reversed(above) if _depth(row) < depth)
            assert parent in owner, f"{cls.__name__} is drawn under {owner.strip()}"


def _depth(row: str) -> int:
    found = re.search(r"[A-Za-z]", row)
    return found.start() if found else 10**6


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(main, args, env={"NO_COLOR": "1"})


def _raised(result: Result) -> BaseException | None:
    """The error the command printed: the CLI exits from inside its `except` clause."""
    assert isinstance(result.exception, SystemExit), result.exception
    return result.exception.__context__


Scenario = Callable[[Callable[..., Path]], list[str]]


def _saved_plan_with_flag(make_workspace: Callable[..., Path]) -> list[str]:
    workspace = make_workspace({})
    plan = workspace.parent / "plan.json"
    plan.write_text("{}")
    return ["apply", str(plan), "--flag", "x", "-w", str(workspace)]


def _no_workspace(make_workspace: Callable[..., Path]) -> list[str]:
    folder = make_workspace({}).parent / "elsewhere"
    folder.mkdir()
    return ["plan", "-w", str(folder)]


def _invalid_manifest(make_workspace: Callable[..., Path]) -> list[str]:
    return ["validate", "-w", str(make_workspace({"bad.yaml": "flags: [\n"}))]


def _no_credentials(make_workspace: Callable[..., Path]) -> list[str]:
    return ["plan", "-w", str(make_workspace({}))]


def _plan_file_not_json(make_workspace: Callable[..., Path]) -> list[str]:
    workspace = make_workspace({})
    plan = workspace.parent / "plan.json"
    plan.write_text("not json")
    return ["apply", str(plan), "--yes", "-w", str(workspace)]


@pytest.mark.parametrize(
    ("scenario", "raised", "message"),
    [
        (_saved_plan_with_flag, UsageError, "Error: a saved plan is applied as it is"),
        (_no_workspace, WorkspaceError, "Error: elsewhere/flagsync.yaml: no workspace file here"),
        (_invalid_manifest, ValidationFailed, "1 problem found"),
        (_plan_file_not_json, SavedPlanError, "plan.json:1:1: not a plan file (invalid JSON)"),
        (_no_credentials, CredentialsError, "Error: DevCycle credentials missing"),
    ],
)
def test_each_failure_exits_1_with_its_message_and_class(
    make_workspace: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    scenario: Scenario,
    raised: type[FlagsyncError],
    message: str,
) -> None:
    for name in ("DEVCYCLE_API_TOKEN", "DEVCYCLE_CLIENT_ID", "DEVCYCLE_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    if raised is not CredentialsError:
        monkeypatch.setenv("DEVCYCLE_API_TOKEN", "token")
    monkeypatch.setenv("DEVCYCLE_API_URL", "http://127.0.0.1:9")
    result = _run(scenario(make_workspace))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(_raised(result), raised)


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> ApiClient:
    return ApiClient("http://vendor.test", transport=httpx.MockTransport(handler), retry=FAST)


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


@pytest.mark.parametrize(
    ("handler", "raised", "message"),
    [
        (_refused, NetworkError, "GET /thing: cannot reach http://vendor.test"),
        (
            lambda request: httpx.Response(404, json={}),
            ApiStatusError,
            "GET /thing: not found",
        ),
        (
            lambda request: httpx.Response(
                200, text="<html>login</html>", headers={"content-type": "text/html"}
            ),
            AnswerShapeError,
            "GET /thing: the API answered with a web page (HTTP 200), not JSON",
        ),
    ],
)
def test_api_failures_are_told_apart(
    handler: Callable[[httpx.Request], httpx.Response],
    raised: type[ApiError],
    message: str,
) -> None:
    with pytest.raises(raised, match=re.escape(message)) as caught:
        _client(handler).json("GET", "/thing")
    assert isinstance(caught.value, ApiError) and caught.value.call == "GET /thing"


def test_an_unsafe_plan_is_a_safety_error() -> None:
    steps = [
        Step(action="delete", key=f"f{i}", calls=[ApiCall(method="DELETE", path=f"/f{i}")])
        for i in range(6)
    ]
    plan = Plan(provider="devcycle", project="p", environments=[], steps=steps, managed_count=10)
    with pytest.raises(SafetyError, match="too many deletes: 6 of 10 managed flags"):
        check_safety(plan, Safety())


def test_a_failed_policy_without_a_reason_is_a_policy_error() -> None:
    report = PolicyReport(checked=1, violations=[Violation(rule="owner", message="no owner")])
    with pytest.raises(PolicyError, match="the workspace's policy failed"):
        enforce(report, None)
