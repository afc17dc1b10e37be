"""Validation: one test per rule, asserting the exact `file:line:col: message` a user sees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.errors import ValidationFailed
from reconciler.manifest.loader import load_flags
from reconciler.workspace import load_workspace

GOOD_FLAG = """\
flags:
  - key: checkout
    variables:
      version: {type: String}
    variations:
      - {key: classic, values: {version: v1}}
      - {key: redesign, values: {version: v2}}
"""


def problems(make_workspace: Callable[..., Path], manifests: dict[str, str]) -> list[str]:
    file = make_workspace(manifests)
    with pytest.raises(ValidationFailed) as caught:
        load_flags(load_workspace(file))
    return [str(problem).removeprefix("flags/") for problem in caught.value.problems]


def test_valid_manifest_builds_flags(make_workspace: Callable[..., Path]) -> None:
    flags = load_flags(load_workspace(make_workspace({"a.yaml": GOOD_FLAG})))
    flag = flags.flags["checkout"]
    assert flag.name == "checkout"
    assert set(flag.variations) == {"classic", "redesign"}
    assert flag.environments["production"].enabled is False


def test_invalid_yaml_is_located(make_workspace: Callable[..., Path]) -> None:
    found = problems(make_workspace, {"a.yaml": "flags:\n  - key: x\n   name: y\n"})
    assert found == [
        "a.yaml:3:4: invalid YAML: expected <block end>, but found '<block mapping start>'"
    ]


def test_duplicate_yaml_key(make_workspace: Callable[..., Path]) -> None:
    found = problems(make_workspace, {"a.yaml": "flags:\n  - key: x\n    key: y\n"})
    assert found == [
        'a.yaml:3:5: invalid YAML: found duplicate key "key" with value "y" (original value: "x")'
    ]


@pytest.mark.parametrize(
    "manifest",
    [
        'flags:\n  - key: x\n    description: !!float ""\n',
        "flags:\n  - key: x\n    description: !!bool maybe\n",
        "flags:\n  - key: x\n    {a: [1]}: 2\n",
        "flags:\n  - key: x\n    [1, [2]]: 2\n",
    ],
)
def test_unconstructable_yaml_is_a_problem(
    make_workspace: Callable[..., Path], manifest: str
) -> None:
    """A value that does not fit its tag, or a collection as a key, is reported, not raised."""
    found = problems(make_workspace, {"a.yaml": manifest})
    assert len(found) == 1 and found[0].startswith("a.yaml:1:1: invalid YAML: cannot read it ("), (
        found
    )


@pytest.mark.parametrize(
    ("manifest", "where", "what"),
    [
        ("flags:\n  - key: x\n    description: !!binary aGVsbG8=\n", "3:18", "binary data"),
        ("flags:\n  - key: x\n    tags: [a, !!set {b}]\n", "3:15", "a set (!!set)"),
        ("flags:\n  - key: !custom x\n", "2:10", "the tag !custom"),
        ("flags: !!omap [{a: 1}]\n", "1:8", "pairs (!!omap)"),
    ],
)
def test_values_json_cannot_hold_are_located_problems(
    make_workspace: Callable[..., Path], manifest: str, where: str, what: str
) -> None:
    """Tags that make bytes, sets, pairs or application objects: a located problem saying
    what to write instead, never a traceback from the schema check."""
    found = problems(make_workspace, {"a.yaml": manifest})
    assert len(found) == 1, found
    assert found[0].startswith(f"a.yaml:{where}: {what}"), found
    assert "write strings, numbers, true/false, lists and mappings" in found[0]


def test_key_pattern(make_workspace: Callable[..., Path]) -> None:
    found = problems(make_workspace, {"a.yaml": "flags:\n  - key: New_Checkout\n"})
    assert found == [
        "a.yaml:2:10: flags[0].key: 'New_Checkout' is not a valid key: use only lower-case "
        "letters, digits, '-', '_' and '.'"
    ]


def test_key_length(make_workspace: Callable[..., Path]) -> None:
    found = problems(make_workspace, {"a.yaml": f"flags:\n  - key: {'k' * 101}\n"})
    assert found == ["a.yaml:2:10: flags[0].key: is 101 characters long, the limit is 100"]


def test_unknown_field_suggests_closest(make_workspace: Callable[..., Path]) -> None:
    found = problems(make_workspace, {"a.yaml": "flags:\n  - key: x\n    descripton: hi\n"})
    assert found == ["a.yaml:3:5: unknown field 'descripton' (did you mean 'description'?)"]


def test_wrong_type(make_workspace: Callable[..., Path]) -> None:
    found = problems(make_workspace, {"a.yaml": "flags:\n  - key: x\n    tags: checkout\n"})
    assert found == ["a.yaml:3:11: flags[0].tags: expected a list, got 'checkout'"]


def test_missing_required_field(make_workspace: Callable[..., Path]) -> None:
    found = problems(make_workspace, {"a.yaml": "flags:\n  - name: x\n"})
    assert found == ["a.yaml:2:5: missing required field 'key' in flags[0]"]


def test_enum_suggests_closest(make_workspace: Callable[..., Path]) -> None:
    found = problems(make_workspace, {"a.yaml": "flags:\n  - key: x\n    type: relase\n"})
    assert found == [
        "a.yaml:3:11: flags[0].type: 'relase' is not one of: release, experiment, permission, "
        "ops (did you mean 'release'?)"
    ]


def test_variation_value_matches_variable_type(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG.replace("{version: v2}", "{version: 2}")
    found = problems(make_workspace, {"a.yaml": text})
    assert found == [
        "a.yaml:7:43: variable 'version' is String, but variation 'redesign' gives 2 (a number)"
    ]


def test_every_variable_has_a_value(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG.replace("values: {version: v2}", "values: {}")
    found = problems(make_workspace, {"a.yaml": text})
    assert found == ["a.yaml:7:9: variation 'redesign' has no value for variable 'version'"]


def test_value_for_undeclared_variable(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG.replace("{version: v2}", "{version: v2, verison: v3}")
    found = problems(make_workspace, {"a.yaml": text})
    assert found == [
        "a.yaml:7:47: variation 'redesign' sets 'verison', which is not a variable of flag "
        "'checkout' (did you mean 'version'?)"
    ]


def test_target_serves_existing_variation(make_workspace: Callable[..., Path]) -> None:
    text = (
        GOOD_FLAG
        + "    environments:\n      staging:\n        targets:\n          - serve: redesing\n"
    )
    found = problems(make_workspace, {"a.yaml": text})
    assert found == [
        "a.yaml:11:20: serves 'redesing', which is not a variation of flag 'checkout' "
        "(variations: classic, redesign) (did you mean 'redesign'?)"
    ]


def test_split_sums_to_100(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG + (
        "    environments:\n      staging:\n        targets:\n"
        "          - serve: {classic: 60, redesign: 30}\n"
    )
    found = problems(make_workspace, {"a.yaml": text})
    assert found == ["a.yaml:11:20: split adds up to 90 %, it must be exactly 100 %"]


def test_enabled_needs_a_target(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG + "    environments:\n      staging:\n        enabled: true\n"
    found = problems(make_workspace, {"a.yaml": text})
    assert found == [
        "a.yaml:10:18: 'staging' is enabled but has no targets: DevCycle refuses to enable an "
        "environment without targets; add one, e.g. `targets: [{serve: <variation>}]`"
    ]


def test_environment_must_be_in_workspace(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG + "    environments:\n      prodution: {}\n"
    found = problems(make_workspace, {"a.yaml": text})
    assert found == [
        "a.yaml:9:7: environment 'prodution' is not in the workspace (it declares: development, "
        "staging, production) (did you mean 'production'?)"
    ]


def test_flag_keys_unique_across_files(make_workspace: Callable[..., Path]) -> None:
    other = "flags:\n  - key: checkout\n"
    found = problems(make_workspace, {"a.yaml": GOOD_FLAG, "b.yaml": other})
    assert found == ["b.yaml:2:10: flag key 'checkout' is already declared at flags/a.yaml:2:10"]


def test_variable_keys_unique_across_flags(make_workspace: Callable[..., Path]) -> None:
    other = "flags:\n  - key: other\n    variables:\n      version: {type: Number}\n"
    found = problems(make_workspace, {"a.yaml": GOOD_FLAG, "b.yaml": other})
    assert found == [
        "b.yaml:4:7: variable key 'version' is already used by flag 'checkout' at "
        "flags/a.yaml:4:7 (variable keys are unique per project)"
    ]


def test_variation_keys_unique_in_flag(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG.replace("key: redesign", "key: classic")
    found = problems(make_workspace, {"a.yaml": text})
    assert found == ["a.yaml:7:15: variation key 'classic' appears twice in flag 'checkout'"]


def test_one_condition_per_filter(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG + (
        "    environments:\n      staging:\n        targets:\n          - serve: classic\n"
        "            audience: {all: [{email: {is: a@b.c, ends_with: '@b.c'}}]}\n"
    )
    found = problems(make_workspace, {"a.yaml": text})
    assert found == [
        "a.yaml:12:38: flags[0].environments.staging.targets[0].audience.all[0].email: takes "
        "exactly one condition, got 2 (ends_with, is)"
    ]


def test_comparator_must_suit_the_field(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG + (
        "    environments:\n      staging:\n        targets:\n          - serve: classic\n"
        "            audience: {all: [{email: {gt: a}}]}\n"
    )
    found = problems(make_workspace, {"a.yaml": text})
    assert found == [
        "a.yaml:12:39: unknown field 'gt' (valid fields: contains, ends_with, exists, is, is_not, "
        "not_contains, not_ends_with, not_starts_with, starts_with)"
    ]


def test_country_code(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG + (
        "    environments:\n      staging:\n        targets:\n          - serve: classic\n"
        "            audience: {any: [{country: {is: usa}}]}\n"
    )
    found = problems(make_workspace, {"a.yaml": text})
    assert found == [
        "a.yaml:12:45: country 'usa' is not an ISO 3166-1 alpha-2 code "
        "(two capital letters, like US)"
    ]


def test_app_version_format(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG + (
        "    environments:\n      staging:\n        targets:\n          - serve: classic\n"
        "            audience: {all: [{app_version: {gte: 2.x}}]}\n"
    )
    found = problems(make_workspace, {"a.yaml": text})
    assert found == ["a.yaml:12:50: app_version '2.x' is not a version like 2.1.0"]


def test_custom_value_type_must_match(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG + (
        "    environments:\n      staging:\n        targets:\n          - serve: classic\n"
        "            audience: {all: [{custom: {key: seats, type: Number, is: many}}]}\n"
    )
    found = problems(make_workspace, {"a.yaml": text})
    assert found == ["a.yaml:12:39: custom property 'seats' is Number, but the values are String"]


def test_rollout_dates(make_workspace: Callable[..., Path]) -> None:
    text = GOOD_FLAG + (
        "    environments:\n      staging:\n        targets:\n          - serve: classic\n"
        "            rollout:\n              type: gradual\n"
        "              start: 2026-12-10T00:00:00Z\n"
        "              stages: [{percentage: 100, at: 2026-12-01T00:00:00Z}]\n"
    )
    found = problems(make_workspace, {"a.yaml": text})
    assert found == [
        "a.yaml:15:46: rollout stages must be later than the start and than the stage before"
    ]


def test_all_problems_reported_at_once(make_workspace: Callable[..., Path]) -> None:
    bad = GOOD_FLAG.replace("{version: v2}", "{version: 2}") + "    nmae: x\n"
    other = "flags:\n  - key: other\n    type: relase\n"
    found = problems(make_workspace, {"a.yaml": bad, "b.yaml": other})
    assert len(found) == 2
    assert found[0].startswith("a.yaml:8:5: unknown field 'nmae'")
    assert found[1].startswith("b.yaml:3:11: flags[0].type: 'relase'")


def test_cli_validate_exit_codes(make_workspace: Callable[..., Path]) -> None:
    runner = CliRunner()
    good = make_workspace({"a.yaml": GOOD_FLAG})
    result = runner.invoke(main, ["validate", "-w", str(good)])
    assert result.exit_code == 0, result.output
    assert "OK: 1 flag valid" in result.output
    (good.parent / "flags" / "b.yaml").write_text("flags:\n  - key: Nope\n")
    result = runner.invoke(main, ["validate", "-w", str(good)])
    assert result.exit_code == 1
    assert "flags[0].key: 'Nope' is not a valid key" in result.output
    assert "Traceback" not in result.output
    assert result.output.rstrip().endswith("1 problem found")


def test_workspace_errors_are_located(make_workspace: Callable[..., Path]) -> None:
    file = make_workspace(
        {}, workspace="provider: devcyle\nproject: demo\nenvironments: {dev: {}}\n"
    )
    result = CliRunner().invoke(main, ["validate", "-w", str(file)])
    assert result.exit_code == 1
    assert (
        "flagsync.yaml:1:11: provider: 'devcyle' is not one of: devcycle, posthog "
        "(did you mean 'devcycle'?)" in result.output
    )


def test_missing_workspace_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "-w", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "no workspace file here" in result.output
