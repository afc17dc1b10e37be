"""Which files to scan: by default the Git repository around the workspace, as Git sees it
(tracked and untracked files, .gitignore honoured: `git ls-files -co --exclude-standard`);
outside a repository, a walk that honours the top folder's .gitignore (the `pathspec`
library's Git semantics). `exclude` patterns (gitignore syntax) remove more.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pathspec

SKIPPED_DIRS = {".git", ".hg", ".svn"}


def repository_root(start: Path) -> Path | None:
    """The top of the Git work tree holding `start`, or None (no Git, or not in a repo)."""
    try:
        answer = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=start,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return Path(answer.stdout.strip()) if answer.returncode == 0 else None


def _git_files(root: Path, paths: list[Path]) -> list[str] | None:
    specs = [os.path.relpath(p.resolve(), root.resolve()) for p in paths] or ["."]
    try:
        answer = subprocess.run(
            ["git", "ls-files", "-z", "-co", "--exclude-standard", "--", *specs],
            cwd=root,
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if answer.returncode != 0:
        return None
    names = answer.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [name for name in dict.fromkeys(names) if name]


def _walk(root: Path, paths: list[Path]) -> list[str]:
    ignore_file = root / ".gitignore"
    lines = ignore_file.read_text(encoding="utf-8").splitlines() if ignore_file.is_file() else []
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    found: list[str] = []
    for top in paths or [root]:
        if top.is_file():
            found.append(os.path.relpath(top, root))
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(
                d
                for d in dirs
                if d not in SKIPPED_DIRS
                and not spec.match_file(os.path.relpath(os.path.join(folder, d), root) + "/")
            )
            for name in sorted(files):
                relative = os.path.relpath(os.path.join(folder, name), root)
                if not spec.match_file(relative):
                    found.append(relative)
    return found


def source_files(
    start: Path, paths: Iterable[Path] = (), exclude: Iterable[str] = ()
) -> tuple[Path, list[str]]:
    """(the folder the files are named relative to, the files to scan): plain strings, as
    50,000 `Path` objects cost a second."""
    chosen = list(paths)
    root = repository_root(start)
    files = _git_files(root, chosen) if root is not None else None
    if root is None or files is None:
        root = start
        files = _walk(start, chosen)
    excluded = list(exclude)
    if excluded:
        spec = pathspec.GitIgnoreSpec.from_lines(excluded)
        files = [f for f in files if not spec.match_file(f)]
    return root, files
