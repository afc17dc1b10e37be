"""Run one flagsync command in this process and record where its time and memory went.

    python benchmarks/measure.py REPORT.json plan --quiet

With FLAGSYNC_BENCH_YAML=composed the manifests are read through libyaml's composer
(`benchmarks/composed_yaml.py`) instead of `fast_yaml.load_plain`, to compare the two.

Writes {command_s, cpu_s, load_s, apply_s, max_rss_mb} to REPORT.json: the time spent loading and
validating manifests and sending apply's writes is measured by wrapping those two functions.

`max_rss_mb` is this process's own high-water mark (`VmHWM` in /proc/self/status), not
`getrusage(RUSAGE_SELF).ru_maxrss`: Python starts a child with vfork and exec, and Linux folds
the parent's peak into the child's `ru_maxrss` at exec (`exec_mmap`, `setmax_mm_hiwater_rss`).
A benchmark that held 2 GB while seeding 100,000 flags made every plan it started report 2 GB.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler import cli
from reconciler.commands import apply as apply_command
from reconciler.commands import plan as plan_command
from reconciler.manifest import fast_yaml, reading
from reconciler.providers.http import RateLimiter

timings = {"load_s": 0.0, "apply_s": 0.0}
sent: list[float] = []  # when each request left, for the busiest rate-limit window


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            timings[name] += time.perf_counter() - started

    return wrapper


def busiest(times: list[float], span: float) -> int:
    """The most requests sent within any window of `span` seconds."""
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= span:
            start += 1
        best = max(best, end - start + 1)
    return best


def peak_rss_kb() -> int:
    """The high-water mark of this process's own memory, in KiB (see the module docstring)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # no /proc: may include a parent's


def main() -> None:
    report = Path(sys.argv[1])
    if os.environ.get("FLAGSYNC_BENCH_YAML") == "composed":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import composed_yaml

        fast_yaml.load_plain = composed_yaml.load_plain  # before the reading workers fork
    if os.environ.get("FLAGSYNC_BENCH_WORKERS") == "off":
        reading.PARALLEL_MIN_BYTES = sys.maxsize  # every workspace is read in-process
    plan_command.load_flags = timed("load_s", plan_command.load_flags)  # plan, drift, apply
    apply_command.apply_plan = timed("apply_s", apply_command.apply_plan)
    acquire = RateLimiter.acquire

    def recording_acquire(self: RateLimiter) -> None:
        acquire(self)
        sent.append(time.monotonic())  # the moment the limiter let the request go

    setattr(RateLimiter, "acquire", recording_acquire)  # noqa: B010 (monkeypatching a method)
    started = time.perf_counter()
    code = 0
    try:
        cli.main(sys.argv[2:], standalone_mode=False)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    elapsed = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the reading workers, once ended
    max_rss_kb = peak_rss_kb()
    report.write_text(
        json.dumps(
            {
                **timings,
                "command_s": elapsed,
                "cpu_s": own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime,
                "max_rss_mb": max_rss_kb / 1024,
                "busiest_minute": busiest(sorted(sent), 60.0),
            }
        )
    )
    sys.exit(code)


if __name__ == "__main__":
    main()
