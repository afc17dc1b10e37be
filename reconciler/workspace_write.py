"""Writing a section of the workspace file back (`flagsync import`), keeping its comments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.errors import WorkspaceError


def write_section(workspace_file: Path, name: str, entries: list[dict[str, Any]]) -> None:
    """Set (or, with no entries, remove) the top-level list `name` of the workspace file; the
    rest of the file, comments included, stays as it is."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML()
    yaml.preserve_quotes = True
    try:
        data = yaml.load(workspace_file.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as error:
        raise WorkspaceError(
            f"{workspace_file}: cannot rewrite the workspace file: {error}"
        ) from None
    if entries:
        data[name] = entries
    elif name in data:
        del data[name]
    with workspace_file.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)
