"""Paged lists: bare array, `count` header, stable sort, class-validator errors."""

from __future__ import annotations

import random

import httpx

from .conftest import Project, create_feature


def _create_features(api: httpx.Client, project_key: str, keys: list[str]) -> None:
    for key in keys:
        create_feature(api, project_key, {"key": key, "name": f"Feature {key}"})


def test_paging_returns_every_feature_exactly_once_with_count_header(
    api: httpx.Client, project: Project
) -> None:
    keys = [f"feature-{i:02d}" for i in range(25)]
    random.Random(7).shuffle(keys)
    _create_features(api, project["key"], keys)
    seen: list[str] = []
    for page in (1, 2, 3):
        response = api.get(
            f"/v2/projects/{project['key']}/features", params={"page": page, "perPage": 10}
        )
        assert response.status_code == 200
        assert response.headers["count"] == "25"
        body = response.json()
        assert isinstance(body, list)
        assert len(body) == (10 if page < 3 else 5)
        seen += [feature["key"] for feature in body]
    assert sorted(seen) == sorted(keys)
    assert len(set(seen)) == 25
    beyond = api.get(f"/v2/projects/{project['key']}/features", params={"page": 4, "perPage": 10})
    assert beyond.json() == []
    assert beyond.headers["count"] == "25"


def test_default_order_is_newest_first(api: httpx.Client, project: Project) -> None:
    _create_features(api, project["key"], ["first", "second", "third"])
    body = api.get(f"/v2/projects/{project['key']}/features").json()
    assert [feature["key"] for feature in body] == ["third", "second", "first"]


def test_sort_by_key_ascending(api: httpx.Client, project: Project) -> None:
    keys = ["delta", "alpha", "charlie", "bravo"]
    _create_features(api, project["key"], keys)
    response = api.get(
        f"/v2/projects/{project['key']}/features", params={"sortBy": "key", "sortOrder": "asc"}
    )
    assert [feature["key"] for feature in response.json()] == sorted(keys)
    descending = api.get(
        f"/v2/projects/{project['key']}/features", params={"sortBy": "key", "sortOrder": "desc"}
    )
    assert [feature["key"] for feature in descending.json()] == sorted(keys, reverse=True)


def test_per_page_above_limit_is_400_with_class_validator_message(
    api: httpx.Client, project: Project
) -> None:
    response = api.get(f"/v2/projects/{project['key']}/features", params={"perPage": 1001})
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": ["perPage must not be greater than 1000"],
        "error": "Bad Request",
    }


def test_other_paging_parameters_are_validated(api: httpx.Client, project: Project) -> None:
    path = f"/v1/projects/{project['key']}/environments"
    assert api.get(path, params={"page": 0}).json()["message"] == ["page must not be less than 1"]
    assert api.get(path, params={"perPage": "ten"}).json()["message"] == [
        "perPage must be a number conforming to the specified constraints"
    ]
    assert api.get(path, params={"search": "ab"}).json()["message"] == [
        "search must be longer than or equal to 3 characters"
    ]
    bad_sort = api.get(path, params={"sortBy": "colour"})
    assert bad_sort.status_code == 400
    assert bad_sort.json()["message"][0].startswith("sortBy must be one of the following values:")


def test_search_matches_key_or_name_case_insensitively(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], {"key": "checkout-a", "name": "Payments"})
    create_feature(api, project["key"], {"key": "other", "name": "New CHECKOUT page"})
    create_feature(api, project["key"], {"key": "unrelated", "name": "Unrelated"})
    response = api.get(f"/v2/projects/{project['key']}/features", params={"search": "Checkout"})
    assert sorted(feature["key"] for feature in response.json()) == ["checkout-a", "other"]
    assert response.headers["count"] == "2"


def test_keys_filter_accepts_repeated_and_comma_separated(
    api: httpx.Client, project: Project
) -> None:
    _create_features(api, project["key"], ["a1", "b2", "c3", "d4"])
    path = f"/v2/projects/{project['key']}/features"
    repeated = api.get(path, params=[("keys", "a1"), ("keys", "c3")])
    assert sorted(f["key"] for f in repeated.json()) == ["a1", "c3"]
    comma = api.get(path, params={"keys": "b2,d4"})
    assert sorted(f["key"] for f in comma.json()) == ["b2", "d4"]
    assert comma.headers["count"] == "2"


def test_type_filter_is_validated_and_applied(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], {"key": "ops-one", "name": "Ops", "type": "ops"})
    create_feature(api, project["key"], {"key": "rel-one", "name": "Release"})
    path = f"/v1/projects/{project['key']}/features"
    assert [f["key"] for f in api.get(path, params={"type": "ops"}).json()] == ["ops-one"]
    assert api.get(path, params={"type": "nonsense"}).status_code == 400


def test_created_by_filter_and_source_from_referrer(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], {"key": "mine", "name": "Mine"})
    response = api.post(
        f"/v2/projects/{project['key']}/features",
        json={"key": "from-cli", "name": "From CLI"},
        headers={"dvc-referrer": "cli"},
    )
    assert response.json()["source"] == "cli"
    path = f"/v2/projects/{project['key']}/features"
    mine = api.get(path, params={"createdBy": "test-client@clients"})
    assert mine.headers["count"] == "2"
    assert api.get(path, params={"createdBy": "someone-else"}).json() == []


def test_a_write_between_two_pages_shows_in_the_next_page(
    api: httpx.Client, project: Project
) -> None:
    """A list's selection is kept between reads only: a feature created between two pages is
    counted by the next page (and the page after it shifts)."""
    _create_features(api, project["key"], ["one", "two", "three"])
    path = f"/v2/projects/{project['key']}/features"
    first = api.get(path, params={"page": 1, "perPage": 2})
    _create_features(api, project["key"], ["four"])
    second = api.get(path, params={"page": 2, "perPage": 2})
    assert (first.headers["count"], second.headers["count"]) == ("3", "4")
    assert [f["key"] for f in second.json()] == ["two", "one"]
