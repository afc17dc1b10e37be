"""Writing every user's answers, in forked worker processes when there are many.

Evaluating ten million user x flag pairs is CPU work in the interpreter, one core's worth; the
machine usually has more. The users are dealt to worker processes in chunks, round-robin, and
each worker writes a chunk's text straight to the output when the chunk before it has been
written: a token goes round a ring of pipes, so the output is byte for byte the one-process
output, in the users' order, and no worker holds more than its current chunk.

As in `manifest.reading`, forking is only safe while no other thread runs (a lock held at the
fork stays locked in the child), so the work stays in-process when threads run, where fork is
not the platform's way, when the output is not a file descriptor (tests capturing it), or when
the work is too small for processes to pay off.

A worker that fails (a user context the vendor refuses, a closed pipe) still writes what it
produced before the failure, in its turn, then hands its exception to the command, which raises
it: the output and the message are those of the one-process run.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO, Any

from reconciler.errors import FlagsyncError

PARALLEL_MIN_ANSWERS = 200_000
"""Below this many user x flag answers (about a second of work) one process is quicker than
starting others."""

CHUNK_ANSWERS = 20_000
"""About this many answers per chunk: a few MB of output, written in one turn."""

Produce = Callable[[Any], str]
"""One user's whole output (all its lines)."""


def worker_count(answers: int, stream: IO[str] | None) -> int:
    """How many processes should write `answers` answers to `stream` now (None: processes
    that write nothing, only hand back a result): 0 means in-process."""
    if answers < PARALLEL_MIN_ANSWERS or not sys.platform.startswith("linux"):
        return 0
    if threading.active_count() > 1:
        return 0  # forking now could leave a child waiting on a lock another thread held
    try:
        if stream is not None:
            stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return 0
    cores = len(os.sched_getaffinity(0))
    return cores if cores > 1 else 0


