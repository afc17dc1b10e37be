"""flagsync's performance at organisation scale, against the emulator with network latency.

    .venv/bin/python benchmarks/run.py                    # 100, 1,000, 10,000 flags x 3 envs
    .venv/bin/python benchmarks/run.py --sizes 100,1000   # a quicker run
    .venv/bin/python benchmarks/run.py --sizes 10000 --no-baseline --apply-changes 0 \
        --yaml events,composed --plan-runs 5   # the two YAML readers, plans taken in turns

For each size it prints: manifest loading, `flagsync plan` with nothing to change (wall time,
requests, peak RSS of the flagsync process; the median of three runs), the diff alone, and
the per-flag refresh baseline (one GET per flag per environment, 10 in parallel, as Terraform
providers refresh). Then an apply of 1,000 changes under a configured rate limit: the achieved
share of the limit and the failures. The emulator runs in its own process, so its memory is
not counted.
"""

from __future__ import annotations

import argparse
import compileall
import copy
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ("development", "staging", "production")
PLAN_RUNS = 3
EMULATOR_NICENESS = 10
"""Each plan is run this many times and the median run reported: one run on a shared machine
can be a second off either way."""
CLIENT_ID, CLIENT_SECRET = "emulator", "emulator-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_workspace(folder: Path, count: int, description: str = "", extra: str = "") -> None:
    """`count` flags in files of 100, each with a variable, two variations and targeting."""
    (folder / "flags").mkdir(parents=True, exist_ok=True)
    for old in (folder / "flags").glob("*.yaml"):
        old.unlink()
    (folder / "flagsync.yaml").write_text(
        "provider: devcycle\nproject: demo\nenvironments: {development: {}, staging: {}, "
        f"production: {{}}}}\nsafety: {{max_updates: 100}}\nconcurrency: 16\n{extra}"
    )
    for start in range(0, count, 100):
        lines = ["flags:"]
        for index in range(start, min(start + 100, count)):
            key = f"bench-{index:05d}"
            lines.append(
                f"""  - key: {key}
    description: "{description}"
    tags: [bench]
    variables: {{{key}-on: {{type: Boolean}}}}
    variations:
      - {{key: "on", values: {{{key}-on: true}}}}
      - {{key: "off", values: {{{key}-on: false}}}}
    environments:
      development: {{enabled: true, targets: [{{name: Everyone, serve: "on"}}]}}
      staging:
        enabled: true
        targets:
          - name: Staff
            audience: {{all: [{{email: {{ends_with: "@acme.com"}}}}]}}
            serve: "on"
          - {{name: Rest, serve: {{"on": 10, "off": 90}}}}
      production: {{enabled: false, targets: [{{name: Everyone, serve: "off"}}]}}"""
            )
        (folder / "flags" / f"bench-{start:05d}.yaml").write_text("\n".join(lines) + "\n")


