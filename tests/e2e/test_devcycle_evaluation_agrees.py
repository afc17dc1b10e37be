"""flagsync's offline DevCycle evaluation gives the answer DevCycle's own server SDK gives.

Hypothesis generates flags (targets in order, audiences with every filter flagsync can write,
nested groups, references to reusable audiences, custom data of each type, splits, scheduled,
gradual and stepped rollouts, feature status) and users whose fields hit and miss those
filters. flagsync applies the flags to the emulator; `devcycle-python-server-sdk` (local
bucketing: DevCycle's bucketing library as WASM, fed the emulator's SDK config) evaluates each
user; flagsync's evaluator, given the ids read back from the emulator, must agree on every
flag's variation and every variable's value, and call each answer exact. Without the live ids,
every answer it calls exact must agree too.
"""

from __future__ import annotations

import itertools
import platform
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.emulator.devcycle.projects import default_settings
from reconciler.model import (
    Audience,
    CustomProperty,
    EnvironmentConfig,
    Filter,
    Flag,
    FlagSet,
    ReusableAudience,
    Rollout,
    RolloutStage,
    Target,
    Variable,
    Variation,
)
from reconciler.providers.devcycle.evaluate import evaluator
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.reconcile import make_plan
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, devcycle_provider
from tests.emulator_auth import fetch_token
from tests.emulator_sdk.conftest import sdk_client, server_key
from tests.strategies import KEY_ALPHABET, splits
from tests.strategies import STRING_COMPARATORS as FLAG_STRING_COMPARATORS

pytest.importorskip("devcycle_python_sdk")

ENV = "production"
USERS = 50
_unique = itertools.count()
TALLY: Counter[str] = Counter()
"""Cases compared, by kind of answer (printed at the end of the module, with -s)."""
AGREEMENT = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Small pools, shared by filters and users, so filters both hold and miss users.
USER_IDS = ["u1", "u2", "anna", "bob@x", "ü-ser", "42"]
EMAILS = ["a@acme.com", "b@example.org", "ops@acme.com.evil", ""]
COUNTRIES = ["US", "CA", "DE"]
DEVICES = ["iPhone 15", "Pixel 8", "iPad"]
APP_VERSIONS = ["1.2.3", "2.0", "1.10.0", "3", "2.0.0", "10.1"]
ODD_VERSIONS = ["1.2.3-beta", "v2.1", "2.0.0a", "2..1", "1.2-rc.1", "x"]
"""Versions the SDK strips before comparing (its quirky regex replacement)."""
PLATFORMS = ["Python", "iOS", "Py"]
PYTHON = platform.python_version()
PLATFORM_VERSIONS = [PYTHON, PYTHON.rsplit(".", 1)[0], "3", "2.7.18", "3.99"]
WORDS = ["a", "acme", "@acme.com", "u", "US", "Pixel", "1.2", "Py", "o"]
CUSTOM = {"plan": "String", "seats": "Number", "beta": "Boolean"}
CUSTOM_VALUES: dict[str, list[Any]] = {
    "plan": ["free", "pro", "trial", ""],
    "seats": [0, 1, 5, 10, -3, 2.5],
    "beta": [True, False],
}
STRING_FIELDS = {
    "user_id": USER_IDS,
    "email": EMAILS,
    "country": COUNTRIES,
    "device_model": DEVICES,
}
STRING_COMPARATORS = [*FLAG_STRING_COMPARATORS, "exists", "not_exists"]
VERSION_COMPARATORS = ["is", "is_not", "gt", "gte", "lt", "lte", "exists", "not_exists"]
NUMBER_COMPARATORS = ["is", "is_not", "gt", "gte", "lt", "lte", "exists", "not_exists"]
BOOLEAN_COMPARATORS = ["is", "is_not", "exists", "not_exists"]


_TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12)
# Variable values (the SDK's Python side cannot read a control character back from WASM).
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "Boolean": st.booleans(),
    "String": _TEXT,
    "Number": st.one_of(st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6, allow_nan=False)),
    "JSON": st.dictionaries(
        st.text(KEY_ALPHABET, min_size=1, max_size=5),
        st.one_of(st.integers(-100, 100), _TEXT, st.booleans()),
        max_size=3,
    ),
}


