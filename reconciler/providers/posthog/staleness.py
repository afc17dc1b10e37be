"""What PostHog knows about a flag's staleness, said where flagsync shows live state.

PostHog computes a `status` for every flag (`FeatureFlagStatusChecker.get_status` in
`products/feature_flags/backend/flag_status.py`, served by name as `FeatureFlag.status`):
STALE when the flag has not been evaluated for 30 days (`last_called_at`, from
`$feature_flag_called` events), or, with no evaluation recorded, when it is 30+ days old and
fully rolled out (it can only answer one thing). flagsync does not recompute it: it reports the
vendor's verdict, per project, with the evidence PostHog gives (the last call).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

STALE = "STALE"


def _since(value: Any, now: datetime) -> str:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return f"last evaluated {value}"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return f"not evaluated for {(now - when).days} days (last {when.date().isoformat()})"


def stale_notes(
    raw: dict[str, dict[str, dict[str, Any]]], now: datetime | None = None
) -> list[str]:
    """One line per flag and project PostHog marks STALE, in key order."""
    moment = now or datetime.now(UTC)
    notes = []
    for key in sorted(raw):
        for env, row in raw[key].items():
            if row.get("status") != STALE:
                continue
            if row.get("last_called_at"):
                why = _since(row["last_called_at"], moment)
            else:
                why = "fully rolled out, and no evaluation recorded in 30+ days"
            notes.append(
                f"PostHog marks flag '{key}' [{env}] stale: {why}; remove it from code "
                "(`flagsync refs`) and the manifests, or keep it with `permanent: true`"
            )
    return notes
