"""Loading a large workspace lets go of each manifest file once its flags are built: the
memory a load needs beyond the models it returns stays about one file's worth, however many
files there are (it held every file's data until the rules across files had run, about
112 MB per 10,000 DevCycle flags beside 61 MB of models). The flags it returns, and every
problem it reports, are what reading all files together gives."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.errors import ValidationFailed
from reconciler.manifest import loader, reading
from reconciler.manifest.provider_rules import rules_for

ENVIRONMENTS = ["development", "staging", "production"]
FLAGS_PER_FILE = 150


@dataclass
class Workspace:
    file: Path
    manifests: list[Path]
    environment_names: list[str] = field(default_factory=lambda: list(ENVIRONMENTS))
    provider: str = "devcycle"


def _flag(key: str) -> str:
    return f"""  - key: {key}
    description: "flag {key}"
    tags: [bench]
    variables: {{{key}-on: {{type: Boolean}}}}
    variations:
      - {{key: "on", values: {{{key}-on: true}}}}
      - {{key: "off", values: {{{key}-on: false}}}}
    environments:
      development: {{enabled: true, targets: [{{name: Everyone, serve: "on"}}]}}
      staging:
        enabled: true
        targets:
          - name: Staff
            audience: {{all: [{{email: {{ends_with: "@acme.com"}}}}]}}
            serve: "on"
          - {{name: Rest, serve: {{"on": 10, "off": 90}}}}
      production: {{enabled: false, targets: [{{name: Everyone, serve: "off"}}]}}
"""


def _workspace(folder: Path, files: int) -> Workspace:
    manifests = folder / "flags"
    manifests.mkdir(parents=True)
    for number in range(files):
        flags = "".join(_flag(f"f{number:03d}-{n:04d}") for n in range(FLAGS_PER_FILE))
        (manifests / f"flags-{number:03d}.yaml").write_text(f"flags:\n{flags}")
    (folder / "flagsync.yaml").write_text("provider: devcycle\n")
    return Workspace(file=folder / "flagsync.yaml", manifests=[manifests])


def load_overhead(workspace: Workspace) -> tuple[int, int]:
    """(bytes traced at the peak of the load beyond what its result holds, flags loaded);
    the PostHog file-by-file loading is measured the same way."""
    gc.collect()
    tracemalloc.start()
    try:
        pending = loader.PendingManifests(workspace)
        flags = loader.load_flags(workspace, pending)
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - held, len(flags.flags)


def test_loading_more_files_does_not_hold_more_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read in this process, file by file: what the loader holds, not how far the reading
    # workers read ahead of it (a few chunks, `test_manifest_reading`).
    monkeypatch.setattr(reading, "PARALLEL_MIN_BYTES", 1 << 40)
    loader.load_flags(_workspace(tmp_path / "warm", 1))  # imports and caches out of the count
    few, loaded_few = load_overhead(_workspace(tmp_path / "few", 2))
    many, loaded_many = load_overhead(_workspace(tmp_path / "many", 12))
    assert (loaded_few, loaded_many) == (2 * FLAGS_PER_FILE, 12 * FLAGS_PER_FILE)
    # Holding every file until the end made the overhead grow with the files (6x here).
    assert many < 2 * few, (
        f"{many / 1e6:.1f} MB beyond the models for 12 files, {few / 1e6:.1f} MB for 2"
    )


def test_the_lean_reading_builds_what_reading_everything_together_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _workspace(tmp_path, 3)
    lean = loader.load_flags(workspace)
    assert len(lean.flags) == 3 * FLAGS_PER_FILE
    monkeypatch.setattr(type(rules_for("devcycle")), "flags_checked_per_file", False)
    assert loader.load_flags(workspace) == lean


def test_a_key_declared_in_an_earlier_file_is_reported_as_reading_everything_reports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _workspace(tmp_path, 3)
    last = tmp_path / "flags" / "flags-002.yaml"
    last.write_text(last.read_text().replace("f002-0007", "f000-0003"))
    with pytest.raises(ValidationFailed) as lean:
        loader.load_flags(workspace)
    monkeypatch.setattr(type(rules_for("devcycle")), "flags_checked_per_file", False)
    with pytest.raises(ValidationFailed) as together:
        loader.load_flags(workspace)
    assert lean.value.problems == together.value.problems
    first, second = (str(problem) for problem in lean.value.problems)
    assert "flags-002.yaml:" in first and "flag key 'f000-0003' is already declared at" in first
    assert "variable key 'f000-0003-on' is already used by flag 'f000-0003' at" in second
