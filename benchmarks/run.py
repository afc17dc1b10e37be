"""flagsync's performance at organisation scale, against the emulator with network latency.

    .venv/bin/python benchmarks/run.py                    # both vendors, 100 to 10,000 flags x 3
    .venv/bin/python benchmarks/run.py --sizes 10000 --apply-changes 0   # both, side by side
    .venv/bin/python benchmarks/run.py --sizes 100000 --apply-changes 0 --plan-runs 1  # long row
    .venv/bin/python benchmarks/run.py --sizes 10000 --workers on,off  # do the YAML workers pay?
    .venv/bin/python benchmarks/run.py --sizes 100,1000   # a quicker run
    .venv/bin/python benchmarks/run.py --sizes 10000 --no-baseline --apply-changes 0 \
        --yaml events,composed --plan-runs 5   # the two YAML readers, plans taken in turns

For each size, both vendors one after the other: the emulator is seeded with the flags
(`seeding.py`: four created through the API, the rest cloned from them and checked against
them; `--setup api` creates all of them), then it prints manifest loading, `flagsync plan`
with nothing to change (wall time, requests, peak RSS of the flagsync process; the median of
`--plan-runs`), the diff of N changed flags (`--changed`; skipped above `--diff-max`), and
the per-flag refresh baseline (one GET per flag per environment, 10 in parallel, as
Terraform providers refresh; skipped above `--baseline-max`) beside its latency floor
(GETs / 10 x latency). The machine may be shared: each row says the load average,
flagsync's own CPU and the emulator's CPU during the plan (from /proc) and the emulator's
CPU as a share of the plan's wall time, and a line per row says whether the emulator was
the bottleneck. Then an apply of 1,000 changes under a configured rate limit: the achieved
share of the limit and the failures. The emulator runs in its own process, at flagsync's
priority unless `--emulator-nice` says otherwise, so its memory is not counted.
"""

from __future__ import annotations

import argparse
import compileall
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
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seeding  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ("development", "staging", "production")
POSTHOG_PROJECTS = {"development": 1, "staging": 2, "production": 3}
POSTHOG_KEY = "phx_emulator_personal_key"  # the emulator's seeded personal API key
SETUP_ATTEMPTS = 3
"""A set-up apply that fails (a timed-out create on a busy machine) is run again: apply is
idempotent, so the next one does what is left."""
BASELINE_PARALLEL = 10
PLAN_RUNS = 3
"""Each plan is run this many times and the median run reported: one run on a shared machine
can be a second off either way."""
STARTUP_TIMEOUT = 60.0
"""Seconds an emulator may take to answer; a seeded one loads its state first (100,000 flags
x 3: tens of seconds on a busy machine), so it gets more."""
EMULATOR_NICENESS = 0
"""The emulator's priority during the measurements (`--emulator-nice`). At nice 10 on a busy
machine (load 9 on 2 cores) it got a few percent of a core: its 2 s of CPU for a 10,000-flag
PostHog plan stretched over a minute of the plan's wall time, so the plan measured the
emulator's starvation. At the same priority as flagsync it takes its share, which the rows
show (emulator CPU beside flagsync's)."""
CLIENT_ID, CLIENT_SECRET = "emulator", "emulator-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_workspace(
    folder: Path,
    count: int,
    description: str = "",
    extra: str = "",
    vendor: str = "devcycle",
    changed: int | None = None,
) -> None:
    """`count` flags in files of 100, each with targeting in 3 environments (DevCycle: a
    variable and two variations too). `description` goes to the first `changed` flags (all
    when None)."""
    (folder / "flags").mkdir(parents=True, exist_ok=True)
    for old in (folder / "flags").glob("*.yaml"):
        old.unlink()
    if vendor == "posthog":
        projects = ", ".join(f"{env}: {{project_id: {n}}}" for env, n in POSTHOG_PROJECTS.items())
        # PostHog's documented limit (480/min) would make the set-up's 30,000 creates take an
        # hour; the emulator enforces none unless asked, and a plan sends a few dozen reads.
        head = f"provider: posthog\nenvironments: {{{projects}}}\n"
        head += "rate_limit: {per_minute: 1000000}\n" if "rate_limit" not in extra else ""
    else:
        head = "provider: devcycle\nproject: demo\nenvironments: {development: {}, staging: {}, "
        head += "production: {}}\n"
    (folder / "flagsync.yaml").write_text(
        f"{head}manifests: flags/\nsafety: {{max_updates: 100}}\nconcurrency: 16\n{extra}"
    )
    flag = posthog_flag if vendor == "posthog" else devcycle_flag
    for start in range(0, count, 100):
        lines = ["flags:"]
        for index in range(start, min(start + 100, count)):
            said = description if changed is None or index < changed else ""
            lines.append(flag(f"bench-{index:06d}", said))
        (folder / "flags" / f"bench-{start:06d}.yaml").write_text("\n".join(lines) + "\n")


