"""User contexts from the command line: one JSON object (`--user`) or a JSON Lines file
(`--users`), with the line of a bad entry in the message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.errors import UsageError


def parse_user(text: str, where: str = "--user") -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise UsageError(f"{where}: not JSON ({error})") from error
    if not isinstance(value, dict):
        raise UsageError(f'{where}: a user is a JSON object, e.g. {{"distinct_id": "u1"}}')
    return value


def read_users(path: Path) -> Iterator[dict[str, Any]]:
    """Each non-blank line of a JSON Lines file as a user context."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise UsageError(f"{path}: cannot read ({error.strerror})") from error
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield parse_user(line, f"{path}:{number}")
