"""PostHog workspaces load file by file, letting go of each file once its flags are built, like
DevCycle's: a flag's dependency on a flag of another file is checked once every file is read,
from the few facts a dependency reads (where that flag is named and on, its variations). The
flags a load returns, and every problem it reports (message, `file:line:col`, order), are
what reading all files together gives; only the memory differs (PostHog held every file's
data until the end, about 74 MB at 10,000 flags beside 41 MB of models)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import ValidationFailed
from reconciler.manifest import loader, reading
from reconciler.manifest.provider_rules import rules_for
from reconciler.model import FlagSet
from tests.test_loader_memory import ENVIRONMENTS, FLAGS_PER_FILE, Workspace, load_overhead


def _bench_flag(key: str, depends_on: str | None = None) -> str:
    dependency = ""
    if depends_on:
        dependency = f"\n              - {{flag: {{key: {depends_on}, is: true}}}}"
    return f"""  - key: {key}
    description: "flag {key}"
    tags: [bench]
    environments:
      development: {{enabled: true, targets: [{{name: Everyone}}]}}
      staging:
        enabled: true
        targets:
          - name: Staff
            audience:
              all:
              - {{person: {{key: email, contains: "@acme.com"}}}}{dependency}
          - {{name: Rest, percentage: 10}}
      production: {{enabled: false, targets: [{{name: Everyone}}]}}
"""


def _write(folder: Path, files: list[str]) -> Workspace:
    manifests = folder / "flags"
    manifests.mkdir(parents=True)
    for number, text in enumerate(files):
        (manifests / f"flags-{number:03d}.yaml").write_text(text)
    (folder / "flagsync.yaml").write_text("provider: posthog\n")
    return Workspace(file=folder / "flagsync.yaml", manifests=[manifests], provider="posthog")


def _bench_workspace(folder: Path, files: int) -> Workspace:
    texts = []
    for number in range(files):
        # Each file's first flag depends on the last flag of the file before it.
        previous = f"f{number - 1:03d}-{FLAGS_PER_FILE - 1:04d}" if number else None
        flags = [
            _bench_flag(f"f{number:03d}-{n:04d}", previous if n == 0 else None)
            for n in range(FLAGS_PER_FILE)
        ]
        texts.append("flags:\n" + "".join(flags))
    return _write(folder, texts)


@contextmanager
def _read_together() -> Iterator[None]:
    """Every rule over every file at once, as PostHog workspaces were always loaded."""
    rules = type(rules_for("posthog"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rules, "flags_checked_per_file", False)
        yield


def _outcome(workspace: Workspace) -> FlagSet | list[str]:
    """The loaded flags, or every problem as the user reads it."""
    try:
        return loader.load_flags(workspace)
    except ValidationFailed as failed:
        return [str(problem) for problem in failed.problems]


def _both(workspace: Workspace) -> tuple[FlagSet | list[str], FlagSet | list[str]]:
    lean = _outcome(workspace)
    with _read_together():
        together = _outcome(workspace)
    return lean, together


def test_loading_more_posthog_files_does_not_hold_more_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read in this process, file by file: what the loader holds, not how far the reading
    # workers read ahead of it (a few chunks, `test_manifest_reading`).
    monkeypatch.setattr(reading, "PARALLEL_MIN_BYTES", 1 << 40)
    loader.load_flags(_bench_workspace(tmp_path / "warm", 1))  # imports and caches
    few, loaded_few = load_overhead(_bench_workspace(tmp_path / "few", 2))
    many, loaded_many = load_overhead(_bench_workspace(tmp_path / "many", 12))
    assert (loaded_few, loaded_many) == (2 * FLAGS_PER_FILE, 12 * FLAGS_PER_FILE)
    # Holding every file until the rules across files had run made this grow with the files.
    assert many < 2 * few, (
        f"{many / 1e6:.1f} MB beyond the models for 12 files, {few / 1e6:.1f} MB for 2"
    )


def test_dependencies_across_files_load_the_flags_reading_everything_builds(
    tmp_path: Path,
) -> None:
    lean, together = _both(_bench_workspace(tmp_path, 3))
    assert isinstance(lean, FlagSet)
    assert len(lean.flags) == 3 * FLAGS_PER_FILE
    assert lean == together


def _dependent(key: str, on: str, value: str = "true") -> str:
    return f"""  - key: {key}
    environments:
      staging:
        enabled: true
        targets:
          - audience: {{all: [{{flag: {{key: {on}, is: {value}}}}}]}}
      production:
        enabled: true
        targets:
          - audience: {{all: [{{flag: {{key: {on}, is: {value}}}}}]}}
