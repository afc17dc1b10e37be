"""Counting in words: `1 flag`, `2 flags`, `3 custom properties`, never `flag(s)`."""

from __future__ import annotations

_IRREGULAR = {
    "custom property": "custom properties",
    "change request": "change requests",
    "approval policy": "approval policies",
}


def plural(noun: str) -> str:
    return _IRREGULAR.get(noun) or (noun[:-1] + "ies" if noun.endswith("y") else noun + "s")


def counted(count: int, noun: str) -> str:
    return f"{count} {noun if count == 1 else plural(noun)}"