def posthog_flag(key: str, description: str) -> str:
    return f"""  - key: {key}
    description: "{description}"
    tags: [bench]
    environments:
      development: {{enabled: true, targets: [{{name: Everyone}}]}}
      staging:
        enabled: true
        targets:
          - name: Staff
            audience: {{all: [{{person: {{key: email, contains: "@acme.com"}}}}]}}
          - {{name: Rest, percentage: 10}}
      production: {{enabled: false, targets: [{{name: Everyone}}]}}"""


def devcycle_flag(key: str, description: str) -> str:
    return f"""  - key: {key}
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


class Emulator:
    """The emulator in a child process (`emulator_process.py`); faults are set through its
    control endpoint. Its CPU time is read from /proc, so a row can say what it cost."""

    def __init__(
        self,
        folder: Path,
        state_file: Path | None = None,
        seed: Path | None = None,
        start_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        """`state_file`: persist every write there; `seed`: start from that state (see
        `emulator_process.py`). A start that takes longer than `start_timeout` stops the
        child and raises."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.setup_marker = folder / "emulator-setup"
        self.setup_marker.touch()
        extra = ["--state-file", str(state_file)] if state_file is not None else []
        extra += ["--seed", str(seed)] if seed is not None else []
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "benchmarks" / "emulator_process.py"),
                str(self.port),
                str(self.setup_marker),
                *extra,
            ],
            cwd=REPO,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + start_timeout  # a busy machine starts Python slowly
        try:
            while time.monotonic() < deadline:
                try:
                    httpx.get(f"{self.url}/_emulator/stats", timeout=5)
                    return
                except httpx.HTTPError:
                    if self.process.poll() is not None:
                        break
                    time.sleep(0.2)
        except BaseException:
            self.stop()
            raise
        self.stop()
        raise RuntimeError(f"the emulator did not start within {start_timeout:.0f} s")

    def setup_done(self, niceness: int | None = None) -> None:
        """The set-up is over (see `emulator_process.py`); the measurements run with the
        emulator at `niceness` (EMULATOR_NICENESS unless given)."""
        self.setup_marker.unlink(missing_ok=True)
        nice = EMULATOR_NICENESS if niceness is None else niceness
        os.setpriority(os.PRIO_PROCESS, self.process.pid, nice)

    def cpu_seconds(self) -> float:
        """The emulator process's CPU time so far (user + system)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def faults(self, **faults: object) -> None:
        httpx.put(f"{self.url}/_emulator/faults", json=faults).raise_for_status()

    def requests(self) -> int:
        return int(httpx.get(f"{self.url}/_emulator/stats").json()["requests"])

    def reset(self) -> None:
        httpx.post(f"{self.url}/_emulator/stats/reset").raise_for_status()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def cli_environment(emulator: Emulator, vendor: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVCYCLE_", "POSTHOG_"))}
    if vendor == "posthog":
        env.update(POSTHOG_PERSONAL_API_KEY=POSTHOG_KEY, POSTHOG_API_URL=emulator.url)
    else:
        env.update(
            DEVCYCLE_CLIENT_ID=CLIENT_ID,
            DEVCYCLE_CLIENT_SECRET=CLIENT_SECRET,
            DEVCYCLE_API_URL=emulator.url,
            DEVCYCLE_AUTH_URL=f"{emulator.url}/oauth/token",
        )
    return env


def run_cli(
    emulator: Emulator,
    folder: Path,
    *args: str,
    yaml: str = "events",
    vendor: str = "devcycle",
    workers: str = "on",
) -> tuple[float, int, dict[str, float]]:
    """Run flagsync in a child process; wall seconds, exit code, and its own measurements
    (with `emulator_cpu_s`, the emulator's CPU time meanwhile).
    `yaml`: the YAML reader, `events` (fast_yaml.load_plain) or `composed` (see measure.py);
    `workers`: `off` reads every manifest in the command's own process."""
    env = {
        **cli_environment(emulator, vendor),
        "FLAGSYNC_BENCH_YAML": yaml,
        "FLAGSYNC_BENCH_WORKERS": workers,
    }
    report = folder / "measure.json"
    emulator_before = emulator.cpu_seconds()
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
    measured = json.loads(report.read_text())
    measured["emulator_cpu_s"] = emulator.cpu_seconds() - emulator_before
    return elapsed, done.returncode, measured


def set_up(emulator: Emulator, folder: Path, vendor: str) -> None:
    """Create the workspace's flags; an apply that fails on a busy machine is run again."""
    for attempt in range(1, SETUP_ATTEMPTS + 1):
        try:
            run_cli(emulator, folder, "apply", "--yes", "--quiet", vendor=vendor)
            return
        except RuntimeError:
            if attempt == SETUP_ATTEMPTS:
                raise
            print(f"(set-up apply failed, attempt {attempt}; running it again)", file=sys.stderr)


def seeded_emulator(folder: Path, count: int, vendor: str) -> Emulator:
    """An emulator holding the workspace's `count` flags, as `seeding.py` writes them: the
    first few created by `flagsync apply` through the API, the rest cloned from them (and
    checked against them). Minutes quicker than creating every flag at 10,000 and more."""
    template = folder.parent / f"{folder.name}-template"
    write_workspace(template, seeding.TEMPLATE_FLAGS, vendor=vendor)
    state_file = template / "state.json"
    state_file.unlink(missing_ok=True)
    maker = Emulator(template, state_file=state_file)
    try:
        set_up(maker, template, vendor)
    finally:
        maker.stop()
    seed = folder / "seed.json"
    seeding.seeded_file(state_file, vendor, count, seed)
    shutil.rmtree(template, ignore_errors=True)
    try:
        # Loading 300,000 records takes a while on a busy machine.
        return Emulator(folder, seed=seed, start_timeout=STARTUP_TIMEOUT + count / 200)
    finally:
        seed.unlink(missing_ok=True)


def baseline_paths(emulator: Emulator, count: int, vendor: str) -> tuple[dict[str, str], list[str]]:
    """The authorization header and one single-object GET per flag per environment."""
    if vendor == "posthog":
        headers = {"Authorization": f"Bearer {POSTHOG_KEY}"}
        paths = []
        with httpx.Client(base_url=emulator.url, headers=headers, timeout=60) as client:
            for project in POSTHOG_PROJECTS.values():
                url: str | None = f"/api/projects/{project}/feature_flags/?limit=1000"
                while url:
                    page = client.get(url).raise_for_status().json()
                    paths += [
                        f"/api/projects/{project}/feature_flags/{row['id']}/"
                        for row in page["results"]
                        if str(row["key"]).startswith("bench-")
                    ]
                    url = page["next"]
        assert len(paths) == count * len(POSTHOG_PROJECTS), len(paths)
        return headers, paths
    token = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    ).json()["access_token"]
    paths = [
        f"/v1/projects/demo/features/bench-{index:06d}/configurations?environment={env}"
        for index in range(count)
        for env in ENVIRONMENTS
    ]
    return {"Authorization": token}, paths


