"""`python -m reconciler.github`: the subcommands the composite action's steps call.

    run             run flagsync (plan, or drift) and save the plan; set the step outputs
    summary         add the plan (or drift report, or failure) to the job summary
    comment         create or update the pull request's sticky plan comment
    check-reviewed  after a merge, refuse unless the plan now is the plan the PR showed
    apply           apply the saved plan; report the outcome in the job summary

Each prints what it did in one line and exits 0, or prints one clear error line and exits 1
(as a GitHub annotation when running in Actions). The token is read from GITHUB_TOKEN and
scrubbed from anything printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from reconciler.github import summary
from reconciler.github.api import GitHubApi
from reconciler.github.comment import MODES, decide, find_sticky, upsert, whoami
from reconciler.github.context import ActionsContext
from reconciler.github.errors import ActionError
from reconciler.github.flag_tests import tests_failed, tests_section
from reconciler.github.markers import sticky_marker, workspace_id
from reconciler.github.outputs import append_summary, set_outputs
from reconciler.github.planfile import PlanReport
from reconciler.github.reviewed import NotReviewed, check_reviewed
from reconciler.github.runner import COMMANDS, environment_list, run_apply, run_plan

Handler = Callable[[argparse.Namespace, ActionsContext], int]
SUCCESS_CODES = (0, 2)
"""flagsync's exit codes that mean it worked: 0 no changes, 2 changes (or drift)."""


def cmd_run(args: argparse.Namespace, ctx: ActionsContext) -> int:
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="flagsync-", dir=ctx.runner_temp))
    result = run_plan(args.command, args.workspace, environment_list(args.environments), out_dir)
    set_outputs(
        ctx.output,
        {
            "changes": "true" if result.changes else "false",
            "exit-code": str(result.exit_code),
            "plan-json": str(result.plan_json),
            "plan-markdown": str(result.plan_markdown),
            "log": str(result.log),
        },
    )
    what = "drift" if args.command == "drift" else "plan"
    if result.exit_code not in SUCCESS_CODES:
        raise ActionError(f"flagsync {what} failed (exit {result.exit_code}); its message is above")
    _show_plan(result.plan_markdown)
    found = "changes" if what == "plan" else "drift"
    print(
        f"flagsync {what}: {found if result.changes else 'no ' + found} (exit {result.exit_code}); "
        f"saved to {result.plan_json}"
    )
    return 0


def cmd_summary(args: argparse.Namespace, ctx: ActionsContext) -> int:
    kind = "drift" if args.command == "drift" else "plan"
    workspace = workspace_id(args.workspace, ctx.workspace_root)
    if args.exit_code not in SUCCESS_CODES:
        text = summary.failure_summary(kind, workspace, args.exit_code, _read(args.log))
    else:
        report = _plan(args.plan_json)
        markdown = tests_section(args.plan_markdown) + _read(args.plan_markdown)
        text = summary.plan_summary(report, markdown, kind, workspace, ctx.run_url)
    if ctx.step_summary is None:
        print(text, end="")
    else:
        append_summary(ctx.step_summary, text)
        print(f"Job summary: flagsync {kind} for `{workspace}` written.")
    return 0


def cmd_comment(args: argparse.Namespace, ctx: ActionsContext) -> int:
    if args.mode == "false":
        print("comment: false; no pull request comment.")
        return 0
    if not ctx.is_pull_request:
        print(f"Not a pull request ({ctx.event_name or 'no event'}): no comment.")
        return 0
    number = ctx.pull_request_number
    if number is None:
        raise ActionError(f"the {ctx.event_name} event payload names no pull request number")
    repository = ctx.require_repository()
    workspace = workspace_id(args.workspace, ctx.workspace_root)
    if args.exit_code not in SUCCESS_CODES:
        body = summary.failure_comment(
            "plan", workspace, args.exit_code, _read(args.log), ctx.head_sha, ctx.run_url
        )
        worth_posting = True
    else:
        report = _plan(args.plan_json)
        tests = tests_section(args.plan_markdown)
        markdown = tests + _read(args.plan_markdown)
        body = summary.plan_comment(report, markdown, workspace, ctx.head_sha, ctx.run_url)
        worth_posting = report.changes_pending or tests_failed(tests)
    with GitHubApi(ctx.api_url, ctx.require_token()) as api:
        identity = whoami(api)
        existing = find_sticky(api, repository, number, sticky_marker(workspace), identity)
        decision = decide(args.mode, worth_posting, existing)
        comment = upsert(api, repository, number, decision, body, existing)
    if comment is None:
        print(f"No changes and no plan comment yet on #{number}: nothing posted (changes-only).")
        return 0
    done = "Created" if decision == "create" else "Updated"
    print(f"{done} the plan comment for `{workspace}` on #{number}: {comment.url}")
    set_outputs(ctx.output, {"comment-id": str(comment.id), "comment-url": comment.url})
    return 0


