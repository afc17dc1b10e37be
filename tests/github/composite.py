"""Just enough of the Actions runner to run `action.yml`'s steps here, in order, as GitHub would.

It evaluates the `${{ }}` expressions the action uses (inputs, step outputs, `github.*`, `==`,
`!=`, `&&`, `||`, `!`, and the status functions), applies each step's `if` (an implicit
`success()` when no status function is named), runs `run:` steps with bash and the step's `env`,
and collects each step's outputs from its own `GITHUB_OUTPUT` file. Steps that would install
software (`uses:` actions, `pip install`) are skipped: the test's interpreter already has
flagsync. This checks the action's wiring (conditions, outputs, env) end to end.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

SKIPPED_FOR_TESTS = ("Set up Python", "Install flagsync")
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'[^']*')|(?P<op>&&|\|\||==|!=|!|\(|\))|(?P<call>\w+)\(\)|"
    r"(?P<path>[A-Za-z_][\w-]*(?:\.[\w-]+)*))"
)
_STATUS = ("success", "failure", "cancelled", "always")


@dataclass
class StepRun:
    name: str
    ran: bool
    exit_code: int = 0
    outputs: dict[str, str] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""


@dataclass
class ActionRun:
    steps: list[StepRun]
    outputs: dict[str, str]

    @property
    def failed(self) -> bool:
        return any(step.ran and step.exit_code != 0 for step in self.steps)

    def step(self, name: str) -> StepRun:
        return next(step for step in self.steps if step.name == name)

    @property
    def log(self) -> str:
        return "\n".join(step.stdout + step.stderr for step in self.steps)


def run_action(
    action_yml: Path,
    inputs: dict[str, str],
    env: dict[str, str],
    cwd: Path,
    github: dict[str, str],
    parse_outputs: Any,
) -> ActionRun:
    """Run the composite action's steps with these inputs in an Actions environment `env`."""
    action = YAML(typ="safe").load(action_yml.read_text())
    context: dict[str, Any] = {"github": github, "steps": {}, "inputs": {}}
    for name, spec in action["inputs"].items():
        default = _substitute(str(spec.get("default", "")), context, failed=False)
        context["inputs"][name] = inputs.get(name, default)
    unknown = set(inputs) - set(action["inputs"])
    assert not unknown, f"not inputs of the action: {unknown}"
    runs: list[StepRun] = []
    for index, step in enumerate(action["runs"]["steps"]):
        name = step.get("name", f"step {index}")
        failed = any(r.ran and r.exit_code != 0 for r in runs)
        condition = str(step.get("if", "success()"))
        if name in SKIPPED_FOR_TESTS or not _condition(condition, context, failed):
            runs.append(StepRun(name, ran=False))
            continue
        output_file = cwd / f"_runner/step-{index}.output"
        output_file.parent.mkdir(exist_ok=True)
        output_file.write_text("")
        step_env = {
            key: _substitute(str(value), context, failed)
            for key, value in step.get("env", {}).items()
        }
        workdir = cwd / _substitute(str(step.get("working-directory", ".")), context, failed)
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=workdir,
            env={**env, **step_env, "GITHUB_OUTPUT": str(output_file)},
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        outputs = parse_outputs(output_file.read_text())
        runs.append(
            StepRun(name, True, completed.returncode, outputs, completed.stdout, completed.stderr)
        )
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs}
    failed = any(r.ran and r.exit_code != 0 for r in runs)
    outputs = {
        name: _substitute(str(spec["value"]), context, failed)
        for name, spec in action["outputs"].items()
    }
    return ActionRun(runs, outputs)


def _condition(text: str, context: dict[str, Any], failed: bool) -> bool:
    inner = text.strip()
    if inner.startswith("${{") and inner.endswith("}}"):
        inner = inner[3:-2]
    if not any(f"{status}()" in inner for status in _STATUS):
        inner = f"success() && ({inner})"
    return bool(_evaluate(inner, context, failed))


def _substitute(text: str, context: dict[str, Any], failed: bool) -> str:
    def value(match: re.Match[str]) -> str:
        result = _evaluate(match.group(1), context, failed)
        if isinstance(result, bool):
            return "true" if result else "false"
        return "" if result is None else str(result)

    return re.sub(r"\$\{\{(.*?)\}\}", value, text, flags=re.DOTALL)


def _evaluate(expression: str, context: dict[str, Any], failed: bool) -> Any:
    """Translate a GitHub expression to Python over `context`, and evaluate it."""
    python: list[str] = []
    position = 0
    expression = expression.strip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        assert match, f"cannot read {expression[position:]!r}"
        position = match.end()
        if match["string"] is not None:
            python.append(repr(match["string"][1:-1]))
        elif match["op"] is not None:
            python.append({"&&": " and ", "||": " or ", "!": " not "}.get(match["op"], match["op"]))
        elif match["call"] is not None:
            status = {"success": not failed, "failure": failed, "cancelled": False, "always": True}
            python.append(repr(status[match["call"]]))
        else:
            python.append(repr(_lookup(context, match["path"])))
    return eval("".join(python), {"__builtins__": {}}, {})  # noqa: S307 (test-only, own input)


def _lookup(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return ""
        value = value[part]
    return value
