"""The emulator's ASGI app: every vendor emulator mounted in one Starlette application.

DevCycle's routes live under `/v1`, `/v2` and `/oauth/token`; PostHog's under `/api/` and
`/flags/`, before the DevCycle catch-all mount. Each vendor keeps its own state section in the
one state file. Fault injection wraps the whole app (every vendor mount); the emulator's own
control endpoints are mounted under `/_emulator` and never faulted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from .config import EmulatorConfig
from .control import control_mount
from .devcycle import DevCycleEmulator
from .devcycle.staleness import seed_routes
from .fault_injection import FaultInjector, FaultMiddleware
from .persistence import StateFile
from .posthog import PostHogState, posthog_routes

RESERVED_KEYS = ("format", "version", "devcycle", "posthog")


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
    if saved is not None and "posthog" in saved:
        try:
            posthog = PostHogState.from_json(saved["posthog"])
        except ValueError as exc:
            raise ValueError(f"{config.state_file}: invalid PostHog state: {exc}") from exc
    else:
        posthog = PostHogState.seeded()
    posthog.validation = config.posthog_validation
    on_posthog_change: Callable[[], None] = lambda: None  # noqa: E731

    if state_file is not None:
        # Sections this version does not manage are written back untouched.
        others = {k: v for k, v in (saved or {}).items() if k not in RESERVED_KEYS}

        # Each vendor snapshots its own section under its own lock (held by the writing request),
        # so saving never takes another vendor's lock: no lock-order deadlock between vendors.
        save_lock = threading.Lock()
        sections: dict[str, Any] = {
            **others,
            "devcycle": devcycle.snapshot(),
            "posthog": posthog.to_json(),
        }

        def write() -> None:
            with save_lock:
                state_file.save(dict(sections))

        def save_devcycle() -> None:
            sections["devcycle"] = devcycle.snapshot()
            write()

        def save_posthog() -> None:
            sections["posthog"] = posthog.to_json()
            write()

        devcycle.store.on_change = save_devcycle
        on_posthog_change = save_posthog
        if saved is None or "devcycle" not in saved or "posthog" not in saved:
            write()

    faults = FaultInjector(config.faults)
    app = Starlette(
        routes=[
            control_mount(faults, seed_routes(devcycle.store)),
            *posthog_routes(posthog, on_change=on_posthog_change),
            Mount("", app=devcycle.app),
        ],
        middleware=[Middleware(FaultMiddleware, injector=faults)],
    )
    app.state.devcycle = devcycle
    app.state.posthog = posthog
    app.state.faults = faults
    return app
