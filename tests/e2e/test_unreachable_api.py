"""Failing fast on what retrying cannot fix: an unreachable API is retried once (one round of
backoff), not once per concurrent download, and its error is said once, last; a URL that is not
a URL is refused at once, naming where it came from."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

WORKSPACE = "provider: devcycle\nproject: demo\nenvironments:\n  staging: {}\nmanifests: flags/\n"
MANIFEST = """\
flags:
  - key: dark-mode
    variables:
      dark-mode: {type: Boolean}
    variations:
      - {key: on, values: {dark-mode: true}}
      - {key: off, values: {dark-mode: false}}
"""


@contextmanager
def _closed_port() -> Iterator[int]:
    """A port that refuses connections: bound (so no other process can listen on it while the
    test runs, also under pytest-xdist) but not listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield int(probe.getsockname()[1])


def _cli(tmp_path: Path, api_url: str, manifest: str = MANIFEST) -> Cli:
    (tmp_path / "flags").mkdir()
    (tmp_path / "flagsync.yaml").write_text(WORKSPACE)
    (tmp_path / "flags" / "flags.yaml").write_text(manifest)
    return Cli(
        cwd=tmp_path,
        env={
            "PATH": "",
            "NO_COLOR": "1",
            "DEVCYCLE_CLIENT_ID": "id",
            "DEVCYCLE_CLIENT_SECRET": "secret-value",
            "DEVCYCLE_API_URL": api_url,
            "DEVCYCLE_AUTH_URL": f"{api_url}/oauth/token",
        },
    )


@pytest.mark.slow
def test_an_unreachable_api_is_retried_once_and_reported_last(tmp_path: Path) -> None:
    with _closed_port() as port:
        cli = _cli(tmp_path, f"http://127.0.0.1:{port}")
        started = time.monotonic()
        result = cli("plan")
        took = time.monotonic() - started
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert "connection refused" in lines[-1] and lines[-1].startswith("Error:")
    assert sum("Error:" in line for line in lines) == 1
    assert sum("retried" in line for line in lines) <= 5  # one request's retries, not five
    assert took < 25, took


@pytest.mark.parametrize("url", ["not-a-url", "ftp://example.com", "https://"])
def test_a_malformed_url_is_refused_at_once_naming_the_variable(tmp_path: Path, url: str) -> None:
    result = _cli(tmp_path, url)("plan")
    assert result.returncode == 1
    assert f"DEVCYCLE_API_URL: {url!r} is not a URL" in result.stderr
    assert "retried" not in result.stderr


@pytest.mark.slow
def test_a_malformed_workspace_url_names_the_workspace_field(tmp_path: Path) -> None:
    cli = _cli(tmp_path, "http://127.0.0.1:1")
    (tmp_path / "flagsync.yaml").write_text(WORKSPACE + "api_url: api.devcycle.com\n")
    del cli.env["DEVCYCLE_API_URL"]
    result = cli("plan")
    assert result.returncode == 1
    assert "flagsync.yaml:6:10: api_url: 'api.devcycle.com' is not a URL" in result.stderr
    assert "key" not in result.stderr


@pytest.mark.slow
def test_invalid_manifests_with_an_unreachable_api_end_with_the_manifest_problems(
    tmp_path: Path,
) -> None:
    with _closed_port() as port:
        cli = _cli(tmp_path, f"http://127.0.0.1:{port}", MANIFEST + "    nme: typo\n")
        result = cli("plan")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert "problem" in lines[-1], result.stderr
    assert not any("retried" in line for line in lines)
