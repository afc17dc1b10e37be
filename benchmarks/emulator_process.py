"""The benchmark's emulator: `flagsync emulator`'s app, plus what a 3-environment benchmark needs.

    python benchmarks/emulator_process.py PORT SETUP_MARKER [--state-file FILE] [--seed FILE]

The seeded PostHog organization has two projects; the benchmark maps three environments to
three projects, so a third (id 3) is added before serving. SETUP_MARKER matters only to the
emulator as it was (below): while the file exists (the set-up, creates with no fault
injected) its PostHog writes skip the whole-state copy; the benchmark deletes the marker
before it measures anything.

`--state-file FILE`: persist every write to FILE, as `flagsync emulator --state` does (the
benchmark records the flags `flagsync apply` created this way, as the template it seeds from).
`--seed FILE`: start from a state file in the emulator's format (`persistence.StateFile`),
loaded into memory and not written back: the benchmark's bulk set-up (`seeding.py`), which
writes what API creates would have stored without sending 300,000 requests.

To compare with the emulator as it was, FLAGSYNC_BENCH_EMULATOR=marshal copies the whole
state before every write (`rollback_point`, one `marshal` pass) instead of journaling what
the write changes; FLAGSYNC_BENCH_EMULATOR=old takes a deep copy (`to_json`) and answers
single-object lookups by scanning.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import uvicorn

from reconciler.emulator.app import create_app
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.devcycle.store import DevCycleStore
from reconciler.emulator.persistence import StateFile
from reconciler.emulator.posthog.state import PostHogState

THIRD_PROJECT_KEY = "phc_benchmark_third_project_key"


def _never_index(self: Any, writes: bool) -> None:
    self.drop_indexes()
    self._indexing = False


class _WholeStateRollback:
    """The rollback as it was: a copy of the whole state before every write, put back by an
    undo (`old`: `to_json`'s deep copy; `marshal`: `rollback_point`'s bytes)."""

    def __init__(self, state: PostHogState, deep: bool) -> None:
        self.state = state
        self.snapshot = state.to_json() if deep else state.rollback_point()

    def undo(self) -> None:
        self.state.restore(self.snapshot)


def load_posthog(state: PostHogState, data: dict[str, Any]) -> None:
    """Replace `state`'s records in place (the routes hold this object) with a saved snapshot.
    The records are taken as they are, without `from_json`'s deep copy (seconds at 300,000
    flags); the reference checks still run."""
    fresh = PostHogState(
        **{name: data.get(name, []) for name in PostHogState.STORED_LISTS},
        next_ids=data["next_ids"],
    )
    fresh.check_references()
    for name in (*PostHogState.STORED_LISTS, "next_ids"):
        setattr(state, name, getattr(fresh, name))
    state.reset_indexes()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("marker", type=Path)
    parser.add_argument("--state-file", type=Path)
    parser.add_argument("--seed", type=Path)
    args = parser.parse_args()
    marker: Path = args.marker
    app = create_app(EmulatorConfig(state_file=args.state_file))
    state: PostHogState = app.state.posthog
    if args.seed is not None:
        saved = StateFile(args.seed).load()
        assert saved is not None, f"{args.seed}: no state"
        if "devcycle" in saved:
            app.state.devcycle.load(saved["devcycle"])
        if "posthog" in saved:
            load_posthog(state, saved["posthog"])
        del saved
    if not any(project["id"] == 3 for project in state.projects):
        third = dict(state.projects[-1], id=3, name="Benchmark third", api_token=THIRD_PROJECT_KEY)
        third["uuid"] = third["uuid"][:-1] + "3"
        state.projects.append(third)
    mode = os.environ.get("FLAGSYNC_BENCH_EMULATOR", "journal")
    if mode in ("old", "marshal"):

        def begin_write() -> Any:
            # While the marker exists (the set-up: creates, no fault) no copy is taken.
            return None if marker.exists() else _WholeStateRollback(state, deep=mode == "old")

        def scan_for_key(self: PostHogState, project_id: int, key: str) -> list[Any]:
            return [f for f in self.flags_of(project_id) if f["key"] == key]

        indexed_flag = PostHogState._indexed_flag

        def flag_as_it_was(self: PostHogState, flag_id: int) -> Any:
            # The id index served reads only (a write scanned); `old` never used it.
            if self._indexing and mode == "marshal":
                return indexed_flag(self, flag_id)
            return next((f for f in self.feature_flags if f["id"] == flag_id), None)

        state.begin_write = begin_write  # type: ignore[method-assign]
        PostHogState.flags_with_key = scan_for_key  # type: ignore[method-assign]
        PostHogState._indexed_flag = flag_as_it_was  # type: ignore[method-assign]
    if mode == "old":
        PostHogState.begin = PostHogState.end = _never_index  # type: ignore[method-assign]
        DevCycleStore.begin = DevCycleStore.end = _never_index  # type: ignore[method-assign]
    uvicorn.run(app, host="127.0.0.1", port=port_of(args), log_level="warning", access_log=False)


def port_of(args: argparse.Namespace) -> int:
    return int(args.port)


if __name__ == "__main__":
    main()
