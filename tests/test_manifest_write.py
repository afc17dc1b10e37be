"""Writing manifests from models (`flagsync import`): what is written reads back as the same
flag, is valid against the manifest schema and rules, and leaves defaults out."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings

from reconciler.manifest.build import build_flag
from reconciler.manifest.write import flag_data
from reconciler.model import Flag
from tests.strategies import ENVIRONMENTS, POSTHOG_ENVIRONMENTS, flags, posthog_flags


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
