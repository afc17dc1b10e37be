"""Step outputs (`$GITHUB_OUTPUT`) and the job summary (`$GITHUB_STEP_SUMMARY`).

Both are files the runner reads after the step. Outputs use `name=value` for one-line values and
the heredoc form (`name<<DELIMITER`) otherwise, with a random delimiter checked against the value,
so a value can never end the block early and inject another output.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

from reconciler.github.errors import ActionError


def format_output(name: str, value: str) -> str:
    """One output in the runner's file syntax."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    while True:
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter not in value:
            return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def set_outputs(path: Path | None, values: Mapping[str, str]) -> None:
    """Append outputs; outside Actions (no `GITHUB_OUTPUT`) there is nowhere to put them."""
    if path is None:
        return
    _append(path, "".join(format_output(name, value) for name, value in values.items()))


def append_summary(path: Path | None, markdown: str) -> None:
    """Add a section to the job summary; sections from several steps follow each other."""
    if path is None:
        return
    _append(path, markdown.rstrip("\n") + "\n\n")


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        raise ActionError(f"cannot write {path}: {error.strerror or error}") from None
