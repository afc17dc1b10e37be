"""The emulator's own speed at benchmark sizes: PostHog writes per second and single-object
GETs (PostHog flags by id, DevCycle feature configurations by key), now and as it was.

    .venv/bin/python benchmarks/emulator_speed.py --flags 10000 --writes 50 --gets 300

"as it was" (FLAGSYNC_BENCH_EMULATOR=old, see emulator_process.py) deep-copies the PostHog
state before every write and scans for single objects. Each figure is the emulator process's
CPU time per request (from /proc) and the requests per second one client gets, no latency.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402


def measure(kind: str, flags: int, writes: int, gets: int, work: Path) -> dict[str, float]:
    os.environ["FLAGSYNC_BENCH_EMULATOR"] = kind
    folder = work / kind
    folder.mkdir()
    emulator = run.Emulator(folder)
    try:
        headers = {"Authorization": f"Bearer {run.POSTHOG_KEY}"}
        with httpx.Client(base_url=emulator.url, headers=headers, timeout=120) as client:
            ids = []
            for index in range(flags):  # set-up: no rollback snapshot (see emulator_process.py)
                body = {
                    "key": f"bench-{index:06d}",
                    "name": "",
                    "filters": {"groups": [{"properties": [], "rollout_percentage": 50}]},
                }
                created = client.post("/api/projects/1/feature_flags/", json=body)
                ids.append(created.raise_for_status().json()["id"])
            emulator.setup_done()
            before, started = emulator.cpu_seconds(), time.perf_counter()
            for index in range(writes):
                path = f"/api/projects/1/feature_flags/{ids[index]}/"
                client.patch(path, json={"name": f"changed {index}"}).raise_for_status()
            write_wall, write_cpu = time.perf_counter() - started, emulator.cpu_seconds() - before
            before, started = emulator.cpu_seconds(), time.perf_counter()
            for index in range(gets):
                flag_id = ids[(index * 7919) % flags]
                client.get(f"/api/projects/1/feature_flags/{flag_id}/").raise_for_status()
            get_wall, get_cpu = time.perf_counter() - started, emulator.cpu_seconds() - before
        return {
            "writes_per_s": writes / write_wall,
            "write_cpu_ms": 1000 * write_cpu / writes,
            "gets_per_s": gets / get_wall,
            "get_cpu_ms": 1000 * get_cpu / gets,
        }
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flags", type=int, default=10000)
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--gets", type=int, default=300)
    args = parser.parse_args()
    print(f"PostHog, {args.flags} flags in one project; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="flagsync-emulator-speed-") as work:
        for kind in ("old", "new"):
            found = measure(kind, args.flags, args.writes, args.gets, Path(work))
            print(
                f"{kind}: {found['writes_per_s']:.1f} writes/s "
                f"({found['write_cpu_ms']:.1f} ms emulator CPU each), "
                f"{found['gets_per_s']:.0f} GETs/s ({found['get_cpu_ms']:.2f} ms CPU each)",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
