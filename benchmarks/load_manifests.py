"""The load step of a plan alone: `load_flags` as `flagsync plan` calls it (reading workers on,
the cyclic collector paused), with its wall time, CPU (this process and the reading workers)
and this process's peak RSS.

    python benchmarks/load_manifests.py WORK            # a workspace from profile_plan.py seed
    python benchmarks/load_manifests.py WORK --together # every rule over every file at once
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from reconciler.gc_pause import gc_paused  # noqa: E402
from reconciler.manifest.loader import PendingManifests, load_flags  # noqa: E402
from reconciler.manifest.provider_rules import rules_for  # noqa: E402
from reconciler.workspace import load_workspace  # noqa: E402


def main() -> None:
    work = Path(sys.argv[1])
    together = "--together" in sys.argv[2:]
    os.chdir(work)
    workspace = load_workspace(Path("flagsync.yaml"))
    if together:  # the loading every workspace had before it was done file by file
        type(rules_for(workspace.provider)).flags_checked_per_file = False
    started, cpu = time.perf_counter(), time.process_time()
    pending = PendingManifests(workspace)
    with gc_paused():
        flags = load_flags(workspace, pending)
    pending.close()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    status = Path("/proc/self/status").read_text().split("\n")
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    print(
        f"{'together' if together else 'file by file'}: {len(flags.flags)} flags, wall "
        f"{wall:.2f} s, CPU {cpu:.2f} s + workers {workers.ru_utime + workers.ru_stime:.2f} s, "
        f"peak RSS {peak / 1024:.0f} MB, load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
