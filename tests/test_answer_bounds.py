"""A vendor's answer is bounded before it is read: size (a gzip bomb too), JSON depth, kind
(a web page, a redirect), and the number of pages of a list. Each is one error naming the call,
never a traceback, a hang or a gigabyte."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.providers.bounds import MAX_JSON_DEPTH, too_deep
from reconciler.providers.devcycle import client as devcycle_client
from reconciler.providers.devcycle.client import Credentials, DevCycleClient
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.providers.posthog.client import PostHogClient

ONCE = RetryPolicy(attempts=1)
Handler = Callable[[httpx.Request], httpx.Response]


def _api(handler: Handler) -> ApiClient:
    return ApiClient("http://vendor.test", transport=httpx.MockTransport(handler), retry=ONCE)


def _devcycle(handler: Handler) -> DevCycleClient:
    return DevCycleClient(
        "http://devcycle.test",
        "http://auth.test/oauth/token",
        Credentials(token="token"),
        transport=httpx.MockTransport(handler),
        retry=ONCE,
    )


def _posthog(handler: Handler) -> PostHogClient:
    return PostHogClient(
        "http://posthog.test", "phx_key", transport=httpx.MockTransport(handler), retry=ONCE
    )


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_json_nested_ten_thousand_deep_is_an_error_naming_the_call() -> None:
    client = _api(lambda request: httpx.Response(200, content=_nested(10_000)))
    with pytest.raises(ApiError, match=r"GET /things: .*nests deeper than 128"):
        client.json("GET", "/things")


def test_json_just_inside_the_depth_bound_is_read() -> None:
    client = _api(lambda request: httpx.Response(200, content=_nested(MAX_JSON_DEPTH)))
    assert client.json("GET", "/things") is not None


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = json.dumps({"name": "[" * 500 + '\\"{' * 300, "list": [[1], {"a": "]]]"}]})
    assert not too_deep(text.encode())
    assert too_deep(_nested(MAX_JSON_DEPTH + 1))


def test_a_deep_error_body_still_gives_the_status() -> None:
    client = _api(lambda request: httpx.Response(400, content=b'{"a":' * 5000))
    with pytest.raises(ApiError, match="GET /things: rejected"):
        client.json("GET", "/things")


def test_a_gzip_bomb_is_read_only_up_to_the_bound() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MB in about 64 KB
    headers = {"content-encoding": "gzip"}
    client = _api(lambda request: httpx.Response(200, content=bomb, headers=headers))
    client.max_body_bytes = 1024 * 1024
    with pytest.raises(ApiError, match="GET /big: the answer is too large to read"):
        client.json("GET", "/big")


def test_a_body_over_the_bound_is_an_error() -> None:
    client = _api(lambda request: httpx.Response(200, content=b"[" + b"1," * 600_000 + b"1]"))
    client.max_body_bytes = 1024 * 1024
    with pytest.raises(ApiError, match="too large"):
        client.json("GET", "/big")


def test_a_web_page_with_200_is_an_error_not_data() -> None:
    page = b"<!DOCTYPE html><html><body>Sign in</body></html>"
    headers = {"content-type": "text/html; charset=utf-8"}
    client = _api(lambda request: httpx.Response(200, content=page, headers=headers))
    with pytest.raises(ApiError, match="POST /things: the API answered with a web page"):
        client.json("POST", "/things", body={"key": "a"})


def test_a_redirect_is_an_error_and_not_followed() -> None:
    asked: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(302, headers={"location": "http://elsewhere.test/login"})

    client = _api(handle)
    with pytest.raises(ApiError, match=r"GET /things: .*redirect \(HTTP 302\) to http://else"):
        client.json("GET", "/things")
    assert asked == ["http://vendor.test/things"]


def test_posthog_next_pointing_back_is_an_error_not_a_loop() -> None:
    sent: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        body = {"count": 2, "next": "http://posthog.test/x?limit=1000&offset=0", "results": [{}]}
        return httpx.Response(200, json=body)

    started = time.monotonic()
    with pytest.raises(ApiError, match="GET /x: the next page .* does not move past this one"):
        _posthog(handle).list_all("/x")
    assert len(sent) == 1 and time.monotonic() - started < 5


def test_posthog_next_after_an_empty_page_is_an_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"]) + 1000
        body = {"next": f"http://posthog.test/x?limit=1000&offset={offset}", "results": []}
        return httpx.Response(200, json=body)

    with pytest.raises(ApiError, match="an empty page points to a next one"):
        _posthog(handle).list_all("/x")


def test_devcycle_huge_count_is_an_error_before_any_more_requests() -> None:
    sent: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(int(request.url.params["page"]))
        return httpx.Response(200, json=[{"key": "a"}], headers={"count": "999999999999"})

    started = time.monotonic()
    with pytest.raises(ApiError, match="count header says 999,999,999,999"):
        _devcycle(handle).list_all("/v1/projects/p/features")
    assert sent == [1] and time.monotonic() - started < 5


def test_devcycle_count_larger_than_the_list_is_an_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        items = [{"key": f"k{page}-{i}"} for i in range(1000 if page == 1 else 3)]
        return httpx.Response(200, json=items, headers={"count": "50000"})

    with pytest.raises(ApiError, match="the count header does not match the list"):
        _devcycle(handle).list_all("/v1/projects/p/features")


def test_devcycle_pages_that_never_run_short_stop_at_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(devcycle_client, "MAX_PAGES", 20)
    full = [{"key": f"k{i}"} for i in range(1000)]
    client = _devcycle(lambda request: httpx.Response(200, json=full))
    with pytest.raises(ApiError, match="pages of 1000 never ran short"):
        client.list_all("/v1/projects/p/features")
    assert client.request_count == 20
