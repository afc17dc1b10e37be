"""The official `posthog` SDK, evaluating locally against the emulator over real HTTP.

The flags are created through the management API on a real uvicorn server (127.0.0.1, a free
port, a background thread stopped at the end); the SDK then polls the definitions with the
personal API key and evaluates with `only_evaluate_locally=True`. If the emulator's definitions
differed from PostHog's in anything the SDK relies on (payload encoding, cohort trees, flag
dependency chains, inactive flags), these answers would differ from the manifest's intent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.emulator.posthog import (
    PERSONAL_API_KEY,
    STAGING_PROJECT_API_KEY,
    PostHogState,
    posthog_routes,
)

posthog = pytest.importorskip("posthog")

# posthog 7.x deprecates `personal_api_key` (now `secret_key`) and the per-flag getters in favour
# of `evaluate_flags`; they are still the calls most deployed code makes, so they are what this
# test exercises.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ACME = {"email": "jane@acme.com"}
OTHER = {"email": "joe@example.org"}
BETA = {"email": "ann@beta.example.com"}


class Recorder:
    """ASGI middleware noting (method, path, status) of every request the server answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.calls: list[tuple[str, str, int]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.calls.append((scope["method"], scope["path"], message["status"]))
            await send(message)

        await self.app(scope, receive, record)


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder(Starlette(routes=posthog_routes(PostHogState.seeded())))
    config = uvicorn.Config(recorder, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = instance.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", recorder
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


def _person(key: str, operator: str, value: Any) -> dict[str, Any]:
    return {"key": key, "type": "person", "operator": operator, "value": value}


def _create_flags(api: httpx.Client) -> None:
    def create(key: str, filters: dict[str, Any], **extra: Any) -> dict[str, Any]:
        response = api.post(
            "/api/projects/1/feature_flags/", json={"key": key, "filters": filters, **extra}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    create("zero-rollout", {"groups": [{"properties": [], "rollout_percentage": 0}]})
    acme = create(
        "acme-only",
        {
            "groups": [
                {
                    "properties": [_person("email", "icontains", "@acme.com")],
                    "rollout_percentage": 100,
                }
            ]
        },
    )
    create(
        "checkout-colour",
        {
            "groups": [
                {
                    "properties": [_person("email", "icontains", "@acme.com")],
                    "rollout_percentage": 100,
                    "variant": "blue",
                },
                {"properties": [], "rollout_percentage": 100},
            ],
            "multivariate": {
                "variants": [
                    {"key": "control", "rollout_percentage": 50},
                    {"key": "blue", "rollout_percentage": 50},
                ]
            },
            "payloads": {"blue": {"hex": "#00f"}},
        },
    )
    dependency = {
        "key": str(acme["id"]),
        "type": "flag",
        "operator": "flag_evaluates_to",
        "value": True,
    }
    create("needs-acme", {"groups": [{"properties": [dependency], "rollout_percentage": 100}]})
    beta = {"key": "id", "type": "cohort", "value": 11}
    create("beta-cohort", {"groups": [{"properties": [beta], "rollout_percentage": 100}]})
    create(
        "switched-off", {"groups": [{"properties": [], "rollout_percentage": 100}]}, active=False
    )


def test_sdk_evaluates_emulator_flags_locally(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {PERSONAL_API_KEY}"}) as api:
        _create_flags(api)

    sdk = posthog.Posthog(
        STAGING_PROJECT_API_KEY,
        personal_api_key=PERSONAL_API_KEY,
        host=url,
        poll_interval=3600,
        disable_geoip=True,
        send=False,
    )
    try:
        sdk.load_feature_flags()

        def flag(key: str, person: dict[str, Any], distinct_id: str = "user-1") -> Any:
            return sdk.get_feature_flag(
                key,
                distinct_id,
                person_properties=person,
                only_evaluate_locally=True,
                send_feature_flag_events=False,
            )

        assert flag("zero-rollout", ACME) is False
        assert flag("acme-only", ACME) is True
        assert flag("acme-only", OTHER) is False
        assert flag("checkout-colour", ACME) == "blue"
        assert flag("checkout-colour", OTHER) in ("control", "blue")
        payload = sdk.get_feature_flag_payload(
            "checkout-colour",
            "user-1",
            match_value="blue",
            person_properties=ACME,
            only_evaluate_locally=True,
            send_feature_flag_events=False,
        )
        assert (json.loads(payload) if isinstance(payload, str) else payload) == {"hex": "#00f"}
        assert flag("needs-acme", ACME) is True
        assert flag("needs-acme", OTHER) is False
        assert flag("beta-cohort", BETA) is True
        assert flag("beta-cohort", OTHER) is False
        assert flag("switched-off", ACME) is False

        sdk.load_feature_flags()  # polls again with the ETag it got
    finally:
        sdk.shutdown()

    definitions = [
        status for method, path, status in recorder.calls if path == "/flags/definitions"
    ]
    assert definitions == [200, 304]


def test_sdk_holds_out_the_users_of_an_experiment_holdout(server: tuple[str, Recorder]) -> None:
    """A 100 % holdout sends every user to its `holdout-<id>` variant; a 0 % one nobody."""
    url, _ = server
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {PERSONAL_API_KEY}"}) as api:
        ids = {}
        for name, percentage, key in (("All", 100, "held-exp"), ("None", 0, "open-exp")):
            holdout = api.post(
                "/api/projects/1/experiment_holdouts/",
                json={
                    "name": name,
                    "filters": [{"properties": [], "rollout_percentage": percentage}],
                },
            ).json()
            ids[key] = holdout["id"]
            experiment = api.post(
                "/api/projects/1/experiments/",
                json={"name": key, "feature_flag_key": key, "holdout_id": holdout["id"]},
            ).json()
            api.post(f"/api/projects/1/experiments/{experiment['id']}/launch/")

    sdk = posthog.Posthog(
        STAGING_PROJECT_API_KEY,
        personal_api_key=PERSONAL_API_KEY,
        host=url,
        poll_interval=3600,
        disable_geoip=True,
        send=False,
    )
    try:
        sdk.load_feature_flags()
        for user in ("user-1", "user-2", "user-3"):
            held = sdk.get_feature_flag(
                "held-exp", user, only_evaluate_locally=True, send_feature_flag_events=False
            )
            assert held == f"holdout-{ids['held-exp']}"
            served = sdk.get_feature_flag(
                "open-exp", user, only_evaluate_locally=True, send_feature_flag_events=False
            )
            assert served in ("control", "test")
    finally:
        sdk.shutdown()
