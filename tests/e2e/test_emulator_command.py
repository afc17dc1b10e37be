"""`flagsync emulator` announces itself only once it serves: a taken port or a corrupt state
file is one clear error (exit 1) and no "ready" banner a script could believe."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _emulator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "", "NO_COLOR": "1"},
    )


@pytest.mark.slow
def test_a_taken_port_is_an_error_without_a_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = _emulator("--port", str(port))
    assert result.returncode == 1
    assert "Emulators on" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr


@pytest.mark.slow
def test_a_corrupt_state_file_is_an_error_without_a_banner(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{not json")
    result = _emulator("--port", "0", "--state", str(state))
    assert result.returncode == 1
    assert "Emulators on" not in result.stderr
    assert "not valid JSON" in result.stderr
