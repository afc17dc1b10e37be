"""`flagsync eval`: which variation each user gets from each flag, and why.

Vendor-neutral: the workspace's vendor supplies the evaluator (`providers.evaluators`); the
manifests (or, with `live`, the live state read through the provider and translated to the
model) supply the flags.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from reconciler.commands.options import workspace_option
from reconciler.errors import UsageError
from reconciler.evaluation import Evaluation, Evaluator, UserContext
from reconciler.exits import reports_errors
from reconciler.gc_pause import gc_paused
from reconciler.manifest.loader import load_flags
from reconciler.model import FlagSet
from reconciler.providers.evaluators import evaluator_for
from reconciler.workspace import Workspace, load_workspace


def flag_keys(flags: FlagSet, environment: str, patterns: tuple[str, ...] = ()) -> list[str]:
    """The flags (and experiments) that exist in `environment`, matching any pattern."""
    keys = [k for k, f in flags.flags.items() if environment in f.environments]
    keys += [k for k, e in flags.experiments.items() if environment in e.environments]
    if patterns:
        keys = [k for k in keys if any(fnmatch.fnmatchcase(k, p) for p in patterns)]
    return keys


def evaluate_many(
    evaluator: Evaluator, keys: list[str], environment: str, user: UserContext
) -> list[Evaluation]:
    """All `keys` for one user; through the evaluator's batch method when it has one (it reads
    the user context once)."""
    many = getattr(evaluator, "evaluate_many", None)
    if many is not None:
        return list(many(keys, environment, user))
    return [evaluator.evaluate(key, environment, user) for key in keys]


def live_flags(workspace: Workspace, desired: FlagSet, environment: str) -> tuple[FlagSet, Any]:
    """The live state of the workspace's flags as the model (and the provider's read, for what
    only the vendor knows, e.g. ids it assigned)."""
    from reconciler.reconcile import open_provider

    provider = open_provider(workspace)
    try:
        live = provider.read(set(desired.flags), desired.flags)
        flags = {
            key: desired.flags[key] if key in live.unchanged else live.flags.flags[key]
            for key in desired.flags
            if key in live.unchanged or key in live.flags.flags
        }
        # experiments are listed; a vendor's evaluator reads their live state from `live`
        return FlagSet(flags=flags, experiments=desired.experiments), live
    finally:
        provider.close()


def build_evaluator(
    workspace: Workspace, desired: FlagSet, environment: str, live: bool
) -> tuple[Evaluator, FlagSet]:
    if environment not in workspace.environments:
        raise UsageError(
            f"--env {environment}: not an environment of the workspace "
            f"({', '.join(workspace.environment_names)})"
        )
    if not live:
        return evaluator_for(workspace.provider, desired), desired
    flags, state = live_flags(workspace, desired, environment)
    return evaluator_for(workspace.provider, flags, state), flags


def row(user: UserContext, answer: Evaluation) -> dict[str, Any]:
    return {
        "user": dict(user),
        "environment": answer.environment,
        "flag": answer.flag,
        "variation": answer.variation,
        "values": dict(answer.values),
        "rule": answer.rule,
        "reason": answer.reason,
        "exact": answer.exact,
    }


def _user_label(user: UserContext) -> str:
    for key in ("distinct_id", "user_id", "id"):
        if user.get(key) not in (None, ""):
            return str(user[key])
    return json.dumps(dict(user), sort_keys=True)[:60]


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def render_text(results: Iterable[tuple[UserContext, list[Evaluation]]]) -> Iterator[str]:
    for user, answers in results:
        env = answers[0].environment if answers else ""
        yield f"user {_user_label(user)} [{env}]"
        width = max((len(a.flag) for a in answers), default=0)
        for answer in answers:
            served = answer.variation if answer.exact else "undecided"
            extra = f"  {_show(dict(answer.values))}" if answer.values else ""
            yield f"  {answer.flag:<{width}}  {served}{extra}"
            yield f"  {'':<{width}}    why: {answer.reason}"


def text(answer: Callable[[UserContext], list[Evaluation]]) -> Callable[[UserContext], str]:
    """One user's text output, from a function answering every flag for a user."""
    return lambda user: "".join(f"{line}\n" for line in render_text([(user, answer(user))]))


def _flag_major_counts(
    evaluator: Evaluator, keys: list[str], environment: str, people: Sequence[UserContext]
) -> Any:
    """The summary's counts one flag at a time, or None where the user-by-user count decides:
    an evaluator without that entry, or any failure (a refused user, say), which the
    user-by-user count then reports as it always has, for the first user in the file."""
    from reconciler.evaluation import summary as summaries

    try:
        return summaries.by_flags(evaluator, keys, environment, people)
    except Exception:
        return None


@click.command(name="eval")
@workspace_option
@click.option("--env", "environment", required=True, help="The environment to evaluate in.")
@click.option("--user", "user_json", metavar="JSON", help="One user context, a JSON object.")
@click.option(
    "--users",
    "users_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="User contexts, one JSON object per line.",
)
@click.option("--flag", "flag_patterns", multiple=True, metavar="PATTERN", help="Only these.")
@click.option("--live", is_flag=True, help="Evaluate the live state instead of the manifests.")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--summary", is_flag=True, help="How many users get each variation, instead of each answer."
)
@reports_errors
def eval_(
    workspace_path: Path | None,
    environment: str,
    user_json: str | None,
    users_file: Path | None,
    flag_patterns: tuple[str, ...],
    live: bool,
    output: str,
    summary: bool = False,
) -> None:
    """Which variation each user gets from each flag, and why (offline, from the manifests)."""
    from reconciler.evaluation import bulk
    from reconciler.evaluation.parallel import write_users
    from reconciler.evaluation.users import parse_user, read_users

    if (user_json is None) == (users_file is None):
        raise UsageError("give one of --user JSON or --users FILE.jsonl")
    users = [parse_user(user_json)] if user_json is not None else read_users(Path(str(users_file)))
    workspace = load_workspace(workspace_path)
    with gc_paused():
        desired = load_flags(workspace)
    evaluator, flags = build_evaluator(workspace, desired, environment, live)
    keys = flag_keys(flags, environment, flag_patterns)
    if flag_patterns and not keys:
        raise UsageError(f"--flag {' '.join(flag_patterns)}: no flag in {environment} matches")
    if summary:
        from reconciler.evaluation import summary as summaries

        with gc_paused():
            people = list(users)
            counts = _flag_major_counts(evaluator, keys, environment, people)
            if counts is None:
                variations = summaries.variations(evaluator, keys, environment)
                counts = summaries.summarise(variations, people, len(keys))
        found = summaries.report(keys, environment, len(people), counts)
        render = summaries.render_json if output == "json" else summaries.render_text
        click.echo(render(found), nl=False)
        return
    answer = bulk.answerer(evaluator, keys, environment)
    produce = bulk.json_lines(answer) if output == "json" else text(answer)
    # each user's answers are freed by reference counting once printed: no cycles to collect
    with gc_paused():
        write_users(produce, list(users), len(keys), sys.stdout)
