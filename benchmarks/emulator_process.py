"""The benchmark's emulator: `flagsync emulator`'s app, plus what a 3-environment benchmark needs.

    python benchmarks/emulator_process.py PORT SETUP_MARKER

The seeded PostHog organization has two projects; the benchmark maps three environments to
three projects, so a third (id 3) is added before serving. While the file SETUP_MARKER exists
(the benchmark's set-up, thousands of creates with no fault injected), PostHog writes skip the
rollback snapshot, which costs time in proportion to the stored flags; the benchmark deletes
the marker before it measures anything, and from then on every write is the emulator's own.

To compare with the emulator as it was, FLAGSYNC_BENCH_EMULATOR=old takes the rollback
snapshot as a deep copy (`to_json`) and answers single-object lookups by scanning.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import uvicorn

from reconciler.emulator.app import create_app
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.devcycle.store import DevCycleStore
from reconciler.emulator.posthog.state import PostHogState

THIRD_PROJECT_KEY = "phc_benchmark_third_project_key"


def _never_index(self: Any, writes: bool) -> None:
    self.drop_indexes() if isinstance(self, DevCycleStore) else None
    self._indexing = False


def main() -> None:
    port, marker = int(sys.argv[1]), Path(sys.argv[2])
    app = create_app(EmulatorConfig())
    state: PostHogState = app.state.posthog
    third = dict(state.projects[-1], id=3, name="Benchmark third", api_token=THIRD_PROJECT_KEY)
    third["uuid"] = third["uuid"][:-1] + "3"
    state.projects.append(third)
    rollback_point = state.rollback_point
    if os.environ.get("FLAGSYNC_BENCH_EMULATOR") == "old":
        rollback_point = state.to_json  # type: ignore[assignment]
        PostHogState.begin = PostHogState.end = _never_index  # type: ignore[method-assign]
        DevCycleStore.begin = DevCycleStore.end = _never_index  # type: ignore[method-assign]

    def during_setup_none() -> Any:
        return None if marker.exists() else rollback_point()

    state.rollback_point = during_setup_none  # type: ignore[method-assign]
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
