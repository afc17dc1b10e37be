"""A list whose `next` link loops ends the command with a clear error instead of a hang. The
server here is deliberately broken (no vendor does this on purpose), so it is a plain HTTP
server, not the emulator."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli


class _Looping(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        base = f"http://127.0.0.1:{self.server.server_address[1]}{self.path.split('?')[0]}"
        body = {"count": 500, "results": [], "next": f"{base}?limit=100&offset=100"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def looping_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Looping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_looping_next_link_is_an_error_not_a_hang(tmp_path: Path, looping_server: str) -> None:
    (tmp_path / "flags").mkdir()
    (tmp_path / "flagsync.yaml").write_text(
        "provider: posthog\nenvironments:\n  staging: {project_id: 1}\nmanifests: flags/\n"
    )
    (tmp_path / "flags" / "flags.yaml").write_text(
        "flags:\n  - key: dark-mode\n    environments:\n      staging:\n        enabled: true\n"
        "        targets: [{percentage: 0}]\n"
    )
    cli = Cli(
        cwd=tmp_path,
        env={
            "PATH": "",
            "NO_COLOR": "1",
            "POSTHOG_PERSONAL_API_KEY": "phx_test_key",
            "POSTHOG_API_URL": looping_server,
        },
    )
    result = cli("plan")
    assert result.returncode == 1, result.stdout + result.stderr
    # The error names the list and says it never ends (an empty page that points on, or a
    # `next` that does not move past the page just read).
    assert "GET /api/projects/1/feature_flags/" in result.stderr
    assert "never end" in result.stderr
