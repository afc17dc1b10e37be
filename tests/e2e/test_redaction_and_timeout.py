"""Credentials never reach output, whatever the road; a command that runs too long stops with
one clear error, printed last. Driven through the real `flagsync` command against small
hostile servers on 127.0.0.1 (a server that echoes the request, one that never answers)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

SECRET = "s3cr3t/+value=42"  # characters that URL- and JSON-encodings change

WORKSPACE = """\
provider: devcycle
project: demo
environments:
  production: {}
manifests: flags/
"""


class _Echo(BaseHTTPRequestHandler):
    """Answers 400 with a body that repeats the whole request, as some servers' errors do."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        echoed = self.rfile.read(length).decode("utf-8", "replace")
        said = (
            f"bad request: {self.command} {self.path} {echoed} "
            f"authorization={self.headers.get('authorization')}"
        )
        body = json.dumps({"message": said, "error_description": said, "statusCode": 400})
        body = body.encode()
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, *args: object) -> None:
        pass


class _Hang(BaseHTTPRequestHandler):
    """Never answers."""

    def do_GET(self) -> None:
        time.sleep(60)

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def echo_server() -> Iterator[str]:
    yield from _serve(_Echo)


@pytest.fixture
def hanging_server() -> Iterator[str]:
    yield from _serve(_Hang)


def _run(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    (folder / "flags").mkdir(exist_ok=True)
    (folder / "flagsync.yaml").write_text(WORKSPACE)
    (folder / "flags" / "a.yaml").write_text("flags:\n  - key: a\n")
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _leaks(text: str, secret: str) -> list[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    return [form for form in forms if form in text]


@pytest.mark.slow
def test_an_error_body_echoing_the_client_secret_is_redacted(
    tmp_path: Path, echo_server: str
) -> None:
    result = _run(
        tmp_path,
        {
            "DEVCYCLE_CLIENT_ID": "client",
            "DEVCYCLE_CLIENT_SECRET": SECRET,
            "DEVCYCLE_API_URL": echo_server,
            "DEVCYCLE_AUTH_URL": echo_server + "/oauth/token",
        },
        "plan",
        "--out",
        "plan.json",
    )
    assert result.returncode == 1
    assert "Error:" in result.stderr and "bad request" in result.stderr, result.stderr
    assert _leaks(result.stdout + result.stderr, SECRET) == []


@pytest.mark.slow
def test_a_token_echoed_by_the_api_is_redacted(tmp_path: Path, echo_server: str) -> None:
    result = _run(
        tmp_path,
        {"DEVCYCLE_API_TOKEN": SECRET, "DEVCYCLE_API_URL": echo_server},
        "plan",
    )
    assert result.returncode == 1
    assert "authorization=***" in result.stderr, result.stderr
    assert _leaks(result.stdout + result.stderr, SECRET) == []


@pytest.mark.slow
def test_url_userinfo_is_redacted_in_retries_and_errors(tmp_path: Path) -> None:
    with socket.socket() as probe:  # bound, not listening: refused, and no one else's
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        result = _run(
            tmp_path,
            {
                "DEVCYCLE_API_TOKEN": "token-value",
                "DEVCYCLE_API_URL": f"http://alice:pa55word@127.0.0.1:{port}",
            },
            "plan",
        )
    assert result.returncode == 1
    assert "retried" in result.stderr
    assert "pa55word" not in result.stdout + result.stderr
    assert f"http://***@127.0.0.1:{port}" in result.stderr


@pytest.mark.slow
def test_a_command_past_its_timeout_stops_with_the_error_last(
    tmp_path: Path, hanging_server: str
) -> None:
    started = time.monotonic()
    result = _run(
        tmp_path,
        {"DEVCYCLE_API_TOKEN": "token-value", "DEVCYCLE_API_URL": hanging_server},
        "--timeout",
        "2",
        "plan",
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: the command ran longer than its timeout (2 s)"), result.stderr
    assert elapsed < 2 + 10 + 5  # the timeout, the grace for busy threads, start-up


@pytest.mark.slow
def test_the_timeout_can_come_from_the_environment(tmp_path: Path, hanging_server: str) -> None:
    result = _run(
        tmp_path,
        {
            "DEVCYCLE_API_TOKEN": "token-value",
            "DEVCYCLE_API_URL": hanging_server,
            "FLAGSYNC_TIMEOUT": "1.5",
        },
        "plan",
    )
    assert result.returncode == 1
    assert "timeout (1.5 s)" in result.stderr.strip().splitlines()[-1]