def baseline_refresh(emulator: Emulator, count: int, vendor: str) -> tuple[float, float, int]:
    """One GET per flag per environment, 10 in parallel (a Terraform-style refresh): wall
    seconds, the emulator's CPU seconds meanwhile, and the number of GETs."""
    headers, paths = baseline_paths(emulator, count, vendor)
    limits = httpx.Limits(max_connections=BASELINE_PARALLEL, max_keepalive_connections=10)
    with httpx.Client(base_url=emulator.url, headers=headers, limits=limits, timeout=60) as client:
        emulator_before = emulator.cpu_seconds()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=BASELINE_PARALLEL) as pool:
            list(pool.map(lambda path: client.get(path).raise_for_status(), paths))
        elapsed = time.perf_counter() - started
        return elapsed, emulator.cpu_seconds() - emulator_before, len(paths)


def diff_seconds(folder: Path, count: int, changed: int, vendor: str) -> tuple[float, int]:
    """The diff alone: `changed` of `count` flags differ (their description), the rest equal."""
    sys.path.insert(0, str(REPO))
    from reconciler.manifest.loader import load_flags
    from reconciler.plan import diff_flagsets
    from reconciler.workspace import load_workspace

    changed = min(changed, count)
    other = folder.parent / f"{folder.name}-changed"
    write_workspace(other, count, vendor=vendor)
    live = load_flags(load_workspace(other / "flagsync.yaml"))
    write_workspace(other, count, description="changed", vendor=vendor, changed=changed)
    desired = load_flags(load_workspace(other / "flagsync.yaml"))
    started = time.perf_counter()
    changes = diff_flagsets(desired, live)
    elapsed = time.perf_counter() - started
    assert len(changes) == changed, (len(changes), changed)
    shutil.rmtree(other, ignore_errors=True)
    return elapsed, changed


