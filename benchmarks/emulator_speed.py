"""The PostHog emulator's own speed at benchmark sizes: writes, creates and GETs by id.

    .venv/bin/python benchmarks/emulator_speed.py --flags 10000,100000 --writes 100 --gets 300

For each size the emulator starts from the benchmark's seeded state (`seeding.py`: N flags x 3
projects, cloned from API-created ones) and answers, with no latency, one client's:
- PATCHes of a flag's name (each write's rollback point and, after it, the key index update),
- creates of new flags (key uniqueness, the usage dashboard),
- single-flag GETs by id.
Each kind is measured after one untimed request of its kind (indexes built once are not
counted against the first few requests). Each figure is requests per second and the
emulator process's CPU time per request (from /proc). `--modes` compares the write path:
`journal` (now: a write journals what it changes), `marshal` (as it was: a `marshal` copy
of the whole state before each write, key checks by scanning the project's flags), `old`
(a deep copy, no lookup indexes).
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
import seeding  # noqa: E402


def seed_file(flags: int, work: Path) -> Path:
    """The seeded state of `flags` PostHog flags x 3 projects."""
    template = work / f"template-{flags}"
    run.write_workspace(template, seeding.TEMPLATE_FLAGS, vendor="posthog")
    state_file = template / "state.json"
    maker = run.Emulator(template, state_file=state_file)
    try:
        run.set_up(maker, template, "posthog")
    finally:
        maker.stop()
    seed = work / f"seed-{flags}.json"
    seeding.seeded_file(state_file, "posthog", flags, seed)
    return seed


def measure(
    mode: str, flags: int, seed: Path, writes: int, creates: int, gets: int, work: Path
) -> dict[str, float]:
    os.environ["FLAGSYNC_BENCH_EMULATOR"] = mode
    folder = work / f"{mode}-{flags}"
    folder.mkdir()
    emulator = run.Emulator(folder, seed=seed, start_timeout=run.STARTUP_TIMEOUT + flags / 200)
    emulator.setup_done()
    found: dict[str, float] = {}
    try:
        headers = {"Authorization": f"Bearer {run.POSTHOG_KEY}"}
        with httpx.Client(base_url=emulator.url, headers=headers, timeout=300) as client:
            ids = []
            url: str | None = "/api/projects/1/feature_flags/?limit=1000"
            while url and len(ids) < max(writes, gets) + 1:
                page = client.get(url).raise_for_status().json()
                ids += [row["id"] for row in page["results"]]
                url = page["next"]

            def timed(name: str, count: int, send: object) -> None:
                # One request first, not timed: it builds what the emulator indexes once
                # (flags by id, by key) and keeps across writes.
                send(count)  # type: ignore[operator]
                before, started = emulator.cpu_seconds(), time.perf_counter()
                for index in range(count):
                    send(index)  # type: ignore[operator]
                wall, cpu = time.perf_counter() - started, emulator.cpu_seconds() - before
                found[f"{name}_per_s"] = count / wall
                found[f"{name}_cpu_ms"] = 1000 * cpu / count

            timed(
                "write",
                writes,
                lambda i: client.patch(
                    f"/api/projects/1/feature_flags/{ids[i % len(ids)]}/",
                    json={"name": f"changed {i}"},
                ).raise_for_status(),
            )
            timed(
                "create",
                creates,
                lambda i: client.post(
                    "/api/projects/1/feature_flags/",
                    json={
                        "key": f"speed-{i:06d}",
                        "name": "",
                        "filters": {"groups": [{"properties": [], "rollout_percentage": 50}]},
                    },
                ).raise_for_status(),
            )
            timed(
                "get",
                gets,
                lambda i: client.get(
                    f"/api/projects/1/feature_flags/{ids[(i * 7919) % len(ids)]}/"
                ).raise_for_status(),
            )
        return found
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flags", default="10000", help="sizes, comma-separated (x 3 projects)")
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--creates", type=int, default=100)
    parser.add_argument("--gets", type=int, default=300)
    parser.add_argument("--modes", default="marshal,journal", help="old, marshal, journal")
    args = parser.parse_args()
    print(f"PostHog; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="flagsync-emulator-speed-") as work:
        for flags in (int(size) for size in args.flags.split(",")):
            seed = seed_file(flags, Path(work))
            for mode in args.modes.split(","):
                found = measure(mode, flags, seed, args.writes, args.creates, args.gets, Path(work))
                print(
                    f"{flags:,} x 3 flags, {mode}: "
                    f"{found['write_per_s']:.1f} writes/s ({found['write_cpu_ms']:.2f} ms "
                    f"emulator CPU each), {found['create_per_s']:.1f} creates/s "
                    f"({found['create_cpu_ms']:.2f} ms), {found['get_per_s']:.0f} GETs/s "
                    f"({found['get_cpu_ms']:.2f} ms); load average {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            seed.unlink()


if __name__ == "__main__":
    main()
