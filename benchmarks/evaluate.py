"""Offline evaluation at scale: `flagsync eval` of 10,000 users x 1,000 flags, and
`flagsync test` of 10,000 cases, on a generated PostHog workspace.

    .venv/bin/python benchmarks/evaluate.py                 # 1,000 flags, 10,000 users/cases
    .venv/bin/python benchmarks/evaluate.py --flags 100 --users 1000

The flags mix what teams write: a staff condition on email, a country list with a rollout, a
semver condition, a plan condition, variants with a split and an override, payloads. Users
carry an email, country, plan and app version. Each figure is the whole command (process start
included) with its output sent to /dev/null, and the evaluation alone, in this process.
"""

from __future__ import annotations

import argparse
import json
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


def in_process(folder: Path, people: list[dict[str, object]]) -> float:
    from reconciler.commands.eval import evaluate_many, flag_keys
    from reconciler.manifest.loader import load_flags
    from reconciler.providers.posthog.evaluate import evaluator
    from reconciler.workspace import load_workspace

    desired = load_flags(load_workspace(folder))
    offline = evaluator(desired)
    keys = flag_keys(desired, "production")
    from reconciler.gc_pause import gc_paused

    started = time.perf_counter()
    with gc_paused():  # as the command evaluates
        for person in people:
            evaluate_many(offline, keys, "production", person)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flags", type=int, default=1000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        people = write_workspace(folder, args.flags, args.users)
        write_tests(folder, people, args.flags, args.cases)
        evaluations = args.flags * args.users
        tested, code = timed_command(folder, "test")
        assert code == 0, "test failed"
        print(f"test, {args.cases:,} cases: flagsync test (whole command): {tested:.2f} s")
        print(f"eval, {args.users:,} users x {args.flags:,} flags = {evaluations:,} evaluations")
        alone = in_process(folder, people)
        each = alone / evaluations * 1e6
        print(f"  evaluation alone (in process): {alone:.2f} s ({each:.2f} µs each)", flush=True)
        command, code = timed_command(
            folder, "eval", "--env", "production", "--users", "users.jsonl", "-o", "json"
        )
        assert code == 0, "eval failed"
        print(f"  flagsync eval -o json (whole command): {command:.2f} s", flush=True)


if __name__ == "__main__":
    main()
