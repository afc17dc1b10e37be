"""Small things a first user hits: an empty manifest, a missing manifests folder (located at the
workspace's `manifests:`), a second YAML document, an unknown audience at plan time, and shell
completion of flag keys and environment names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli, cli_environment

WORKSPACE = "provider: devcycle\nproject: demo\nenvironments:\n  staging: {}\nmanifests: flags/\n"
FLAG = """\
flags:
  - key: dark-mode
    variables:
      dark-mode: {type: Boolean}
    variations:
      - {key: on, values: {dark-mode: true}}
      - {key: off, values: {dark-mode: false}}
    environments:
      staging:
        enabled: true
        targets:
          - {name: Beta, audience: {all: [{audience: beta-testrs}]}, serve: on}
          - {name: Everyone, serve: off}
"""


def _cli(tmp_path: Path, files: dict[str, str], workspace: str = WORKSPACE) -> Cli:
    (tmp_path / "flagsync.yaml").write_text(workspace)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return Cli(cwd=tmp_path, env={"PATH": "", "NO_COLOR": "1"})


def test_an_empty_manifest_is_a_located_problem(tmp_path: Path) -> None:
    result = _cli(tmp_path, {"flags/flags.yaml": FLAG, "flags/empty.yaml": ""})("validate")
    assert result.returncode == 1
    assert "flags/empty.yaml:1:1: the file is empty" in result.stderr


def test_a_missing_manifests_folder_is_located_at_its_setting(tmp_path: Path) -> None:
    workspace = WORKSPACE.replace("flags/", "flagz/")
    result = _cli(tmp_path, {"flags/flags.yaml": FLAG}, workspace)("validate")
    assert result.returncode == 1
    assert "flagsync.yaml:5:12: manifests: 'flagz' does not exist" in result.stderr


def test_the_default_manifests_folder_is_named_when_missing(tmp_path: Path) -> None:
    workspace = WORKSPACE.replace("manifests: flags/\n", "")
    result = _cli(tmp_path, {}, workspace)("validate")
    assert result.returncode == 1
    assert "'flags' does not exist (the default when `manifests:` is not set)" in result.stderr


def test_a_second_yaml_document_is_explained(tmp_path: Path) -> None:
    result = _cli(tmp_path, {"flags/flags.yaml": FLAG + "---\nflags: []\n"})("validate")
    assert result.returncode == 1
    assert "flags/flags.yaml:14:1: invalid YAML: a second YAML document starts here" in (
        result.stderr
    )


@pytest.mark.slow
def test_an_unknown_audience_at_plan_time_names_the_target_and_suggests(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    audience = "audiences:\n  - key: beta-testers\n    filters: {all: [{country: {is: DE}}]}\n"
    cli = _cli(tmp_path, {"flags/audiences.yaml": audience})
    cli.env = cli_environment(emulator)
    assert cli("apply", "--yes").returncode == 0
    (tmp_path / "flags" / "audiences.yaml").unlink()
    (tmp_path / "flags" / "flags.yaml").write_text(FLAG)
    result = cli("plan")
    assert result.returncode == 1
    assert "flag 'dark-mode' [staging]: audience 'beta-testrs' does not exist" in result.stderr
    assert "(target 'Beta')" in result.stderr
    assert "did you mean 'beta-testers'?" in result.stderr
    assert "flags/flags.yaml:12:54: flag 'dark-mode' [staging]" in result.stderr, result.stderr


@pytest.mark.slow
def test_shell_completion_offers_flag_keys_and_environments(tmp_path: Path) -> None:
    cli = _cli(tmp_path, {"flags/flags.yaml": FLAG})

    def complete(words: str) -> str:
        env = {"COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        env["_FLAGSYNC_COMPLETE"] = "bash_complete"
        return cli(env=env).stdout

    assert "plain,dark-mode" in complete("flagsync plan --flag dar")
    assert "plain,staging" in complete("flagsync apply --env st")
    assert os.sep not in complete("flagsync plan --env st")
