"""The `refs:` section of the workspace file: where to look and how code names a flag.

```yaml
refs:
  paths: [web/, services/]          # default: the Git repository around the workspace
  exclude: ["**/fixtures/**"]        # gitignore syntax, on top of .gitignore
  default_patterns: true             # the vendor SDK calls flagsync knows (default true)
  patterns:                          # yours: group `key` (or the first group) is the key
    - regex: 'flags\\.isOn\\("(?P<key>[a-z0-9-]+)"\\)'
      files: [ts, tsx]
```
The schema checks the shape when the workspace loads; a regex that does not compile, or has
no group, is reported at its line here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.code_patterns import Pattern, user_pattern
from reconciler.errors import ValidationFailed
from reconciler.manifest.source import Document, read_yaml
from reconciler.workspace import Workspace, display_name


@dataclass(frozen=True)
class RefsConfig:
    paths: tuple[Path, ...] = ()
    exclude: tuple[str, ...] = ()
    default_patterns: bool = True
    patterns: tuple[Pattern, ...] = field(default_factory=tuple)


def load_refs_config(workspace: Workspace) -> RefsConfig:
    document = read_yaml(workspace.file, display_name(workspace.file))
    if not isinstance(document, Document):
        raise ValidationFailed([document])
    data: dict[str, Any] = (document.data or {}).get("refs") or {}
    patterns, problems = [], []
    for index, item in enumerate(data.get("patterns") or []):
        try:
            patterns.append(user_pattern(index, item["regex"], item.get("files")))
        except (re.error, ValueError) as error:
            where: list[str | int] = ["refs", "patterns", index, "regex"]
            problems.append(document.problem(where, f"not a usable regex: {error}"))
    if problems:
        raise ValidationFailed(problems)
    base = workspace.file.parent
    return RefsConfig(
        paths=tuple(base / p for p in data.get("paths") or ()),
        exclude=tuple(data.get("exclude") or ()),
        default_patterns=data.get("default_patterns", True),
        patterns=tuple(patterns),
    )
