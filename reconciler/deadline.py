"""A bound on a command's total time: in CI, a stuck command is worse than a failed one.

Each request is already bounded (timeouts, retries within a time budget), but a command makes
thousands of them, and a server can answer slowly forever. `deadline` arms a timer for the
whole command; when it fires, the main thread gets `DeadlineError` (a `FlagsyncError`, so
the user sees one clear `Error:` line and exit 1). Worker threads cannot be interrupted in
Python: if the process has not ended `GRACE` seconds after the error, it ends itself.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType

from reconciler.errors import DeadlineError

DEFAULT_TIMEOUT = 3600.0
"""One hour: a plan of 10,000 flags takes seconds, but an apply of 10,000 writes within
PostHog's 4,800 requests per hour takes over two; such a run sets a longer `--timeout`."""

GRACE = 10.0
"""Seconds the process has to finish after the timeout's error before it is ended."""


def _stop(seconds: float) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        watchdog = threading.Timer(GRACE, _end_now)
        watchdog.daemon = True
        watchdog.start()
        raise DeadlineError(
            f"the command ran longer than its timeout ({seconds:g} s) and was stopped. "
            "Changes made before it may be in place: run `flagsync plan` to see what is left. "
            "Set a longer one with --timeout or FLAGSYNC_TIMEOUT (0: none)."
        )

    signal.signal(signal.SIGALRM, handler)


def _end_now() -> None:
    """Threads still busy after the error: the process ends, with the error already shown."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(1)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Stop the command after `seconds` (None or 0: never). Only the main thread of a platform
    with SIGALRM can be interrupted so; elsewhere the command simply runs unbounded."""
    usable = (
        seconds
        and seconds > 0
        and hasattr(signal, "SIGALRM")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    assert seconds is not None
    previous = signal.getsignal(signal.SIGALRM)
    _stop(seconds)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