def write_users(
    produce: Produce,
    users: Sequence[Any],
    per_user: int,
    stream: IO[str],
    workers: int | None = None,
) -> None:
    """Write `produce(user)` for each user, in order. `per_user` is the answers per user (what
    decides whether workers pay off); `workers` overrides how many (0: in-process)."""
    if workers is None:
        workers = worker_count(len(users) * per_user, stream)
    if workers < 2 or len(users) < 2:
        for user in users:
            stream.write(produce(user))
        return
    size = max(1, CHUNK_ANSWERS // max(per_user, 1))
    chunks = [users[start : start + size] for start in range(0, len(users), size)]
    _in_workers(produce, chunks, min(workers, len(chunks)), stream)


def _in_workers(
    produce: Produce, chunks: list[Sequence[Any]], workers: int, stream: IO[str]
) -> None:
    stream.flush()
    fd = stream.fileno()
    encoding = getattr(stream, "encoding", None) or "utf-8"
    errors = getattr(stream, "errors", None) or "strict"
    ring = [os.pipe() for _ in range(workers)]
    failures_in, failures_out = os.pipe()
    children: list[int] = []
    try:
        for index in range(workers):
            pid = os.fork()
            if pid == 0:  # the child: never returns
                _worker(index, workers, chunks, produce, fd, (encoding, errors), ring, failures_out)
            children.append(pid)
        os.write(ring[0][1], b".")  # the first chunk's turn
        failed = _wait(children)  # empties `children`
    except BaseException:  # Ctrl-C or a failed fork: stop the workers started so far
        _stop(children)
        raise
    finally:
        for reading, writing in ring:
            os.close(reading)
            os.close(writing)
        os.close(failures_out)
    with os.fdopen(failures_in, "rb") as failures:
        reported = failures.read() if failed else b""
    if failed:
        raise _exception(reported)


def _worker(
    index: int,
    workers: int,
    chunks: list[Sequence[Any]],
    produce: Produce,
    fd: int,
    codec: tuple[str, str],
    ring: list[tuple[int, int]],
    failures: int,
) -> None:
    """Chunks index, index + workers, ...: produce one, wait for its turn, write, pass on."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to answer
    gc.disable()  # the answers form no cycles; the process exits right after
    status = 0
    try:
        for number in range(index, len(chunks), workers):
            parts: list[str] = []
            failure: BaseException | None = None
            try:
                for user in chunks[number]:
                    parts.append(produce(user))
            except Exception as error:
                failure = error
            if not os.read(ring[index][0], 1):
                break
            _write_all(fd, "".join(parts).encode(*codec))
            if failure is not None:
                _report(failures, failure)
                status = 1
                break
            os.write(ring[(index + 1) % workers][1], b".")
    except BaseException as error:
        _report(failures, error)
        status = 1
    finally:
        os._exit(status)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _report(failures: int, error: BaseException) -> None:
    """The exception, pickled, for the command to raise (a plain error when it cannot be)."""
    try:
        data = pickle.dumps(error)
    except Exception:
        data = pickle.dumps(FlagsyncError(str(error)))
    if len(data) > 4000:  # one atomic pipe write: the whole message or none
        data = pickle.dumps(FlagsyncError(str(error)[:2000]))
    with contextlib.suppress(OSError):
        os.write(failures, data)


def _exception(reported: bytes) -> BaseException:
    try:
        found = pickle.loads(reported) if reported else None
    except Exception:
        found = None
    if isinstance(found, BaseException):
        return found
    return FlagsyncError("an evaluation worker process failed")


def _wait(children: list[int]) -> bool:
    """Wait for every worker; on the first failure stop the others. True when one failed.
    `children` keeps only those not yet waited for (what Ctrl-C must still stop)."""
    while children:
        pid, status = os.waitpid(-1, 0)
        if pid not in children:
            continue
        children.remove(pid)
        if os.waitstatus_to_exitcode(status) != 0:
            _stop(children)
            children.clear()
            return True
    return False


def _stop(children: list[int]) -> None:
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def gather(
    work: Callable[[Sequence[Any]], Any], chunks: list[Sequence[Any]], workers: int
) -> list[Any]:
    """`work(chunk)` for every chunk, in order: in `workers` forked processes (chunks dealt
    round-robin, each result pickled back through a pipe of its own), or in-process when
    `workers` < 2. For results that are small beside the work (a summary's counts).

    A worker that fails hands its exception back; the first failure (in chunk order) is raised
    after every worker has been waited for."""
    if workers < 2 or len(chunks) < 2:
        return [work(chunk) for chunk in chunks]
    workers = min(workers, len(chunks))
    readers: list[int] = []
    children: list[int] = []
    try:
        for index in range(workers):
            reading, writing = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(reading)
                _gather_worker(work, chunks[index::workers], writing)
            os.close(writing)  # each pipe's only writer is its child: EOF when it exits
            readers.append(reading)
            children.append(pid)
        reported = []
        for reading in readers:
            with os.fdopen(reading, "rb", closefd=False) as pipe:
                reported.append(pipe.read())
        for pid in children:
            os.waitpid(pid, 0)
        children.clear()
    except BaseException:  # Ctrl-C or a failed fork: stop the workers started so far
        _stop(children)
        raise
    finally:
        for reading in readers:
            os.close(reading)
    outcomes: list[tuple[str, Any]] = [("failed", None)] * len(chunks)
    for index, data in enumerate(reported):
        try:
            done = pickle.loads(data)
        except Exception:
            done = [("failed", FlagsyncError("an evaluation worker process failed"))]
        for number, outcome in zip(range(index, len(chunks), workers), done, strict=False):
            outcomes[number] = outcome
    results = []
    for kind, value in outcomes:  # the first failure in the users' order, as in one process
        if kind == "failed":
            raise (
                value
                if isinstance(value, BaseException)
                else FlagsyncError("an evaluation worker process failed")
            )
        results.append(value)
    return results


def _gather_worker(
    work: Callable[[Sequence[Any]], Any], mine: list[Sequence[Any]], fd: int
) -> None:
    """Each of `mine` worked in turn, up to the first failure; the outcomes pickled to `fd`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to answer
    gc.disable()  # the counts form no cycles; the process exits right after
    status = 0
    try:
        outcomes: list[tuple[str, Any]] = []
        for chunk in mine:
            try:
                outcomes.append(("done", work(chunk)))
            except Exception as error:
                outcomes.append(("failed", error))
                break
        try:
            data = pickle.dumps(outcomes)
        except Exception:  # an exception that does not pickle: its message
            last = outcomes.pop()
            data = pickle.dumps([*outcomes, ("failed", FlagsyncError(str(last[1])))])
        _write_all(fd, data)
    except BaseException:
        status = 1
    finally:
        os._exit(status)
