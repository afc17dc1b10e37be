"""Emulator of DevCycle's Management API (and of its Auth0 token endpoint).

`DevCycleEmulator` bundles the state, the issued tokens and a self-contained Starlette app
serving the vendor's paths, so the top-level emulator app only has to mount it.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from .auth import TokenRegistry
from .http import internal_error, nest_http_error
from .routes import routes
from .seed import seed
from .store import DevCycleStore

__all__ = ["DevCycleEmulator"]


class DevCycleEmulator:
    """One emulated DevCycle organization served over HTTP."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.store = DevCycleStore()
        self.tokens = TokenRegistry(client_id=client_id, client_secret=client_secret)
        self.app = Starlette(
            routes=routes(self.store, self.tokens),
            exception_handlers={HTTPException: nest_http_error, Exception: internal_error},
        )

    def seed(self) -> None:
        """Load the demo project (for an empty emulator)."""
        with self.store.lock:
            seed(self.store)

    def snapshot(self) -> dict[str, Any]:
        return self.store.snapshot()

    def load(self, data: Any) -> None:
        self.store.load(data)
