"""Which faults the emulator injects: the `FaultConfig` and its validation.

flagsync's retries, backoff, rate-limit handling and idempotency only matter when the vendor
misbehaves, which a faithful emulator never does by itself. A `FaultConfig` says how it should
misbehave; `fault_injection` applies it to every vendor request. The same validation serves the
constructor, the control endpoint (`PUT /_emulator/faults`) and the CLI, so a bad value is
refused with the same message wherever it comes from.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, cast

RetryAfter = Literal["always", "never", "random"]
RETRY_AFTER_CHOICES: tuple[RetryAfter, ...] = ("always", "never", "random")
RATES = ("error_rate", "throttle_rate", "drop_after_write_rate")
DURATIONS = ("latency_ms", "latency_jitter_ms", "retry_after_seconds")
LIMITS = ("rate_limit_per_minute", "rate_limit_per_hour")


@dataclass(frozen=True)
class FaultConfig:
    """How the emulated vendor misbehaves; the default misbehaves in no way.

    - `latency_ms` (+ a uniform `0..latency_jitter_ms`) delays every vendor request.
    - `error_rate`: share of requests answered 502, 503 or 504 without being processed.
    - `throttle_rate`: share of requests answered 429 without being processed.
    - `retry_after`: whether a 429 carries `Retry-After` (`retry_after_seconds` for
      `throttle_rate` 429s; the real wait for rate-limit 429s).
    - `rate_limit_per_minute` / `rate_limit_per_hour`: a sliding-window limit per credential.
    - `drop_after_write_rate`: share of writes that commit but whose response never arrives.
    - `seed`: makes every random choice reproducible for a given sequence of requests.

    Frozen: a running emulator swaps whole configs, so a request never sees half of one.
    Raises ValueError naming the field when a value is out of range.
    """

    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after: RetryAfter = "always"
    retry_after_seconds: float = 1.0
    rate_limit_per_minute: int | None = None
    rate_limit_per_hour: int | None = None
    drop_after_write_rate: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in DURATIONS:
            value = _number(name, getattr(self, name))
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
            object.__setattr__(self, name, value)  # JSON `1` reads back as `1.0`
        for name in RATES:
            value = _number(name, getattr(self, name))
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
            object.__setattr__(self, name, value)
        for name in LIMITS:
            limit = getattr(self, name)
            if limit is not None and (not _is_int(limit) or limit < 1):
                raise ValueError(f"{name} must be a positive integer or null, got {limit!r}")
        if self.retry_after not in RETRY_AFTER_CHOICES:
            choices = ", ".join(RETRY_AFTER_CHOICES)
            raise ValueError(f"retry_after must be one of {choices}, got {self.retry_after!r}")
        if self.seed is not None and not _is_int(self.seed):
            raise ValueError(f"seed must be an integer or null, got {self.seed!r}")

    @property
    def active(self) -> bool:
        """Whether any fault can happen; when not, requests take the fast path untouched."""
        return bool(
            self.latency_ms
            or self.latency_jitter_ms
            or self.error_rate
            or self.throttle_rate
            or self.drop_after_write_rate
            or self.rate_limit_per_minute is not None
            or self.rate_limit_per_hour is not None
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> FaultConfig:
        """A config from a JSON object with these field names; missing fields take defaults.

        Raises ValueError for anything else (not an object, unknown field, wrong value)."""
        if not isinstance(data, dict):
            raise ValueError("the fault config must be a JSON object")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(unknown)}; known: {', '.join(known)}")
        return cls(**cast(dict[str, Any], data))


def _is_int(value: Any) -> bool:
    """An integer that is not a bool (JSON `true` must not pass as 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _number(name: str, value: Any) -> float:
    """A finite int or float (not a bool, not NaN); JSON `"0.5"` is refused, not coerced."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)
