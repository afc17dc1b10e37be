"""Reading many manifest files in worker processes must give exactly what reading them one by
one gives: the same documents, the same located problems, in file order, whatever happens to
the workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import Problem
from reconciler.manifest import reading
from reconciler.manifest.reading import PendingReads, chunks, read_files
from reconciler.manifest.source import Document

REPO = Path(__file__).resolve().parents[1]


@given(
    st.lists(st.integers(min_value=0, max_value=3_000_000), max_size=60),
    st.integers(min_value=1, max_value=8),
)
def test_chunks_keep_every_file_once_and_in_order(sizes: list[int], workers: int) -> None:
    files = [(Path(f"f{index}.yaml"), f"f{index}.yaml", size) for index, size in enumerate(sizes)]
    parts = chunks(files, workers)
    assert [path for part in parts for path, _ in part] == [path for path, _, _ in files]
    assert all(parts), "no empty chunk is sent to a worker"
    target = reading.chunk_size(sum(sizes), workers)
    size = {path: bytes_ for path, _, bytes_ in files}
    for index, part in enumerate(parts):
        filled = [size[path] for path, _ in part]
        assert sum(filled[:-1]) < target, "a chunk is closed as soon as it is big enough"
        if index < len(parts) - 1:
            assert sum(filled) >= target, "only the last chunk may be small"


def test_a_large_workspace_of_even_files_keeps_every_core_busy() -> None:
    files = [(Path(f"f{index}.yaml"), f"f{index}.yaml", 60_000) for index in range(100)]
    assert len(chunks(files, 2)) >= 2
    assert len(chunks(files, 4)) >= 4


def _workspace_files(folder: Path) -> list[tuple[Path, str]]:
    """Good files, a file with a syntax error, a missing file and an empty one."""
    files = []
    for index in range(12):
        path = folder / f"flags-{index:02d}.yaml"
        flags = "\n".join(
            f'  - key: flag-{index}-{n}\n    description: "#{n}"\n    tags: [a, b]'
            for n in range(40)
        )
        path.write_text(f"flags:\n{flags}\n")
        files.append(path)
    (folder / "broken.yaml").write_text("flags:\n  - key: ok\n   bad: [unclosed\n")
    (folder / "empty.yaml").write_text("# nothing declared yet\n")
    files[5:5] = [folder / "broken.yaml", folder / "missing.yaml", folder / "empty.yaml"]
    return [(path, path.name) for path in files]


def _outcomes(items: list[Document | Problem]) -> list[object]:
    return [item if isinstance(item, Problem) else (item.name, item.data) for item in items]


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several chunks even for these small files, so results come from several workers."""
    monkeypatch.setattr(reading, "CHUNK_MIN_BYTES", 1)


def test_workers_read_what_one_process_reads(tmp_path: Path) -> None:
    files = _workspace_files(tmp_path)
    expected = _outcomes(read_files(files))
    assert any(isinstance(item, Problem) for item in expected)
    pending = PendingReads(files, workers=2)
    assert pending.in_workers
    assert _outcomes(list(pending.results())) == expected


def test_a_problem_found_by_a_worker_points_at_its_line(tmp_path: Path) -> None:
    files = _workspace_files(tmp_path)
    read = list(PendingReads(files, workers=2).results())
    problems = [item for item in read if isinstance(item, Problem)]
    assert [p.file for p in problems] == ["broken.yaml", "missing.yaml"]
    assert problems[0].line == 3 and "invalid YAML" in problems[0].message
    assert "cannot read" in problems[1].message
    # Positions of a document read by a worker are found again from its text.
    document = next(item for item in read if isinstance(item, Document) and item.data)
    assert document.locate(["flags", 1, "tags"]) == (7, 11)


COMMAND = os.getpid()


def dies_in_a_worker(part: list[tuple[Path, str]]) -> list[Document | Problem]:
    """`read_files`, except that the worker given flags-08.yaml dies."""
    if os.getpid() != COMMAND and any(name == "flags-08.yaml" for _, name in part):
        os._exit(9)  # as if killed by the out-of-memory killer
    return read_files(part)


def test_a_worker_that_dies_costs_time_not_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _workspace_files(tmp_path)
    expected = _outcomes(read_files(files))
    monkeypatch.setattr(reading, "read_files", dies_in_a_worker)
    pending = PendingReads(files, workers=2)
    assert pending.in_workers
    assert _outcomes(list(pending.results())) == expected


