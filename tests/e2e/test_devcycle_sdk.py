"""The vendor's own SDK judges flagsync: after `flagsync apply` of examples/devcycle, DevCycle's
official server SDK (its WASM bucketing, fed by the emulator's config CDN) gives users what the
manifests say. Each expectation comes from the manifest text, not from the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.emulator_sdk.conftest import sdk_client, server_key, user

pytest.importorskip("devcycle_python_sdk")


@pytest.fixture
def applied(example: Cli, api: httpx.Client, emulator: EmulatorServer) -> Iterator[dict[str, Any]]:
    result = example("apply", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    with ExitStack() as stack:
        yield {
            env: stack.enter_context(sdk_client(emulator, server_key(api, "demo", env)))
            for env in ("staging", "production")
        }


@pytest.mark.slow
def test_staff_get_the_redesign_and_ten_percent_of_everyone_else(applied: dict[str, Any]) -> None:
    production = applied["production"]
    # checkout.yaml, production: Staff (email ends with @acme.com) -> redesign (v2)
    for name in ("jane", "omar", "li"):
        staff = user(name, email=f"{name}@acme.com")
        assert production.variable_value(staff, "checkout-version", "none") == "v2"
    # ... Everyone else: classic 90 / redesign 10
    served = [
        production.variable_value(
            user(f"user-{i}", email=f"user-{i}@example.com"), "checkout-version", "none"
        )
        for i in range(400)
    ]
    assert set(served) == {"v1", "v2"}
    assert 0.03 <= served.count("v2") / len(served) <= 0.2


@pytest.mark.slow
def test_beta_testers_by_custom_data_or_id_in_staging_only(applied: dict[str, Any]) -> None:
    staging, production = applied["staging"], applied["production"]
    # mobile.yaml, offline-sync, staging: custom beta is true OR user_id is user-1/user-2 -> granted
    for beta in (user("ann", customData={"beta": True}), user("user-2")):
        served = staging.variable(beta, "offline-sync-enabled", False)
        assert (served.value, served.isDefaulted) == (True, False)
    # ... Everyone else -> denied
    served = staging.variable(user("bob"), "offline-sync-enabled", True)
    assert (served.value, served.isDefaulted) == (False, False)
    # not declared in production: off there, so the code's default applies
    assert production.variable(user("user-2"), "offline-sync-enabled", False).isDefaulted


@pytest.mark.slow
def test_pro_prospects_split_by_number_and_string_custom_data(applied: dict[str, Any]) -> None:
    production = applied["production"]
    # pricing.yaml, production: plan in (free, trial) AND seats >= 5 -> control 50 / banner 50
    discounts = [
        production.variable_value(
            user(f"p-{i}", customData={"plan": "trial", "seats": 5 + i % 3}), "pricing-discount", -1
        )
        for i in range(300)
    ]
    assert set(discounts) == {0, 15}
    assert 0.35 <= discounts.count(15) / len(discounts) <= 0.65
    # too few seats, or a paying plan: not in the experiment -> the code's default
    assert (
        production.variable_value(
            user("small", customData={"plan": "free", "seats": 4}), "pricing-discount", -1
        )
        == -1
    )
    assert (
        production.variable_value(
            user("paying", customData={"plan": "pro", "seats": 50}), "pricing-discount", -1
        )
        == -1
    )


@pytest.mark.slow
def test_disabled_flag_serves_the_default(applied: dict[str, Any]) -> None:
    # pricing.yaml: maintenance-banner is off in every environment
    for client in applied.values():
        assert (
            client.variable_value(user("anyone"), "maintenance-message", "fallback") == "fallback"
        )
