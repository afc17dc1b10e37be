"""Writing manifests from models (`flagsync import`): what is written reads back as the same
flag, is valid against the manifest schema and rules, and leaves defaults out."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifest.build import build_flag
from reconciler.manifest.experiments import build_experiment
from reconciler.manifest.fast_yaml import load_plain
from reconciler.manifest.holdouts import build_holdout
from reconciler.manifest.write import flag_data
from reconciler.manifest.write_experiments import experiment_data, holdout_data
from reconciler.model import Experiment, Flag, FlagSet, Holdout
from tests.strategies import (
    ENVIRONMENTS,
    POSTHOG_ENVIRONMENTS,
    experiment_sets,
    experiments,
    flags,
    holdouts,
    posthog_flags,
)


@settings(max_examples=200, deadline=None)
@given(flags())
def test_devcycle_flags_round_trip(flag: Flag) -> None:
    assert build_flag(flag_data(flag), ENVIRONMENTS) == flag


@settings(max_examples=200, deadline=None)
@given(posthog_flags())
def test_posthog_flags_round_trip(flag: Flag) -> None:
    data = flag_data(flag, "posthog")
    assert build_flag(data, POSTHOG_ENVIRONMENTS, "posthog") == flag


def test_defaults_are_left_out() -> None:
    flag = Flag.model_validate(
        {
            "key": "dark-mode",
            "name": "dark-mode",
            "variations": {"on": {"name": "on"}, "off": {"name": "Off"}},
            "environments": {
                "development": {"enabled": True, "targets": [{"serve": {"on": 100}}]},
                "staging": {},
            },
        }
    )
    assert flag_data(flag) == {
        "key": "dark-mode",
        "variations": [{"key": "on"}, {"key": "off", "name": "Off"}],
        "environments": {"development": {"enabled": True, "targets": [{"serve": "on"}]}},
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(flags())
def test_written_manifests_pass_validation(tmp_path: Path, flag: Flag) -> None:
    from reconciler.manifest.emit import render_manifest
    from reconciler.manifest.loader import load_flags
    from reconciler.workspace import load_workspace

    (tmp_path / "flags").mkdir(exist_ok=True)
    (tmp_path / "flagsync.yaml").write_text(
        "provider: devcycle\nproject: demo\n"
        "environments: {development: {}, staging: {}, production: {}}\n"
    )
    (tmp_path / "flags" / "flag.yaml").write_text(render_manifest([flag_data(flag)]))
    loaded = load_flags(load_workspace(tmp_path / "flagsync.yaml"))
    assert loaded.flags[flag.key] == flag


@settings(max_examples=200, deadline=None)
@given(experiments(available=(Holdout(name="Global", percentage=5, environments=("staging",)),)))
def test_experiments_round_trip(experiment: Experiment) -> None:
    assert build_experiment(experiment_data(experiment)) == experiment


@settings(max_examples=200, deadline=None)
@given(holdouts())
def test_holdouts_round_trip(holdout: Holdout) -> None:
    assert build_holdout(holdout_data(holdout)) == holdout


def test_experiment_defaults_are_left_out() -> None:
    experiment = Experiment.model_validate(
        {
            "key": "pricing-page-test",
            "name": "Pricing page layout",
            "variants": {"control": {"split": 50}, "test": {"split": 50}},
            "environments": ["staging"],
        }
    )
    assert experiment_data(experiment) == {
        "key": "pricing-page-test",
        "name": "Pricing page layout",
        "environments": ["staging"],
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(posthog_flags(), max_size=2, unique_by=lambda f: f.key), experiment_sets("x"))
def test_written_posthog_manifests_pass_validation(
    tmp_path: Path, plain: list[Flag], generated: FlagSet
) -> None:
    """Flags, experiments and holdouts written into one file load back as the same models."""
    from reconciler.manifest.emit import render_sections
    from reconciler.manifest.loader import load_flags
    from reconciler.workspace import load_workspace

    (tmp_path / "flags").mkdir(exist_ok=True)
    (tmp_path / "flagsync.yaml").write_text(
        "provider: posthog\napi_url: http://127.0.0.1:1\n"
        "environments: {staging: {project_id: 1}, production: {project_id: 2}}\n"
    )
    sections = {
        "flags": [flag_data(flag, "posthog") for flag in plain],
        "experiments": [experiment_data(e) for e in generated.experiments.values()],
        "holdouts": [holdout_data(h) for h in generated.holdouts.values()],
    }
    (tmp_path / "flags" / "all.yaml").write_text(render_sections(sections))
    loaded = load_flags(load_workspace(tmp_path / "flagsync.yaml"))
    assert loaded == FlagSet(
        flags={flag.key: flag for flag in plain},
        experiments=generated.experiments,
        holdouts=generated.holdouts,
    )


@pytest.mark.parametrize("value", ["0:?", "0:?x", "1:2", "? a", ": b", "0:,", "x:}"])
def test_import_writes_strings_with_a_colon_before_an_indicator_so_they_read_back(
    value: str,
) -> None:
    from reconciler.manifest.emit import render_manifest, update_manifest

    """libyaml refuses `0:?` plain inside a flow collection (see tests/test_format.py): an
    entry import appends to a section written in flow style is written in flow style too."""
    entry = {"key": "f", "name": value, "tags": [value]}
    block = "flags:\n  - {key: f, name: x, tags: [x]}\n  - {key: g, tags: [y]}\n"
    flow = "flags: [{key: g, tags: [y]}]\n"
    for text in (
        render_manifest([entry]),
        update_manifest(block, [entry]),
        update_manifest(flow, [entry]),
    ):
        [flag] = [item for item in load_plain(text)["flags"] if item["key"] == "f"]
        assert (flag["name"], flag["tags"]) == (value, [value])
