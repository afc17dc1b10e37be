"""Flag tests: files that declare, per user and flag, the variation (or values) each
environment must serve, checked offline against the manifests by `flagsync test` and
`flagsync validate`.

```yaml
# flag-tests/checkout.flag-tests.yaml
users:
  staff: {distinct_id: u1, email: jane@acme.com}
cases:
  - name: staff get the green button
    user: staff                     # a name under `users`, or a context inline
    flag: checkout-button
    expect:
      staging: treatment            # the variation
      production: {variation: treatment, values: {payload: {colour: "#22aa44"}}}
```

Files are schema-checked (schemas/flag-tests.schema.json) and every problem, like every
failure, is reported as file:line:col. The evaluation is the workspace vendor's, so a case
fails when the vendor's SDK would serve something else, and also when the answer cannot be
decided offline (a cohort's members, a property the context lacks): a test is only as good as
the answer it can be sure of.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import Problem, ValidationFailed, WorkspaceError
from reconciler.evaluation import Evaluation, Evaluator
from reconciler.manifest import schema_check
from reconciler.manifest.source import Document, read_yaml
from reconciler.model import FlagSet
from reconciler.providers.evaluators import evaluator_for
from reconciler.workspace import Workspace, display_name

SCHEMA = "flag-tests"
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Check:
    """One expectation: a case's flag, for its user, in one environment."""

    where: str
    """file:line:col of the expectation."""
    name: str
    flag: str
    environment: str
    user: dict[str, Any]
    variation: Any = None
    check_variation: bool = True
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    check: Check
    answer: Evaluation
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    files: int = 0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    def summary(self) -> str:
        total, failed = len(self.outcomes), len(self.failed)
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        noun = "check" if total == 1 else "checks"
        if not failed:
            return f"Flag tests: {total} {noun} passed ({files})."
        return f"Flag tests: {failed} of {total} {noun} failed ({files})."


# ---------------------------------------------------------------------------------------------
# finding and reading


def test_files(workspace: Workspace) -> list[Path]:
    """The workspace's flag test files, sorted; a declared entry that finds nothing is an
    error, the default folder may be absent."""
    found: set[Path] = set()
    base = workspace.file.parent
    for entry in workspace.tests:
        if any(char in str(entry) for char in "*?["):
            relative = str(entry.relative_to(base)) if entry.is_relative_to(base) else str(entry)
            matches = [p for p in base.glob(relative) if p.is_file()]
        elif entry.is_dir():
            matches = [p for p in entry.rglob("*") if p.suffix in SUFFIXES and p.is_file()]
        elif entry.is_file():
            matches = [entry]
        else:
            matches = []
        if not matches and workspace.tests_declared:
            raise WorkspaceError(
                f"{display_name(workspace.file)}: tests: {display_name(entry)} finds no file"
            )
        found.update(matches)
    return sorted(found)


def _expectation(raw: Any) -> tuple[bool, Any, dict[str, Any]]:
    """(check the variation?, the variation, the values) of an `expect` entry."""
    if isinstance(raw, dict):
        return "variation" in raw, _variation(raw.get("variation")), dict(raw.get("values") or {})
    return True, _variation(raw), {}


