"""`flagsync validate`: check the workspace and every manifest (and run the flag tests);
report all problems as file:line:col, as text, GitHub annotations or SARIF."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from reconciler.commands.options import output_option, workspace_option
from reconciler.errors import ValidationFailed
from reconciler.exits import EXIT_ERROR, reports_errors
from reconciler.gc_pause import gc_paused
from reconciler.manifest.loader import load_flags
from reconciler.policy import policy_problems
from reconciler.policy.evaluate import policy_warnings
from reconciler.render.problems import PROBLEM_RENDERERS
from reconciler.render.warnings import warnings_text, with_warnings
from reconciler.workspace import Workspace, load_workspace


@click.command()
@workspace_option
@output_option(
    "How to print problems: github = workflow commands (annotations), sarif = SARIF 2.1.0.",
    PROBLEM_RENDERERS,
)
@reports_errors
def validate(workspace_path: Path | None, output: str = "text") -> None:
    """Check the workspace and every manifest; report all problems as file:line:col."""
    try:
        workspace = load_workspace(workspace_path)
        with gc_paused():
            flags = load_flags(workspace)
        policy_failures = policy_problems(workspace)
        if policy_failures:
            raise ValidationFailed(policy_failures)
        tested = _flag_tests(workspace, flags)
    except ValidationFailed as failed:
        if output == "text":
            raise
        click.echo(PROBLEM_RENDERERS[output](failed.problems), nl=False)
        click.echo(f"{len(failed.problems)} problem(s) found", err=True)
        sys.exit(EXIT_ERROR)
    warnings = policy_warnings(workspace)
    if output != "text":
        click.echo(with_warnings(PROBLEM_RENDERERS[output]([]), output, warnings), nl=False)
    else:
        click.echo(warnings_text(warnings), nl=False, err=True)
    count = len(flags.flags)
    what = f"{count} flag{'s' if count != 1 else ''}"
    if flags.experiments:
        what += (
            f" and {len(flags.experiments)} experiment{'s' if len(flags.experiments) != 1 else ''}"
        )
    click.echo(f"OK: {what} valid ({workspace.file}).{tested}", err=output != "text")


def _flag_tests(workspace: Workspace, flags: Any) -> str:
    """validate runs the flag tests too: failures are problems at their expectation."""
    from reconciler import flag_tests

    report = flag_tests.run_tests(workspace, flags)
    if report.failed:
        raise ValidationFailed(flag_tests.as_problems(report))
    return f" {report.summary()}" if report.outcomes else ""
