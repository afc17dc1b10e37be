"""Reading a workspace's manifest files, in worker processes when there is a lot to read.

Parsing YAML is CPU work in the interpreter: 10,000 flags (about 6 MB of YAML) take over a
second on one core, while a plan's downloads and the other cores wait. So a large workspace's
files are parsed by a pool of forked processes, one per core, and the plain data comes back
pickled (a tenth of the parse time). Results keep the order of the files, so problems and
"declared first" rules read exactly as they would sequentially.

Forking is only safe before a process starts threads (a lock held by another thread at the
fork stays locked in the child forever), so the command starts reading
(`loader.PendingManifests`) before a plan starts its downloads. It reads in-process whenever
threads already run, where fork is not the platform's way (macOS, Windows), or when the files
are small enough that starting processes would cost more than it saves.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

from reconciler.errors import Problem
from reconciler.manifest.source import Document, read_yaml

PARALLEL_MIN_BYTES = 1_000_000
"""Below about 1 MB of YAML (1,500 flags) one core reads everything in a fraction of a second,
less than starting worker processes and shipping the data back would take."""

CHUNK_MIN_BYTES = 256_000
"""Files go to the workers in chunks of at least this size: fewer round trips, and chunks
small enough that the cores finish at about the same time."""

CHUNK_MAX_BYTES = 2_000_000
"""And of at most about this size (3,000 flags): a chunk's plain data waits whole in this
process until the loader takes its files, so a chunk of a huge workspace must stay small."""

CHUNKS_AHEAD = 2
"""Chunks each worker is given beyond the one the loader is taking: enough to keep the cores
busy, few enough that the parsed data waiting for the loader stays a few chunks' worth
whatever the workspace's size (all chunks at once held up to all of it when the loader was
the slower)."""

Read = Document | Problem
"""A file's outcome: its document, or the problem that kept it from being read."""


def read_files(files: list[tuple[Path, str]]) -> list[Read]:
    """Read each (path, display name) in this process; the workers' job too."""
    read = [read_yaml(path, name) for path, name in files]
    # A round-trip tree (kept when ruamel.yaml had to read the file) is rebuilt from the text
    # when a problem needs positions; ruamel's objects are not meant to be pickled.
    return [replace(item, _tree=None) if isinstance(item, Document) else item for item in read]


def _start_worker() -> None:
    """Ctrl-C goes to the whole process group; the command, not each worker, answers it. The
    cyclic collector stays off: a worker builds acyclic data and exits (see `gc_pause`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()


def worker_count(total_bytes: int) -> int:
    """How many processes should read `total_bytes` of YAML now: 0 means in-process."""
    if total_bytes < PARALLEL_MIN_BYTES or not sys.platform.startswith("linux"):
        return 0
    if threading.active_count() > 1:
        return 0  # forking now could leave a child waiting on a lock another thread held
    cores = len(os.sched_getaffinity(0))
    return cores if cores > 1 else 0


def chunk_size(total_bytes: int, workers: int) -> int:
    """The bytes after which a chunk is closed."""
    return max(CHUNK_MIN_BYTES, min(CHUNK_MAX_BYTES, total_bytes // (workers * 4) + 1))


def chunks(files: list[tuple[Path, str, int]], count: int) -> list[list[tuple[Path, str]]]:
    """Consecutive runs of files of about equal size (at least `CHUNK_MIN_BYTES`), about four
    per worker so that a slow chunk does not leave the other cores idle at the end."""
    target = chunk_size(sum(size for _, _, size in files), count)
    result: list[list[tuple[Path, str]]] = [[]]
    filled = 0
    for path, name, size in files:
        if filled >= target:
            result.append([])
            filled = 0
        result[-1].append((path, name))
        filled += size
    return [chunk for chunk in result if chunk]


class PendingReads:
    """The files of a workspace being read; `results` waits for them, in file order."""

    def __init__(self, files: list[tuple[Path, str]], workers: int | None = None) -> None:
        """Start reading `files` ((path, display name) pairs); `workers` overrides how many
        processes `worker_count` would choose (0: in-process)."""
        self._files = files
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[list[Read]]] = []
        self._parts: list[list[tuple[Path, str]]] = []
        sized = [(path, name, _size(path)) for path, name in files]
        if workers is None:
            workers = worker_count(sum(size for _, _, size in sized))
        if not workers:
            return
        self._parts = chunks(sized, workers)
        self._submitted = 0
        self._window = workers * CHUNKS_AHEAD
        try:
            self._pool = ProcessPoolExecutor(
                max_workers=min(workers, len(self._parts)),
                mp_context=get_context("fork"),
                initializer=_start_worker,
            )
            self._submit()
        except OSError:  # no processes to be had (limits): read in-process
            self.close()

    def _submit(self) -> None:
        """Give the workers chunks until `CHUNKS_AHEAD` per worker are read or being read."""
        while (
            self._pool is not None
            and len(self._futures) < self._window
            and self._submitted < len(self._parts)
        ):
            self._futures.append(self._pool.submit(read_files, self._parts[self._submitted]))
            self._submitted += 1

    @property
    def in_workers(self) -> bool:
        """Whether worker processes are reading (rather than this process, when asked)."""
        return bool(self._futures)

    def results(self) -> Iterator[Read]:
        """Each file's outcome in order; read here what the workers could not."""
        if not self._futures:
            for file in self._files:  # one at a time: a file is let go of before the next
                yield from read_files([file])
            return
        finished = 0
        try:
            while self._futures:
                # Each future and each chunk is let go of as it is taken, so that a reader
                # that lets go of a file's data (`lean_load`) frees its memory now.
                part = self._futures.pop(0).result()
                finished += 1
                self._submit()
                part.reverse()
                while part:
                    yield part.pop()
        except BrokenProcessPool:  # a worker died (killed, out of memory): read the rest here
            self.close()
            for part_files in self._parts[finished:]:
                yield from read_files(part_files)
        finally:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._futures = []


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # read_yaml reports why it cannot be read
