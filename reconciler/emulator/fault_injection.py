"""Applying a `FaultConfig` to every vendor request: ASGI middleware around the whole app.

The middleware wraps the top-level app, so every vendor mount (including ones added later) gets
the same faults, and a fault answers before routing (an injected 503 never reaches a handler).
Control endpoints under `/_emulator/` are never faulted, so a test can always reconfigure the
emulator and read its counters.

Per request, in this order: latency, then a 5xx (`error_rate`), then a 429 (`throttle_rate`),
then the rate limiter, then the request runs (and, for a write, may lose its response). A
request answered by a fault is not processed and does not count against the rate limit.

Everything here runs on the server's event loop (requests and control endpoints alike), so the
counters and the limiter need no lock; a new config is swapped in as a whole.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .connection_drop import run_and_drop
from .fault_responses import SERVER_ERRORS, server_error, too_many_requests, vendor_of
from .faults import FaultConfig
from .rate_limit import SlidingWindowLimiter

CONTROL_PREFIX = "/_emulator/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class FaultStats:
    """Vendor requests seen (faulted or not) and each fault injected, since the last reset."""

    requests: int = 0
    latency: int = 0
    error: int = 0
    throttle: int = 0
    rate_limit: int = 0
    drop_after_write: int = 0

    def to_json(self) -> dict[str, Any]:
        """`{"requests": n, "faults": {"latency": n, ...}}`."""
        faults = asdict(self)
        return {"requests": faults.pop("requests"), "faults": faults}


class FaultInjector:
    """The live fault config with its random source, rate limiter and counters."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.stats = FaultStats()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Swap in a config. It starts afresh: empty rate-limit windows and, with a seed, the
        seed's random sequence from its beginning."""
        self.config = config
        self.active = config.active
        self.rng = random.Random(config.seed)
        windows = [
            (limit, seconds)
            for limit, seconds in (
                (config.rate_limit_per_minute, 60.0),
                (config.rate_limit_per_hour, 3600.0),
            )
            if limit is not None
        ]
        self.limiter = SlidingWindowLimiter(windows) if windows else None

    def reset_stats(self) -> None:
        self.stats = FaultStats()


class FaultMiddleware:
    """ASGI middleware injecting the injector's faults into vendor requests."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        injector = self.injector
        injector.stats.requests += 1
        if not injector.active:
            # The fast path: no faults configured costs one attribute check.
            await self.app(scope, receive, send)
            return
        await self._with_faults(scope, receive, send)

    async def _with_faults(self, scope: Scope, receive: Receive, send: Send) -> None:
        injector = self.injector
        # One config and one random source for the whole request, even if swapped meanwhile.
        config, rng, limiter = injector.config, injector.rng, injector.limiter
        delay_ms = config.latency_ms
        if config.latency_jitter_ms:
            delay_ms += rng.uniform(0, config.latency_jitter_ms)
        if delay_ms > 0:
            injector.stats.latency += 1
            await asyncio.sleep(delay_ms / 1000)
        vendor = vendor_of(scope["path"])
        if config.error_rate and rng.random() < config.error_rate:
            injector.stats.error += 1
            await server_error(vendor, rng.choice(SERVER_ERRORS))(scope, receive, send)
            return
        if config.throttle_rate and rng.random() < config.throttle_rate:
            injector.stats.throttle += 1
            header = _send_retry_after(config, rng)
            response = too_many_requests(vendor, config.retry_after_seconds, header)
            await response(scope, receive, send)
            return
        if limiter is not None:
            wait = limiter.acquire(_credential(scope))
            if wait is not None:
                injector.stats.rate_limit += 1
                header = _send_retry_after(config, rng)
                await too_many_requests(vendor, wait, header)(scope, receive, send)
                return
        if (
            config.drop_after_write_rate
            and scope["method"] in WRITE_METHODS
            and rng.random() < config.drop_after_write_rate
        ):
            injector.stats.drop_after_write += 1
            await run_and_drop(self.app, scope, receive, send)
            return
        await self.app(scope, receive, send)


def _send_retry_after(config: FaultConfig, rng: random.Random) -> bool:
    if config.retry_after == "random":
        return rng.random() < 0.5
    return config.retry_after == "always"


def _credential(scope: Scope) -> bytes:
    """The rate-limit key: a digest of the `Authorization` header (PostHog keys its throttle
    cache by the hashed API key), so no credential is kept in memory. Requests without one
    share a single anonymous bucket."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return hashlib.sha256(value).digest()
    return b""
