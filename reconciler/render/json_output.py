"""The plan as JSON: the complete data, for machines (CI, saved plans, alerting)."""

from __future__ import annotations

import json

from reconciler.plan import FORMAT_VERSION, Plan

__all__ = ["FORMAT_VERSION", "SCHEMA_ID", "render_json"]
SCHEMA_ID = "https://flagsync.dev/schemas/plan-v1.schema.json"
"""The published JSON Schema of this format (schemas/plan-v1.schema.json)."""


def render_json(plan: Plan) -> str:
    data = {
        "$schema": SCHEMA_ID,
        "format_version": FORMAT_VERSION,
        "changes_pending": plan.has_changes,
        "differs": plan.differs,
        "summary": plan.counts(),
        "fingerprint": plan.fingerprint(),
        **plan.model_dump(mode="json"),
    }
    return json.dumps(data, indent=2) + "\n"