class Emulator:
    """`flagsync emulator` in a child process; faults are set through its control endpoint."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "emulator", "--port", str(self.port)],
            stderr=subprocess.DEVNULL,
            # The vendor's servers take no CPU from the machine flagsync runs on; on a 2-core
            # machine the emulator would. At a lower priority it serves with what flagsync
            # leaves idle (the pages are needed only once the manifests are loaded).
            preexec_fn=lambda: os.nice(EMULATOR_NICENESS),
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/_emulator/stats", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the emulator did not start")

    def faults(self, **faults: object) -> None:
        httpx.put(f"{self.url}/_emulator/faults", json=faults).raise_for_status()

    def requests(self) -> int:
        return int(httpx.get(f"{self.url}/_emulator/stats").json()["requests"])

    def reset(self) -> None:
        httpx.post(f"{self.url}/_emulator/stats/reset").raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def run_cli(
    emulator: Emulator, folder: Path, *args: str, yaml: str = "events"
) -> tuple[float, int, dict[str, float]]:
    """Run flagsync in a child process; wall seconds, exit code, and its own measurements.
    `yaml`: the YAML reader, `events` (fast_yaml.load_plain) or `composed` (see measure.py)."""
    env = {
        **os.environ,
        "FLAGSYNC_BENCH_YAML": yaml,
        "DEVCYCLE_CLIENT_ID": CLIENT_ID,
        "DEVCYCLE_CLIENT_SECRET": CLIENT_SECRET,
        "DEVCYCLE_API_URL": emulator.url,
        "DEVCYCLE_AUTH_URL": f"{emulator.url}/oauth/token",
    }
    report = folder / "measure.json"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "measure.py"), str(report), *args],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 2):
        raise RuntimeError(f"flagsync {' '.join(args)} failed: {done.stderr[-2000:]}")
    return elapsed, done.returncode, json.loads(report.read_text())


def baseline_refresh(emulator: Emulator, count: int) -> float:
    """One GET per flag per environment, 10 in parallel (a Terraform-style refresh)."""
    token = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    ).json()["access_token"]
    paths = [
        (f"/v1/projects/demo/features/bench-{index:05d}/configurations", env)
        for index in range(count)
        for env in ENVIRONMENTS
    ]
    limits = httpx.Limits(max_connections=10, max_keepalive_connections=10)
    with httpx.Client(
        base_url=emulator.url, headers={"Authorization": token}, limits=limits
    ) as client:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(
                pool.map(
                    lambda p: client.get(p[0], params={"environment": p[1]}).raise_for_status(),
                    paths,
                )
            )
        return time.perf_counter() - started


def diff_seconds(folder: Path) -> float:
    """The diff alone: 10,000 unchanged flags compared with an identical copy."""
    sys.path.insert(0, str(REPO))
    from reconciler.manifest.loader import load_flags
    from reconciler.plan import diff_flagsets
    from reconciler.workspace import load_workspace

    desired = load_flags(load_workspace(folder / "flagsync.yaml"))
    live = copy.deepcopy(desired)
    started = time.perf_counter()
    changes = diff_flagsets(desired, live)
    elapsed = time.perf_counter() - started
    assert changes == []
    return elapsed


def bench_size(
    count: int,
    latency_ms: float,
    work: Path,
    baseline: bool = True,
    plan_runs: int = PLAN_RUNS,
    readers: tuple[str, ...] = ("events",),
) -> list[dict[str, object]]:
    """One row per YAML reader; their plans are taken in turns, against the same live state."""
    folder = work / f"size-{count}"
    write_workspace(folder, count)
    emulator = Emulator()
    try:
        run_cli(emulator, folder, "apply", "--yes", "--quiet")  # set-up, without latency
        emulator.faults(latency_ms=latency_ms)
        runs: dict[str, list[tuple[float, dict[str, float], int]]] = {r: [] for r in readers}
        for _ in range(plan_runs):
            for reader in readers:
                emulator.reset()
                wall, code, measured = run_cli(emulator, folder, "plan", "--quiet", yaml=reader)
                assert code == 0, "the plan after apply is not empty"
                runs[reader].append((wall, measured, emulator.requests()))
        refresh = baseline_refresh(emulator, count) if baseline else float("nan")
        diff = diff_seconds(folder)
        return [median_row(count, reader, taken, refresh, diff) for reader, taken in runs.items()]
    finally:
        emulator.stop()


def median_row(
    count: int,
    reader: str,
    runs: list[tuple[float, dict[str, float], int]],
    refresh: float,
    diff: float,
) -> dict[str, object]:
    """The median plan (by wall time) of `runs`, with its own CPU and load figures."""
    wall, measured, plan_requests = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    return {
        "flags": count,
        "yaml": reader,
        "load_s": measured["load_s"],
        "plan_s": wall,
        "plan_cpu_s": measured["cpu_s"],
        "plan_read_diff_s": measured["command_s"] - measured["load_s"],
        "requests": plan_requests,
        "rss_mb": measured["max_rss_mb"],
        "diff_s": diff,
        "baseline_s": refresh,
        "speedup": refresh / wall,
    }


def bench_rate_limited_apply(
    changes: int, per_minute: int, latency_ms: float, work: Path
) -> dict[str, object]:
    """Apply `changes` updates with the workspace's limit at `per_minute`, against an emulator
    that enforces the same limit (429 beyond it)."""
    folder = work / "apply"
    write_workspace(folder, changes)
    emulator = Emulator()
    try:
        run_cli(emulator, folder, "apply", "--yes", "--quiet")
        limit = f"rate_limit: {{per_minute: {per_minute}}}\n"
        write_workspace(folder, changes, description="changed", extra=limit)
        emulator.faults(latency_ms=latency_ms, rate_limit_per_minute=per_minute)
        emulator.reset()
        wall, code, measured = run_cli(emulator, folder, "apply", "--yes", "--quiet")
        stats = httpx.get(f"{emulator.url}/_emulator/stats").json()
        # A sliding window admits `per_minute` at once, then more as earlier ones age out: the
        # quickest possible run of n requests takes (ceil(n / per_minute) - 1) minutes.
        requests = changes + 5  # the writes, plus token and reads
        fastest = (-(-requests // per_minute) - 1) * 60.0
        return {
            "changes": changes,
            "limit_per_minute": per_minute,
            "wall_s": wall,
            "fastest_s": fastest,
            "busiest_minute": measured["busiest_minute"],
            "throttled": stats["faults"]["rate_limit"],
            "failures": 0 if code == 0 else 1,
        }
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--apply-changes", type=int, default=1000)
    parser.add_argument("--apply-limit", type=int, default=600, help="requests per minute")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the per-flag refresh (minutes)"
    )
    parser.add_argument("--plan-runs", type=int, default=PLAN_RUNS, help="median of this many")
    parser.add_argument(
        "--yaml", default="events", help="YAML readers, comma-separated: events, composed"
    )
    args = parser.parse_args()
    readers = tuple(args.yaml.split(","))
    work = Path(tempfile.mkdtemp(prefix="flagsync-bench-"))
    # Bytecode as an installed package has it (pip compiles on install); without it every run
    # would compile flagsync's modules again where PYTHONDONTWRITEBYTECODE is set (0.1 s).
    compileall.compile_dir(str(REPO / "reconciler"), quiet=1)
    columns = [
        ("flags", 7, "flags", "d"),
        ("YAML", 9, "yaml", "s"),
        ("load s", 7, "load_s", ".2f"),
        ("plan s", 7, "plan_s", ".2f"),
        ("CPU s", 6, "plan_cpu_s", ".2f"),
        ("read+diff s", 11, "plan_read_diff_s", ".2f"),
        ("requests", 8, "requests", "d"),
        ("RSS MB", 7, "rss_mb", ".0f"),
        ("diff s", 7, "diff_s", ".3f"),
        ("baseline s", 10, "baseline_s", ".2f"),
        ("speed-up", 8, "speedup", ".1f"),
    ]
    try:
        print(
            f"latency {args.latency_ms:g} ms per request; 3 environments per flag; "
            f"median of {args.plan_runs} plans\n"
        )
        header = " ".join(f"{title:>{width}}" for title, width, _, _ in columns)
        print(header)
        print("-" * len(header))
        for count in (int(size) for size in args.sizes.split(",")):
            rows = bench_size(
                count,
                args.latency_ms,
                work,
                baseline=not args.no_baseline,
                plan_runs=args.plan_runs,
                readers=readers,
            )
            for found in rows:
                cells = [f"{found[key]:>{width}{spec}}" for _, width, key, spec in columns]
                print(" ".join(cells), flush=True)
        if args.apply_changes:
            row = bench_rate_limited_apply(
                args.apply_changes, args.apply_limit, args.latency_ms, work
            )
            usage = int(str(row["busiest_minute"])) / int(str(row["limit_per_minute"]))
            print(
                f"\napply of {row['changes']} changes, limit {row['limit_per_minute']}/min "
                f"(the emulator enforces it too): {row['wall_s']:.1f} s "
                f"(quickest possible {row['fastest_s']:.0f} s), busiest minute "
                f"{row['busiest_minute']} requests = {usage:.1%} of the limit, "
                f"{row['throttled']} throttled, {row['failures']} failures"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
