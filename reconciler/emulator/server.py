"""Serving the emulator: in a background thread (tests, embedding) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn

from .app import create_app
from .config import EmulatorConfig

START_TIMEOUT = 10.0


def _listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket (port 0: the OS picks one).

    The protocol is given explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
    `proto` is IPPROTO_TCP, and without it every keep-alive response waits ~40 ms for the
    client's delayed ACK.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(128)
    return sock


class EmulatorServer:
    """Runs the app with uvicorn in a background thread; for tests and `flagsync emulator`.

    The listening socket is bound by `start()` itself, so `url` carries the real port even when
    `port=0` asked the OS to pick one.
    """

    def __init__(
        self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or EmulatorConfig()
        self.host = host
        self.port = port
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def start(self) -> EmulatorServer:
        """Start serving; returns once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the emulator server is already running")
        app = create_app(self.config)
        sock = _listening_socket(self.host, self.port)
        self._socket = sock
        self.port = sock.getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="flagsync-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive():
                self._cleanup()
                raise RuntimeError("the emulator server stopped while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator server did not start in time")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the server thread to finish."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._server = None
        self._thread = None
        self._socket = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(
    config: EmulatorConfig,
    host: str = "127.0.0.1",
    port: int = 8765,
    on_ready: Callable[[int], None] | None = None,
) -> None:
    """Serve in the foreground until interrupted (the `flagsync emulator` command).

    The state is loaded and the port bound before `on_ready` hears the port: a banner printed
    there never announces an emulator that then fails (a corrupt state file, a taken port),
    and a script waiting for it never talks to another program on that port. A taken port is
    an `OSError` naming it.
    """
    app = create_app(config)
    try:
        sock = _listening_socket(host, port)
    except OSError as error:
        raise OSError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    if on_ready is not None:
        on_ready(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    server.run(sockets=[sock])
