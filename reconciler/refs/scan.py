"""Finding references: every match of a pattern in the files, with its line and column.

A repository of 50,000 files is scanned in a few seconds (benchmarks/refs_scan.py): files are
chosen by extension, skipped unless they contain a pattern's trigger bytes, read in threads
(reading is I/O; the regex work that follows is small), and line numbers are counted only in
files that matched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reconciler.code_patterns import Pattern

MAX_FILE_BYTES = 2_000_000
"""Larger files are skipped: minified bundles and generated code, not where flags are named."""
READERS = 8


@dataclass(frozen=True, order=True)
class Reference:
    file: str
    line: int
    column: int
    key: str
    pattern: str


def _by_extension(patterns: list[Pattern]) -> tuple[dict[str, list[Pattern]], list[Pattern]]:
    by_ext: dict[str, list[Pattern]] = {}
    everywhere: list[Pattern] = []
    for pattern in patterns:
        if pattern.extensions is None:
            everywhere.append(pattern)
            continue
        for ext in pattern.extensions:
            by_ext.setdefault(ext, []).append(pattern)
    return by_ext, everywhere


def _scan_file(path: str, cwd: str, patterns: list[Pattern]) -> list[Reference]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return []
    if len(data) > MAX_FILE_BYTES:
        return []
    found: list[Reference] = []
    name = ""
    seen: set[tuple[int, str]] = set()
    for pattern in patterns:
        if pattern.trigger is not None and pattern.trigger not in data:
            continue
        for match in pattern.regex.finditer(data):
            start = match.start("key") if "key" in match.groupdict() else match.start(1)
            key = pattern.key(match)
            if not key or (start, key) in seen:
                continue
            seen.add((start, key))
            line = data.count(b"\n", 0, start) + 1
            line_start = data.rfind(b"\n", 0, start) + 1
            column = len(data[line_start:start].decode("utf-8", "replace")) + 1
            name = name or os.path.relpath(path, cwd)  # only for files that match: it is slow
            found.append(Reference(name, line, column, key, pattern.name))
    return found


def _scan_chunk(chunk: list[tuple[str, str, list[Pattern]]]) -> list[Reference]:
    return [ref for path, cwd, patterns in chunk for ref in _scan_file(path, cwd, patterns)]


def scan(root: Path, files: Iterable[str], patterns: list[Pattern]) -> tuple[int, list[Reference]]:
    """(files read, references found, sorted by file and line); `files` are relative to
    `root`, references name them relative to the working directory."""
    by_ext, everywhere = _by_extension(patterns)
    top, cwd = str(root), os.getcwd()
    work: list[tuple[str, str, list[Pattern]]] = []
    for name in files:
        chosen = by_ext.get(os.path.splitext(name)[1], []) + everywhere
        if chosen:
            work.append((os.path.join(top, name), cwd, chosen))
    size = max(1, len(work) // (READERS * 4) + 1)
    chunks = [work[i : i + size] for i in range(0, len(work), size)]
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        references = sorted(ref for refs in pool.map(_scan_chunk, chunks) for ref in refs)
    return len(work), references
