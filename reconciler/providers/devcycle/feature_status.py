"""A DevCycle feature's lifecycle status: `PATCH /v2/projects/{p}/features/{f}/status`.

The status is not part of the feature's own PATCH body (`UpdateFeatureDto` has no `status`):
`UpdateFeatureStatusDto {status, staticVariation}` goes to its own endpoint, or, where changes
need review, into a change request of operation `featureStatusUpdate` (the same PATCH, by path).

Order matters because DevCycle limits what a completed or archived feature accepts (vendor
docs: a completed feature takes no new targets or variations, an archived one is read-only):
a flag that leaves `complete`/`archived` for `active` changes status first and is edited
after; a flag that becomes `complete` or `archived` is edited first and changes status last.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from reconciler.model import Flag
from reconciler.plan import ApiCall, Change, FieldChange, Subject

LIFECYCLE_FIELDS = frozenset({"metrics", "status", "static_variation"})
"""Flag fields that are not sent in the feature's own PATCH body."""
STATUS_FIELDS = frozenset({"status", "static_variation"})


def status_body(flag: Flag) -> dict[str, Any]:
    body: dict[str, Any] = {"status": flag.status}
    if flag.status == "complete" and flag.static_variation:
        body["staticVariation"] = flag.static_variation
    return body


def status_call(v2: str, flag: Flag) -> ApiCall:
    path = f"{v2}/features/{quote(flag.key, safe='')}/status"
    return ApiCall(
        method="PATCH",
        path=path,
        role="status",
        body=status_body(flag),
        subject=Subject(kind="flag", key=flag.key),
    )


def status_changed(desired: Flag, live: Flag | None) -> bool:
    before = (live.status, live.static_variation) if live else ("active", None)
    return (desired.status, desired.static_variation) != before


def status_first(desired: Flag, live: Flag | None) -> bool:
    """Whether the status changes before the feature is edited: when the flag returns to
    `active`, when a complete flag moves to a static variation that exists already (the edit
    may remove the old one), and when it is archived by an edit removing its static variation.
    A complete flag moving to a variation the same apply creates while the old static variation
    is removed cannot be ordered: DevCycle refuses it either way."""
    if live is None or live.status == "active":
        return False
    if desired.status == "active":
        return True
    if desired.status == live.status == "complete":
        return desired.static_variation in live.variations
    # Leaving `complete` for `archived`: first, if the edit removes the variation it serves.
    return live.status == "complete" and live.static_variation not in desired.variations


def split(changes: list[Change]) -> tuple[list[Change], list[Change]]:
    """The changes sent in the feature's own PATCH, and the flag-wide changes of metrics and
    status (a flag-wide change with both kinds of fields is cut in two)."""
    own: list[Change] = []
    lifecycle: list[Change] = []
    for change in changes:
        if change.environment is not None or change.action != "update":
            own.append(change)
            continue
        mine = [f for f in change.fields if _root(f) in LIFECYCLE_FIELDS]
        rest = [f for f in change.fields if _root(f) not in LIFECYCLE_FIELDS]
        if rest:
            own.append(change.model_copy(update={"fields": rest}))
        if mine:
            lifecycle.append(change.model_copy(update={"fields": mine}))
    return own, lifecycle


def explained(change: Change, desired: Flag) -> Change:
    """A status change reads `status: active → complete (serves banner)`."""
    fields = []
    for item in change.fields:
        if _root(item) == "static_variation":
            continue
        if _root(item) == "status" and desired.status == "complete":
            item = item.model_copy(
                update={"after": f"complete (serves {desired.static_variation})"}
            )
        fields.append(item)
    if not any(_root(f) == "status" for f in change.fields):
        fields += [f for f in change.fields if _root(f) == "static_variation"]
    return change.model_copy(update={"fields": fields})


def _root(item: FieldChange) -> str:
    return str(item.parts[0]) if item.parts else item.path
