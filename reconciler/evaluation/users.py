"""User contexts from the command line: one JSON object (`--user`) or a JSON Lines file
(`--users`), with the line of a bad entry in the message.

A user's strings must be Unicode text. JSON can spell a lone surrogate (`"\\ud800"`), and a
byte of an argument that is not UTF-8 arrives as one; no SDK can hash it as UTF-8, so it is
refused here, at its line, rather than as a traceback from the middle of an evaluation."""

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
    if "\\u" in text or not text.isascii():  # an escape, or an undecodable byte of argv
        _require_text(value, where)
    return value


def _require_text(value: dict[str, Any], where: str) -> None:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        unit = ord(error.object[error.start])
        what = (
            f"the byte 0x{unit - 0xDC00:02x}, which is not UTF-8"
            if 0xDC80 <= unit <= 0xDCFF  # how Python decodes a byte of argv that is not UTF-8
            else f"a lone UTF-16 surrogate (\\u{unit:04x}), which is not Unicode text"
        )
        raise UsageError(f"{where}: a string holds {what}: no SDK can hash it") from None


def read_users(path: Path) -> Iterator[dict[str, Any]]:
    """Each non-blank line of a JSON Lines file as a user context."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise UsageError(f"{path}: cannot read ({error.strerror})") from error
    except UnicodeDecodeError as error:
        at = error.object[: error.start].count(b"\n") + 1
        raise UsageError(
            f"{path}:{at}: not UTF-8 text (byte 0x{error.object[error.start]:02x}); "
            "JSON Lines files are UTF-8"
        ) from None
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield parse_user(line, f"{path}:{number}")
