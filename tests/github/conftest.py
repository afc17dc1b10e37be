"""Fixtures: a fake GitHub API, an Actions environment, and plans made by the real flagsync.

`python -m reconciler.github` runs as a subprocess exactly as the composite action's steps run
it: the event payload, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY` and `GITHUB_API_URL` (the fake) set
as the runner sets them. Every run checks that the token was printed nowhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.plan import ApiCall, Change, FieldChange, Plan, Step
from reconciler.render import render_json, render_markdown
from tests.emulator_auth import fetch_token
from tests.github.fake_github import BOT, Account, FakeGitHub, FakeGitHubServer

REPO = Path(__file__).resolve().parents[2]
TOKEN = "ghs_fakeTokenValue0123456789abcdef"
REPOSITORY = "acme/flags"
PR = 7
HEAD_SHA = "1111111aaaaaaabbbbbbbccccccc111111111111"
MERGE_SHA = "2222222dddddddeeeeeeefffffff222222222222"
CLIENT_ID, CLIENT_SECRET = "action-client", "action-secret-value"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test of the Action's runs on real plans (`real_plans`: nine runs of the Action against
    the emulator, about 12 s of CPU once per session, the largest single cost of the quick
    loop) is `slow`: the full suite runs them; the quick loop keeps the Action's other tests."""
    for item in items:
        if "real_plans" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def github_server() -> Iterator[FakeGitHub]:
    with FakeGitHubServer(FakeGitHub()) as fake:
        yield fake


@pytest.fixture
def github(github_server: FakeGitHub) -> FakeGitHub:
    """The fake API, emptied, knowing one token: the workflow's (a bot, as GITHUB_TOKEN is)."""
    github_server.reset()
    github_server.accounts[TOKEN] = Account(BOT, "Bot")
    return github_server


