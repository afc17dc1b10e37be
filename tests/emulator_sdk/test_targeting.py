"""DevCycle's own server SDK evaluates users against what was applied to the emulator.

Each test states a manifest (as YAML in its docstring), creates it through the Management API
with the bodies flagsync sends for it, and asks `DevCycleLocalClient.variable` what users get.
The expectations come from the manifest's meaning (who is in the audience, which target comes
first, what share a split gives), never from what the emulator happened to serve: if the SDK
config's shape were off, the vendor's bucketing library would refuse it or evaluate it
differently, and these answers would change.
"""

from __future__ import annotations

import httpx
import pytest

from reconciler.emulator import EmulatorServer

from .conftest import (
    all_of,
    any_of,
    create_feature,
    custom_filter,
    one_variable_feature,
    sdk_client,
    server_key,
    target,
    user,
    user_filter,
)

pytest.importorskip("devcycle_python_sdk")

SPLIT_USERS = 400


def test_email_ends_with_serves_staff_the_redesign(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """
    new-checkout, production:
      - {name: Staff, audience: {all: [{email: {ends_with: "@acme.com"}}]}, serve: redesign}
      - {name: Everyone else, serve: classic}
    """
    staff = all_of(user_filter("email", "endWith", "@acme.com"))
    create_feature(
        api,
        project,
        one_variable_feature(
            "new-checkout",
            "String",
            {"classic": "v1", "redesign": "v2"},
            {
                "production": {
                    "status": "active",
                    "targets": [
                        target("redesign", staff, name="Staff"),
                        target("classic", name="Everyone else"),
                    ],
                }
            },
        ),
    )
    with sdk_client(server, server_key(api, project, "production")) as client:

        def version(user_id: str, **fields: str) -> str:
            return str(client.variable(user(user_id, **fields), "new-checkout", "none").value)

        assert version("jane", email="jane@acme.com") == "v2"
        assert version("ops", email="ops.team@acme.com") == "v2"
        assert version("joe", email="joe@example.org") == "v1"
        assert version("mallory", email="mallory@acme.com.example.org") == "v1"
        assert version("anon") == "v1"


def test_country_filter(server: EmulatorServer, api: httpx.Client, project: str) -> None:
    """
    dark-mode, production:
      - {name: North America, audience: {all: [{country: {is: [US, CA]}}]}, serve: "on"}
    Nobody else is targeted, so everyone else gets the code's default.
    """
    north_america = all_of(user_filter("country", "=", "US", "CA"))
    create_feature(
        api,
        project,
        one_variable_feature(
            "dark-mode",
            "Boolean",
            {"on": True, "off": False},
            {"production": {"status": "active", "targets": [target("on", north_america)]}},
        ),
    )
    with sdk_client(server, server_key(api, project, "production")) as client:
        for country in ("US", "CA"):
            variable = client.variable(user(f"u-{country}", country=country), "dark-mode", False)
            assert variable.value is True and not variable.isDefaulted
        for fields in ({"country": "DE"}, {"country": "us-east"}, {}):
            variable = client.variable(user("u-other", **fields), "dark-mode", False)
            assert variable.value is False and variable.isDefaulted


def test_exists_filter(server: EmulatorServer, api: httpx.Client, project: str) -> None:
    """
    dark-mode, production:
      - {name: Located users, audience: {all: [{country: exists}]}, serve: "on"}
      - {name: Everyone else, serve: "off"}
    (`exists` sends no values; the SDK config must still give the filter an empty list.)
    """
    located = all_of(user_filter("country", "exist"))
    create_feature(
        api,
        project,
        one_variable_feature(
            "dark-mode",
            "Boolean",
            {"on": True, "off": False},
            {
                "production": {
                    "status": "active",
                    "targets": [target("on", located), target("off")],
                }
            },
        ),
    )
    with sdk_client(server, server_key(api, project, "production")) as client:
        located_user = client.variable(user("u1", country="FR"), "dark-mode", False)
        assert located_user.value is True and not located_user.isDefaulted
        unlocated = client.variable(user("u2"), "dark-mode", True)
        assert unlocated.value is False and not unlocated.isDefaulted


def test_custom_data_string_and_number(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """
    pricing-discount (Number), production:
      - name: Pro prospects
        audience: {all: [{custom: {key: plan, is: [free, trial]}}, {custom: {key: seats, gte: 5}}]}
        serve: banner          # banner: 15, control: 0
    """
    prospects = all_of(
        custom_filter("plan", "String", "=", "free", "trial"),
        custom_filter("seats", "Number", ">=", 5),
    )
    create_feature(
        api,
        project,
        one_variable_feature(
            "pricing-discount",
            "Number",
            {"control": 0, "banner": 15},
            {"production": {"status": "active", "targets": [target("banner", prospects)]}},
        ),
    )
    with sdk_client(server, server_key(api, project, "production")) as client:

        def discount(**custom: object) -> object:
            return client.variable(user("u", customData=custom), "pricing-discount", -1).value

        assert discount(plan="free", seats=5) == 15  # the boundary of >= 5 is in
        assert discount(plan="trial", seats=12) == 15
        assert discount(plan="free", seats=4) == -1
        assert discount(plan="pro", seats=50) == -1
        assert discount(plan="free") == -1  # no seats: not >= 5
        assert discount(seats=8) == -1


def test_app_version_greater_than_compares_versions_not_strings(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """
    new-sync, production:
      - {name: Recent apps, audience: {all: [{app_version: {gt: 2.4.0}}]}, serve: "on"}
    """
    recent = all_of(user_filter("appVersion", ">", "2.4.0"))
    create_feature(
        api,
        project,
        one_variable_feature(
            "new-sync",
            "Boolean",
            {"on": True, "off": False},
            {"production": {"status": "active", "targets": [target("on", recent)]}},
        ),
    )
    with sdk_client(server, server_key(api, project, "production")) as client:

        def enabled(**fields: str) -> bool:
            return bool(client.variable(user("u", **fields), "new-sync", False).value)

        assert enabled(appVersion="2.4.1")
        assert enabled(appVersion="2.10.0")  # a string comparison would put it below 2.4.0
        assert enabled(appVersion="3.0")
        assert not enabled(appVersion="2.4.0")
        assert not enabled(appVersion="2.3.9")
        assert not enabled(appVersion="1.99.0")
        assert not enabled()


def test_any_of_matches_either_filter(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """
    offline-sync, staging:
      - name: Beta testers
        audience: {any: [{custom: {key: beta, is: true}}, {user_id: {is: [user-1, user-2]}}]}
        serve: granted
      - {name: Everyone else, serve: denied}
    """
    beta = any_of(
        custom_filter("beta", "Boolean", "=", True),
        user_filter("user_id", "=", "user-1", "user-2"),
    )
    create_feature(
        api,
        project,
        one_variable_feature(
            "offline-sync",
            "Boolean",
            {"granted": True, "denied": False},
            {
                "staging": {
                    "status": "active",
                    "targets": [target("granted", beta), target("denied")],
                }
            },
            type="permission",
        ),
    )
    with sdk_client(server, server_key(api, project, "staging")) as client:

        def granted(user_id: str, **fields: object) -> bool:
            variable = client.variable(user(user_id, **fields), "offline-sync", False)
            return variable.value is True

        assert granted("user-1")
        assert granted("user-2")
        assert granted("user-9", customData={"beta": True})
        assert not granted("user-9", customData={"beta": False})
        assert not granted("user-3")


def test_first_matching_target_wins(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """
    Two features whose targets are the same two rules in opposite orders:
      banner-text:  [{Staff (email ends_with @acme.com): staff}, {Everyone: public}]
      footer-text:  [{Everyone: public}, {Staff (email ends_with @acme.com): staff}]
    Staff match both rules, so only the order decides what they get.
    """
    staff = all_of(user_filter("email", "endWith", "@acme.com"))
    values = {"staff": "for staff", "public": "for everyone"}
    orders = {
        "banner-text": [target("staff", staff), target("public")],
        "footer-text": [target("public"), target("staff", staff)],
    }
    for key, targets in orders.items():
        create_feature(
            api,
            project,
            one_variable_feature(
                key, "String", values, {"production": {"status": "active", "targets": targets}}
            ),
        )
    with sdk_client(server, server_key(api, project, "production")) as client:
        jane = user("jane", email="jane@acme.com")
        joe = user("joe", email="joe@example.org")
        assert client.variable(jane, "banner-text", "").value == "for staff"
        assert client.variable(joe, "banner-text", "").value == "for everyone"
        # The everyone rule comes first, so it shadows the staff rule.
        assert client.variable(jane, "footer-text", "").value == "for everyone"
        assert client.variable(joe, "footer-text", "").value == "for everyone"


def test_fifty_fifty_split_over_many_users(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """
    pricing-layout (JSON), staging:
      - {name: Everyone, serve: {control: 50, banner: 50}}
    Over 400 users each variation gets roughly half (35-65 %), and a user keeps the variation
    they were given.
    """
    control = {"columns": 3, "highlight": "none"}
    banner = {"columns": 3, "highlight": "pro", "banner": "15 % off this week"}
    create_feature(
        api,
        project,
        one_variable_feature(
            "pricing-layout",
            "JSON",
            {"control": control, "banner": banner},
            {
                "staging": {
                    "status": "active",
                    "targets": [target({"control": 50, "banner": 50}, name="Everyone")],
                }
            },
            type="experiment",
        ),
    )
    with sdk_client(server, server_key(api, project, "staging")) as client:
        served = [
            client.variable(user(f"user-{n}"), "pricing-layout", {}).value
            for n in range(SPLIT_USERS)
        ]
        assert all(value in (control, banner) for value in served)
        share = served.count(banner) / SPLIT_USERS
        assert 0.35 <= share <= 0.65, f"banner share {share:.2%}"
        again = [client.variable(user(f"user-{n}"), "pricing-layout", {}).value for n in range(50)]
        assert again == served[:50]


def test_reusable_audience(server: EmulatorServer, api: httpx.Client, project: str) -> None:
    """
    audiences: {beta-testers: {any: [{custom: {key: beta, is: true}}, {email: {ends_with:
    "@beta.example.com"}}]}}
    offline-sync, production:
      - {name: Beta, audience: {all: [{audience: {is: [beta-testers]}}]}, serve: granted}
      - {name: Not beta, audience: {all: [{audience: {is_not: [beta-testers]}}]}, serve: denied}
    """
    response = api.post(
        f"/v1/projects/{project}/audiences",
        json={
            "key": "beta-testers",
            "name": "Beta testers",
            "filters": any_of(
                custom_filter("beta", "Boolean", "=", True),
                user_filter("email", "endWith", "@beta.example.com"),
            ),
        },
    )
    assert response.status_code == 201, response.text
    audience_id = response.json()["_id"]

    def match(comparator: str) -> dict[str, object]:
        return {"type": "audienceMatch", "comparator": comparator, "_audiences": [audience_id]}

    create_feature(
        api,
        project,
        one_variable_feature(
            "offline-sync",
            "Boolean",
            {"granted": True, "denied": False},
            {
                "production": {
                    "status": "active",
                    "targets": [
                        target("granted", all_of(match("=")), name="Beta"),
                        target("denied", all_of(match("!=")), name="Not beta"),
                    ],
                }
            },
        ),
    )
    with sdk_client(server, server_key(api, project, "production")) as client:

        def access(user_id: str, **fields: object) -> str:
            variable = client.variable(user(user_id, **fields), "offline-sync", False)
            return "default" if variable.isDefaulted else str(variable.value)

        assert access("ann", email="ann@beta.example.com") == "True"
        assert access("bob", customData={"beta": True}) == "True"
        # Outside the audience: the second target (`is_not`) serves denied, not the default.
        assert access("carl", email="carl@example.org") == "False"
        assert access("dora", customData={"beta": False}) == "False"