"""


PARENT = """  - key: parent
    environments:
      staging: {enabled: false, targets: [{percentage: 50}]}
"""
VARIANT_PARENT = """  - key: parent
    variations: [{key: blue}, {key: red}]
    environments:
      staging: {enabled: true, targets: [{serve: blue}]}
      production: {enabled: true, targets: [{serve: red}]}
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            [f"flags:\n{PARENT}", f"flags:\n{_dependent('child', 'parent')}"],
            [
                "flags/flags-001.yaml:7:43: flag 'parent' is off in 'staging'",
                "flags/flags-001.yaml:11:43: flag 'parent' does not exist in 'production'",
            ],
            id="on-a-flag-of-an-earlier-file",
        ),
        pytest.param(
            [f"flags:\n{_dependent('child', 'parent', 'green')}", f"flags:\n{VARIANT_PARENT}"],
            [
                "flags/flags-000.yaml:7:55: 'green' is not a variation of flag 'parent' "
                "(variations: blue, red)",
                "flags/flags-000.yaml:11:55: 'green' is not a variation of flag 'parent'",
            ],
            id="on-a-flag-of-a-later-file",
        ),
    ],
)
def test_a_dependency_on_another_files_flag_is_reported_as_reading_everything_reports_it(
    tmp_path: Path, files: list[str], expected: list[str]
) -> None:
    lean, together = _both(_write(tmp_path, files))
    assert isinstance(lean, list)
    assert lean == together
    assert len(lean) == len(expected)
    for problem, start in zip(lean, expected, strict=True):
        assert f"/{start}" in problem, problem


KEYS = ["a", "b", "c", "d", "e"]


@st.composite
def _flag_text(draw: st.DrawFn, key: str) -> str:
    variations = draw(st.sampled_from([[], ["x", "y"]]))
    lines = [f"  - key: {key}"]
    if variations:
        lines.append("    variations: [{key: x}, {key: y}]")
    lines.append("    environments:")
    for env in draw(st.lists(st.sampled_from(ENVIRONMENTS), unique=True, min_size=1)):
        enabled = draw(st.sampled_from(["true", "true", "false"]))
        target = "{serve: x}" if variations else "{percentage: 50}"
        if draw(st.booleans()):
            other = draw(st.sampled_from([*KEYS, "unmanaged"]))
            value = draw(st.sampled_from(["true", "true", "false", "x", "z"]))
            dependency = f"audience: {{all: [{{flag: {{key: {other}, is: {value}}}}}]}}"
            target = f"{{{dependency}, serve: x}}" if variations else f"{{{dependency}}}"
        lines.append(f"      {env}: {{enabled: {enabled}, targets: [{target}]}}")
    return "\n".join(lines) + "\n"


@st.composite
def _files(draw: st.DrawFn) -> list[str]:
    """Up to three files of flags with unique keys (now and then one declared twice), each
    depending or not on another (declared or not) in any environment."""
    keys = draw(st.permutations(KEYS))[: draw(st.integers(1, len(KEYS)))]
    if draw(st.integers(0, 9)) == 0:
        keys.append(keys[0])
    files: list[list[str]] = [[] for _ in range(draw(st.integers(1, 3)))]
    for key in keys:
        files[draw(st.integers(0, len(files) - 1))].append(draw(_flag_text(key)))
    return ["flags:\n" + "".join(flags) if flags else "flags: []\n" for flags in files]


@given(_files())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_reading_file_by_file_gives_what_reading_everything_together_gives(
    files: list[str],
) -> None:
    """Flags, or problems with their positions and order: the same either way, whatever the
    flags' dependencies across files, their environments and their variations."""
    with tempfile.TemporaryDirectory() as folder:
        lean, together = _both(_write(Path(folder), files))
    assert lean == together
