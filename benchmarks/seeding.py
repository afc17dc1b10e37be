"""The benchmark's bulk set-up: the emulator's state for N flags, written as API creates store it.

Creating 100,000 flags x 3 environments through the API takes hours on a shared two-core
machine (each create is a request, and flagsync's apply builds every change first). Instead:

1. `flagsync apply` creates the first TEMPLATE_FLAGS flags of the benchmark's workspace
   against an emulator that persists its state (`--state-file`): these are API creates.
2. Every flag of the workspace is the template's first flag with its key, its ids (and the
   ids that point at them) and its timestamps replaced: the records are cloned from what the
   emulator stored, never written by hand.
3. The check: the clones of flags 1..TEMPLATE_FLAGS-1 must equal the records the API created
   for them, apart from ids and timestamps. A field that depends on the key in a way the
   cloning does not know makes the set-up fail here.

The result is a state file in the emulator's own format (`persistence.StateFile`), which
`emulator_process.py --seed` loads into memory.
"""

from __future__ import annotations

import json
import marshal
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TEMPLATE_FLAGS = 4
FIRST = "bench-000000"
Doc = dict[str, Any]


def key_of(index: int) -> str:
    return f"bench-{index:06d}"


def _stamp(base: str, offset_ms: int) -> str:
    """`base` (an ISO timestamp in either vendor's form) moved by `offset_ms`, same form."""
    micro = len(base.split(".")[1].rstrip("Z")) if "." in base else 0
    moment = datetime.fromisoformat(base.replace("Z", "+00:00")) + timedelta(milliseconds=offset_ms)
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if micro:
        text += "." + f"{moment.microsecond:06d}"[:micro]
    return text + "Z"


TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _normalised(doc: Any, ids: dict[Any, str], fields: frozenset[str] | None = None) -> Any:
    """`doc` with ids replaced by their order of appearance and timestamps by "T": what must be
    equal between a clone and an API-created record. `fields`: replace ids only as the values
    of these keys (PostHog's ids are small integers that other fields can equal)."""
    if isinstance(doc, dict):
        return {
            k: (
                ids.get(v, v) if fields is not None and k in fields else _normalised(v, ids, fields)
            )
            for k, v in doc.items()
        }
    if isinstance(doc, list):
        return [_normalised(v, ids, fields) for v in doc]
    if isinstance(doc, str) and TIMESTAMP.match(doc):
        return "T"
    if fields is None and doc in ids:
        return ids[doc]
    return doc


# -- PostHog ---------------------------------------------------------------------------------


POSTHOG_IDS = frozenset({"id", "usage_dashboard"})


def _posthog_group(state: Doc, key: str) -> list[tuple[Doc, Doc | None]]:
    """The records one flag key made: per project, the flag and its usage dashboard."""
    dashboards = {d["id"]: d for d in state["dashboards"]}
    flags = sorted((f for f in state["feature_flags"] if f["key"] == key), key=lambda f: f["id"])
    return [(f, dashboards.get(f["usage_dashboard"])) for f in flags]


def _posthog_clone(
    group: list[tuple[Doc, Doc | None]], key: str, next_id: Callable[[str], int], offset: int
) -> list[tuple[Doc, Doc | None]]:
    out = []
    for flag, dashboard in group:
        flag = marshal.loads(marshal.dumps(flag))
        flag["key"] = key
        flag["id"] = next_id("feature_flag")
        for name in ("created_at", "updated_at"):
            flag[name] = _stamp(flag[name], offset)
        if dashboard is not None:
            dashboard = dict(dashboard)
            dashboard["id"] = flag["usage_dashboard"] = next_id("dashboard")
            dashboard["name"] = dashboard["name"].replace(FIRST, key)
        out.append((flag, dashboard))
    return out


def _posthog_ids(group: list[tuple[Doc, Doc | None]]) -> dict[Any, str]:
    ids: dict[Any, str] = {}
    for flag, dashboard in group:
        ids.setdefault(flag["id"], f"flag{len(ids)}")
        if dashboard is not None:
            ids.setdefault(dashboard["id"], f"dashboard{len(ids)}")
    return ids


def _posthog_check(state: Doc) -> None:
    template = _posthog_group(state, FIRST)
    counter = {"feature_flag": 10**9, "dashboard": 10**9}

    def fake_id(kind: str) -> int:
        counter[kind] += 1
        return counter[kind]

    for index in range(1, TEMPLATE_FLAGS):
        made = _posthog_group(state, key_of(index))
        clone = _posthog_clone(template, key_of(index), fake_id, 0)
        want = _normalised([list(pair) for pair in made], _posthog_ids(made), POSTHOG_IDS)
        got = _normalised([list(pair) for pair in clone], _posthog_ids(clone), POSTHOG_IDS)
        if want != got:
            raise RuntimeError(f"a seeded PostHog flag differs from the API's: {key_of(index)}")


