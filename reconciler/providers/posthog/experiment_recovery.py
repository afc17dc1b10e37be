"""Experiment and holdout creates whose answer was lost: find what they made, never make two.

PostHog reuses an existing flag with the experiment's key, so sending a lost experiment create
again does not fail: it makes a second experiment on the same flag. Holdout names are not
unique in PostHog either, so a holdout create sent again makes a second holdout of that name
(which the next plan refuses). These creates are therefore sent without the client's automatic
retry of lost writes; when an answer is lost, the project's list is read, and the one object
under the key (experiments: flag key; holdouts: name) with the same content is the one the
create made (the plan saw none there). For a holdout it must also carry flagsync's ownership
mark. Only when there is none is the create sent again; anything else there is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.errors import ApiError, ConflictError
from reconciler.plan import ApiCall
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.holdouts import holdout_to_model, is_owned


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


def _same_holdout(found: dict[str, Any], body: dict[str, Any]) -> bool:
    """flagsync's, and the same name, description and percentage (compared as the model reads
    them: PostHog trims the description and stamps each filter with a variant)."""
    return is_owned(found) and holdout_to_model(found, "") == holdout_to_model(body, "")


def create_experiment(client: PostHogClient, call: ApiCall) -> Any:
    """POST the experiment; after a lost answer, the experiment it made (or a second POST)."""
    body = call.body if isinstance(call.body, dict) else {}
    key = body.get("feature_flag_key")
    return _create_once(
        client,
        call,
        lambda e: e.get("feature_flag_key") == key and not e.get("deleted"),
        _same,
        f"an experiment on flag '{key}'",
    )


def create_holdout(client: PostHogClient, call: ApiCall) -> Any:
    """POST the holdout; after a lost answer, the holdout it made (or a second POST)."""
    body = call.body if isinstance(call.body, dict) else {}
    name = body.get("name")
    return _create_once(
        client, call, lambda h: h.get("name") == name, _same_holdout, f"a holdout named '{name}'"
    )


def _create_once(
    client: PostHogClient,
    call: ApiCall,
    under_key: Callable[[dict[str, Any]], bool],
    same: Callable[[dict[str, Any], dict[str, Any]], bool],
    what: str,
) -> Any:
    try:
        return client.json(call.method, call.path, body=call.body, retry_lost_writes=False)
    except ApiError as error:
        if not error.after_lost_attempt or error.status is not None:
            raise
    body = call.body if isinstance(call.body, dict) else {}
    made = [item for item in client.list_all(call.path) if under_key(item)]
    if len(made) == 1 and same(made[0], body):
        return made[0]
    if made:
        raise ConflictError(
            call.describe(),
            f"the answer was lost, and PostHog now has {what} that differs from the one sent; "
            "run `flagsync plan` to see it (nothing else was sent)",
        )
    return client.json(call.method, call.path, body=call.body)
