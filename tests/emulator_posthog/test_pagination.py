"""Limit/offset pagination and list filters of the flag list."""

from __future__ import annotations

from typing import Any

from .conftest import ContractClient, create_flag

FLAGS = "/api/projects/1/feature_flags/"


def _walk(client: ContractClient, url: str) -> list[dict[str, Any]]:
    pages = []
    while url:
        page = client.get(url).json()
        pages.append(page)
        url = page["next"]
    return pages


def test_pages_of_ten_visit_every_flag_once(client: ContractClient) -> None:
    keys = {f"flag-{i:02d}" for i in range(25)}
    for key in sorted(keys):
        create_flag(client, key)
    pages = _walk(client, f"{FLAGS}?limit=10")
    assert [len(p["results"]) for p in pages] == [10, 10, 5]
    assert all(p["count"] == 25 for p in pages)
    seen = [f["key"] for p in pages for f in p["results"]]
    assert sorted(seen) == sorted(keys)
    assert seen[0] == "flag-24"  # newest first
    base = "http://testserver/api/projects/1/feature_flags/"
    assert pages[0]["previous"] is None
    assert pages[0]["next"] == f"{base}?limit=10&offset=10"
    assert pages[1]["previous"] == f"{base}?limit=10"
    assert pages[1]["next"] == f"{base}?limit=10&offset=20"
    assert pages[2]["previous"] == f"{base}?limit=10&offset=10"
    assert pages[2]["next"] is None


def test_default_page_size_and_other_query_params_kept(client: ContractClient) -> None:
    for i in range(3):
        create_flag(client, f"keep-{i}")
    page = client.get(f"{FLAGS}?search=keep&limit=2").json()
    assert (
        page["next"]
        == "http://testserver/api/projects/1/feature_flags/?limit=2&offset=2&search=keep"
    )
    everything = client.get(FLAGS).json()
    assert everything["next"] is None and len(everything["results"]) == 3
    assert client.get(f"{FLAGS}?offset=50").json()["results"] == []
    assert len(client.get(f"{FLAGS}?limit=0").json()["results"]) == 3  # invalid -> default


def test_list_filters(client: ContractClient) -> None:
    create_flag(client, "checkout-redesign", name="New checkout")
    create_flag(client, "dark-mode", active=False)
    create_flag(
        client,
        "pricing-test",
        filters={
            "groups": [{"properties": [], "rollout_percentage": 100}],
            "multivariate": {
                "variants": [
                    {"key": "control", "rollout_percentage": 50},
                    {"key": "test", "rollout_percentage": 50},
                ]
            },
        },
    )

    def keys(query: str) -> list[str]:
        return sorted(f["key"] for f in client.get(f"{FLAGS}?{query}").json()["results"])

    assert keys("search=CHECKOUT") == ["checkout-redesign"]
    assert keys("search=new") == ["checkout-redesign"]
    assert keys("active=false") == ["dark-mode"]
    assert keys("active=true") == ["checkout-redesign", "pricing-test"]
    assert keys("type=multivariant") == ["pricing-test"]
    assert keys("type=boolean") == ["checkout-redesign", "dark-mode"]
    assert keys("key=Dark-Mode") == ["dark-mode"]
    assert keys('excluded_properties=["dark-mode"]') == ["checkout-redesign", "pricing-test"]
