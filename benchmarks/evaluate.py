"""Offline evaluation at scale: `flagsync eval` of 10,000 users x 1,000 flags, and
`flagsync test` of 10,000 cases, on a generated PostHog workspace.

    .venv/bin/python benchmarks/evaluate.py                 # 1,000 flags, 10,000 users/cases
    .venv/bin/python benchmarks/evaluate.py --flags 100 --users 1000
    .venv/bin/python benchmarks/evaluate.py --summary-only  # eval --summary's rows alone

The flags mix what teams write: a staff condition on email, a country list with a rollout, a
semver condition, a plan condition, variants with a split and an override, payloads. Users
carry an email, country, plan and app version. Figures: the whole commands (process start
included, output to /dev/null); in this process, the reference walk on a sample of users, the
specialised flags on all (and per kind of flag, with the floor: the sha1 hashes the workload
needs, timed alone), and the evaluation with `eval -o json`'s lines written to /dev/null, in
one process and in one worker per core; `eval --summary`'s variation-only counting, the same
two ways, user by user (`variations`) and one flag over every user at a time (`flag_major`,
what the command uses), and its whole command.
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

COUNTRIES = ["DE", "FR", "NL", "US", "GB", "ES", "IT", "SE"]
PLANS = ["free", "pro", "enterprise"]


def flag_yaml(index: int) -> str:
    key = f"bench-{index:04d}"
    kind = index % 4
    staff = "{person: {key: email, contains: '@acme.com'}}"
    if kind == 0:  # boolean, staff + rollout
        return f"""  - key: {key}
    payload: {{version: {index}}}
    environments:
      production:
        enabled: true
        targets:
          - name: Staff
            audience: {{all: [{staff}]}}
          - name: Europe
            audience: {{all: [{{person: {{key: country, is: [DE, FR, NL]}}}}]}}
            percentage: 30
"""
    if kind == 1:  # multivariate with override and split
        return f"""  - key: {key}
    variations:
      - {{key: control, payload: {{colour: grey}}}}
      - {{key: treatment, payload: {{colour: green}}}}
    environments:
      production:
        enabled: true
        targets:
          - name: Staff
            audience: {{all: [{staff}]}}
            serve: treatment
          - name: Everyone else
            serve: {{control: 50, treatment: 50}}
"""
    if kind == 2:  # semver and plan
        return f"""  - key: {key}
    environments:
      production:
        enabled: true
        targets:
          - name: New apps on paid plans
            audience:
              all:
                - person: {{key: app_version, semver_gte: "2.{index % 10}.0"}}
                - person: {{key: plan, is_not: free}}
            percentage: 50
"""
    return f"""  - key: {key}
    environments:
      production:
        enabled: {str(index % 8 != 3).lower()}
        targets:
          - name: Enterprise
            audience: {{all: [{{person: {{key: plan, is: enterprise}}}}]}}
          - percentage: 5
