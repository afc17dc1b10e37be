"""Two versions of flagsync planning the same seeded workspace, in turns, against one emulator.

    python benchmarks/profile_plan.py seed posthog 10000 /tmp/ph10k        # once
    git archive main | tar -x -C /tmp/main-tree                           # the other version
    python benchmarks/ab_plan.py /tmp/ph10k 6 /tmp/main-tree .            # 6 rounds of both
    python benchmarks/ab_plan.py /tmp/ph10k 5 .:on .:off                  # YAML workers on/off

Each TREE is a source tree whose `reconciler` and `benchmarks/measure.py` are used (`:off`
reads the manifests in-process, as `FLAGSYNC_BENCH_WORKERS=off`). The plans alternate, so a
machine whose speed drifts (a shared one) drifts for both alike; the medians of flagsync's CPU
are the figure to compare, the wall times say how busy the machine was.
"""

from __future__ import annotations

import json
import os
import runpy
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def boot(tree: str, argv: list[str]) -> None:
    """Run `measure.py` from `tree`, with that tree's `reconciler` first on the path. Nothing
    else is imported first: `measure.py` counts this process's CPU from its start."""
    sys.path.insert(0, tree)
    sys.argv = argv
    runpy.run_path(argv[0], run_name="__main__")


def main() -> None:
    import httpx

    sys.path.insert(0, str(HERE))
    import profile_plan  # the seeded emulator's start and environment

    work, rounds, specs = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    process, url = profile_plan.start(work / "state.json")
    rows: dict[str, list[tuple[float, float, float]]] = {spec: [] for spec in specs}
    try:
        httpx.put(f"{url}/_emulator/faults", json={"latency_ms": 20}).raise_for_status()
        env = {**os.environ, **profile_plan.environment("posthog", url)}
        report = work / "ab.json"
        for _ in range(rounds):
            for spec in specs:
                tree, _, workers = spec.partition(":")
                tree = str(Path(tree).resolve())
                load = os.getloadavg()[0]
                command = [sys.executable, __file__, "--boot", tree]
                command += [f"{tree}/benchmarks/measure.py", str(report), "plan", "--quiet"]
                run_env = {**env, "FLAGSYNC_BENCH_WORKERS": workers or "on"}
                subprocess.run(command, cwd=work, env=run_env, stdout=subprocess.DEVNULL)
                measured = json.loads(report.read_text())
                row = (measured["cpu_s"], measured["command_s"], measured["max_rss_mb"])
                rows[spec].append(row)
                print(
                    f"{spec}: cpu {row[0]:.2f} s wall {row[1]:.2f} s rss {row[2]:.0f} MB "
                    f"load {load:.1f}",
                    flush=True,
                )
    finally:
        process.terminate()
        process.wait()
    for spec, measured in rows.items():
        cpu, wall, rss = (statistics.median(row[i] for row in measured) for i in range(3))
        print(
            f"{spec}: median of {len(measured)}: cpu {cpu:.2f} s wall {wall:.2f} s rss {rss:.0f} MB"
        )


if __name__ == "__main__":
    if sys.argv[1] == "--boot":
        boot(sys.argv[2], sys.argv[3:])
    else:
        main()
