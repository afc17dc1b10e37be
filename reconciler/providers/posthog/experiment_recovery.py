"""An experiment create whose answer was lost: find the experiment it made, never make two.

PostHog reuses an existing flag with the experiment's key, so sending a lost create again does
not fail: it makes a second experiment on the same flag. The create is therefore sent without
the client's automatic retry of lost writes; when its answer is lost, the project's experiments
are read, and one with the same flag key and the same content (name, description, variants,
holdout) is the one the create made (the plan saw no experiment with that key). Only when there
is none is the create sent again.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ApiError
from reconciler.plan import ApiCall
from reconciler.providers.posthog.client import PostHogClient


def _variants(parameters: Any) -> list[tuple[str, Any]]:
    variants = (parameters or {}).get("feature_flag_variants") or []
    return sorted((str(v.get("key")), v.get("rollout_percentage")) for v in variants)


def _same(found: dict[str, Any], body: dict[str, Any]) -> bool:
    holdout = (found.get("holdout") or {}).get("id") if found.get("holdout") else None
    return (
        found.get("feature_flag_key") == body.get("feature_flag_key")
        and found.get("name") == body.get("name")
        and (found.get("description") or "") == (body.get("description") or "")
        and _variants(found.get("parameters")) == _variants(body.get("parameters"))
        and holdout == body.get("holdout_id")
    )


def create_experiment(client: PostHogClient, call: ApiCall) -> Any:
    """POST the experiment; after a lost answer, the experiment it made (or a second POST)."""
    try:
        return client.json(call.method, call.path, body=call.body, retry_lost_writes=False)
    except ApiError as error:
        if not error.after_lost_attempt or error.status is not None:
            raise
    body = call.body if isinstance(call.body, dict) else {}
    made = [
        e
        for e in client.list_all(call.path)
        if e.get("feature_flag_key") == body.get("feature_flag_key") and not e.get("deleted")
    ]
    if len(made) == 1 and _same(made[0], body):
        return made[0]
    if made:
        raise ApiError(
            call.describe(),
            f"the answer was lost, and PostHog now has an experiment on flag "
            f"'{body.get('feature_flag_key')}' that differs from the one sent; run `flagsync "
            "plan` to see it (nothing else was sent)",
        )
    return client.json(call.method, call.path, body=call.body)
