"""Conformance of the DevCycle emulator: raw HTTP against a real emulator server, each answer
checked against DevCycle's own OpenAPI document (statuses declared per operation, component
schemas). Every case names its source in its docstring."""

from __future__ import annotations

from tests.emulator.conftest import api, project, server, token

__all__ = ["api", "project", "server", "token"]