def seed_posthog(state: Doc, count: int) -> Doc:
    """The PostHog section with `count` flags cloned from the template's first flag."""
    _posthog_check(state)
    template = _posthog_group(state, FIRST)
    made = {id(f) for i in range(TEMPLATE_FLAGS) for f, _ in _posthog_group(state, key_of(i))}
    made_dashboards = {
        id(d) for i in range(TEMPLATE_FLAGS) for _, d in _posthog_group(state, key_of(i)) if d
    }
    seeded = dict(state)
    seeded["feature_flags"] = [f for f in state["feature_flags"] if id(f) not in made]
    seeded["dashboards"] = [d for d in state["dashboards"] if id(d) not in made_dashboards]
    next_ids = dict(state["next_ids"])

    def next_id(kind: str) -> int:
        value = next_ids.get(kind, 1)
        next_ids[kind] = value + 1
        return value

    for index in range(count):
        for flag, dashboard in _posthog_clone(template, key_of(index), next_id, index):
            seeded["feature_flags"].append(flag)
            if dashboard is not None:
                seeded["dashboards"].append(dashboard)
    seeded["next_ids"] = next_ids
    return seeded


# -- DevCycle ---------------------------------------------------------------------------------


def _devcycle_group(state: Doc, key: str) -> tuple[Doc, list[Doc]]:
    """A feature and its variables."""
    feature = next(f for f in state["features"] if f["key"] == key)
    variables = [v for v in state["variables"] if v.get("_feature") == feature["_id"]]
    return feature, variables


def _devcycle_ids(group: tuple[Doc, list[Doc]]) -> dict[Any, str]:
    """Every `_id` inside the group (feature, variations, targets, variables), in order of
    appearance: the ids its creation made. The project's and environments' ids it points at
    are not `_id`s here, so they stay."""
    ids: dict[Any, str] = {}

    def walk(doc: Any) -> None:
        if isinstance(doc, dict):
            if isinstance(doc.get("_id"), str):
                ids.setdefault(doc["_id"], f"id{len(ids)}")
            for value in doc.values():
                walk(value)
        elif isinstance(doc, list):
            for value in doc:
                walk(value)

    walk(list(group))
    return ids


def _devcycle_clone(
    group: tuple[Doc, list[Doc]], key: str, new_id: Callable[[], str], offset: int
) -> tuple[Doc, list[Doc]]:
    """Clone by text: every id of the group gets a new one, the key (also inside variable
    keys) the new key, every timestamp moves by `offset` ms (their order is kept)."""
    text = json.dumps(group)
    for old in _devcycle_ids(group):
        text = text.replace(f'"{old}"', f'"{new_id()}"')
    text = text.replace(FIRST, key)
    if offset:
        text = re.sub(
            r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z)"',
            lambda found: f'"{_stamp(found.group(1), offset)}"',
            text,
        )
    feature, variables = json.loads(text)
    return feature, variables


def _devcycle_check(state: Doc) -> None:
    template = _devcycle_group(state, FIRST)
    counter = iter(range(10**6))
    for index in range(1, TEMPLATE_FLAGS):
        made = _devcycle_group(state, key_of(index))
        clone = _devcycle_clone(template, key_of(index), lambda: f"{next(counter):024x}", 0)
        want = _normalised(list(made), _devcycle_ids(made))
        got = _normalised(list(clone), _devcycle_ids(clone))
        if want != got:
            raise RuntimeError(f"a seeded DevCycle feature differs from the API's: {key_of(index)}")


def seed_devcycle(state: Doc, count: int) -> Doc:
    """The DevCycle section with `count` features (and their variables) cloned from the
    template's first one. Ids use a tag of their own, after the emulator's counter."""
    _devcycle_check(state)
    template = _devcycle_group(state, FIRST)
    made_features = {id(_devcycle_group(state, key_of(i))[0]) for i in range(TEMPLATE_FLAGS)}
    made_variables = {
        id(v) for i in range(TEMPLATE_FLAGS) for v in _devcycle_group(state, key_of(i))[1]
    }
    seeded = dict(state)
    seeded["features"] = [f for f in state["features"] if id(f) not in made_features]
    seeded["variables"] = [v for v in state["variables"] if id(v) not in made_variables]
    prefix = template[0]["_id"][:8] + "5eed0"  # an instance tag the emulator never makes
    counter = iter(range(1, 2**40))

    def new_id() -> str:
        return f"{prefix}{next(counter):011x}"

    for index in range(count):
        feature, variables = _devcycle_clone(template, key_of(index), new_id, index)
        seeded["features"].append(feature)
        seeded["variables"].extend(variables)
    last = max(seeded["features"][-1]["updatedAt"], seeded["features"][-1]["createdAt"])
    meta = dict(state["meta"])
    stamp = datetime.fromisoformat(last.replace("Z", "+00:00"))
    meta["lastMs"] = max(int(meta.get("lastMs", 0)), int(stamp.timestamp() * 1000))
    seeded["meta"] = meta
    return seeded


def seeded_file(template: Path, vendor: str, count: int, out: Path) -> None:
    """Write `out`: the template state file with `count` flags of `vendor` cloned in."""
    document = json.loads(template.read_text())
    if vendor == "posthog":
        document["posthog"] = seed_posthog(document["posthog"], count)
    else:
        document["devcycle"] = seed_devcycle(document["devcycle"], count)
    out.write_text(json.dumps(document, separators=(",", ":")))  # the C encoder, in one go


if __name__ == "__main__":  # python benchmarks/seeding.py TEMPLATE.json VENDOR COUNT OUT.json
    seeded_file(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
