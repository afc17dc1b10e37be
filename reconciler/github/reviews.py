"""Which changes go to reviewers, for the pull request comment, and which change requests an
apply opened, for the job summary.

The plan says it per change (`via: change-request`); the apply log says it per request
(`awaiting review: opened change request <id> (<link>) for <key>`). Both vendors' requests are
shown alike: DevCycle's a `submitted change request <id> ... for <key>` line.
"""

from __future__ import annotations

import re
from typing import Any

_OPENED = re.compile(
    r"awaiting review: (?P<how>opened|already had) change request (?P<id>\S+)"
    r"(?: \((?P<link>https?://[^)\s]+)\))? for (?P<key>\S+)"
)
_SUBMITTED = re.compile(r"submitted change request (?P<id>\S+) to .+? for (?P<key>\S+)")


def reviewed_changes(data: Any) -> list[str]:
    """`key [environment]` for every change of a JSON plan that goes to reviewers."""
    found: list[str] = []
    for change in (data or {}).get("changes") or []:
        if not isinstance(change, dict) or change.get("via") != "change-request":
            continue
        where = f" [{change['environment']}]" if change.get("environment") else ""
        item = f"{change.get('key')}{where}"
        if item not in found:
            found.append(item)
    return found


def review_lines(reviewed: list[str]) -> list[str]:
    """The comment's lines about them (none when nothing goes to review)."""
    if not reviewed:
        return []
    shown = ", ".join(f"`{item}`" for item in reviewed[:20])
    more = f" and {len(reviewed) - 20} more" if len(reviewed) > 20 else ""
    return [
        f"**Goes to review** as change requests after the merge: {shown}{more}. "
        "They apply when reviewers approve them.",
        "",
    ]


def opened_requests(log: str) -> list[str]:
    """Markdown bullets for the change requests an apply log reports."""
    bullets: list[str] = []
    for line in log.splitlines():
        found = _OPENED.search(line)
        if found:
            label = f"change request {found['id']}"
            shown = f"[{label}]({found['link']})" if found["link"] else label
            already = " (already open)" if found["how"] == "already had" else ""
            bullets.append(f"- `{found['key']}`: {shown}{already}, awaiting review")
            continue
        submitted = _SUBMITTED.search(line)
        if submitted:
            bullets.append(
                f"- `{submitted['key']}`: change request {submitted['id']}, awaiting review"
            )
    return bullets
