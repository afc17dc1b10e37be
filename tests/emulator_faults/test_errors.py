"""`error_rate`: 502/503/504 in the vendor's shape, answered before the request is processed."""

from __future__ import annotations

import httpx

from reconciler.emulator import EmulatorServer

from .conftest import new_key, set_faults, stats

REASONS = {503: "Service Unavailable", 504: "Gateway Timeout"}
POSTHOG_SERVER_ERROR = {
    "type": "server_error",
    "code": "error",
    "detail": "A server error occurred.",
    "attr": None,
}


def responses(api: httpx.Client, path: str, count: int = 24) -> list[httpx.Response]:
    return [api.get(path) for _ in range(count)]


def check_bad_gateway(response: httpx.Response) -> None:
    """502 comes from a proxy, so its body is plain text rather than the vendor's JSON."""
    assert response.text == "Bad Gateway"
    assert response.headers["content-type"].startswith("text/plain")


def test_devcycle_paths_get_nestjs_bodies(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, error_rate=1, seed=3)
    seen = set()
    for response in responses(api, "/v1/projects"):
        status = response.status_code
        seen.add(status)
        if status == 502:
            check_bad_gateway(response)
        else:
            reason = REASONS[status]
            assert response.json() == {"statusCode": status, "message": reason, "error": reason}
    assert seen == {502, 503, 504}
    assert stats(control)["faults"]["error"] == 24


def test_posthog_paths_get_exceptions_hog_bodies(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, error_rate=1, seed=3)
    paths = ["/api/projects/1/feature_flags/", "/flags?v=2", "/decide/"]
    seen = set()
    for path in paths:
        for response in responses(api, path, 8):
            seen.add(response.status_code)
            if response.status_code == 502:
                check_bad_gateway(response)
            else:
                assert response.status_code in (503, 504)
                assert response.json() == POSTHOG_SERVER_ERROR
    assert seen == {502, 503, 504}


def test_token_endpoint_gets_auth0_bodies(control: httpx.Client, server: EmulatorServer) -> None:
    set_faults(control, error_rate=1, seed=5)
    statuses = []
    for _ in range(8):
        response = httpx.post(f"{server.url}/oauth/token", data={"grant_type": "x"})
        statuses.append(response.status_code)
        if response.status_code == 502:
            check_bad_gateway(response)
        else:
            reason = REASONS[response.status_code]
            assert response.json() == {"error": "server_error", "error_description": reason}
    assert {503, 504} & set(statuses)


def test_a_faulted_write_is_not_processed(control: httpx.Client, api: httpx.Client) -> None:
    key = new_key()
    set_faults(control, error_rate=1)
    response = api.post("/v1/projects", json={"key": key, "name": "Never created"})
    assert response.status_code in (502, 503, 504)
    set_faults(control)
    assert api.get(f"/v1/projects/{key}").status_code == 404


def test_error_rate_is_a_share(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, error_rate=0.5, seed=11)
    statuses = [r.status_code for r in responses(api, "/v1/projects", 40)]
    failed = sum(status >= 500 for status in statuses)
    assert 8 <= failed <= 32
    assert set(statuses) - {502, 503, 504} == {200}
