"""How flagsync downloads DevCycle's paged lists: every item exactly once whatever order the
pages arrive in, failures raised to the reader, and the vendor's lists without a count header."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.providers.devcycle.client import Credentials, DevCycleClient, PageStream
from reconciler.providers.http import RetryPolicy

ITEMS = [{"key": f"f-{index:04d}"} for index in range(3500)]


def _client(handler: httpx.MockTransport) -> DevCycleClient:
    return DevCycleClient(
        "http://devcycle.test",
        "http://auth.test/oauth/token",
        Credentials(token="token"),
        transport=handler,
        retry=RetryPolicy(attempts=1),
    )


def _pages(count_header: bool, slow_first_pages: bool = False, failing_page: int = 0):
    seen: list[int] = []
    lock = threading.Lock()

    def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        size = int(request.url.params["perPage"])
        with lock:
            seen.append(page)
        if slow_first_pages and page == 2:
            time.sleep(0.2)  # page 2 arrives after pages 3 and 4
        if page == failing_page:
            return httpx.Response(400, json={"statusCode": 400, "message": "bad page"})
        body = ITEMS[(page - 1) * size : page * size]
        headers = {"count": str(len(ITEMS))} if count_header else {}
        return httpx.Response(200, content=json.dumps(body), headers=headers)

    return httpx.MockTransport(handle), seen


def test_pages_arriving_out_of_order_give_every_item_once() -> None:
    transport, seen = _pages(count_header=True, slow_first_pages=True)
    client = _client(transport)
    keys = [item["key"] for item in client.list_all("/v1/projects/p/features")]
    assert sorted(keys) == [item["key"] for item in ITEMS]
    assert len(keys) == len(set(keys)) == 3500
    assert sorted(seen) == [1, 2, 3, 4]  # perPage=1000: four requests, none repeated


def test_without_a_count_header_pages_are_read_until_a_short_one() -> None:
    transport, seen = _pages(count_header=False)
    client = _client(transport)
    assert len(client.list_all("/v1/projects/p/features")) == 3500
    assert seen == [1, 2, 3, 4]


def test_a_failing_page_is_raised_where_the_pages_are_read() -> None:
    transport, _ = _pages(count_header=True, failing_page=3)
    stream = PageStream(_client(transport), "/v1/projects/p/features")
    with pytest.raises(ApiError, match="bad page"):
        for _ in stream:
            pass
    stream.close()


def test_a_stream_downloads_before_anyone_reads_it() -> None:
    transport, seen = _pages(count_header=True)
    stream = PageStream(_client(transport), "/v1/projects/p/features")
    deadline = time.monotonic() + 5
    while len(seen) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(seen) == [1, 2, 3, 4]  # all fetched while nobody iterated
    assert sum(len(page) for page in stream) == 3500


@pytest.mark.parametrize("count_header", [True, False])
def test_a_stream_reads_only_a_few_pages_ahead_of_its_reader(
    monkeypatch: pytest.MonkeyPatch, count_header: bool
) -> None:
    """Memory holds the pages downloaded and not yet taken: at most `BUFFERED_PAGES`, however
    long the list (100,000 features would otherwise all wait while the manifests load)."""
    from reconciler.providers.devcycle import client as client_module

    monkeypatch.setattr(client_module, "BUFFERED_PAGES", 2)
    transport, seen = _pages(count_header=count_header)
    stream = PageStream(_client(transport), "/v1/projects/p/features")
    time.sleep(0.5)  # time enough for all four pages, were nothing holding them back
    assert len(seen) == 2
    keys = [item["key"] for page in stream for item in page]
    assert sorted(keys) == [item["key"] for item in ITEMS]
    assert sorted(seen) == [1, 2, 3, 4]
    stream.close()


def test_closing_a_stream_that_waits_for_its_reader_ends_its_downloads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reconciler.providers.devcycle import client as client_module

    monkeypatch.setattr(client_module, "BUFFERED_PAGES", 1)
    transport, seen = _pages(count_header=True)
    stream = PageStream(_client(transport), "/v1/projects/p/features")
    time.sleep(0.3)
    stream.close()
    time.sleep(0.3)
    assert seen == [1]
