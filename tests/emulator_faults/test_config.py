"""`FaultConfig`: defaults, validation, JSON round trip (no server needed)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.emulator import EmulatorConfig, FaultConfig


def test_default_is_no_faults() -> None:
    assert EmulatorConfig().faults == FaultConfig()
    assert not FaultConfig().active
    assert FaultConfig(rate_limit_per_hour=10).active
    assert FaultConfig(latency_jitter_ms=5).active


def test_json_round_trip_normalizes_numbers() -> None:
    config = FaultConfig.from_json({"error_rate": 1, "latency_ms": 20, "seed": 7})
    assert config.error_rate == 1.0 and isinstance(config.error_rate, float)
    assert FaultConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"error_rate": 1.5}, "error_rate must be between 0 and 1"),
        ({"throttle_rate": -0.1}, "throttle_rate must be between 0 and 1"),
        ({"drop_after_write_rate": "0.5"}, "drop_after_write_rate must be a finite number"),
        ({"latency_ms": -1}, "latency_ms must be >= 0"),
        ({"latency_ms": float("nan")}, "latency_ms must be a finite number"),
        ({"latency_jitter_ms": True}, "latency_jitter_ms must be a finite number"),
        ({"rate_limit_per_minute": 0}, "rate_limit_per_minute must be a positive integer"),
        ({"rate_limit_per_hour": 2.5}, "rate_limit_per_hour must be a positive integer"),
        ({"retry_after": "sometimes"}, "retry_after must be one of always, never, random"),
        ({"seed": "abc"}, "seed must be an integer or null"),
        ({"error_rat": 0.5}, "unknown field(s): error_rat"),
        ([], "the fault config must be a JSON object"),
    ],
)
def test_bad_values_are_refused_by_name(data: Any, message: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        FaultConfig.from_json(data)
    assert message in str(excinfo.value)
