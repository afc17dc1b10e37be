"""After `flagsync apply`, the official `posthog` SDK evaluates the flags locally (against the
emulator's definitions) exactly as the manifests in examples/posthog say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import EmulatorServer
from reconciler.emulator.posthog import (
    PERSONAL_API_KEY,
    PRODUCTION_PROJECT_API_KEY,
    STAGING_PROJECT_API_KEY,
)
from tests.e2e.posthog_support import posthog_example

posthog = pytest.importorskip("posthog")
# posthog 7.x deprecates `personal_api_key` and the per-flag getters; they are what deployed
# code calls, so they are what this test exercises.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STAFF = {"email": "jane@acme.com"}
CUSTOMER = {"email": "joe@example.org"}


class Sdk:
    """One project's SDK client, evaluating only locally."""

    def __init__(self, host: str, project_key: str) -> None:
        self.client = posthog.Posthog(
            project_key,
            personal_api_key=PERSONAL_API_KEY,
            host=host,
            poll_interval=3600,
            disable_geoip=True,
            send=False,
        )
        self.client.load_feature_flags()

    def flag(self, key: str, person: dict[str, Any], distinct_id: str = "user-1") -> Any:
        return self.client.get_feature_flag(
            key,
            distinct_id,
            person_properties=person,
            only_evaluate_locally=True,
            send_feature_flag_events=False,
        )

    def payload(self, key: str, person: dict[str, Any], value: Any) -> Any:
        found = self.client.get_feature_flag_payload(
            key,
            "user-1",
            match_value=value,
            person_properties=person,
            only_evaluate_locally=True,
            send_feature_flag_events=False,
        )
        return json.loads(found) if isinstance(found, str) else found


@pytest.fixture
def applied(tmp_path: Path, emulator: EmulatorServer) -> str:
    example = posthog_example(tmp_path, emulator)
    result = example("apply", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    return emulator.url


def test_users_get_what_the_manifests_say(applied: str) -> None:
    staging = Sdk(applied, STAGING_PROJECT_API_KEY)
    production = Sdk(applied, PRODUCTION_PROJECT_API_KEY)
    try:
        # an @acme.com email gets `treatment`, with its payload, in both projects
        for sdk in (staging, production):
            assert sdk.flag("checkout-button", STAFF) == "treatment"
            assert sdk.payload("checkout-button", STAFF, "treatment") == {
                "colour": "#22aa44",
                "label": "Buy now",
            }
        # everyone else is split between the two variants
        seen = {staging.flag("checkout-button", CUSTOMER, f"user-{n}") for n in range(200)}
        assert seen == {"control", "treatment"}
        # a 0 % rollout gives false
        assert staging.flag("dark-mode", STAFF) is False
        # promotion: everyone in staging, staff and ~10 % in production
        assert all(staging.flag("new-checkout", CUSTOMER, f"u{n}") for n in range(50))
        assert production.flag("new-checkout", STAFF) is True
        rollout = [production.flag("new-checkout", CUSTOMER, f"u{n}") for n in range(1000)]
        assert 50 < sum(rollout) < 150
        assert staging.payload("new-checkout", CUSTOMER, True) == {"checkout_version": 2}
        # a cohort, by name, in each project
        beta = {"email": "ann@beta.example.com"}
        assert staging.flag("beta-dashboard", beta) is True
        assert production.flag("beta-dashboard", beta) is True
        assert staging.flag("beta-dashboard", CUSTOMER) is False
        # a dependent flag follows its parent
        paid = {"country": "DE", "plan": "pro"}
        parent = [staging.flag("new-onboarding", paid, f"p{n}") for n in range(200)]
        child = [staging.flag("onboarding-checklist", paid, f"p{n}") for n in range(200)]
        assert child == parent
        assert True in parent and False in parent  # 50 % of the matching users
        assert staging.flag("onboarding-checklist", {"country": "US", "plan": "pro"}) is False
    finally:
        staging.client.shutdown()
        production.client.shutdown()