Variant = tuple[str, str]
"""(YAML reader, reading workers on/off)."""


def bench_size(
    count: int,
    latency_ms: float,
    work: Path,
    baseline: bool = True,
    plan_runs: int = PLAN_RUNS,
    variants: tuple[Variant, ...] = (("events", "on"),),
    vendor: str = "devcycle",
    changed: int = 1000,
    setup: str = "seed",
    niceness: int = EMULATOR_NICENESS,
    with_diff: bool = True,
) -> list[dict[str, object]]:
    """One row per variant; their plans are taken in turns, against the same live state.
    `setup`: `seed` (see `seeded_emulator`) or `api` (`flagsync apply` creates every flag)."""
    folder = work / f"{vendor}-{count}"
    write_workspace(folder, count, vendor=vendor)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    emulator = seeded_emulator(folder, count, vendor) if setup == "seed" else Emulator(folder)
    try:
        if setup != "seed":
            set_up(emulator, folder, vendor)  # without latency
        setup_s = time.perf_counter() - started
        emulator.setup_done(niceness)
        emulator.faults(latency_ms=latency_ms)
        runs: dict[Variant, list[tuple[float, dict[str, float], int]]] = {v: [] for v in variants}
        for _ in range(plan_runs):
            for yaml, workers in variants:
                emulator.reset()
                wall, code, measured = run_cli(
                    emulator, folder, "plan", "--quiet", yaml=yaml, vendor=vendor, workers=workers
                )
                assert code == 0, "the plan after apply is not empty"
                runs[(yaml, workers)].append((wall, measured, emulator.requests()))
        hold = folder / "hold"
        if os.environ.get("FLAGSYNC_BENCH_HOLD"):  # keep the emulator for profiling by hand
            hold.touch()
            print(f"holding: {folder} {emulator.url}; delete {hold} to go on", file=sys.stderr)
            while hold.exists():
                time.sleep(1)
        refresh = baseline_refresh(emulator, count, vendor) if baseline else (nan, nan, 0)
        diff = diff_seconds(folder, count, changed, vendor) if with_diff else (nan, 0)
        load = (load_before, os.getloadavg()[0])
        return [
            {
                **median_row(count, variant, taken, refresh, diff, latency_ms, vendor, load),
                "setup_s": setup_s,
                "setup": setup,
            }
            for variant, taken in runs.items()
        ]
    finally:
        emulator.stop()


