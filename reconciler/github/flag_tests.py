"""The flag tests' result in the pull request comment and the job summary.

The `run` step saves `flagsync test -o markdown` as tests.md beside the plan's Markdown; the
comment and the summary put it above the plan, so a reviewer sees who gets what (and which
expectation a change breaks) next to the field diff. A failing test makes the comment worth
posting even when the plan has no changes.
"""

from __future__ import annotations

from pathlib import Path

TESTS_FILE = "tests.md"
FAILED_MARK = "❌"


def tests_file(plan_markdown: Path) -> Path:
    return plan_markdown.parent / TESTS_FILE


def tests_section(plan_markdown: Path | None) -> str:
    """The saved flag tests' Markdown (with a blank line after it), or "" when there is none."""
    if plan_markdown is None:
        return ""
    path = tests_file(plan_markdown)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f"{text}\n\n" if text else ""


def tests_failed(section: str) -> bool:
    return section.startswith(FAILED_MARK)
