"""Hidden HTML comments that make a pull request comment findable and checkable.

`<!-- flagsync:{workspace-id} -->` finds the one comment a workspace keeps on a pull request (so
several workspaces in one repository keep one comment each); `<!-- flagsync-fingerprint: ... -->`
records which plan the reviewers saw, for the check before apply.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path

DEFAULT_WORKSPACE_FILE = "flagsync.yaml"
_SAFE = re.compile(r"[^A-Za-z0-9._/@+-]")
_FINGERPRINT = re.compile(r"<!-- flagsync-fingerprint: ([0-9A-Fa-f]{16,128}) -->")


def workspace_id(workspace: str | Path, root: Path | None = None) -> str:
    """The workspace file's path relative to the repository root (`GITHUB_WORKSPACE`), so the
    same workspace gets the same id whatever working directory the step used.

    Characters that could end an HTML comment (`--`, `>`) or are not path-like are replaced, and
    then a short hash of the original keeps two different paths apart.
    """
    path = Path(workspace or DEFAULT_WORKSPACE_FILE)
    if path.is_dir():
        path = path / DEFAULT_WORKSPACE_FILE
    text = path.as_posix()
    if root is not None:
        with contextlib.suppress(ValueError, OSError):  # outside the repository: as given
            text = path.resolve().relative_to(root.resolve()).as_posix()
    text = text.removeprefix("./")
    safe = _SAFE.sub("_", text)
    safe = re.sub(r"-{2,}", "-", safe)
    if safe != text:
        safe += "#" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return safe


def sticky_marker(workspace: str) -> str:
    return f"<!-- flagsync:{workspace} -->"


def fingerprint_marker(fingerprint: str) -> str:
    return f"<!-- flagsync-fingerprint: {fingerprint} -->"


def read_fingerprint(body: str) -> str | None:
    """The fingerprint a comment records; None for a comment on a failed plan."""
    found = _FINGERPRINT.findall(body)
    return found[-1] if found else None
