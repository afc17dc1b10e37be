"""Per-environment targeting of one feature (`.../features/{feature}/configurations`)."""

from __future__ import annotations

from .errors import BadRequest
from .feature_locks import ensure_direct_write
from .features import apply_configurations, draft_of
from .http import Call, Reply
from .targeting import render_config
from .validation import validate_body


def list_configurations(call: Call) -> Reply:
    """All environments' `FeatureConfig`s, or the one named by `?environment=` (key or id)."""
    draft = draft_of(call)
    environments = draft.environments
    ref = call.query.get("environment")
    if ref is not None:
        environments = [draft.store.get("environments", draft.project["_id"], ref)]
    configs = draft.feature["configurations"]
    return Reply(
        [render_config(draft.feature, env, configs.get(env["_id"])) for env in environments]
    )


def update_configuration(call: Call) -> Reply:
    """`?environment=` is required; the body is one `UpdateFeatureConfigDto`."""
    ref = call.query.get("environment")
    if not ref:
        raise BadRequest(["environment should not be empty", "environment must be a string"])
    draft = draft_of(call)
    env = draft.store.get("environments", draft.project["_id"], ref)
    body = validate_body(call.body, "UpdateFeatureConfigDto")
    ensure_direct_write(draft.store, draft.project, draft.feature)
    apply_configurations(draft, {env["_id"]: body})
    draft.check_and_commit()
    return Reply(render_config(draft.feature, env, draft.feature["configurations"][env["_id"]]))