def test_small_workspaces_and_threaded_processes_read_in_process(tmp_path: Path) -> None:
    files = _workspace_files(tmp_path)
    assert not PendingReads(files).in_workers  # far below the size where workers pay off
    script = (
        "import threading, time\n"
        "from reconciler.manifest import reading\n"
        "threading.Thread(target=time.sleep, args=(1,), daemon=True).start()\n"
        "print(reading.worker_count(50_000_000))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "0", "no fork once another thread runs"


def _large_workspace(folder: Path, files: int, flags_per_file: int) -> None:
    """Over `PARALLEL_MIN_BYTES` of manifests, the size at which flagsync reads in workers."""
    (folder / "flags").mkdir()
    (folder / "flagsync.yaml").write_text(
        "provider: devcycle\nproject: demo\nenvironments: {development: {}, production: {}}\n"
    )
    for file in range(files):
        entries = []
        for index in range(flags_per_file):
            key = f"flag-{file:03d}-{index:03d}"
            entries.append(
                f"  - key: {key}\n"
                f"    description: {'padding to make the files large ' * 3!r}\n"
                f"    variables: {{{key}: {{type: Boolean}}}}\n"
                f"    variations:\n"
                f"      - {{key: 'on', values: {{{key}: true}}}}\n"
                f"      - {{key: 'off', values: {{{key}: false}}}}\n"
                f"    environments:\n"
                f"      production: {{enabled: true, targets: [{{name: All, serve: 'on'}}]}}\n"
            )
        (folder / "flags" / f"part-{file:03d}.yaml").write_text("flags:\n" + "".join(entries))


def _validate(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "validate"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_the_cli_reads_a_large_workspace_in_workers_and_reports_like_one_process(
    tmp_path: Path,
) -> None:
    _large_workspace(tmp_path, files=40, flags_per_file=70)
    size = sum(path.stat().st_size for path in (tmp_path / "flags").iterdir())
    assert size > reading.PARALLEL_MIN_BYTES
    done = _validate(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "OK: 2800 flags valid" in done.stdout
    # A flag declared twice, the second time in a file a later worker reads: the problem
    # names the later place, exactly as a sequential read would.
    last = tmp_path / "flags" / "part-039.yaml"
    last.write_text(last.read_text().replace("key: flag-039-069", "key: flag-000-000", 1))
    failed = _validate(tmp_path)
    assert failed.returncode == 1
    line = next(
        number
        for number, text in enumerate(last.read_text().splitlines(), start=1)
        if "key: flag-000-000" in text
    )
    assert f"flags/part-039.yaml:{line}:" in failed.stderr + failed.stdout
    assert "flag-000-000" in failed.stderr + failed.stdout


READ_LOG: list[Path] = []
"""Where `logs_each_chunk` notes the chunks the workers read (set before they are forked)."""


def logs_each_chunk(part: list[tuple[Path, str]]) -> list[Document | Problem]:
    """`read_files`, noting in a file each chunk a worker was given."""
    (READ_LOG[0] / part[0][1]).touch()
    return _read_files(part)


_read_files = read_files


def test_workers_read_only_a_few_chunks_ahead_of_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parsed data waiting for the loader stays a few chunks' worth however many files
    there are (every chunk was given to the workers at once, and waited whole when the loader
    was the slower: most of a huge workspace's data)."""
    (tmp_path / "files").mkdir()
    files = _workspace_files(tmp_path / "files")
    log = tmp_path / "log"
    log.mkdir()
    monkeypatch.setattr(reading, "read_files", logs_each_chunk)
    monkeypatch.setattr(sys.modules[__name__], "READ_LOG", [log])
    expected = _outcomes(_read_files(files))
    pending = PendingReads(files, workers=2)
    given_out = len(reading.chunks([(p, n, reading._size(p)) for p, n in files], 2))
    window = 2 * reading.CHUNKS_AHEAD
    assert given_out > window + 1, "enough chunks to see the bound"
    results = pending.results()
    taken = [next(results)]
    time.sleep(1.0)  # a loader slower than the workers: they read all they were given
    assert len(list(log.iterdir())) <= window + 1
    taken += list(results)
    assert _outcomes(taken) == expected
    assert len(list(log.iterdir())) == given_out
