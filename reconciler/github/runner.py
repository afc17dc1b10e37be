"""Running the `flagsync` command the workflow installed, keeping its output as files.

The action computes one plan per run and saves it (`plan --out plan.json`, the Markdown beside
it): the comment, the job summary, the reviewed-plan check and `apply plan.json` all use that
one plan, so what is applied is exactly what was checked. `flagsync` is found on PATH and run as
its own process, with this package's checkout taken out of PYTHONPATH, so the installed version
runs, not the action's copy of the code.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from reconciler.github.errors import ActionError
from reconciler.github.flag_tests import tests_file

COMMANDS = ("plan", "apply", "drift")
_OWN_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PlanRun:
    """A plan (or drift report) run: its exit code and where its output went."""

    exit_code: int
    plan_json: Path
    plan_markdown: Path
    log: Path

    @property
    def changes(self) -> bool:
        return self.exit_code == 2


@dataclass(frozen=True)
class ApplyRun:
    exit_code: int
    log: Path


def environment_list(text: str) -> list[str]:
    """The `environments` input: names separated by commas, spaces or new lines."""
    return [name for name in re.split(r"[\s,]+", text) if name]


def flagsync_executable() -> str:
    found = shutil.which("flagsync")
    if found is None:
        raise ActionError("`flagsync` is not installed here (not on PATH); did the install fail?")
    return found


def run_plan(command: str, workspace: str, environments: list[str], out_dir: Path) -> PlanRun:
    """`plan` and `apply` save a plan; `drift` writes the drift report (JSON and Markdown)."""
    if command not in COMMANDS:
        raise ActionError(f"unknown command {command!r}: use one of {', '.join(COMMANDS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    plan_json, plan_markdown, log = (
        out_dir / "plan.json",
        out_dir / "plan.md",
        out_dir / "flagsync.log",
    )
    flagsync = flagsync_executable()
    if command == "drift":
        if environments:
            print("note: `environments` is ignored by drift, which checks every environment")
        report = [flagsync, "drift", "-w", workspace]
        code = _run([*report, "-o", "json"], plan_json, log)
        if code != 1:
            # A second read, for the Markdown report; the outputs come from the JSON one.
            _run([*report, "-o", "markdown"], plan_markdown, log)
    else:
        annotate_problems(flagsync, workspace, out_dir / "problems.txt", log)
        # who gets what: the flag tests' result, for the comment (exit 1 = a test failed)
        _run([flagsync, "test", "-w", workspace, "-o", "markdown"], tests_file(plan_markdown), log)
        selection = [arg for env in environments for arg in ("--env", env)]
        args = [flagsync, "plan", "-w", workspace, *selection]
        args += ["-o", "markdown", "--out", str(plan_json)]
        code = _run(args, plan_markdown, log)
    if code == 2 and not _written(plan_json):
        # Changes always come with a saved plan (or report); exit 2 without one is a usage
        # error of a flagsync that still used click's code for it, not changes.
        print("flagsync exited 2 without writing a plan: treating it as an error")
        code = 1
    return PlanRun(code, plan_json, plan_markdown, log)


def annotate_problems(flagsync: str, workspace: str, out: Path, log: Path) -> int:
    """`flagsync validate -o github`, its workflow commands echoed on our stdout, where the
    runner turns each validation problem into an annotation on its file and line of the pull
    request. Offline and quick; the plan that follows reports the same problems in the log."""
    code = _run([flagsync, "validate", "-w", workspace, "-o", "github"], out, log)
    sys.stdout.write(out.read_text(encoding="utf-8"))
    sys.stdout.flush()
    return code


def _written(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def run_apply(plan_json: Path, workspace: str, out_dir: Path) -> ApplyRun:
    """`flagsync apply plan.json --yes`: exactly the saved plan, which flagsync itself refuses
    to apply if a flag it touches changed since it was planned."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / "apply.log"
    args = [flagsync_executable(), "apply", str(plan_json), "-w", workspace, "--yes"]
    return ApplyRun(_run(args, None, log), log)


def _run(args: list[str], stdout: Path | None, log: Path) -> int:
    """Run one command: its stdout to a file (when None, into the log), its stderr into the
    log; the log is echoed to ours as it comes, so a long apply shows its progress in the job."""
    try:
        with log.open("a", encoding="utf-8") as log_file:
            if stdout is None:
                with _start(args, subprocess.PIPE, subprocess.STDOUT) as process:
                    return _pump(process, process.stdout, log_file)
            with (
                stdout.open("w", encoding="utf-8") as out_file,
                _start(args, out_file, subprocess.PIPE) as process,
            ):
                return _pump(process, process.stderr, log_file)
    except OSError as error:
        raise ActionError(f"cannot run {args[0]}: {error.strerror or error}") from None


def _start(args: list[str], stdout: int | IO[str], stderr: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        env=_environment(),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        text=True,
        encoding="utf-8",
        errors="replace",
    )


def _pump(process: subprocess.Popen[str], stream: IO[str] | None, log: IO[str]) -> int:
    for line in stream or ():
        log.write(line)
        sys.stderr.write(line)
        sys.stderr.flush()
    return process.wait()


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    kept = [p for p in paths if _resolve(p) != _OWN_ROOT]
    if kept:
        env["PYTHONPATH"] = os.pathsep.join(kept)
    else:
        env.pop("PYTHONPATH", None)
    return env


def _resolve(path: str) -> Path | None:
    try:
        return Path(path).resolve()
    except OSError:
        return None
