"""Time `flagsync refs` on a generated repository of many source files.

    python benchmarks/refs_scan.py [--files 50000] [--keep DIR]

Generates a Git repository (tracked files, a .gitignore'd node_modules/) in a temporary folder:
source files in eight languages, one in twenty naming a flag through a vendor SDK call, the rest
ordinary code of similar size; a PostHog workspace declaring 500 flags. Then runs the real
command (`python -m reconciler refs -o json`) and prints the wall time of the whole command and
the scan time the report gives.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CALLS = {
    ".ts": "if (posthog.isFeatureEnabled('{key}')) {{ render() }}",
    ".tsx": "const on = useFeatureFlagEnabled('{key}')",
    ".py": "if posthog.feature_enabled('{key}', user_id):",
    ".go": 'ok, _ := client.IsFeatureEnabled(posthog.FeatureFlagPayload{{Key: "{key}"}})',
    ".java": 'boolean on = posthog.isFeatureEnabled(userId, "{key}");',
    ".rb": "if posthog.is_feature_enabled('{key}', user)",
    ".swift": 'if PostHogSDK.shared.isFeatureEnabled("{key}") {{ }}',
    ".cs": 'var on = await posthog.IsFeatureEnabledAsync("{key}", user);',
}
FILLER = "const value{n} = compute(input{n}, options); // ordinary code, no flag here\n"


def generate(root: Path, count: int, flags: int) -> int:
    rng = random.Random(7)
    planted = 0
    extensions = list(CALLS)
    for index in range(count):
        ext = extensions[index % len(extensions)]
        folder = root / "src" / f"module{index // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "".join(FILLER.format(n=n) for n in range(rng.randint(20, 60)))
        if index % 20 == 0:
            body += CALLS[ext].format(key=f"flag-{rng.randrange(flags * 2)}") + "\n"
            planted += 1
        (folder / f"file{index}{ext}").write_text(body, encoding="utf-8")
    (root / "node_modules" / "lib").mkdir(parents=True)
    (root / "node_modules" / "lib" / "index.js").write_text("posthog.isFeatureEnabled('x')\n")
    (root / ".gitignore").write_text("node_modules/\n")
    (root / "flags").mkdir()
    (root / "flags" / "flags.yaml").write_text(
        "flags:\n" + "".join(f"  - key: flag-{n}\n" for n in range(flags))
    )
    (root / "flagsync.yaml").write_text(
        "provider: posthog\nenvironments:\n  production: {project_id: 1}\nmanifests: flags/\n"
    )
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    return planted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--flags", type=int, default=500)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="flagsync-refs-"))
    try:
        started = time.perf_counter()
        planted = generate(root, args.files, args.flags)
        print(f"generated {args.files} files ({planted} references) in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        for run in ("cold", "warm"):
            started = time.perf_counter()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            answer = subprocess.run(
                [sys.executable, "-m", "reconciler", "refs", "-o", "json"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            )
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            report = json.loads(answer.stdout)
            assert len(report["references"]) == planted, "every planted reference is found"
            print(
                f"{run}: flagsync refs {wall:.2f} s wall, {cpu:.2f} s CPU (load average "
                f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores); "
                f"{report['scanned_files']} files "
                f"scanned, {len(report['references'])} references, "
                f"{len(report['unreferenced'])} unreferenced, "
                f"{len(report['undeclared'])} undeclared keys"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
