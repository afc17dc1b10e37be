"""One failed rule, as reported in the plan, the pull request comment and apply's refusal."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Violation:
    rule: str
    """The rule that failed: a built-in rule's setting name, or a custom rule's name."""
    message: str
    key: str | None = None
    environment: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
