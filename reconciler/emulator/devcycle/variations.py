"""A feature's variations (`/v1/projects/{project}/features/{feature}/variations`).

Writes answer with the whole `Feature` (as the vendor does) and go through the same draft,
direct-write gate and whole-feature check as a feature PATCH.
"""

from __future__ import annotations

import copy

from .errors import Conflict, NotFound
from .feature_locks import ensure_direct_write
from .features import ERR_DUPE_VARIATION, draft_of
from .http import Call, Reply
from .store import Doc
from .validation import validate_body


def _find(variations: list[Doc], ref: str) -> Doc:
    for variation in variations:
        if variation["_id"] == ref or variation["key"] == ref:
            return variation
    raise NotFound(ref)


def list_variations(call: Call) -> Reply:
    """Unpaged: the feature's variations as a bare array."""
    return Reply(copy.deepcopy(draft_of(call).feature["variations"]))


def get_variation(call: Call) -> Reply:
    return Reply(copy.deepcopy(_find(draft_of(call).feature["variations"], call.param("key"))))


def create_variation(call: Call) -> Reply:
    draft = draft_of(call)
    body = validate_body(call.body, "FeatureVariationDto")
    ensure_direct_write(draft.store, draft.project, draft.feature)
    variations = draft.feature["variations"]
    if any(v["key"] == body["key"] for v in variations):
        raise Conflict(body["key"], ERR_DUPE_VARIATION)
    variations.append(
        {
            "_id": draft.store.new_id(),
            "key": body["key"],
            "name": body["name"],
            "variables": copy.deepcopy(body.get("variables", {})),
        }
    )
    if not draft.feature.get("controlVariation"):
        draft.feature["controlVariation"] = body["key"]
    draft.check_and_commit()
    return Reply(draft.render(), status=201)


def update_variation(call: Call) -> Reply:
    """Fields given replace the variation's; a new key must be free within the feature (409)."""
    # Vendor behaviour unknown: that `variables` replaces the whole value map (not a merge).
    draft = draft_of(call)
    body = validate_body(call.body, "UpdateFeatureVariationDto")
    ensure_direct_write(draft.store, draft.project, draft.feature)
    variation = _find(draft.feature["variations"], call.param("key"))
    new_key = str(body["key"] if "key" in body else variation["key"])
    if any(v["key"] == new_key and v is not variation for v in draft.feature["variations"]):
        raise Conflict(new_key, ERR_DUPE_VARIATION)
    if draft.feature.get("controlVariation") == variation["key"]:
        draft.feature["controlVariation"] = new_key
    variation["key"] = new_key
    if "name" in body:
        variation["name"] = body["name"]
    if "variables" in body:
        variation["variables"] = copy.deepcopy(body["variables"])
    draft.check_and_commit()
    return Reply(draft.render())
