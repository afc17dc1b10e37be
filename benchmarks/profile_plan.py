"""Profile `flagsync plan` at large sizes, with the emulator seeded through its state file.

    python benchmarks/profile_plan.py seed posthog 10000 WORK     # workspace + state file
    python benchmarks/profile_plan.py run posthog WORK [--profile OUT.prof] [--trace]
    python benchmarks/profile_plan.py serve PORT STATE            # the emulator (internal)

`seed` applies one flag of the benchmark's workspace (`run.py`'s `write_workspace`) to an
emulator with a state file, then copies the stored objects of that flag N times under new keys
and ids: seconds where N x 3 creates through the API take minutes to hours. `run` starts the
emulator on that state (nice 10, 20 ms latency) and runs one `flagsync plan` through
`measure.py` (wall, CPU, peak RSS, requests), or in this process under cProfile
(`--profile`) or tracemalloc (`--trace`: the peak, and the top allocation sites of a
snapshot taken near it).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

import run as bench  # noqa: E402  (the benchmark's workspace and environment)

TEMPLATE = "bench-000000"


def serve(port: int, state: Path) -> None:
    import uvicorn

    from reconciler.emulator.app import create_app
    from reconciler.emulator.config import EmulatorConfig

    app = create_app(EmulatorConfig(state_file=state))
    posthog = app.state.posthog
    if not any(project["id"] == 3 for project in posthog.projects):
        third = dict(posthog.projects[-1], id=3, name="Benchmark third")
        third["api_token"] = "phc_benchmark_third_project_key"
        third["uuid"] = third["uuid"][:-1] + "3"
        posthog.projects.append(third)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start(state: Path, niceness: int = 0) -> tuple[subprocess.Popen[bytes], str]:
    port = bench.free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "serve", str(port), str(state)],
        cwd=REPO,
        preexec_fn=lambda: os.nice(niceness),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/_emulator/stats", timeout=1)
            return process, url
        except httpx.HTTPError:
            if process.poll() is not None:
                raise RuntimeError("the emulator did not start") from None
            time.sleep(0.2)
    raise RuntimeError("the emulator did not start")


class _Url:
    def __init__(self, url: str) -> None:
        self.url = url


def environment(vendor: str, url: str) -> dict[str, str]:
    return bench.cli_environment(_Url(url), vendor)  # type: ignore[arg-type]


def seed(vendor: str, count: int, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    state = work / "state.json"
    state.unlink(missing_ok=True)
    bench.write_workspace(work, 1, vendor=vendor)
    process, url = start(state)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "apply", "--yes", "--quiet"],
            cwd=work,
            env=environment(vendor, url),
        )
        assert done.returncode == 0, done.returncode
    finally:
        process.terminate()
        process.wait()
    data = json.loads(state.read_text())
    if vendor == "posthog":
        _copy_posthog(data["posthog"], count)
    else:
        _copy_devcycle(data["devcycle"], count)
    state.write_text(json.dumps(data, separators=(",", ":")))
    bench.write_workspace(work, count, vendor=vendor)


def _copy_posthog(section: dict[str, Any], count: int) -> None:
    flags = section["feature_flags"]
    template = [flag for flag in flags if flag["key"] == TEMPLATE]
    others = [flag for flag in flags if flag["key"] != TEMPLATE]
    next_id = section["next_ids"]["feature_flag"]
    copies = []
    for index in range(count):
        for flag in template:
            copy = json.loads(json.dumps(flag).replace(TEMPLATE, f"bench-{index:06d}"))
            copy["id"] = next_id
            next_id += 1
            copies.append(copy)
    section["feature_flags"] = others + copies
    section["next_ids"]["feature_flag"] = next_id


def _copy_devcycle(section: dict[str, Any], count: int) -> None:
    counter = section["meta"]["counter"]
    hex_id = re.compile(r'"([0-9a-f]{24})"')
    templates = {
        name: [doc for doc in docs if TEMPLATE in json.dumps(doc)]
        for name, docs in section.items()
        if isinstance(docs, list)
    }
    for name, docs in templates.items():
        if docs:
            section[name] = [doc for doc in section[name] if doc not in docs]
    shared = set(hex_id.findall(json.dumps(section)))  # project, environments: kept
    ids = set(hex_id.findall(json.dumps(templates))) - shared
    for index in range(count):
        mapping = {}
        for old in ids:
            counter += 1
            mapping[old] = f"{counter:024x}"
        for name, docs in templates.items():
            for doc in docs:
                text = json.dumps(doc).replace(TEMPLATE, f"bench-{index:06d}")
                text = hex_id.sub(lambda m, ids=mapping: f'"{ids.get(m[1], m[1])}"', text)
                section[name].append(json.loads(text))
    section["meta"]["counter"] = counter + 1


def run(vendor: str, work: Path, profile: str | None, trace: bool) -> None:
    process, url = start(work / "state.json", niceness=10)
    try:
        httpx.put(f"{url}/_emulator/faults", json={"latency_ms": 20}).raise_for_status()
        httpx.post(f"{url}/_emulator/stats/reset").raise_for_status()
        env = environment(vendor, url)
        load = os.getloadavg()[0]
        if profile or trace:
            os.environ.update(env)
            os.chdir(work)
            _in_process(profile, trace)
            return
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                str(REPO / "benchmarks" / "measure.py"),
                str(work / "m.json"),
                "plan",
                "--quiet",
            ],
            cwd=work,
            env=env,
        )
        wall = time.perf_counter() - started
        measured = json.loads((work / "m.json").read_text())
        requests = httpx.get(f"{url}/_emulator/stats").json()["requests"]
        print(
            f"{vendor} exit {done.returncode} wall {wall:.2f} s cpu {measured['cpu_s']:.2f} s "
            f"manifests {measured['load_s']:.2f} s rss {measured['max_rss_mb']:.0f} MB "
            f"requests {requests} load {load:.1f}-{os.getloadavg()[0]:.1f}"
        )
    finally:
        process.terminate()
        process.wait()


def _in_process(profile: str | None, trace: bool) -> None:
    from reconciler import cli
    from reconciler.manifest import reading

    if os.environ.get("FLAGSYNC_BENCH_WORKERS") == "off":
        reading.PARALLEL_MIN_BYTES = sys.maxsize  # read in-process: the profile sees the parse
    if trace:
        import tracemalloc

        tracemalloc.start(12)
        watch = _PeakWatch()
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with contextlib.suppress(SystemExit):
        cli.main(["plan", "--quiet"], standalone_mode=False)
    if profile:
        profiler.disable()
        profiler.dump_stats(profile)
    if trace:
        current, peak = tracemalloc.get_traced_memory()
        watch.stop()
        print(f"traced now {current / 1e6:.0f} MB, peak {peak / 1e6:.0f} MB")
        if watch.snapshot is not None:
            print(f"top sites of the largest snapshot ({watch.size / 1e6:.0f} MB traced):")
            for stat in watch.snapshot.statistics("lineno")[:25]:
                print(f"  {stat.size / 1e6:8.1f} MB {stat.count:9d} blocks  {stat.traceback[0]}")


class _PeakWatch:
    """Snapshots of tracemalloc taken whenever the traced memory grew past the last one's by
    a fifth: the last is near the peak (tracemalloc gives the peak's size, not its sites;
    a snapshot of 100,000 flags' plan takes seconds, so they are few)."""

    def __init__(self) -> None:
        import threading

        self.snapshot: Any = None
        self.size = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import tracemalloc

        while not self._done.wait(0.5):
            current, _ = tracemalloc.get_traced_memory()
            if current > self.size * 1.2 + 20e6:
                self.snapshot = None  # (the old one's memory goes before the new one's comes)
                self.snapshot = tracemalloc.take_snapshot()
                self.size = current

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def main() -> None:
    command = sys.argv[1]
    if command == "serve":
        serve(int(sys.argv[2]), Path(sys.argv[3]))
    elif command == "seed":
        seed(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
    else:
        rest = sys.argv[4:]
        profile = rest[rest.index("--profile") + 1] if "--profile" in rest else None
        run(sys.argv[2], Path(sys.argv[3]), profile, "--trace" in rest)


if __name__ == "__main__":
    main()
