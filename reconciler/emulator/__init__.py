"""Local, faithful emulators of the vendors' management APIs, served over real HTTP.

No vendor account is reachable from where flagsync is developed and tried, so flagsync ships
emulators: same paths, pagination, validation rules, error bodies and status codes as the
vendor. They import nothing from the rest of flagsync, so a translation bug cannot hide by
sitting on both sides of the wire.
"""

from __future__ import annotations

from .app import create_app
from .config import EmulatorConfig
from .faults import FaultConfig
from .server import EmulatorServer, serve_forever

__all__ = ["EmulatorConfig", "EmulatorServer", "FaultConfig", "create_app", "serve_forever"]
