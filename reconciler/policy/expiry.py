"""Flags past or near their `expires` date, shown under the plan: in the terminal, in the
pull request comment (the plan's Markdown) and as `policy.expired` / `policy.expiring` in
the plan's JSON. A notice, never a failure: a date passing must not block unrelated changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reconciler.manifest.lifecycle_checks import DatedFlag, expiring
from reconciler.workspace import Workspace


@dataclass(frozen=True)
class ExpiryNotice:
    days: int = 0
    expired: list[DatedFlag] = field(default_factory=list)
    soon: list[DatedFlag] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.expired or self.soon)

    def to_json(self) -> dict[str, Any]:
        if self.empty:
            return {}

        def item(flag: DatedFlag) -> dict[str, Any]:
            return {
                "key": flag.key,
                "expires": flag.expires.isoformat(),
                "owner": flag.owner,
                "file": flag.file,
                "line": flag.line,
            }

        return {
            "expired": [item(f) for f in self.expired],
            "expiring": [item(f) for f in self.soon],
        }

    def text(self) -> str:
        lines = []
        if self.expired:
            lines.append("Expired flags (past `expires`; `flagsync refs` finds their uses):")
            lines += [f"  ! {_line(f)}" for f in self.expired]
        if self.soon:
            lines.append(f"Flags expiring within {self.days} days:")
            lines += [f"  - {_line(f)}" for f in self.soon]
        return "".join(line + "\n" for line in lines)

    def markdown(self) -> str:
        if self.empty:
            return ""
        out = [
            "",
            "**Flag expiry**",
            "",
            "| flag | expires | owner | declared in |",
            "|---|---|---|---|",
        ]
        for flag in self.expired:
            out.append(_row(flag, f"{flag.expires} (expired)"))
        for flag in self.soon:
            out.append(_row(flag, str(flag.expires)))
        return "\n".join(out) + "\n"


def _line(flag: DatedFlag) -> str:
    owner = f", owner {flag.owner}" if flag.owner else ""
    return f"{flag.key}: {flag.expires}{owner} ({flag.file}:{flag.line})"


def _row(flag: DatedFlag, when: str) -> str:
    owner = (flag.owner or "").replace("|", "\\|")
    return f"| `{flag.key}` | {when} | {owner} | `{flag.file}:{flag.line}` |"


def expiry_notice(workspace: Workspace, days: int, on: date) -> ExpiryNotice:
    expired, soon = expiring(workspace, days, on)
    return ExpiryNotice(days, expired, soon if days > 0 else [])
