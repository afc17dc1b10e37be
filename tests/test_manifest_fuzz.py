"""The manifest fuzzer (`tests/fuzz_manifests.py`): a quick campaign in every test run, the
full one with FLAGSYNC_FUZZ=full (as CI runs it). Either prints its counts."""

from __future__ import annotations

import os

import pytest

from tests.fuzz_manifests import campaign

FULL = os.environ.get("FLAGSYNC_FUZZ") == "full"


def test_hostile_manifests_get_an_answer_never_a_traceback_hang_or_leak(
    capsys: pytest.CaptureFixture[str],
) -> None:
    counts = campaign(2000 if FULL else 40)
    with capsys.disabled():
        print(f"\nmanifest fuzzer ({'full' if FULL else 'quick'}): {counts.line()}")
    assert counts.tracebacks == []
    assert counts.timeouts == 0
    assert counts.leaks == 0
    assert counts.outcomes[0] + counts.outcomes[1] == counts.runs