@dataclass
class Action:
    """Runs the action's Python steps in one job: same outputs and summary files throughout."""

    root: Path
    api_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    event_name: str = "pull_request"
    event: dict[str, Any] = field(default_factory=dict)
    sha: str = HEAD_SHA

    def pull_request(self, number: int = PR, head_sha: str = HEAD_SHA) -> Action:
        self.event_name = "pull_request"
        self.event = {
            "number": number,
            "pull_request": {"number": number, "head": {"sha": head_sha}},
        }
        self.sha = MERGE_SHA  # on pull_request, GITHUB_SHA is GitHub's test merge commit
        return self

    def push(self, sha: str = MERGE_SHA) -> Action:
        self.event_name = "push"
        self.event = {"ref": "refs/heads/main", "after": sha}
        self.sha = sha
        return self

    @property
    def output_file(self) -> Path:
        return self.root / "_runner" / "output"

    @property
    def summary_file(self) -> Path:
        return self.root / "_runner" / "summary.md"

    def environment(self) -> dict[str, str]:
        runner = self.root / "_runner"
        runner.mkdir(exist_ok=True)
        event_file = runner / "event.json"
        event_file.write_text(json.dumps(self.event))
        self.output_file.touch()
        self.summary_file.touch()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "RUNNER_", "DEVCYCLE_", "FLAGSYNC_"))
        }
        env.update(
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            GITHUB_ACTIONS="true",
            GITHUB_EVENT_NAME=self.event_name,
            GITHUB_EVENT_PATH=str(event_file),
            GITHUB_REPOSITORY=REPOSITORY,
            GITHUB_SHA=self.sha,
            GITHUB_API_URL=self.api_url,
            GITHUB_SERVER_URL="https://github.com",
            GITHUB_RUN_ID="4242",
            GITHUB_WORKSPACE=str(self.root),
            GITHUB_STEP_SUMMARY=str(self.summary_file),
            GITHUB_OUTPUT=str(self.output_file),
            RUNNER_TEMP=str(runner),
            GITHUB_TOKEN=TOKEN,
            NO_COLOR="1",
        )
        env.update(self.extra_env)
        return env

    def __call__(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "reconciler.github", *args],
            cwd=self.root,
            env={**self.environment(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        for text in (result.stdout, result.stderr, self.summary(), self.output_file.read_text()):
            assert TOKEN not in text, "the token was printed"
        return result

    def outputs(self) -> dict[str, str]:
        return parse_outputs(self.output_file.read_text())

    def summary(self) -> str:
        return self.summary_file.read_text() if self.summary_file.exists() else ""


def parse_outputs(text: str) -> dict[str, str]:
    """`GITHUB_OUTPUT` as the runner reads it: `name=value` and `name<<DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@pytest.fixture
def action(tmp_path: Path, github: FakeGitHub) -> Action:
    """A job on a pull request, talking to the fake API."""
    return Action(root=tmp_path, api_url=github.url).pull_request()


@dataclass(frozen=True)
class PlanFiles:
    json: Path
    markdown: Path
    exit_code: int = 0

    @property
    def data(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.json.read_text())
        return result

    @property
    def fingerprint(self) -> str:
        return str(self.data["fingerprint"])

    def args(self) -> list[str]:
        return [
            "--plan-json",
            str(self.json),
            "--plan-markdown",
            str(self.markdown),
            "--exit-code",
            str(self.exit_code),
        ]


@dataclass(frozen=True)
class RealPlans:
    """Plans the real `flagsync` made against an emulator, through the action's `run` step."""

    create: PlanFiles
    create_outputs: dict[str, str]
    create_summary: str
    apply_outputs: dict[str, str]
    apply_summary: str
    unchanged: PlanFiles
    unchanged_outputs: dict[str, str]
    update: PlanFiles
    drift_outputs: dict[str, str]
    drift_summary: str


def _fresh_job(job: Action) -> None:
    job.output_file.unlink(missing_ok=True)
    job.summary_file.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def real_plans(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealPlans]:
    root = tmp_path_factory.mktemp("real")
    shutil.copytree(REPO / "tests" / "fixtures" / "examples" / "devcycle", root, dirs_exist_ok=True)
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as emulator:
        job = Action(
            root=root,
            api_url="http://127.0.0.1:9",  # never called: run, summary and apply need no API
            extra_env={
                "DEVCYCLE_CLIENT_ID": CLIENT_ID,
                "DEVCYCLE_CLIENT_SECRET": CLIENT_SECRET,
                "DEVCYCLE_API_URL": emulator.url,
                "DEVCYCLE_AUTH_URL": f"{emulator.url}/oauth/token",
            },
        ).push()

        def plan(name: str, command: str = "plan") -> tuple[PlanFiles, dict[str, str], str]:
            _fresh_job(job)
            out = root / "_plans" / name
            ran = job(
                "run", "--command", command, "--workspace", "flagsync.yaml", "--out-dir", str(out)
            )
            assert ran.returncode == 0, ran.stderr
            outputs = job.outputs()
            files = PlanFiles(out / "plan.json", out / "plan.md", int(outputs["exit-code"]))
            summary = job(
                "summary", "--command", command, "--workspace", "flagsync.yaml", *files.args()
            )
            assert summary.returncode == 0, summary.stderr
            return files, outputs, job.summary()

        create, create_outputs, create_summary = plan("create")
        _fresh_job(job)
        applied = job("apply", "--workspace", "flagsync.yaml", "--plan-json", str(create.json))
        assert applied.returncode == 0, applied.stdout + applied.stderr
        apply_outputs, apply_summary = job.outputs(), job.summary()
        unchanged, unchanged_outputs, _ = plan("unchanged")
        _edit_behind_flagsyncs_back(emulator.url)
        update, _, _ = plan("update")
        _, drift_outputs, drift_summary = plan("drift", "drift")
        yield RealPlans(
            create=create,
            create_outputs=create_outputs,
            create_summary=create_summary,
            apply_outputs=apply_outputs,
            apply_summary=apply_summary,
            unchanged=unchanged,
            unchanged_outputs=unchanged_outputs,
            update=update,
            drift_outputs=drift_outputs,
            drift_summary=drift_summary,
        )


def _edit_behind_flagsyncs_back(url: str) -> None:
    token = fetch_token(url, CLIENT_ID, CLIENT_SECRET)
    response = httpx.patch(
        f"{url}/v2/projects/demo/features/dark-mode",
        json={"name": "Dark"},
        headers={"Authorization": token},
    )
    assert response.status_code == 200, response.text


def synthetic_plan(
    folder: Path, flags: int, change_requests: int = 0, name: str = "plan"
) -> PlanFiles:
    """A plan with `flags` flags to create (and some change requests), rendered by flagsync's
    own renderers: for sizes an emulator run would take long to reach."""
    changes = [
        Change(
            action="create",
            key=f"flag-{index:05d}",
            fields=[FieldChange.at(("name",), None, f"Flag number {index}")],
        )
        for index in range(flags)
    ]
    steps = [
        Step(
            action="create",
            key=change.key,
            calls=[ApiCall(method="POST", path="/v2/projects/demo/features")],
        )
        for change in changes
    ]
    steps += [
        Step(
            action="update",
            key=f"reviewed-{index}",
            via="change-request",
            calls=[ApiCall(method="POST", path="/v1/projects/demo/features/x/changeRequests")],
        )
        for index in range(change_requests)
    ]
    plan = Plan(
        provider="devcycle",
        project="demo",
        environments=["production"],
        changes=changes,
        steps=steps,
        fingerprints={"seed": name},
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = PlanFiles(folder / f"{name}.json", folder / f"{name}.md", 2 if steps else 0)
    files.json.write_text(render_json(plan))
    files.markdown.write_text(render_markdown(plan))
    return files