def cmd_check_reviewed(args: argparse.Namespace, ctx: ActionsContext) -> int:
    report = PlanReport.load(args.plan_json)
    workspace = workspace_id(args.workspace, ctx.workspace_root)
    if not report.changes_pending:
        print("Nothing to apply: the plan has no changes, so there is nothing to check.")
        return 0
    if ctx.is_pull_request:
        raise ActionError(
            "check-reviewed runs after the merge (on push); on a pull request the plan is the "
            "one being reviewed"
        )
    if not ctx.sha:
        raise ActionError("GITHUB_SHA is not set: which commit is being applied?")
    repository = ctx.require_repository()
    with GitHubApi(ctx.api_url, ctx.require_token()) as api:
        try:
            reviewed = check_reviewed(api, repository, ctx.sha, workspace, report, whoami(api))
        except NotReviewed as refusal:
            append_summary(
                ctx.step_summary, f"**flagsync apply** `{workspace}`: refused\n\n{refusal}"
            )
            raise
    print(
        f"This plan was reviewed in pull request #{reviewed.pull_request} "
        f"(fingerprint {reviewed.fingerprint[:12]}): {reviewed.comment_url}"
    )
    set_outputs(ctx.output, {"reviewed-pull-request": str(reviewed.pull_request)})
    return 0


def cmd_apply(args: argparse.Namespace, ctx: ActionsContext) -> int:
    if not args.plan_json.is_file():
        raise ActionError(f"{args.plan_json}: no such plan file (did the plan step run?)")
    workspace = workspace_id(args.workspace, ctx.workspace_root)
    result = run_apply(args.plan_json, args.workspace, args.out_dir or args.plan_json.parent)
    append_summary(
        ctx.step_summary, summary.apply_summary(workspace, result.exit_code, _read(result.log))
    )
    set_outputs(ctx.output, {"exit-code": str(result.exit_code), "apply-log": str(result.log)})
    if result.exit_code != 0:
        raise ActionError(f"flagsync apply failed (exit {result.exit_code}); its message is above")
    print(f"flagsync apply: done for `{workspace}`.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reconciler.github",
        description="The flagsync GitHub Action's steps.",
    )
    commands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

    run = commands.add_parser("run", help="run flagsync plan (or drift), save the plan")
    run.add_argument("--command", choices=COMMANDS, required=True, help="the action's command")
    _workspace(run)
    run.add_argument("--environments", default="", help="only these environments (plan)")
    run.add_argument("--out-dir", type=Path, default=None, help="where to save (default: temp)")
    run.set_defaults(handler=cmd_run)

    report = commands.add_parser("summary", help="write the plan to the job summary")
    report.add_argument("--command", choices=COMMANDS, default="plan")
    _workspace(report)
    _plan_files(report)
    report.set_defaults(handler=cmd_summary)

    comment = commands.add_parser("comment", help="create or update the sticky PR comment")
    _workspace(comment)
    _plan_files(comment)
    comment.add_argument("--mode", choices=MODES, default="true", help="the `comment` input")
    comment.set_defaults(handler=cmd_comment)

    check = commands.add_parser("check-reviewed", help="refuse a plan no PR showed")
    _workspace(check)
    check.add_argument("--plan-json", type=Path, required=True)
    check.set_defaults(handler=cmd_check_reviewed)

    apply = commands.add_parser("apply", help="apply the saved plan")
    _workspace(apply)
    apply.add_argument("--plan-json", type=Path, required=True)
    apply.add_argument("--out-dir", type=Path, default=None, help="where to write apply.log")
    apply.set_defaults(handler=cmd_apply)
    return parser


def _workspace(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace", default="flagsync.yaml", help="the workspace file (default flagsync.yaml)"
    )


def _plan_files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plan-json", type=Path, default=None, help="the saved JSON plan")
    parser.add_argument("--plan-markdown", type=Path, default=None, help="the Markdown plan")
    parser.add_argument("--exit-code", type=int, default=0, help="flagsync's exit code")
    parser.add_argument("--log", type=Path, default=None, help="flagsync's log (on failure)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    token = os.environ.get("GITHUB_TOKEN", "")
    try:
        return handler(args, ActionsContext.from_environ())
    except ActionError as error:
        _error(str(error), token)
    except Exception as error:  # a bug: still one line, and never the token
        _error(f"unexpected {type(error).__name__}: {error}", token)
        if os.environ.get("RUNNER_DEBUG") == "1":
            _stderr(_scrub(traceback.format_exc(), token))
    return 1


def _plan(path: Path | None) -> PlanReport:
    if path is None:
        raise ActionError("--plan-json is needed when flagsync succeeded (--exit-code 0 or 2)")
    return PlanReport.load(path)


def _show_plan(path: Path) -> None:
    text = _read(path)
    if not text.strip():
        return
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print("::group::The plan (Markdown)")
        print(text.rstrip("\n"))
        print("::endgroup::")
    else:
        print(text.rstrip("\n"))


def _read(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    except OSError as error:
        raise ActionError(f"cannot read {path}: {error.strerror or error}") from None


def _error(message: str, token: str) -> None:
    message = _scrub(message, token)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        _stderr(f"::error title=flagsync::{escaped}")
    else:
        _stderr(f"Error: {message}")


def _scrub(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


def _stderr(text: str) -> None:
    sys.stderr.write(text.rstrip("\n") + "\n")
    sys.stderr.flush()