def _values(pool: list[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True).map(tuple)


@st.composite
def leaf_filters(draw: st.DrawFn, audience_keys: list[str]) -> Filter:
    kinds = ["string", "version", "platform", "custom"] + (["audience"] if audience_keys else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "audience":
        return Filter(
            field="audience",
            comparator=draw(st.sampled_from(["is", "is_not"])),
            values=draw(_values(audience_keys)),
        )
    if kind in ("string", "platform"):
        field = "platform" if kind == "platform" else draw(st.sampled_from(list(STRING_FIELDS)))
        comparator = draw(st.sampled_from(STRING_COMPARATORS))
        pool = PLATFORMS if kind == "platform" else STRING_FIELDS[field] + WORDS
        values = () if "exists" in comparator else draw(_values([v for v in pool if v]))
        return Filter(field=field, comparator=comparator, values=values)  # type: ignore[arg-type]
    if kind == "version":
        field = draw(st.sampled_from(["app_version", "platform_version"]))
        comparator = draw(st.sampled_from(VERSION_COMPARATORS))
        pool = APP_VERSIONS + ODD_VERSIONS if field == "app_version" else PLATFORM_VERSIONS
        values = () if "exists" in comparator else draw(_values(pool))
        return Filter(field=field, comparator=comparator, values=values)  # type: ignore[arg-type]
    key = draw(st.sampled_from(list(CUSTOM)))
    data_type = CUSTOM[key]
    comparators = {"String": STRING_COMPARATORS, "Number": NUMBER_COMPARATORS}.get(
        data_type, BOOLEAN_COMPARATORS
    )
    comparator = draw(st.sampled_from(comparators))
    pool = [v for v in CUSTOM_VALUES[key] if v != ""] + (WORDS if data_type == "String" else [])
    values = () if "exists" in comparator else draw(_values(pool))
    return Filter(
        field="custom",
        comparator=comparator,  # type: ignore[arg-type]
        values=values,
        data_key=key,
        data_key_type=data_type,  # type: ignore[arg-type]
    )


@st.composite
def audiences(draw: st.DrawFn, audience_keys: list[str], depth: int = 1) -> Audience:
    if draw(st.integers(0, 2)) == 0:
        return Audience()
    members: list[Filter] = []
    for _ in range(draw(st.integers(1, 3))):
        if depth > 0 and draw(st.integers(0, 3)) == 0:
            inner = draw(audiences(audience_keys, depth - 1))
            if inner.filters:
                members.append(Filter.group(inner.match, inner.filters))
                continue
        members.append(draw(leaf_filters(audience_keys)))
    return Audience(match=draw(st.sampled_from(["all", "any"])), filters=tuple(members))


@st.composite
def rollouts(draw: st.DrawFn, now: datetime) -> Rollout:
    """Rollouts around `now`, with stages days apart (so the SDK's clock and the evaluator's
    `now`, a second apart, see the same percentage)."""
    kind = draw(st.sampled_from(["schedule", "gradual", "stepped"]))
    start = now + timedelta(hours=draw(st.integers(-24 * 30, 24 * 30)))
    if kind == "schedule":
        return Rollout(type="schedule", start=start)
    stages, at = [], start
    for _ in range(1 if kind == "gradual" else draw(st.integers(1, 3))):
        at = at + timedelta(days=draw(st.integers(2, 20)))
        transition = (
            "linear" if kind == "gradual" else draw(st.sampled_from(["linear", "discrete"]))
        )
        stages.append(
            RolloutStage(percentage=draw(st.integers(0, 100)), at=at, transition=transition)
        )
    return Rollout(
        type=kind,
        start=start,
        start_percentage=draw(st.integers(0, 100)),
        stages=tuple(stages),
    )


@st.composite
def flag_sets(draw: st.DrawFn, prefix: str, now: datetime) -> FlagSet:
    audience_keys = [f"{prefix}-aud-{i}" for i in range(draw(st.integers(0, 2)))]
    reusable: dict[str, ReusableAudience] = {}
    for key in audience_keys:
        # flagsync writes a reusable audience's filters without references to other ones.
        audience = draw(audiences([]))
        reusable[key] = ReusableAudience(key=key, name=key, audience=audience)
    flags: dict[str, Flag] = {}
    for f in range(draw(st.integers(1, 3))):
        key = f"{prefix}-flag-{f}"
        variables = {
            f"{key}-var-{i}": Variable(type=kind, name=f"var {i}")
            for i, kind in enumerate(
                draw(st.lists(st.sampled_from(["Boolean", "String", "Number", "JSON"]), max_size=2))
            )
        }
        variation_keys = [f"v{i}" for i in range(draw(st.integers(1, 4)))]
        variations = {
            v: Variation(
                name=v.upper(),
                values={name: draw(VALUES[var.type]) for name, var in variables.items()},
            )
            for v in variation_keys
        }
        targets = tuple(
            Target(
                name=draw(st.one_of(st.none(), st.just(f"target {t}"))),
                audience=draw(audiences(audience_keys)),
                serve=draw(splits(variation_keys))
                if len(variation_keys) == 1 or draw(st.booleans())
                else draw(splits(variation_keys).filter(lambda split: len(split) > 1)),
                rollout=draw(st.one_of(st.none(), rollouts(now))),
            )
            for t in range(draw(st.integers(1, 4)))
        )
        status = draw(st.sampled_from(["active"] * 6 + ["complete", "archived"]))
        flags[key] = Flag(
            key=key,
            name=key,
            variables=variables,
            variations=variations,
            environments={
                ENV: EnvironmentConfig(enabled=draw(st.integers(0, 5)) > 0, targets=targets)
            },
            status=status,
            static_variation=draw(st.sampled_from(variation_keys))
            if status == "complete"
            else None,
        )
    properties = {
        name: CustomProperty(key=name, name=name, property_key=name, type=kind)  # type: ignore[arg-type]
        for name, kind in CUSTOM.items()
    }
    return FlagSet(flags=flags, audiences=reusable, custom_properties=properties)


@st.composite
def users(draw: st.DrawFn) -> dict[str, Any]:
    user: dict[str, Any] = {
        "user_id": draw(
            st.one_of(
                st.sampled_from(USER_IDS),
                _TEXT.filter(bool),
            )
        )
    }
    for name, pool in (
        ("email", EMAILS),
        ("country", COUNTRIES),
        ("deviceModel", DEVICES),
        ("appVersion", APP_VERSIONS + ODD_VERSIONS),
    ):
        if draw(st.booleans()):
            user[name] = draw(st.sampled_from(pool))
    custom: dict[str, Any] = {}
    for name in CUSTOM:
        choice = draw(st.integers(0, 5))
        if choice == 0:
            continue  # missing
        if choice == 1:
            custom[name] = draw(st.sampled_from([None, "5", 7, True, "pro"]))  # any type
        else:
            custom[name] = draw(st.sampled_from(CUSTOM_VALUES[name]))
    if custom:
        key = "privateCustomData" if draw(st.integers(0, 3)) == 0 else "customData"
        user[key] = custom
    return user


@pytest.fixture(scope="module", autouse=True)
def tally() -> Iterator[None]:
    yield
    print(f"\nDevCycle SDK vs offline evaluation, cases agreeing: {dict(TALLY)}")


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)) as server:
        yield server