"""


def user(rng: random.Random, index: int) -> dict[str, object]:
    return {
        "distinct_id": f"user-{index}",
        "email": f"u{index}@{'acme.com' if index % 50 == 0 else 'example.org'}",
        "country": rng.choice(COUNTRIES),
        "plan": rng.choice(PLANS),
        "app_version": f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 5)}",
    }


def write_workspace(folder: Path, flags: int, users: int) -> list[dict[str, object]]:
    (folder / "flags").mkdir(parents=True)
    (folder / "flag-tests").mkdir()
    (folder / "flagsync.yaml").write_text(
        "provider: posthog\nenvironments:\n  production: {project_id: 2}\nmanifests: flags/\n"
    )
    for start in range(0, flags, 100):
        body = "".join(flag_yaml(i) for i in range(start, min(start + 100, flags)))
        (folder / "flags" / f"flags-{start:04d}.yaml").write_text(f"flags:\n{body}")
    rng = random.Random(7)
    people = [user(rng, i) for i in range(users)]
    (folder / "users.jsonl").write_text("".join(json.dumps(p) + "\n" for p in people))
    return people


def write_tests(folder: Path, people: list[dict[str, object]], flags: int, cases: int) -> None:
    from reconciler.manifest.loader import load_flags
    from reconciler.providers.posthog.evaluate import evaluator
    from reconciler.workspace import load_workspace

    desired = load_flags(load_workspace(folder))
    offline = evaluator(desired)
    lines = ["cases:"]
    for index in range(cases):
        person = people[index % len(people)]
        key = f"bench-{(index * 7) % flags:04d}"
        answer = offline.evaluate(key, "production", person)
        expected = json.dumps(answer.variation)
        lines.append(f"  - user: {json.dumps(person)}\n    flag: {key}\n")
        lines.append(f"    expect: {{production: {expected}}}")
    (folder / "flag-tests" / "bench.flag-tests.yaml").write_text("\n".join(lines) + "\n")


def timed_command(folder: Path, *args: str) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return time.perf_counter() - started, done.returncode


def cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (the workers): on a shared
    machine a steadier measure than the wall clock."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


KINDS = {
    "constant (flag off)": lambda i: i % 4 == 3 and i % 8 == 3,
    "staff, then Europe at 30 %": lambda i: i % 4 == 0,
    "staff override, then a 50/50 split": lambda i: i % 4 == 1,
    "semver and plan at 50 %": lambda i: i % 4 == 2,
    "enterprise, then everyone at 5 %": lambda i: i % 4 == 3 and i % 8 != 3,
}


def in_process(folder: Path, people: list[dict[str, object]], reference_users: int) -> None:
    """The evaluation alone, then with `eval -o json`'s lines written to /dev/null."""
    from reconciler.commands.eval import flag_keys
    from reconciler.evaluation import bulk
    from reconciler.evaluation.parallel import write_users
    from reconciler.gc_pause import gc_paused
    from reconciler.manifest.loader import load_flags
    from reconciler.providers.posthog import fast_evaluate
    from reconciler.providers.posthog.evaluate import evaluator, user_of
    from reconciler.workspace import load_workspace

    desired = load_flags(load_workspace(folder))
    keys = flag_keys(desired, "production")
    evaluations = len(keys) * len(people)

    def per_each(seconds: float, count: int, cpu: float | None = None) -> str:
        used = "" if cpu is None else f"; CPU {cpu:.2f} s, {cpu / count * 1e6:.2f} µs each"
        return f"{seconds:.2f} s ({seconds / count * 1e6:.2f} µs each{used})"

    with gc_paused():  # as the command evaluates
        sample = people[:reference_users]
        answer = bulk.answerer(evaluator(desired, reference=True), keys, "production")
        started, cpu = time.perf_counter(), cpu_seconds()
        for person in sample:
            answer(person)
        alone, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        count = len(sample) * len(keys)
        print(f"  reference walk, {len(sample):,} users: {per_each(alone, count, cpu)}", flush=True)

        answer = bulk.answerer(evaluator(desired), keys, "production")
        started, cpu = time.perf_counter(), cpu_seconds()
        for person in people:
            answer(person)
        alone, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        print(f"  specialised flags, all users: {per_each(alone, evaluations, cpu)}", flush=True)

        specialised = evaluator(desired)
        parsed = [(user_of(p), str(p["distinct_id"]).encode()) for p in people]
        for kind, chosen in KINDS.items():
            functions = [
                specialised._fast_flag(key, "production")  # type: ignore[attr-defined]
                for index, key in enumerate(keys)
                if chosen(index)
            ]
            cpu = cpu_seconds()
            for user, identity in parsed:
                for function in functions:
                    function(user, identity)
            each = (cpu_seconds() - cpu) / (len(functions) * len(people)) * 1e6
            print(f"    {kind} ({len(functions)} flags): {each:.2f} µs CPU each")

        hashes = 0
        hash_point = fast_evaluate.point

        def counted(prefix: bytes, identity: bytes) -> float:
            nonlocal hashes
            hashes += 1
            return hash_point(prefix, identity)

        fast_evaluate.point = counted
        answer = bulk.answerer(evaluator(desired), keys, "production")
        for person in people:
            answer(person)
        fast_evaluate.point = hash_point
        cpu = cpu_seconds()
        for _ in range(hashes):
            hash_point(b"bench-0001.", b"user-1234")
        floor = cpu_seconds() - cpu
        print(f"    floor: {hashes:,} sha1 hashes alone take {floor:.2f} s CPU", flush=True)

        for workers in (0, None):
            answer = bulk.answerer(evaluator(desired), keys, "production")
            with open(os.devnull, "w", encoding="utf-8") as sink:
                started, cpu = time.perf_counter(), cpu_seconds()
                write_users(bulk.json_lines(answer), people, len(keys), sink, workers=workers)
                spent, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            label = "one process" if workers == 0 else f"{len(os.sched_getaffinity(0))} workers"
            each = per_each(spent, evaluations, cpu)
            print(f"  evaluation + JSON lines, {label}: {each}", flush=True)


