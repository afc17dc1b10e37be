"""Local, faithful emulators of the vendors' management APIs, served over real HTTP.

No vendor account is reachable from where flagsync is developed and tried, so flagsync ships
emulators: same paths, pagination, validation rules, error bodies and status codes as the
vendor. They import nothing from the rest of flagsync, so a translation bug cannot hide by
sitting on both sides of the wire.

The names below are imported on first use (PEP 562), so that `flagsync` can register the
`emulator` command (`command.py`) without loading the servers for every other command.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .config import EmulatorConfig
    from .faults import FaultConfig
    from .server import EmulatorServer, serve_forever

__all__ = ["EmulatorConfig", "EmulatorServer", "FaultConfig", "create_app", "serve_forever"]

_HOMES = {
    "EmulatorConfig": ".config",
    "EmulatorServer": ".server",
    "FaultConfig": ".faults",
    "create_app": ".app",
    "serve_forever": ".server",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name], __name__), name)
