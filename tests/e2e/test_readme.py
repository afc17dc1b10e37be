"""The README's "First steps" run as written, for each vendor, so they cannot rot: every command
of its shell blocks runs in bash against the emulator the block itself starts (on a free port
instead of 8765), and exits as its `# exit code N` comment says (else 0)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
WAIT_FOR_EMULATOR = """
for _ in $(seq 100); do
  python3 -c 'import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=0.5)' \\
    "http://127.0.0.1:{port}/_emulator/stats" 2>/dev/null && break
  sleep 0.1
done
"""


def first_steps(vendor: str) -> list[str]:
    """The command lines of the README's First steps block for `vendor`."""
    section = README.split("## First steps", 1)[1].split("\n## ", 1)[0]
    part = section.split(f"### {vendor}", 1)[1]
    block = re.search(r"```sh\n(.*?)```", part, re.S)
    assert block is not None, f"no shell block under First steps / {vendor}"
    return [line for line in block.group(1).splitlines() if line.strip()]


@contextmanager
def _reserved_port() -> Iterator[int]:
    """A free port kept bound (not listening) with SO_REUSEADDR while the test runs: the
    emulator, which binds with SO_REUSEADDR too, may listen on it, and no other process's
    bind to port 0 is given it meanwhile (tests running in parallel under pytest-xdist)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", 0))
        yield int(probe.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("vendor", ["DevCycle", "PostHog"])
def test_first_steps_work_as_written(tmp_path: Path, vendor: str) -> None:
    with _reserved_port() as port:
        _first_steps_work_as_written(tmp_path, vendor, port)


def _first_steps_work_as_written(tmp_path: Path, vendor: str, port: int) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    for workspace in (tmp_path / "examples").glob("*/flagsync.yaml"):
        workspace.write_text(workspace.read_text().replace("8765", str(port)))
    lines = first_steps(vendor)
    script = ["set -u", f"export PATH={Path(sys.executable).parent}:$PATH"]
    expected: list[tuple[str, int]] = []
    for line in lines:
        command = line.replace("8765", str(port))
        if command.startswith("flagsync emulator"):
            command = command.replace("flagsync emulator", f"flagsync emulator --port {port}", 1)
            script += [command, "EMULATOR=$!", "trap 'kill $EMULATOR' EXIT"]
            script.append(WAIT_FOR_EMULATOR.format(port=port))
            continue
        script.append(command)
        if command.startswith("flagsync"):
            wanted = re.search(r"# exit code (\d)", command)
            expected.append((command, int(wanted.group(1)) if wanted else 0))
            script.append(f'echo "::exit $? {len(expected) - 1}"')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1"}
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    codes = {
        int(index): int(code) for code, index in re.findall(r"::exit (\d+) (\d+)", result.stdout)
    }
    assert len(codes) == len(expected), result.stdout + result.stderr
    for index, (command, code) in enumerate(expected):
        assert codes[index] == code, f"{command}\n{result.stdout}\n{result.stderr}"
    assert "No changes. The live state matches the manifests." in result.stdout


def test_the_who_gets_what_example_prints_what_the_readme_shows(tmp_path: Path) -> None:
    """The README's `flagsync eval` example, run on examples/posthog, prints the lines shown,
    and the example's flag tests pass."""
    section = README.split("## Who gets what", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"```sh\n(.*?)```", section, re.S)
    shown = re.search(r"```text\n(.*?)```", section, re.S)
    assert command is not None and shown is not None
    lines = command.group(1).strip().splitlines()
    assert lines[0] == "cd examples/posthog"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "NO_COLOR": "1"}
    result = subprocess.run(
        ["bash", "-c", lines[1]],
        cwd=REPO / "examples" / "posthog",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for line in shown.group(1).splitlines():
        if line.strip() != "...":
            assert line in result.stdout.splitlines(), f"{line}\n---\n{result.stdout}"
    tested = subprocess.run(
        ["flagsync", "test"], cwd=REPO / "examples" / "posthog", env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "checks passed" in tested.stdout


@pytest.mark.parametrize("vendor", ["devcycle", "posthog"])
def test_each_examples_flag_tests_pass_in_test_and_validate(vendor: str) -> None:
    """Both examples carry flag tests (the README points to them), and `flagsync test` and
    `flagsync validate` run them and pass."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "NO_COLOR": "1"}
    folder = REPO / "examples" / vendor
    for command in ("test", "validate"):
        result = subprocess.run(
            ["flagsync", command], cwd=folder, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "checks passed" in result.stdout, result.stdout
