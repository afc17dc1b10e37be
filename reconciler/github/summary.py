"""The Markdown the action posts: the pull request comment and the job summary sections.

A reader sees a one-line summary first (`3 to create, 1 to update, 0 to delete, 2 change
requests`), then flagsync's Markdown plan, folded in `<details>` when it is long so the
conversation stays readable. GitHub refuses comments over 65,536 characters, so a plan that
does not fit is cut at a line with a note saying where the rest is, rather than the comment
failing and the reviewers seeing nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.github.markers import fingerprint_marker, sticky_marker
from reconciler.github.planfile import PlanReport, counts_line
from reconciler.github.reviews import opened_requests, review_lines

COMMENT_LIMIT = 65_536
"""GitHub's limit on an issue comment's body, in characters."""
SUMMARY_LIMIT = 1_000_000
"""GitHub's limit on a step's job summary is 1 MiB (bytes); this leaves room for other steps."""
FOLD_LINES = 60
FOLD_CHARS = 50_000
LOG_LINES = 60
"""How much of a failed command's log a comment shows: the end, where the error is."""
APPLY_LOG_LINES = 200
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

Size = Callable[[str], int]


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class Document:
    """A head and a tail that are always shown, around a plan that may be folded or cut."""

    head: list[str]
    plan: str = ""
    tail: list[str] = field(default_factory=list)
    cut_note: str = "The plan is cut here: {count} more lines did not fit."

    def render(self, limit: int = COMMENT_LIMIT, size: Size = len) -> str:
        lines = self.plan.strip("\n").splitlines() if self.plan.strip() else []
        folded = len(lines) > FOLD_LINES or len(self.plan) > FOLD_CHARS
        text = self._assemble(lines, folded, len(lines))
        if size(text) <= limit:
            return text
        # Keep as many whole lines as fit (binary search: a plan can have 100,000 lines).
        low, high = 0, len(lines)
        while low < high:
            middle = (low + high + 1) // 2
            if size(self._assemble(lines[:middle], folded, len(lines))) <= limit:
                low = middle
            else:
                high = middle - 1
        # Cut between sections (at a blank line) rather than inside a flag's table.
        boundary = next((k for k in range(low, low // 2, -1) if not lines[k - 1].strip()), low)
        text = self._assemble(lines[:boundary], folded, len(lines))
        while size(text) > limit:  # only when the head and tail alone do not fit
            text = text[: len(text) - (size(text) - limit) - 1]
        return text

    def _assemble(self, lines: list[str], folded: bool, total: int) -> str:
        body = list(lines)
        if len(lines) < total:
            body += ["", f"_{self.cut_note.format(count=total - len(lines))}_"]
        parts = list(self.head)
        if body and folded:
            parts += [f"<details><summary>Show the plan ({total} lines)</summary>", ""]
            parts += [*body, "", "</details>"]
        elif body:
            parts += body
        if self.tail:
            parts += ["", *self.tail]
        return "\n".join(parts) + "\n"


def headline(report: PlanReport, kind: str, workspace: str) -> str:
    """The one line a reader sees first."""
    if kind == "drift":
        state = "drift found" if report.drift else "no drift"
        return f"**flagsync drift** `{workspace}`: {state} ({counts_line(report.counts)})"
    if not report.changes_pending:
        return f"**flagsync plan** `{workspace}`: no changes"
    return f"**flagsync plan** `{workspace}`: {counts_line(report.counts)}"


def footer(
    commit: str, run_url: str | None, fingerprint: str | None, reviewed: bool = False
) -> str:
    """Which commit and run the plan comes from, and (in a comment) what the fingerprint is for."""
    parts = []
    if commit:
        parts.append(f"commit `{commit[:7]}`")
    if run_url:
        parts.append(f"[workflow run]({run_url})")
    if fingerprint:
        text = f"plan fingerprint `{fingerprint[:12]}`"
        if reviewed:
            text += ": after the merge, flagsync applies only a plan with this fingerprint"
        parts.append(text)
    return f"<sub>{' · '.join(parts)}</sub>" if parts else ""


def plan_comment(
    report: PlanReport,
    markdown: str,
    workspace: str,
    commit: str = "",
    run_url: str | None = None,
) -> str:
    """The sticky comment: marker, one-line summary, the plan, and the fingerprint it records."""
    fingerprint = report.fingerprint if report.changes_pending else None
    document = Document(
        head=[
            sticky_marker(workspace),
            headline(report, "plan", workspace),
            "",
            *review_lines(list(report.reviewed)),
        ],
        plan=markdown,
        tail=_tail(footer(commit, run_url, fingerprint, reviewed=True), report.fingerprint),
        cut_note="The plan is cut here: {count} more lines do not fit in a comment. "
        "The whole plan is in the job summary and the workflow log.",
    )
    return document.render(COMMENT_LIMIT)


def failure_comment(
    kind: str,
    workspace: str,
    exit_code: int,
    log: str,
    commit: str = "",
    run_url: str | None = None,
) -> str:
    """The sticky comment when flagsync failed: the end of its log, and no fingerprint, so the
    plan an earlier run recorded cannot be applied on merge."""
    document = Document(
        head=[sticky_marker(workspace), *failure_lines(kind, workspace, exit_code, log)],
        tail=[footer(commit, run_url, None)],
    )
    return document.render(COMMENT_LIMIT)


def plan_summary(
    report: PlanReport, markdown: str, kind: str, workspace: str, run_url: str | None = None
) -> str:
    """The job summary section for a plan or a drift report."""
    document = Document(
        head=[headline(report, kind, workspace), ""],
        plan=markdown,
        tail=[footer("", None, report.fingerprint if report.changes_pending else None)],
        cut_note="The report is cut here: {count} more lines do not fit in the job summary. "
        "The plan-json output has all of it.",
    )
    return document.render(SUMMARY_LIMIT, utf8_size)


def failure_lines(kind: str, workspace: str, exit_code: int, log: str) -> list[str]:
    text = clean_log(log, LOG_LINES) or "(flagsync printed nothing)"
    return [
        f"**flagsync {kind}** `{workspace}`: failed (exit {exit_code})",
        "",
        "```text",
        text,
        "```",
    ]


def failure_summary(kind: str, workspace: str, exit_code: int, log: str) -> str:
    return Document(head=failure_lines(kind, workspace, exit_code, log)).render(
        SUMMARY_LIMIT, utf8_size
    )


def apply_summary(workspace: str, exit_code: int, log: str) -> str:
    outcome = "applied" if exit_code == 0 else f"failed (exit {exit_code})"
    text = clean_log(log, APPLY_LOG_LINES) or "(flagsync printed nothing)"
    requests = opened_requests(_ANSI.sub("", log))
    waiting = ["**Awaiting review**", "", *requests, ""] if requests else []
    return Document(
        head=[f"**flagsync apply** `{workspace}`: {outcome}", "", *waiting, "```text", text, "```"]
    ).render(SUMMARY_LIMIT, utf8_size)


def clean_log(log: str, keep: int) -> str:
    """The last `keep` lines of a log, without terminal colours, safe inside a code fence."""
    lines = _ANSI.sub("", log).rstrip().splitlines()
    if len(lines) > keep:
        lines = [f"... ({len(lines) - keep} earlier lines in the workflow log)", *lines[-keep:]]
    return "\n".join(lines).replace("```", "'''")


def _tail(footer_line: str, fingerprint: str) -> list[str]:
    return [line for line in (footer_line, fingerprint_marker(fingerprint)) if line]
