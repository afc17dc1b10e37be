"""The JSON plan `flagsync plan --out` (or `flagsync drift -o json`) writes, as the action needs it.

Only a few fields matter here: whether there are changes, the counts, the fingerprint. They are
read from the JSON rather than from `reconciler.plan`, because the flagsync version the workflow
installs may differ from the action's; `format_version` is the contract between them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.github.errors import ActionError
from reconciler.github.reviews import reviewed_changes

SUPPORTED_FORMAT = 1
COUNT_KEYS = ("create", "update", "delete", "change_request")


@dataclass(frozen=True)
class PlanReport:
    """What a plan says about itself: its changes in numbers, and its identity (fingerprint)."""

    changes_pending: bool
    counts: dict[str, int]
    fingerprint: str
    drift: bool | None = None
    """Set in a `flagsync drift` report: changes, or flags nobody declared."""
    reviewed: tuple[str, ...] = ()
    """`key [environment]` of the changes that go to reviewers as change requests."""

    @classmethod
    def from_json(cls, data: Any, source: str = "the plan") -> PlanReport:
        if not isinstance(data, dict):
            raise ActionError(f"{source} is not a flagsync JSON plan (not an object)")
        version = data.get("format_version")
        if version != SUPPORTED_FORMAT:
            raise ActionError(
                f"{source} has format_version {version!r}; this action reads version "
                f"{SUPPORTED_FORMAT}: use the action release that matches your flagsync version"
            )
        summary = data.get("summary")
        fingerprint = data.get("fingerprint")
        if not isinstance(summary, dict) or not isinstance(fingerprint, str):
            raise ActionError(f"{source} lacks `summary` or `fingerprint`: not a flagsync plan")
        counts = {key: int(summary.get(key, 0)) for key in COUNT_KEYS}
        drift = data.get("drift")
        return cls(
            changes_pending=bool(data.get("changes_pending")),
            counts=counts,
            fingerprint=fingerprint,
            drift=drift if isinstance(drift, bool) else None,
            reviewed=tuple(reviewed_changes(data)),
        )

    @classmethod
    def load(cls, path: Path) -> PlanReport:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ActionError(f"{path}: no such plan file (did the plan step run?)") from None
        except OSError as error:
            raise ActionError(f"cannot read {path}: {error.strerror or error}") from None
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ActionError(f"{path} is not JSON: {error}") from None
        return cls.from_json(data, str(path))


def counts_line(counts: dict[str, int]) -> str:
    """`3 to create, 1 to update, 0 to delete, 2 change requests`."""
    requests = counts.get("change_request", 0)
    return (
        f"{counts.get('create', 0)} to create, {counts.get('update', 0)} to update, "
        f"{counts.get('delete', 0)} to delete, "
        f"{requests} change request{'' if requests == 1 else 's'}"
    )
