"""What reading the manifests needs of a workspace, as a protocol.

The workspace file is read with the manifests' YAML reader and schema check, so
`reconciler.workspace` sits above `reconciler.manifest`; manifest loading, import and metadata
take any object with these attributes (a `Workspace` is one) instead of importing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


class DeclaredManifests(Protocol):
    """The workspace file, the manifests it names, its environments and its vendor."""

    @property
    def file(self) -> Path: ...

    @property
    def manifests(self) -> Sequence[Path]: ...

    @property
    def environment_names(self) -> list[str]: ...

    @property
    def provider(self) -> str: ...
