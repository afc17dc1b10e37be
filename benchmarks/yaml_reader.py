"""Two ways to read a manifest's YAML, on the plan benchmark's workspace (10,000 flags × 3
environments in 100 files, about 6 MB):

    .venv/bin/python benchmarks/yaml_reader.py             # 10,000 flags, 7 rounds
    .venv/bin/python benchmarks/yaml_reader.py --flags 1000 --rounds 3

- events: `fast_yaml.load_plain`, plain data built straight from libyaml's event stream;
- composed: libyaml's composer, then a walk over its nodes (`benchmarks/composed_yaml.py`);
- compose only: the composer's share of the second.

Each round reads every file once with each reader, in turns, in this one process; the
figures are the median round's CPU seconds (process time) and wall seconds. Both readers must
give the same data, or the script stops.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import composed_yaml  # noqa: E402
from run import write_workspace  # noqa: E402

from reconciler.manifest import fast_yaml  # noqa: E402


def compose_only(text: str) -> Any:
    loader = fast_yaml.Yaml12Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


READERS: dict[str, Callable[[str], Any]] = {
    "events": fast_yaml.load_plain,
    "composed": composed_yaml.load_plain,
    "compose only": compose_only,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flags", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flagsync-yaml-") as work:
        write_workspace(Path(work), args.flags)
        texts = [path.read_text() for path in sorted(Path(work, "flags").glob("*.yaml"))]
    size = sum(len(text) for text in texts)
    if [composed_yaml.load_plain(t) for t in texts] != [fast_yaml.load_plain(t) for t in texts]:
        raise SystemExit("the two readers disagree")
    cpu: dict[str, list[float]] = {name: [] for name in READERS}
    wall: dict[str, list[float]] = {name: [] for name in READERS}
    for _ in range(args.rounds):
        for name, reader in READERS.items():
            started_cpu, started = time.process_time(), time.perf_counter()
            for text in texts:
                reader(text)
            cpu[name].append(time.process_time() - started_cpu)
            wall[name].append(time.perf_counter() - started)
    print(f"{args.flags:,} flags, {len(texts)} files, {size / 1e6:.1f} MB; {args.rounds} rounds")
    print(f"{'reader':<14}{'CPU s':>8}{'wall s':>8}{'CPU vs events':>15}")
    base = statistics.median(cpu["events"])
    for name in READERS:
        median_cpu = statistics.median(cpu[name])
        print(
            f"{name:<14}{median_cpu:>8.3f}{statistics.median(wall[name]):>8.3f}"
            f"{median_cpu / base:>14.2f}×"
        )


if __name__ == "__main__":
    main()
