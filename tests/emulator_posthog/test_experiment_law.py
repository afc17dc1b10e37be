"""The round-trip law of flagsync's experiment mapping, against the emulator: for every
experiment the model holds, the request bodies flagsync sends, answered as PostHog answers them,
read back into the model, give the same experiment. The calls go through the contract client,
so every body is also checked against PostHog's OpenAPI document."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.model import Experiment, ExperimentVariant
from reconciler.providers.posthog import experiments as translate

from .conftest import ContractClient, define_events

BASE = "/api/projects/1"
_serial = itertools.count()

variant_keys = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=10)
payloads = st.one_of(
    st.none(),
    st.integers(-100, 100),
    st.text(max_size=10),
    st.dictionaries(st.text("abc", min_size=1, max_size=3), st.integers(0, 9), max_size=2),
)
names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=30,
)
# Event names as ingestion stores them (DRF trims a defined name's whitespace).
events = st.text("abcdefghij _", min_size=1, max_size=12).filter(lambda e: e == e.strip())
metrics = st.lists(
    st.builds(
        lambda event, math, name: {
            "kind": "ExperimentMetric",
            "metric_type": "mean",
            "name": name,
            "source": {"kind": "EventsNode", "event": event, "math": math},
        },
        events,
        st.sampled_from(["total", "unique_session"]),
        names,
    ),
    max_size=2,
).map(tuple)


@st.composite
def experiments(draw: st.DrawFn, status: Any = None) -> Experiment:
    others = draw(
        st.lists(variant_keys.filter(lambda k: k != "control"), min_size=1, max_size=4, unique=True)
    )
    keys = ["control", *others]
    cuts = sorted(
        draw(st.lists(st.integers(0, 100), min_size=len(keys) - 1, max_size=len(keys) - 1))
    )
    splits = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    return Experiment(
        key=f"law-{next(_serial)}",
        name=draw(names),
        description=draw(st.one_of(st.just(""), names)),
        variants={
            key: ExperimentVariant(split=split, payload=draw(payloads))
            for key, split in zip(keys, splits, strict=True)
        },
        metrics=draw(metrics),
        secondary_metrics=draw(metrics),
        status=draw(
            status if status is not None else st.sampled_from(["draft", "running", "stopped"])
        ),
        environments=("staging",),
    )


def _read(client: ContractClient, key: str) -> Experiment:
    rows = client.get(f"{BASE}/experiments/", params={"limit": 1000}).json()["results"]
    (raw,) = [row for row in rows if row["feature_flag_key"] == key]
    flags = client.get(f"{BASE}/feature_flags/", params={"limit": 1000}).json()["results"]
    (flag,) = [row for row in flags if row["key"] == key]
    return translate.experiment_to_model(raw, flag, "staging")


def _send(client: ContractClient, method: str, path: str, body: Any) -> dict[str, Any]:
    response = client.request(method, path, json=body)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def _create(client: ContractClient, experiment: Experiment) -> dict[str, Any]:
    for metric in [*experiment.metrics, *experiment.secondary_metrics]:
        define_events(client, str(metric["source"]["event"]))
    created = _send(client, "POST", f"{BASE}/experiments/", translate.create_body(experiment))
    flag_path = f"{BASE}/feature_flags/{created['feature_flag']['id']}/"
    _send(client, "PATCH", flag_path, translate.ownership_body(None))
    if experiment.status != "draft":
        _send(client, "POST", f"{BASE}/experiments/{created['id']}/launch/", {})
    if experiment.status == "stopped":
        _send(client, "POST", f"{BASE}/experiments/{created['id']}/end/", {})
    return created


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(experiment=experiments())
def test_create_then_read_is_the_same_experiment(
    client: ContractClient, experiment: Experiment
) -> None:
    _create(client, experiment)
    assert _read(client, experiment.key) == experiment


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=experiments(st.just("draft")), after=experiments(st.just("draft")))
def test_update_then_read_is_the_desired_experiment(
    client: ContractClient, before: Experiment, after: Experiment
) -> None:
    """A draft takes any change: name, description, variants, payloads, metrics."""
    created = _create(client, before)
    after = after.model_copy(update={"key": before.key})
    live = _read(client, before.key)
    flags = client.get(f"{BASE}/feature_flags/", params={"limit": 1000}).json()["results"]
    (flag,) = [row for row in flags if row["key"] == before.key]
    payloads = translate.flag_payloads_body(after, live, flag)
    if payloads is not None:  # first, as the plan orders it: stale payload keys go first
        _send(client, "PATCH", f"{BASE}/feature_flags/{flag['id']}/", payloads)
    for metric in [*after.metrics, *after.secondary_metrics]:
        define_events(client, str(metric["source"]["event"]))
    body = translate.update_body(after, live, created)
    if body is not None:
        _send(client, "PATCH", f"{BASE}/experiments/{created['id']}/", body)
    assert _read(client, before.key) == after
