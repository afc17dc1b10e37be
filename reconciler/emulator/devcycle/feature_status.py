"""A feature's lifecycle status: `PATCH .../features/{feature}/status` (v1 and v2).

`UpdateFeatureStatusDto` sets `status` (`active`, `complete`, `archived`), `staticVariation`
(the variation a completed feature serves everyone) and `_customStatus`. The same change is
what a `featureStatusUpdate` change request carries, so `apply_status` works on a draft and is
shared with change requests; the route adds the direct-write gate.

Vendor behaviour unknown, and the emulator's choices:
- completing a feature needs a static variation (given now or set before), else 400; the
  variation may be named by key or `_id` and is stored by key (`Feature.staticVariation` is "the
  key of the variation");
- completing does not rewrite targeting (the vendor replaces it with an "All users" rule); a
  completed feature's configurations report `hasStaticConfig: true`;
- archived features stay writable (the vendor makes them read-only);
- custom statuses are organization objects the emulator does not have: every `_customStatus`
  is a 404.
"""

from __future__ import annotations

from typing import Any

from .errors import BadRequest, NotFound
from .feature_locks import ensure_direct_write
from .features import Draft, draft_of
from .http import Call, Reply
from .validation import validate_body


def apply_status(draft: Draft, body: dict[str, Any]) -> None:
    """Apply a validated `UpdateFeatureStatusDto` to a draft (not yet checked nor committed)."""
    feature = draft.feature
    if "_customStatus" in body:
        raise NotFound(body["_customStatus"])
    if "staticVariation" in body:
        feature["staticVariation"] = _variation_key(feature, body["staticVariation"])
    if "status" in body:
        if body["status"] == "complete" and not feature.get("staticVariation"):
            raise BadRequest(["staticVariation should not be empty"])
        feature["status"] = body["status"]


def _variation_key(feature: dict[str, Any], ref: str) -> str:
    for variation in feature["variations"]:
        if ref in (variation["_id"], variation["key"]):
            return str(variation["key"])
    raise BadRequest(
        [f"staticVariation '{ref}' is not the key or _id of a variation of this feature"]
    )


def update_feature_status(call: Call) -> Reply:
    draft = draft_of(call)
    body = validate_body(call.body, "UpdateFeatureStatusDto")
    ensure_direct_write(draft.store, draft.project, draft.feature)
    apply_status(draft, body)
    draft.check_and_commit()
    return Reply(draft.render())
