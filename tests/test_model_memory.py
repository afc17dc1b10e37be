"""A manifest's flags held as models cost a few kilobytes each, so a plan of 100,000 flags
fits in memory: pydantic's set of given field names is shared between models that were given
the same fields (it was over half of each flag's memory), and models still compare, copy and
update as before."""

from __future__ import annotations

import gc
import tracemalloc

from reconciler.manifest.build import build_flag
from reconciler.model import EnvironmentConfig

ENVIRONMENTS = ["development", "staging", "production"]


def _data(key: str) -> dict[str, object]:
    return {
        "key": key,
        "tags": ["bench"],
        "environments": {
            "development": {"enabled": True, "targets": [{"name": "Everyone"}]},
            "staging": {
                "enabled": True,
                "targets": [
                    {
                        "name": "Staff",
                        "audience": {"all": [{"person": {"key": "email", "contains": "@acme"}}]},
                    },
                    {"name": "Rest", "percentage": 10},
                ],
            },
            "production": {"enabled": False, "targets": [{"name": "Everyone"}]},
        },
    }


def test_a_flag_model_takes_a_few_kilobytes() -> None:
    data = [_data(f"flag-{n:05d}") for n in range(2000)]
    build_flag(data[0], ENVIRONMENTS, "posthog")  # the sets shared from the first flag on
    gc.collect()
    tracemalloc.start()
    try:
        flags = [build_flag(item, ENVIRONMENTS, "posthog") for item in data]
        gc.collect()
        size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(flags) == 2000
    assert size / len(flags) < 6000, f"{size / len(flags):.0f} bytes a flag"


def test_shared_field_sets_leave_copies_and_comparisons_alone() -> None:
    one = build_flag(_data("one"), ENVIRONMENTS, "posthog")
    two = build_flag(_data("one"), ENVIRONMENTS, "posthog")
    assert one == two and one.model_fields_set == two.model_fields_set
    renamed = one.model_copy(update={"name": "Renamed"})
    assert renamed.name == "Renamed" and one.name == "one"
    assert renamed.model_fields_set == one.model_fields_set | {"name"}
    assert "name" in two.model_fields_set  # the shared set itself was not changed
    other = build_flag({"key": "other"}, ENVIRONMENTS, "posthog")
    assert other != one


def test_flags_configured_alike_share_their_environments_within_a_load() -> None:
    """A large workspace repeats a few environment configurations: the flags of one load share
    one model of each (the configurations were three quarters of a flag's memory), and each
    flag still equals the one built alone, its differing environments its own."""
    data = [_data(f"flag-{n:05d}") for n in range(2000)]
    odd = _data("odd")
    odd["environments"] = {"production": {"enabled": True, "targets": [{"name": "Everyone"}]}}
    shared: dict[str, EnvironmentConfig] = {}
    build_flag(data[0], ENVIRONMENTS, "posthog", shared)
    gc.collect()
    tracemalloc.start()
    try:
        flags = [build_flag(item, ENVIRONMENTS, "posthog", shared) for item in data]
        gc.collect()
        size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size / len(flags) < 1500, f"{size / len(flags):.0f} bytes a flag"
    assert flags[7] == build_flag(data[7], ENVIRONMENTS, "posthog")
    built_odd = build_flag(odd, ENVIRONMENTS, "posthog", shared)
    assert built_odd == build_flag(odd, ENVIRONMENTS, "posthog")
    assert list(built_odd.environments) == ["production"]
    assert built_odd.environments["production"].enabled
    assert not flags[0].environments["production"].enabled