def summary_rows(folder: Path, people: list[dict[str, object]]) -> None:
    """`eval --summary`: the variation-only answers counted, in one process and in workers, and
    the whole command (CPU of the command and its workers, and wall)."""
    from reconciler.commands.eval import flag_keys
    from reconciler.evaluation import summary
    from reconciler.gc_pause import gc_paused
    from reconciler.manifest.loader import load_flags
    from reconciler.providers.evaluators import evaluator_for
    from reconciler.workspace import load_workspace

    workspace = load_workspace(folder)
    desired = load_flags(workspace)
    keys = flag_keys(desired, "production")
    count = len(keys) * len(people)
    with gc_paused():
        for way in ("user by user", "flag-major"):
            for workers in (0, None):
                offline = evaluator_for(workspace.provider, desired)
                started, cpu = time.perf_counter(), cpu_seconds()
                if way == "flag-major":
                    found = summary.by_flags(offline, keys, "production", people, workers=workers)
                    assert found is not None
                else:
                    answer = summary.variations(offline, keys, "production")
                    summary.summarise(answer, people, len(keys), workers=workers)
                spent, cpu = time.perf_counter() - started, cpu_seconds() - cpu
                used = summary.worker_count(count, None) if workers is None else workers
                label = f"{used} workers" if used > 1 else "one process"
                print(
                    f"  summary ({way}), {label}: wall {spent:.2f} s, "
                    f"CPU {cpu:.2f} s ({cpu / count * 1e6:.2f} µs each; "
                    f"load average {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
    cpu = cpu_seconds()
    command, code = timed_command(
        folder, "eval", "--env", "production", "--users", "users.jsonl", "--summary"
    )
    cpu = cpu_seconds() - cpu
    assert code == 0, "eval --summary failed"
    print(
        f"  flagsync eval --summary (whole command): wall {command:.2f} s, CPU {cpu:.2f} s "
        f"(load average {os.getloadavg()[0]:.1f})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flags", type=int, default=1000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--reference-users", type=int, default=500)
    parser.add_argument("--summary-only", action="store_true", help="eval --summary alone")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        people = write_workspace(folder, args.flags, args.users)
        if args.summary_only:
            print(f"eval --summary, {args.users:,} users x {args.flags:,} flags")
            summary_rows(folder, people)
            print(f"load average {os.getloadavg()[0]:.1f}")
            return
        write_tests(folder, people, args.flags, args.cases)
        evaluations = args.flags * args.users
        tested, code = timed_command(folder, "test")
        assert code == 0, "test failed"
        print(f"test, {args.cases:,} cases: flagsync test (whole command): {tested:.2f} s")
        print(f"eval, {args.users:,} users x {args.flags:,} flags = {evaluations:,} evaluations")
        in_process(folder, people, args.reference_users)
        command, code = timed_command(
            folder, "eval", "--env", "production", "--users", "users.jsonl", "-o", "json"
        )
        assert code == 0, "eval failed"
        print(f"  flagsync eval -o json (whole command): {command:.2f} s", flush=True)
        summary_rows(folder, people)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