@pytest.fixture(scope="module")
def provider(emulator: EmulatorServer) -> Iterator[DevCycleProvider]:
    provider = devcycle_provider(emulator, environments=[ENV])
    yield provider
    provider.close()


@pytest.fixture(scope="module")
def sdk_key(emulator: EmulatorServer) -> str:
    token = fetch_token(emulator.url, CLIENT_ID, CLIENT_SECRET)
    with httpx.Client(base_url=emulator.url, headers={"Authorization": token}) as api:
        return server_key(api, "demo", ENV)


def _sdk_answers(emulator: EmulatorServer, sdk_key: str, people: list[dict[str, Any]]) -> list[Any]:
    from devcycle_python_sdk.models.user import DevCycleUser

    answers = []
    with sdk_client(emulator, sdk_key) as client:
        for person in people:
            sdk_user = DevCycleUser(**person)
            features = client.all_features(sdk_user)
            variables = client.all_variables(sdk_user)
            answers.append(
                (
                    {key: f.variationKey for key, f in features.items()},
                    {key: v.value for key, v in variables.items()},
                )
            )
    return answers


@pytest.mark.slow
@AGREEMENT
@given(st.data())
def test_offline_evaluation_agrees_with_the_devcycle_sdk(
    emulator: EmulatorServer, provider: DevCycleProvider, sdk_key: str, data: st.DataObject
) -> None:
    _agree(emulator, provider, sdk_key, data, passthrough=True)


