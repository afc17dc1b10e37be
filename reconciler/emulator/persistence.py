"""The emulator's state file: one JSON document, written atomically.

Writes go to a temporary file in the same directory and are moved over the state file with
`os.replace`, so a crash mid-write leaves the previous state intact and a reader never sees half
a file. A file that cannot be read as the emulator's state is an error naming the file and the
problem, never silently replaced.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

FORMAT = "flagsync-emulator"
VERSION = 1


class StateFile:
    """Load and save the emulator's state (`{"format", "version", <vendor>: {...}}`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None when the file does not exist or is empty."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{self.path}: cannot read the emulator state file: {exc}") from exc
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{self.path}: the emulator state file is not valid JSON "
                f"(line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(
                f"{self.path}: not an emulator state file (expected a JSON object with "
                f'"format": "{FORMAT}")'
            )
        if data.get("version") != VERSION:
            raise ValueError(
                f"{self.path}: unsupported emulator state version {data.get('version')!r} "
                f"(this emulator reads version {VERSION})"
            )
        return data

    def save(self, sections: dict[str, Any]) -> None:
        """Write the state atomically (temporary file + os.replace)."""
        document = {"format": FORMAT, "version": VERSION, **sections}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, separators=(",", ":"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
