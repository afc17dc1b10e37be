"""Answers of the wrong shape are one error naming the call: a read never meets a TypeError
deep in a translation, and a write answered with anything but the object written (no body,
an error body with 200, another object) is never reported as done."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.plan import ApiCall, Subject
from reconciler.providers.devcycle.client import Credentials, DevCycleClient
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.providers.http import RetryPolicy
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.workspace import EnvironmentSettings, Workspace

ONCE = RetryPolicy(attempts=1)
Handler = Callable[[httpx.Request], httpx.Response]


def _devcycle(handler: Handler) -> DevCycleProvider:
    workspace = Workspace(
        file=Path("flagsync.yaml"),
        provider="devcycle",
        project="demo",
        api_url="http://devcycle.test",
        auth_url="http://auth.test/oauth/token",
        environments={"production": EnvironmentSettings()},
        manifests=(),
    )
    client = DevCycleClient(
        workspace.api_url,
        workspace.auth_url,
        Credentials(token="token"),
        transport=httpx.MockTransport(handler),
        retry=ONCE,
    )
    return DevCycleProvider(workspace, client)


def _posthog(handler: Handler) -> PostHogProvider:
    workspace = Workspace(
        file=Path("flagsync.yaml"),
        provider="posthog",
        api_url="http://posthog.test",
        environments={"production": EnvironmentSettings(project_id=1)},
        manifests=(),
    )
    client = PostHogClient(
        workspace.api_url, "phx_key", transport=httpx.MockTransport(handler), retry=ONCE
    )
    return PostHogProvider(workspace, client)


def _answers(status: int, content: bytes) -> Handler:
    return lambda request: httpx.Response(
        status, content=content, headers={"content-type": "application/json"}
    )


CREATE_FEATURE = ApiCall(
    method="POST",
    path="/v2/projects/demo/features",
    body={"key": "dark-mode", "name": "Dark"},
    subject=Subject(kind="flag", key="dark-mode"),
)
NOT_WRITTEN = [
    (b"", "the answer is not a feature"),
    (b'{"statusCode": 500, "message": "oops"}', "at key: Field required"),
    (b"[]", "the answer is not a feature"),
    (b'"ok"', "the answer is not a feature"),
    (b'{"key": "other", "_id": "1"}', "the answer is a feature 'other', not the 'dark-mode'"),
]


@pytest.mark.parametrize(("content", "message"), NOT_WRITTEN)
def test_a_devcycle_create_answered_with_something_else_is_an_error(
    content: bytes, message: str
) -> None:
    provider = _devcycle(_answers(201, content))
    with pytest.raises(ApiError, match=f"POST /v2/projects/demo/features: .*{message}"):
        provider.execute(CREATE_FEATURE)


def test_a_devcycle_create_answered_with_the_feature_is_done() -> None:
    written = {"_id": "f1", "key": "dark-mode", "name": "Dark", "tags": []}
    provider = _devcycle(_answers(201, json.dumps(written).encode()))
    assert provider.execute(CREATE_FEATURE)["_id"] == "f1"


def test_a_devcycle_feature_of_another_shape_is_an_error_naming_the_field() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body: Any = []
        if path.endswith("/environments"):
            body = [{"_id": "e1", "key": "production"}]
        elif path.endswith("/features"):
            body = [{"key": "dark-mode", "variations": [{"key": "on", "variables": "x"}]}]
        return httpx.Response(200, json=body)

    provider = _devcycle(handle)
    with pytest.raises(ApiError, match=r"GET /v2/projects/demo/features: .*'dark-mode'"):
        provider.read({"dark-mode"})
    provider.close()


def test_a_devcycle_list_item_without_a_key_is_an_error_naming_the_call() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/environments"):
            return httpx.Response(200, json=[{"_id": "e1", "key": "production"}])
        if request.url.path.endswith("/features"):
            return httpx.Response(200, json=[{"name": "no key"}])
        return httpx.Response(200, json=[])

    provider = _devcycle(handle)
    with pytest.raises(ApiError, match="GET /v2/projects/demo/features: .*key: Field required"):
        provider.read(set())
    provider.close()


CREATE_FLAG = ApiCall(
    method="POST",
    path="/api/projects/1/feature_flags/",
    body={"key": "dark-mode", "name": ""},
    subject=Subject(kind="flag", key="dark-mode", scope="1"),
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the answer is not a feature flag"),
        (b'{"type": "server_error", "detail": "oops"}', "not a feature flag"),
        (b'{"id": 7, "key": "other"}', "with key 'other', not 'dark-mode'"),
        (b'{"id": "seven", "key": "dark-mode"}', "not a feature flag"),
    ],
)
def test_a_posthog_create_answered_with_something_else_is_an_error(
    content: bytes, message: str
) -> None:
    provider = _posthog(_answers(201, content))
    with pytest.raises(ApiError, match=f"POST /api/projects/1/feature_flags/: .*{message}"):
        provider.execute(CREATE_FLAG)


def test_a_posthog_flag_of_another_shape_is_an_error_naming_the_call() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        results: list[Any] = []
        if request.url.path.endswith("/feature_flags/"):
            results = [{"id": 1, "key": "dark-mode", "filters": {"groups": "all"}}]
        return httpx.Response(200, json={"count": len(results), "next": None, "results": results})

    provider = _posthog(handle)
    with pytest.raises(ApiError, match=r"GET /api/projects/1/feature_flags/: .*filters\.groups"):
        provider.read({"dark-mode"})
    provider.close()


def test_a_devcycle_status_change_answered_with_another_feature_is_an_error() -> None:
    """What a call writes is its `subject`: the status PATCH of `dark-mode` (whose URL ends in
    `/status`, not in the key) must answer with `dark-mode`."""
    from reconciler.model import Flag
    from reconciler.providers.devcycle.feature_status import status_call

    flag = Flag.model_validate({"key": "dark-mode", "name": "Dark", "status": "archived"})
    call = status_call("/v1/projects/demo", flag)
    other = {"_id": "f2", "key": "light-mode", "name": "Light", "tags": []}
    provider = _devcycle(_answers(200, json.dumps(other).encode()))
    with pytest.raises(ApiError, match="the answer is a feature 'light-mode', not the 'dark-mode'"):
        provider.execute(call)
    mine = {"_id": "f1", "key": "dark-mode", "name": "Dark", "tags": []}
    assert _devcycle(_answers(200, json.dumps(mine).encode())).execute(call)["_id"] == "f1"
