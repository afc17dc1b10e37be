"""What the SDK serves as a feature's state changes: environments off, completion, archiving,
SDK visibility, rollouts, and a change applied while an application is running.

As in test_targeting.py, each expectation is the manifest's meaning: an environment that is
not enabled serves the code's default, a completed feature serves its static variation to
everyone, a rollout that has not started lets users fall through to the next target.
"""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from reconciler.emulator import EmulatorServer

from .conftest import (
    Body,
    all_of,
    create_feature,
    one_variable_feature,
    sdk_client,
    server_key,
    target,
    update_feature,
    user,
    user_filter,
)

pytest.importorskip("devcycle_python_sdk")

POLL_MS = 100
CHANGE_TIMEOUT = 5.0
ROLLOUT_USERS = 400


def checkout(configurations: dict[str, Body], **extra: object) -> Body:
    return one_variable_feature(
        "new-checkout", "String", {"classic": "v1", "redesign": "v2"}, configurations, **extra
    )


def served(client: object, user_id: str = "u", key: str = "new-checkout") -> str | None:
    """The value the SDK serves, or None when it falls back to the code's default."""
    variable = client.variable(user(user_id), key, "default")  # type: ignore[attr-defined]
    return None if variable.isDefaulted else str(variable.value)


@pytest.mark.slow
def test_only_enabled_environments_serve_the_feature(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """
    new-checkout:
      production: {enabled: true, targets: [{serve: redesign}]}
      staging: {enabled: false, targets: [{serve: redesign}]}   # configured, but off
      development: not mentioned
    """
    create_feature(
        api,
        project,
        checkout(
            {
                "production": {"status": "active", "targets": [target("redesign")]},
                "staging": {"status": "inactive", "targets": [target("redesign")]},
            }
        ),
    )
    with sdk_client(server, server_key(api, project, "production")) as client:
        assert served(client) == "v2"
    for environment in ("staging", "development"):
        with sdk_client(server, server_key(api, project, environment)) as client:
            assert served(client) is None, environment


def test_a_running_app_sees_an_applied_change_on_its_next_poll(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """Apply `serve: classic`, start the app, apply `serve: redesign`, then `enabled: false`."""
    create_feature(
        api, project, checkout({"production": {"status": "active", "targets": [target("classic")]}})
    )
    key = server_key(api, project, "production")
    with sdk_client(server, key, config_polling_interval_ms=POLL_MS) as client:
        assert served(client) == "v1"
        update_feature(
            api,
            project,
            "new-checkout",
            {"configurations": {"production": {"targets": [target("redesign")]}}},
        )
        assert _eventually(lambda: served(client) == "v2"), "the change never reached the SDK"
        update_feature(
            api, project, "new-checkout", {"configurations": {"production": {"status": "inactive"}}}
        )
        assert _eventually(lambda: served(client) is None), "turning it off never reached the SDK"


@pytest.mark.slow
def test_completed_feature_serves_its_static_variation_to_everyone(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """Staff get redesign, everyone else nothing, until the feature is completed with
    `redesign` as its static variation: then everyone gets redesign."""
    staff = all_of(user_filter("email", "endWith", "@acme.com"))
    create_feature(
        api,
        project,
        checkout({"production": {"status": "active", "targets": [target("redesign", staff)]}}),
    )
    key = server_key(api, project, "production")
    with sdk_client(server, key) as client:
        assert served(client, "joe") is None
    response = api.patch(
        f"/v1/projects/{project}/features/new-checkout/status",
        json={"status": "complete", "staticVariation": "redesign"},
    )
    assert response.status_code == 200, response.text
    with sdk_client(server, key) as client:
        assert served(client, "joe") == "v2"
        assert served(client, "jane") == "v2"


def test_archived_feature_serves_the_default(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    create_feature(
        api, project, checkout({"production": {"status": "active", "targets": [target("classic")]}})
    )
    response = api.patch(
        f"/v1/projects/{project}/features/new-checkout/status", json={"status": "archived"}
    )
    assert response.status_code == 200, response.text
    with sdk_client(server, server_key(api, project, "production")) as client:
        assert served(client) is None


def test_feature_hidden_from_server_sdks_serves_the_default(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    create_feature(
        api,
        project,
        checkout(
            {"production": {"status": "active", "targets": [target("redesign")]}},
            sdkVisibility={"mobile": True, "client": True, "server": False},
        ),
    )
    with sdk_client(server, server_key(api, project, "production")) as client:
        assert served(client) is None


def test_rollout_not_started_lets_users_fall_through(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """
    new-checkout, production:
      - {name: Launch, serve: redesign, rollout: {type: schedule, start: 2099-01-01T00:00:00Z}}
      - {name: Until then, serve: classic}
    """
    launch = target("redesign", rollout={"type": "schedule", "startDate": "2099-01-01T00:00:00Z"})
    create_feature(
        api,
        project,
        checkout({"production": {"status": "active", "targets": [launch, target("classic")]}}),
    )
    with sdk_client(server, server_key(api, project, "production")) as client:
        assert {served(client, f"user-{n}") for n in range(50)} == {"v1"}


@pytest.mark.slow
def test_gradual_rollout_reaches_its_share_of_users(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """
    new-checkout, production:
      - name: Ramp
        serve: redesign
        rollout: {type: gradual, start: 2020-01-01T00:00:00Z, start_percentage: 30}
      - {name: Everyone else, serve: classic}
    Started long ago with no later stage, the ramp holds at 30 % of users.
    """
    ramp = target(
        "redesign",
        rollout={
            "type": "gradual",
            "startDate": "2020-01-01T00:00:00.000Z",
            "startPercentage": 0.3,
        },
    )
    create_feature(
        api,
        project,
        checkout({"production": {"status": "active", "targets": [ramp, target("classic")]}}),
    )
    with sdk_client(server, server_key(api, project, "production")) as client:
        values = [served(client, f"user-{n}") for n in range(ROLLOUT_USERS)]
    assert set(values) == {"v1", "v2"}
    share = values.count("v2") / ROLLOUT_USERS
    assert 0.2 <= share <= 0.4, f"redesign share {share:.2%}"


def test_events_reach_the_emulator(
    server: EmulatorServer,
    api: httpx.Client,
    project: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With event logging on, the SDK's batches are accepted: nothing is left queued and the
    SDK logs no error about the events API."""
    from devcycle_python_sdk.models.event import DevCycleEvent

    create_feature(
        api, project, checkout({"production": {"status": "active", "targets": [target("classic")]}})
    )
    caplog.set_level(logging.WARNING, logger="devcycle_python_sdk")
    key = server_key(api, project, "production")
    with sdk_client(
        server,
        key,
        disable_automatic_event_logging=False,
        disable_custom_event_logging=False,
        event_flush_interval_ms=POLL_MS,
    ) as client:
        assert served(client, "jane") == "v1"
        client.track(user("jane"), DevCycleEvent(type="checkout-completed", value=42))
        assert _eventually(lambda: client.local_bucketing.get_event_queue_size() == 0)
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert problems == []


def test_unknown_sdk_key_never_initializes(
    server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A well-formed key no environment holds: the SDK reports an invalid key, serves defaults."""
    from devcycle_python_sdk import DevCycleLocalClient, DevCycleLocalOptions

    caplog.set_level(logging.ERROR, logger="devcycle_python_sdk")
    client = DevCycleLocalClient(
        "dvc_server_00000000_0000_0000_0000_000000000000_0000000",
        DevCycleLocalOptions(config_cdn_uri=server.url, events_api_uri=server.url),
    )
    try:
        assert _eventually(lambda: "Invalid SDK key" in caplog.text)
        assert not client.is_initialized()
        assert client.variable(user("u"), "new-checkout", "default").value == "default"
    finally:
        client.close()


def _eventually(check: object, timeout: float = CHANGE_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False
