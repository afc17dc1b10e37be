"""How an emulator instance is configured (shared by the app, the server and the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class EmulatorConfig:
    """Where state lives and which OAuth client the token endpoint accepts.

    `state_file=None` keeps everything in memory; with a path the state is loaded at start (or
    seeded and written if the file is missing or empty) and saved after every successful write.
    """

    state_file: Path | None = None
    client_id: str = "emulator"
    client_secret: str = "emulator-secret"
    seed: bool = True
