"""How an emulator instance is configured (shared by the app, the server and the CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .faults import FaultConfig

POSTHOG_VALIDATION_MODES = ("strict", "lenient")


@dataclass
class EmulatorConfig:
    """Where state lives, which OAuth client the token endpoint accepts, which faults to inject.

    `state_file=None` keeps everything in memory; with a path the state is loaded at start (or
    seeded and written if the file is missing or empty) and saved after every successful write.
    `faults` is where the emulator starts; `PUT /_emulator/faults` changes it at runtime.
    """

    state_file: Path | None = None
    client_id: str = "emulator"
    client_secret: str = "emulator-secret"
    seed: bool = True
    faults: FaultConfig = field(default_factory=FaultConfig)
    posthog_validation: str = "strict"
    """`strict` enforces the flag filter rules PostHog enforces only where a deployment setting
    lists them (as PostHog Cloud does); `lenient` accepts them, as an unconfigured deployment."""

    def __post_init__(self) -> None:
        if self.posthog_validation not in POSTHOG_VALIDATION_MODES:
            raise ValueError(
                f"posthog_validation must be one of {', '.join(POSTHOG_VALIDATION_MODES)}, "
                f"not {self.posthog_validation!r}"
            )