def _variation(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def read_checks(
    document: Document, flags: FlagSet, environments: Iterable[str]
) -> tuple[list[Check], list[Problem]]:
    """The checks one test file declares, or the problems that stop it."""
    problems = schema_check.check(document, SCHEMA)
    if problems:
        return [], problems
    data: dict[str, Any] = document.data
    users: dict[str, Any] = data.get("users") or {}
    known_envs = list(environments)
    checks: list[Check] = []
    for index, case in enumerate(data["cases"]):
        path: list[str | int] = ["cases", index]
        user = case["user"]
        if isinstance(user, str):
            if user not in users:
                problems.append(
                    document.problem([*path, "user"], f"no user '{user}' under `users`")
                )
                continue
            user = users[user]
        key = case["flag"]
        if key not in flags.flags and key not in flags.experiments:
            problems.append(document.problem([*path, "flag"], f"no flag '{key}' in the manifests"))
            continue
        for env, raw in case["expect"].items():
            if env not in known_envs:
                problems.append(
                    document.problem(
                        [*path, "expect", env],
                        f"'{env}' is not an environment of the workspace ({', '.join(known_envs)})",
                        at_key=True,
                    )
                )
                continue
            line, col = document.locate([*path, "expect", env], at_key=True)
            check_variation, variation, values = _expectation(raw)
            checks.append(
                Check(
                    where=f"{document.name}:{line}:{col}",
                    name=str(case.get("name") or f"case {index + 1}"),
                    flag=key,
                    environment=env,
                    user=dict(user),
                    variation=variation,
                    check_variation=check_variation,
                    values=values,
                )
            )
    return checks, problems


def load_checks(workspace: Workspace, flags: FlagSet) -> tuple[list[Check], int]:
    """Every check of the workspace's test files (ValidationFailed lists all problems)."""
    checks: list[Check] = []
    problems: list[Problem] = []
    files = test_files(workspace)
    for path in files:
        document = read_yaml(path, display_name(path))
        if not isinstance(document, Document):
            problems.append(document)
            continue
        found, wrong = read_checks(document, flags, workspace.environment_names)
        checks.extend(found)
        problems.extend(wrong)
    if problems:
        raise ValidationFailed(problems)
    return checks, len(files)


# ---------------------------------------------------------------------------------------------
# running


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def judge(check: Check, answer: Evaluation) -> tuple[str, ...]:
    """What differs between the expectation and the answer (nothing: the check passes)."""
    if not answer.exact:
        return (f"cannot be decided offline: {answer.reason}",)
    failures = []
    if check.check_variation and answer.variation != check.variation:
        failures.append(
            f"variation: expected {_show(check.variation)}, got {_show(answer.variation)}"
        )
    for name, expected in check.values.items():
        actual = answer.values.get(name)
        if actual != expected or name not in answer.values:
            failures.append(f"{name}: expected {_show(expected)}, got {_show(actual)}")
    return tuple(failures)


def run_checks(
    workspace: Workspace, flags: FlagSet, checks: list[Check], evaluator: Evaluator | None = None
) -> list[Outcome]:
    evaluator = evaluator or evaluator_for(workspace.provider, flags)
    outcomes = []
    for check in checks:
        answer = evaluator.evaluate(check.flag, check.environment, check.user)
        outcomes.append(Outcome(check, answer, judge(check, answer)))
    return outcomes


def run_tests(workspace: Workspace, flags: FlagSet) -> Report:
    checks, files = load_checks(workspace, flags)
    if not checks:
        return Report(files=files)
    return Report(run_checks(workspace, flags, checks), files)


def as_problems(report: Report) -> list[Problem]:
    """Failures as located problems (validate's text, GitHub annotations, SARIF)."""
    problems = []
    for outcome in report.failed:
        check = outcome.check
        file, line, col = check.where.rsplit(":", 2)
        message = (
            f"flag test '{check.name}' fails: {check.flag} [{check.environment}]: "
            + "; ".join(outcome.failures)
        )
        problems.append(Problem(file, int(line), int(col), message))
    return problems


def render_failure(outcome: Outcome) -> list[str]:
    check, answer = outcome.check, outcome.answer
    lines = [f"{check.where}: FAIL {check.name}: {check.flag} [{check.environment}]"]
    lines += [f"    {failure}" for failure in outcome.failures]
    if answer.exact:
        lines.append(f"    why: {answer.reason}")
    return lines


def render_text(report: Report) -> str:
    lines = [line for outcome in report.failed for line in render_failure(outcome)]
    lines.append(report.summary())
    return "\n".join(lines) + "\n"


def render_markdown(report: Report) -> str:
    """The PR comment's section: the summary, and a table of the failures."""
    if not report.outcomes:
        return ""
    mark = "✅" if not report.failed else "❌"
    lines = [f"{mark} **{report.summary()}**", ""]
    if report.failed:
        lines += [
            "| Where | Case | Flag | Environment | Expected vs actual |",
            "|---|---|---|---|---|",
        ]
        for outcome in report.failed:
            check = outcome.check
            detail = "<br>".join(f.replace("|", "\\|") for f in outcome.failures)
            lines.append(
                f"| `{check.where}` | {check.name} | `{check.flag}` | {check.environment} | "
                f"{detail} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def report_json(report: Report) -> dict[str, Any]:
    return {
        "passed": len(report.outcomes) - len(report.failed),
        "failed": len(report.failed),
        "failures": [
            {
                "where": o.check.where,
                "name": o.check.name,
                "flag": o.check.flag,
                "environment": o.check.environment,
                "failures": list(o.failures),
                "variation": o.answer.variation,
                "rule": o.answer.rule,
                "reason": o.answer.reason,
            }
            for o in report.failed
        ],
    }
