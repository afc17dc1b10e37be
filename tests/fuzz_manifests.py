"""The manifest fuzzer: hostile and broken workspaces through the real `validate` command.

Each case starts from a valid workspace and applies a few mutations hypothesis draws: a value
replaced by something hostile (NaN, infinities, huge numbers, lone surrogates, tags, alias
bombs, nesting thousands deep, a credential), random YAML punctuation inserted, a span
deleted, a line repeated. The command must answer every case with exit 0 or 1, within a time
limit, without a traceback, and without printing the credential it was given.

`python -m tests.fuzz_manifests --examples 2000` runs the full campaign and prints its counts;
`tests/test_manifest_fuzz.py` runs a quick one in every test run (the full one with
FLAGSYNC_FUZZ=full).
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import main

SECRET = "fuzz-credential-9f8e7d6c"
CASE_LIMIT = 20.0
"""Seconds a case may take before it counts as a timeout (and is stopped)."""

WORKSPACE = """\
provider: devcycle
project: demo
environments:
  development: {}
  production: {}
manifests: flags/
safety: {max_deletes: 30, max_updates: 50}
"""

MANIFEST = """\
flags:
  - key: checkout
    name: New checkout
    description: the new flow
    tags: [checkout, web]
    variables:
      version: {type: String}
      limit: {type: Number}
    variations:
      - {key: classic, values: {version: v1, limit: 10}}
      - {key: redesign, values: {version: v2, limit: 20.5}}
    environments:
      production:
        enabled: true
        targets:
          - name: Staff
            audience: {all: [{email: {ends_with: "@acme.com"}}, {country: {is: US}}]}
            serve: redesign
          - name: Everyone
            serve: {classic: 90, redesign: 10}
            rollout: {type: gradual, start: 2026-12-01T09:00:00Z, start_percentage: 10,
                      stages: [{percentage: 100, at: 2026-12-15T09:00:00Z}]}
"""

_BOMB = "[" + ",".join(["*b"] * 9) + "]"
HOSTILE = [
    ".nan",
    "-.inf",
    "1e400",
    "123456789012345678901234567890",
    '"\\ud800"',
    '"a\\u0000b"',
    "!!binary aGVsbG8=",
    "!custom {a: 1}",
    "!!set {a: null}",
    "!!omap [{a: 1}]",
    "*nowhere",
    "&self [1, *self]",
    "{<<: {a: 1}, b: 2}",
    "49.9999999",
    "0x1F",
    "~",
    "''",
    SECRET,
    f"'{SECRET} with: colon'",
    "[" * 3000 + "]" * 3000,
    "{a: " * 600 + "1" + "}" * 600,
    "x" * 100_000,
    "2026-13-45T99:99:99Z",
    "&b [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    _BOMB,
]
"""Values that once crashed, hung or fooled a reader somewhere."""

PUNCTUATION = ":-[]{}&*!|>'\"#%@,?\n\t \\"


@dataclass
class Counts:
    """What a campaign saw."""

    runs: int = 0
    outcomes: Counter[int] = field(default_factory=Counter)
    tracebacks: list[str] = field(default_factory=list)
    timeouts: int = 0
    slow: list[tuple[str, str]] = field(default_factory=list)
    """The (workspace, manifest) of each case that timed out, to reproduce it."""
    leaks: int = 0
    slowest: float = 0.0

    def line(self) -> str:
        exits = ", ".join(f"exit {code}: {n}" for code, n in sorted(self.outcomes.items()))
        return (
            f"runs {self.runs} ({exits}), tracebacks {len(self.tracebacks)}, "
            f"timeouts {self.timeouts}, leaks {self.leaks}, slowest {self.slowest:.2f} s"
        )


class _CaseTimeout(BaseException):
    """Raised into the command when a case runs past `CASE_LIMIT` (a BaseException, so the
    command's own error handling cannot swallow it)."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _CaseTimeout


@st.composite
def mutated(draw: Any) -> tuple[str, str]:
    """A (workspace, manifest) pair: the valid pair with one to four mutations."""
    texts = [WORKSPACE, MANIFEST]
    for _ in range(draw(st.integers(1, 4))):
        which = draw(st.sampled_from([1, 1, 1, 0]))
        text = texts[which]
        kind = draw(st.sampled_from(["value", "value", "insert", "delete", "repeat"]))
        if kind == "value":
            slots = [i for i, c in enumerate(text) if c == ":" and text[i + 1 : i + 2] == " "]
            at = draw(st.sampled_from(slots)) + 2
            end = min(
                (i for i in (text.find("\n", at), text.find(",", at), text.find("}", at)) if i > 0),
                default=len(text),
            )
            text = text[:at] + draw(st.sampled_from(HOSTILE)) + text[end:]
        elif kind == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.text(PUNCTUATION + "ab01", max_size=6)) + text[at:]
        elif kind == "delete":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
        else:
            lines = text.splitlines(keepends=True)
            at = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: at + 1] + lines[at:])
        texts[which] = text
    return texts[0], texts[1]


def run_case(folder: Path, workspace: str, manifest: str, counts: Counts) -> None:
    """Validate one workspace and count what happened."""
    (folder / "flags").mkdir(exist_ok=True)
    (folder / "flagsync.yaml").write_text(workspace, encoding="utf-8")
    (folder / "flags" / "a.yaml").write_text(manifest, encoding="utf-8", errors="surrogatepass")
    runner = CliRunner()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_LIMIT)
    started = time.monotonic()
    try:
        result = runner.invoke(
            main,
            ["--timeout", "0", "validate", "-w", str(folder / "flagsync.yaml")],
            env={"DEVCYCLE_API_TOKEN": SECRET, "NO_COLOR": "1"},
        )
    except _CaseTimeout:
        counts.timeouts += 1
        counts.slow.append((workspace, manifest))
        return
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        counts.runs += 1
        counts.slowest = max(counts.slowest, time.monotonic() - started)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    counts.outcomes[result.exit_code] += 1
    if isinstance(result.exception, _CaseTimeout):
        counts.timeouts += 1
        counts.slow.append((workspace, manifest))
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        counts.tracebacks.append(f"{type(result.exception).__name__}: {result.exception}")
    elif "Traceback (most recent call last)" in output or result.exit_code not in (0, 1):
        counts.tracebacks.append(output[-500:])
    if SECRET in output:
        counts.leaks += 1


def campaign(examples: int, seed: int | None = None) -> Counts:
    """Run `examples` cases; never stops early (each outcome is counted, not raised)."""
    counts = Counts()
    with tempfile.TemporaryDirectory() as folder:
        cwd = os.getcwd()
        os.chdir(folder)  # problems name files relative to here, as for a user
        try:

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=seed is None,
                suppress_health_check=list(HealthCheck),
            )
            @given(mutated())
            def case(pair: tuple[str, str]) -> None:
                run_case(Path(folder), pair[0], pair[1], counts)

            if seed is not None:
                case = __import__("hypothesis").seed(seed)(case)
            case()
        finally:
            os.chdir(cwd)
    return counts


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    started = time.monotonic()
    counts = campaign(args.examples, args.seed)
    print(f"manifest fuzzer: {counts.line()}; {time.monotonic() - started:.0f} s in all")
    for trace in counts.tracebacks[:10]:
        print("  traceback:", trace)
    return 1 if counts.tracebacks or counts.timeouts or counts.leaks else 0


if __name__ == "__main__":
    raise SystemExit(main_())
