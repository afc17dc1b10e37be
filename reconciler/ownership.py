"""Which workspace owns a live object.

Several workspaces may share one vendor project (one per team or repository). Each marks what
it creates or adopts with its own marker, `managed-by-flagsync:<name>` from the workspace's
`name:`, so that `--prune` deletes only what *this* workspace manages and a flag another
workspace owns is shown as such and never touched, even with `--adopt`.

A workspace without a name uses the bare marker `managed-by-flagsync`, as every flagsync did
before names existed. A named workspace treats the bare marker as *legacy*: a flag it declares
is taken over (the plan shows the marker changing), one it does not declare is listed and left
alone, since it may belong to any unnamed workspace on the project.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

LEGACY_MARKER = "managed-by-flagsync"
PREFIX = f"{LEGACY_MARKER}:"

Verdict = Literal["mine", "legacy", "elsewhere", "none"]


def marker_for(name: str | None) -> str:
    """The marker a workspace of this name puts on what it owns."""
    return f"{PREFIX}{name}" if name else LEGACY_MARKER


def is_marker(tag: object) -> bool:
    """Any workspace's marker (so that markers never show as a flag's own tags)."""
    return isinstance(tag, str) and (tag == LEGACY_MARKER or tag.startswith(PREFIX))


def without_markers(tags: Iterable[object]) -> list[str]:
    return [str(tag) for tag in tags if not is_marker(tag)]


@dataclass(frozen=True)
class Ownership:
    """One workspace's view of ownership markers."""

    marker: str = LEGACY_MARKER

    @classmethod
    def of(cls, name: str | None) -> Ownership:
        return cls(marker_for(name))

    @property
    def named(self) -> bool:
        return self.marker != LEGACY_MARKER

    def verdict(self, tags: Iterable[object] | None) -> Verdict:
        """mine: this workspace's marker; elsewhere: another named workspace's; legacy: the
        bare marker seen by a named workspace; none: no marker at all."""
        found = [str(tag) for tag in tags or () if is_marker(tag)]
        if self.marker in found:
            return "mine"
        if any(tag.startswith(PREFIX) for tag in found):
            return "elsewhere"
        if LEGACY_MARKER in found:
            return "legacy"  # only reached by a named workspace
        return "none"

    def owner(self, tags: Iterable[object] | None) -> str:
        """How the plan names the workspace that owns an object (`verdict` == elsewhere)."""
        for tag in tags or ():
            if isinstance(tag, str) and tag.startswith(PREFIX) and tag != self.marker:
                return tag.removeprefix(PREFIX)
        return "another workspace"
