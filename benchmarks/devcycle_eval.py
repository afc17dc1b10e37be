"""Offline DevCycle evaluation at organisation scale: 10,000 users x 1,000 flags, in this process.

    .venv/bin/python benchmarks/devcycle_eval.py                  # 10,000 users x 1,000 flags
    .venv/bin/python benchmarks/devcycle_eval.py --users 1000     # a quicker run
    .venv/bin/python benchmarks/devcycle_eval.py --summary-only   # eval --summary's rows alone

The flags are a deterministic mix like a real project's: 1-3 targets each (staff by email,
countries, a custom plan and seats, a reusable audience, nested groups), a third with a split,
a fifth with a rollout in progress, one in ten off. Live ids are supplied (every target named,
as an applied workspace has them), so split and rollout answers are exact. Prints the time to
build the evaluator, the time to evaluate every flag for every user (including the first use of
each flag, which compiles it), evaluations per second, how many answers were inexact, and the
evaluation with `eval -o json`'s lines written to /dev/null, in one process and in one worker
per core, and `eval --summary`'s variation-only counting, the same two ways: user by user
(`variations`) and one flag over every user at a time (`flag_major`, what the command uses).
With `--summary-only` it also writes the flags as a workspace (manifests, no live ids: splits
and rollouts are then inexact, as offline evaluation of an unapplied workspace is) and times
the whole `flagsync eval --users users.jsonl --summary` command, CPU of the command and its
workers, and wall.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler.evaluation import bulk, summary
from reconciler.evaluation.parallel import write_users
from reconciler.gc_pause import gc_paused
from reconciler.model import (
    Audience,
    EnvironmentConfig,
    Filter,
    Flag,
    FlagSet,
    ReusableAudience,
    Rollout,
    RolloutStage,
    Target,
    Variable,
    Variation,
)
from reconciler.providers.devcycle.evaluate import evaluator
from reconciler.providers.devcycle.live_ids import LiveView

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
ENV = "production"
COUNTRIES = ["US", "CA", "DE", "FR", "JP", "BR", "IN", "GB"]
PLANS = ["free", "trial", "pro", "enterprise"]


def _audience(rng: random.Random) -> Audience:
    choice = rng.randrange(6)
    if choice == 0:
        return Audience()
    if choice == 1:
        return Audience(
            filters=(Filter(field="email", comparator="ends_with", values=("@acme.com",)),)
        )
    if choice == 2:
        return Audience(
            filters=(
                Filter(field="country", comparator="is", values=tuple(rng.sample(COUNTRIES, 3))),
            )
        )
    if choice == 3:
        return Audience(
            filters=(
                Filter(
                    field="custom",
                    comparator="is",
                    values=("pro", "enterprise"),
                    data_key="plan",
                    data_key_type="String",
                ),
                Filter(
                    field="custom",
                    comparator="gte",
                    values=(rng.randrange(1, 50),),
                    data_key="seats",
                    data_key_type="Number",
                ),
            )
        )
    if choice == 4:
        return Audience(filters=(Filter(field="audience", comparator="is", values=("beta",)),))
    nested = Filter.group(
        "any",
        (
            Filter(field="country", comparator="is", values=("US",)),
            Filter(field="app_version", comparator="gte", values=("2.0.0",)),
        ),
    )
    return Audience(filters=(Filter(field="email", comparator="exists"), nested))


def _flag(rng: random.Random, index: int) -> Flag:
    key = f"flag-{index:04d}"
    variations = {
        name: Variation(name=name, values={f"{key}-value": value})
        for name, value in (("control", 0), ("a", 1), ("b", 2))
    }
    targets = []
    for t in range(rng.randint(1, 3)):
        serve: dict[str, float] = {rng.choice(list(variations)): 100.0}
        if rng.random() < 0.33:
            serve = {"control": 50.0, "a": 25.0, "b": 25.0}
        rollout = None
        if rng.random() < 0.2:
            rollout = Rollout(
                type="gradual",
                start=NOW - timedelta(days=5),
                start_percentage=10,
                stages=(RolloutStage(percentage=100, at=NOW + timedelta(days=5)),),
            )
        targets.append(
            Target(name=f"rule {t}", audience=_audience(rng), serve=serve, rollout=rollout)
        )
    return Flag(
        key=key,
        name=key,
        variables={f"{key}-value": Variable(type="Number", name="value")},
        variations=variations,
        environments={ENV: EnvironmentConfig(enabled=rng.random() > 0.1, targets=tuple(targets))},
    )


def _live(flags: dict[str, Flag]) -> LiveView:
    """Ids as DevCycle would hold them for the applied flags (targets found by name)."""
    features: dict[str, Any] = {}
    for n, flag in enumerate(flags.values()):
        variations = [
            {"key": key, "_id": f"{n:012x}{i:012x}"} for i, key in enumerate(flag.variations)
        ]
        targets = [
            {"_id": f"{n:012x}{1000 + i:012x}", "name": t.name}
            for i, t in enumerate(flag.environments[ENV].targets)
        ]
        features[flag.key] = {
            "key": flag.key,
            "variations": variations,
            "configurations": [{"_environment": "env", "targets": targets}],
        }
    return LiveView(features=features, environment_keys={"env": ENV})


def _users(rng: random.Random, count: int) -> list[dict[str, Any]]:
    users = []
    for i in range(count):
        user: dict[str, Any] = {
            "user_id": f"user-{i}",
            "country": rng.choice(COUNTRIES),
            "app_version": f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.0",
            "customData": {
                "plan": rng.choice(PLANS),
                "seats": rng.randint(1, 100),
                "beta": rng.random() < 0.1,
            },
        }
        if rng.random() < 0.6:
            user["email"] = f"user{i}@{rng.choice(['acme.com', 'example.org'])}"
        users.append(user)
    return users


def cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (the workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def summary_rows(offline: Any, keys: list[str], users: list[dict[str, Any]]) -> None:
    """`eval --summary`: the variation-only answers counted, user by user and flag-major, in
    one process and in workers."""
    total = len(users) * len(keys)
    for way in ("user by user", "flag-major"):
        for workers in (0, None):
            with gc_paused():
                started, cpu = time.perf_counter(), cpu_seconds()
                if way == "flag-major":
                    found = summary.by_flags(offline, keys, ENV, users, workers=workers)
                    assert found is not None
                    counts = found
                else:
                    answer = summary.variations(offline, keys, ENV)
                    counts = summary.summarise(answer, users, len(keys), workers=workers)
                spent, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            used = summary.worker_count(total, None) if workers is None else workers
            label = f"{used} workers" if used > 1 else "one process"
            inexact = sum(n for c in counts for v, n in c.items() if isinstance(v, summary.Inexact))
            print(
                f"summary ({way}), {label}: wall {spent:.2f} s, CPU {cpu:.2f} s "
                f"({cpu / total * 1e6:.2f} us each; {inexact:,} inexact; "
                f"load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )


def write_workspace(folder: Path, desired: FlagSet, users: list[dict[str, Any]]) -> None:
    """The flags, the reusable audience and the custom properties they read as a DevCycle
    workspace (manifests only), and the users as users.jsonl."""
    from reconciler.manifest.emit import render_sections
    from reconciler.manifest.write import audience_data, flag_data

    (folder / "flags").mkdir(parents=True)
    (folder / "flagsync.yaml").write_text(
        "provider: devcycle\nproject: bench\nenvironments:\n  production: {}\nmanifests: flags/\n"
    )
    properties = [
        {"key": "plan", "type": "String"},
        {"key": "seats", "type": "Number"},
        {"key": "beta", "type": "Boolean"},
    ]
    sections = {
        "custom_properties": properties,
        "audiences": [audience_data(a) for a in desired.audiences.values()],
        "flags": [flag_data(flag, "devcycle") for flag in desired.flags.values()],
    }
    (folder / "flags" / "flags.yaml").write_text(render_sections(sections))
    (folder / "users.jsonl").write_text("".join(json.dumps(u) + "\n" for u in users))


def command_row(desired: FlagSet, users: list[dict[str, Any]]) -> None:
    """The whole `flagsync eval --users users.jsonl --summary` command, offline."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_workspace(folder, desired, users)
        cpu, started = cpu_seconds(), time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "eval", "--env", ENV]
            + ["--users", "users.jsonl", "--summary"],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        spent, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    assert done.returncode == 0, done.stderr
    print(
        f"flagsync eval --summary (whole command, offline): wall {spent:.2f} s, CPU {cpu:.2f} s "
        f"(load average {os.getloadavg()[0]:.1f})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--flags", type=int, default=1_000)
    parser.add_argument("--summary-only", action="store_true", help="eval --summary alone")
    args = parser.parse_args()
    rng = random.Random(16)
    flags = {flag.key: flag for flag in (_flag(rng, i) for i in range(args.flags))}
    beta = Audience(
        filters=(
            Filter(
                field="custom",
                comparator="is",
                values=(True,),
                data_key="beta",
                data_key_type="Boolean",
            ),
        )
    )
    desired = FlagSet(
        flags=flags, audiences={"beta": ReusableAudience(key="beta", name="Beta", audience=beta)}
    )
    users = _users(rng, args.users)
    live = _live(flags)

    print(f"load average {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    offline = evaluator(desired, live, now=NOW)
    built = time.perf_counter() - started

    keys = list(flags)
    if args.summary_only:
        print(f"users x flags: {len(users):,} x {len(keys):,}")
        summary_rows(offline, keys, users)
        command_row(desired, users)
        print(f"load average {os.getloadavg()[0]:.1f}")
        return
    inexact = 0
    started, cpu = time.perf_counter(), time.process_time()
    for user in users:
        for key in keys:
            answer = offline.evaluate(key, ENV, user)
            if not answer.exact:
                inexact += 1
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    total = len(users) * len(keys)
    print(f"users x flags: {len(users):,} x {len(keys):,} = {total:,} evaluations")
    print(f"evaluator built: {built * 1000:.1f} ms")
    rate = total / elapsed
    print(f"evaluate all: {elapsed:.2f} s ({rate:,.0f} evaluations/s, {1e6 / rate:.2f} us each)")
    print(f"  of which CPU time of this process: {cpu:.2f} s ({1e6 * cpu / total:.2f} us each)")
    print(f"inexact answers: {inexact:,}")
    for workers in (0, None):
        started = time.perf_counter()
        with open(os.devnull, "w", encoding="utf-8") as sink, gc_paused():
            answer = bulk.answerer(offline, keys, ENV)
            write_users(bulk.json_lines(answer), users, len(keys), sink, workers=workers)
        spent = time.perf_counter() - started
        label = "one process" if workers == 0 else f"{len(os.sched_getaffinity(0))} workers"
        print(
            f"evaluate + eval -o json lines to /dev/null, {label}: {spent:.2f} s "
            f"({spent / total * 1e6:.2f} us each)"
        )
    summary_rows(offline, keys, users)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