nan = float("nan")


def verdict(row: dict[str, Any]) -> str:
    """Whether the emulator was the bottleneck of a row's plan, with its figures: it was not
    when its CPU time is a minor share of the plan's wall time and below flagsync's own."""
    emulator, own, wall = (float(row[k]) for k in ("emulator_cpu_s", "plan_cpu_s", "plan_s"))
    bottleneck = emulator > own or emulator > 0.5 * wall
    said = "IS the bottleneck" if bottleneck else "is not the bottleneck"
    return (
        f"{row['vendor']} {int(str(row['flags'])):,} x 3: the emulator {said}: {emulator:.2f} s "
        f"of CPU during a {wall:.2f} s plan ({emulator / wall:.0%} of its wall time), "
        f"flagsync {own:.2f} s"
    )


def median_row(
    count: int,
    variant: Variant,
    runs: list[tuple[float, dict[str, float], int]],
    refresh: tuple[float, float, int],
    diff: tuple[float, int],
    latency_ms: float,
    vendor: str,
    load: tuple[float, float],
) -> dict[str, object]:
    """The median plan (by wall time) of `runs`, with its own CPU and load figures."""
    wall, measured, plan_requests = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    refresh_s, refresh_emulator_s, gets = refresh
    floor = gets / BASELINE_PARALLEL * latency_ms / 1000 if gets else nan
    return {
        "vendor": vendor,
        "flags": count,
        "yaml": f"{variant[0]}/{variant[1]}",
        "load": f"{load[0]:.1f}-{load[1]:.1f}",
        "load_s": measured["load_s"],
        "plan_s": wall,
        "plan_cpu_s": measured["cpu_s"],
        "emulator_cpu_s": measured["emulator_cpu_s"],
        "emulator_share": measured["emulator_cpu_s"] / wall,
        "requests": plan_requests,
        "rss_mb": measured["max_rss_mb"],
        "diff_s": diff[0],
        "diff_n": diff[1],
        "baseline_s": refresh_s,
        "baseline_emulator_s": refresh_emulator_s,
        "floor_s": floor,
        "speedup": refresh_s / wall,
        "floor_speedup": floor / wall,
    }


