"""A project's lists handed over a page at a time, through a bounded queue.

A plan of 100,000 flags in three projects would hold 300,000 parsed flags if every page were
kept until all were read. Instead each project is read in a background thread that puts its
pages into a queue of at most `BUFFERED_PAGES`; the reader takes them as it compares, and the
thread waits while the queue is full. Up to that bound the downloads still overlap with loading
the manifests (10,000 flags a project fit), beyond it memory stays flat.

The thread's first item is the project's head: its cohorts, experiments and holdouts (one
small list each), which the comparison needs before any flag; then the flag pages; then an end
mark. A failure is handed over as an item and raised where the pages are taken; `close` stops
a thread that nobody will take pages from.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

BUFFERED_PAGES = 10
"""Pages (1,000 flags each) a project's thread reads ahead of the comparison."""

Put = Callable[[str, Any], None]
"""How a project's reader hands over an item: ("head", ...), ("flags", rows)."""


class _Stopped(Exception):
    """The stream was closed: its thread ends without reading further."""


class ProjectStream:
    """One project read by `produce(put)` in a pool thread; items are taken in order."""

    def __init__(self, pool: ThreadPoolExecutor, produce: Callable[[Put], None]) -> None:
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=BUFFERED_PAGES)
        self._stop = threading.Event()
        self._produce = produce
        self._head: Any = None
        pool.submit(self._run)

    def _put(self, kind: str, value: Any) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put((kind, value), timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped

    def _run(self) -> None:
        try:
            self._produce(self._put)
            self._put("end", None)
        except _Stopped:
            return
        except BaseException as error:  # noqa: BLE001 - raised again where the pages are taken
            try:
                self._put("error", error)
            except _Stopped:
                return

    def _take(self) -> tuple[str, Any]:
        kind, value = self._queue.get()
        if kind == "error":
            self._stop.set()
            raise value
        return kind, value

    def head(self) -> Any:
        """The project's head (its first item), waiting for it."""
        if self._head is None:
            kind, value = self._take()
            if kind != "head":
                raise RuntimeError(f"a project stream began with {kind!r}, not its head")
            self._head = value
        return self._head

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """The flag pages, each as it arrives (after `head`)."""
        self.head()
        while True:
            kind, value = self._take()
            if kind == "end":
                return
            yield value

    def close(self) -> None:
        """Let the thread end: it stops at its next page (an unfinished stream is dropped)."""
        self._stop.set()
