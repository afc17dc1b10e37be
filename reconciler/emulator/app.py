"""The emulator's ASGI app: every vendor emulator mounted in one Starlette application.

DevCycle's routes live under `/v1`, `/v2` and `/oauth/token`; a PostHog emulator will be mounted
under `/api` before the DevCycle catch-all mount. Each vendor keeps its own state section in the
one state file.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount

from .config import EmulatorConfig
from .devcycle import DevCycleEmulator
from .persistence import StateFile

RESERVED_KEYS = ("format", "version", "devcycle")


def create_app(config: EmulatorConfig) -> Starlette:
    """Build the app; loads (or seeds and creates) the state file. Raises ValueError when the
    state file exists but cannot be used, naming the file and what is wrong."""
    devcycle = DevCycleEmulator(config.client_id, config.client_secret)
    state_file = StateFile(config.state_file) if config.state_file is not None else None
    saved = state_file.load() if state_file is not None else None
    if saved is not None and "devcycle" in saved:
        try:
            devcycle.load(saved["devcycle"])
        except ValueError as exc:
            raise ValueError(f"{config.state_file}: invalid DevCycle state: {exc}") from exc
    elif config.seed:
        # No state yet (or a state file from before the DevCycle emulator had a section).
        devcycle.seed()

    if state_file is not None:
        # Sections this version does not manage are written back untouched.
        others = {k: v for k, v in (saved or {}).items() if k not in RESERVED_KEYS}

        def save() -> None:
            sections: dict[str, Any] = {**others, "devcycle": devcycle.snapshot()}
            state_file.save(sections)

        devcycle.store.on_change = save
        if saved is None or "devcycle" not in saved:
            with devcycle.store.lock:
                save()

    app = Starlette(routes=[Mount("", app=devcycle.app)])
    app.state.devcycle = devcycle
    return app