def bench_rate_limited_apply(
    changes: int, per_minute: int, latency_ms: float, work: Path
) -> dict[str, object]:
    """Apply `changes` updates with the workspace's limit at `per_minute`, against an emulator
    that enforces the same limit (429 beyond it)."""
    folder = work / "apply"
    write_workspace(folder, changes)
    emulator = Emulator(folder)
    try:
        set_up(emulator, folder, "devcycle")
        emulator.setup_done()
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
    parser.add_argument("--vendors", default="devcycle,posthog")
    parser.add_argument("--changed", type=int, default=1000, help="changed flags in the diff")
    parser.add_argument(
        "--workers", default="on", help="YAML reading workers, comma-separated: on, off"
    )
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--apply-changes", type=int, default=1000)
    parser.add_argument("--apply-limit", type=int, default=600, help="requests per minute")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the per-flag refresh (minutes)"
    )
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=10000,
        help="skip the per-flag refresh above this many flags (100,000 x 3 GETs: many minutes)",
    )
    parser.add_argument(
        "--diff-max",
        type=int,
        default=10000,
        help="skip the diff of changed flags above this many flags (it loads the manifests "
        "twice in the benchmark's own process)",
    )
    parser.add_argument(
        "--setup",
        default="seed",
        choices=("seed", "api"),
        help="seed: clone API-created flags into the emulator's state (seeding.py); "
        "api: flagsync apply creates every flag",
    )
    parser.add_argument(
        "--emulator-nice",
        type=int,
        default=EMULATOR_NICENESS,
        help="the emulator's niceness while measuring (10: it serves with what flagsync "
        "leaves idle, which on a busy machine starves it)",
    )
    parser.add_argument("--plan-runs", type=int, default=PLAN_RUNS, help="median of this many")
    parser.add_argument(
        "--yaml", default="events", help="YAML readers, comma-separated: events, composed"
    )
    args = parser.parse_args()
    variants = tuple(
        (yaml, workers) for yaml in args.yaml.split(",") for workers in args.workers.split(",")
    )
    work = Path(tempfile.mkdtemp(prefix="flagsync-bench-"))
    # Bytecode as an installed package has it (pip compiles on install); without it every run
    # would compile flagsync's modules again where PYTHONDONTWRITEBYTECODE is set (0.1 s).
    compileall.compile_dir(str(REPO / "reconciler"), quiet=1)
    columns = [
        ("vendor", 8, "vendor", "s"),
        ("flags", 7, "flags", "d"),
        ("setup s", 7, "setup_s", ".0f"),
        ("YAML/wk", 10, "yaml", "s"),
        ("loadavg", 9, "load", "s"),
        ("manif s", 7, "load_s", ".2f"),
        ("plan s", 7, "plan_s", ".2f"),
        ("CPU s", 6, "plan_cpu_s", ".2f"),
        ("emu CPU", 7, "emulator_cpu_s", ".2f"),
        ("emu/wall", 8, "emulator_share", ".0%"),
        ("reqs", 5, "requests", "d"),
        ("RSS MB", 7, "rss_mb", ".0f"),
        ("diff s", 7, "diff_s", ".3f"),
        ("changed", 7, "diff_n", "d"),
        ("base s", 8, "baseline_s", ".2f"),
        ("base emu", 8, "baseline_emulator_s", ".2f"),
        ("floor s", 7, "floor_s", ".2f"),
        ("x base", 6, "speedup", ".1f"),
        ("x floor", 7, "floor_speedup", ".1f"),
    ]
    try:
        print(
            f"latency {args.latency_ms:g} ms per request; 3 environments per flag; "
            f"median of {args.plan_runs} plans; emulator at nice {args.emulator_nice}; "
            f"setup {args.setup}; {os.cpu_count()} cores; load average "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}\n"
        )
        header = " ".join(f"{title:>{width}}" for title, width, _, _ in columns)
        print(header)
        print("-" * len(header))
        verdicts = []
        for count in (int(size) for size in args.sizes.split(",")):
            for vendor in args.vendors.split(","):  # both vendors side by side, per size
                rows = bench_size(
                    count,
                    args.latency_ms,
                    work,
                    baseline=not args.no_baseline and count <= args.baseline_max,
                    plan_runs=args.plan_runs,
                    variants=variants,
                    vendor=vendor,
                    changed=args.changed,
                    setup=args.setup,
                    niceness=args.emulator_nice,
                    with_diff=count <= args.diff_max,
                )
                for found in rows:
                    cells = [f"{found[key]:>{width}{spec}}" for _, width, key, spec in columns]
                    print(" ".join(cells), flush=True)
                    verdicts.append(verdict(found))
        print("\n" + "\n".join(verdicts))
        if args.no_baseline or any(int(size) > args.baseline_max for size in args.sizes.split(",")):
            print(
                f"(no per-flag refresh above {args.baseline_max:,} flags or with --no-baseline: "
                "its latency floor alone is GETs / 10 x latency, 600 s at 100,000 x 3)"
            )
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