@pytest.mark.slow
@settings(AGREEMENT, max_examples=12)
@given(st.data())
def test_without_passthrough_rollouts_too(
    emulator: EmulatorServer, provider: DevCycleProvider, sdk_key: str, data: st.DataObject
) -> None:
    """A project with `settings.disablePassthroughRollouts` (read by bucketing.ts
    `doesUserQualifyForFeature`): the first target whose audience holds the user decides."""
    path = f"/v1/projects/{provider.workspace.project}"
    # `UpdateProjectDto` takes the settings whole, without the protected groups.
    current = {**default_settings("2026-01-01T00:00:00.000Z")}
    current.update(provider.client.json("GET", path)["settings"])
    settings_now = {
        key: value
        for key, value in current.items()
        if key not in ("featureApprovalWorkflow", "staleness")
    }
    settings_now["optIn"] = {**settings_now["optIn"], "title": "Beta", "description": "Beta"}
    strict = {**settings_now, "disablePassthroughRollouts": True}
    provider.client.json("PATCH", path, body={"settings": strict})
    served = httpx.get(f"{emulator.url}/config/v2/server/{sdk_key}.json").json()
    assert served["project"]["settings"]["disablePassthroughRollouts"] is True
    try:
        _agree(emulator, provider, sdk_key, data, passthrough=False)
    finally:
        provider.client.json("PATCH", path, body={"settings": settings_now})


def _agree(
    emulator: EmulatorServer,
    provider: DevCycleProvider,
    sdk_key: str,
    data: st.DataObject,
    passthrough: bool,
) -> None:
    now = datetime.now(UTC)
    desired: FlagSet = data.draw(flag_sets(f"ev{next(_unique)}", now))
    people = data.draw(st.lists(users(), min_size=USERS, max_size=USERS))
    result = apply_plan(make_plan(provider.workspace, desired, provider), provider, lambda _: None)
    assert result.ok, result.error
    live = provider.read(set(desired.flags))
    mode = {"passthrough_rollouts": passthrough}
    offline = evaluator(desired, live, now=datetime.now(UTC), **mode)
    blind = evaluator(desired, now=datetime.now(UTC), **mode)  # no live ids: must say so
    answers = _sdk_answers(emulator, sdk_key, people)
    context = {"platform": "Python", "platform_version": PYTHON}
    tally = "" if passthrough else "strict: "
    for person, (features, variables) in zip(people, answers, strict=True):
        for key, flag in desired.flags.items():
            got = offline.evaluate(key, ENV, {**person, **context})
            assert got.exact, got.reason
            assert got.variation == features.get(key), (person, key, got.reason)
            expected = {name: variables[name] for name in flag.variables if name in variables}
            assert dict(got.values) == expected, (person, key, got.reason)
            TALLY[f"{tally}all"] += 1
            guess = blind.evaluate(key, ENV, {**person, **context})
            if guess.exact:
                assert guess.variation == got.variation, (person, key, guess.reason)
                TALLY[f"{tally}exact without live ids"] += 1
            TALLY[f"{tally}{_kind(flag, got.rule)}"] += 1
    TALLY[f"{tally}examples"] += 1


def _kind(flag: Flag, rule: str | None) -> str:
    """What decided a case: nothing served, one variation, or a hash (split or rollout)."""
    if rule is None:
        return "served nothing"
    for index, target in enumerate(flag.environments[ENV].targets):
        if rule in (target.name, f"#{index + 1}"):
            if len(target.serve) > 1:
                return "split"
            return "rollout" if target.rollout else "one variation"
    return rule
