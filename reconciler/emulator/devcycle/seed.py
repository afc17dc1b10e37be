"""The demo data a fresh emulator starts with, so a new user has something to point at."""

from __future__ import annotations

from .projects import new_project
from .store import DevCycleStore

DEMO_PROJECT = {"key": "demo", "name": "Demo", "description": "Demo project of the emulator"}
SEED_ACTOR = "emulator-seed"


def seed(store: DevCycleStore) -> None:
    """One project `demo` with environments development, staging and production; no features."""
    new_project(store, dict(DEMO_PROJECT), SEED_ACTOR)
