"""`flagsync validate -o text|json|github|sarif` through the real CLI: every problem located on
its file and line in each format; SARIF checked against the published SARIF 2.1.0 schema
(OASIS, errata01, vendored in tests/schemas/), GitHub workflow commands parsed back."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = json.loads((REPO / "tests/schemas/sarif-schema-2.1.0.json").read_text())

TYPO = """\
flags:
  - key: old-checkout
    descripton: typo
"""

BROKEN = """\
flags:
  - key: new-checkout
    variables:
      v: {type: String}
    variations:
      - {key: a, values: {v: x}}
      - {key: b, values: {v: y}}
    environments:
      staging:
        enabled: true
        targets:
          - {name: "Everyone, really: all", serve: c}
"""


def _validate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    (tmp_path / "flagsync.yaml").write_text(
        "provider: devcycle\nproject: demo\nenvironments: {staging: {}}\nmanifests: flags/\n"
    )
    (tmp_path / "flags").mkdir()
    (tmp_path / "flags/checkout.yaml").write_text(BROKEN)
    (tmp_path / "flags/legacy.yaml").write_text(TYPO)
    return tmp_path


@pytest.fixture
def valid(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "tests" / "fixtures" / "examples" / "devcycle", tmp_path / "ws")
    return tmp_path / "ws"


def test_text_lists_every_problem_with_file_line_col(broken: Path) -> None:
    result = _validate(broken)
    assert result.returncode == 1
    assert "flags/legacy.yaml:3:5: unknown field 'descripton'" in result.stderr
    assert "2 problems found" in result.stderr


def test_json_is_the_documented_shape(broken: Path) -> None:
    result = _validate(broken, "-o", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["format_version"] == 1 and data["valid"] is False
    lines = {(p["file"], p["line"]) for p in data["problems"]}
    assert lines == {("flags/checkout.yaml", 12), ("flags/legacy.yaml", 3)}
    assert all(set(p) == {"file", "line", "column", "message"} for p in data["problems"])


def test_github_prints_one_annotation_per_problem_that_parses_back(broken: Path) -> None:
    result = _validate(broken, "-o", "github")
    assert result.returncode == 1
    commands = result.stdout.splitlines()
    assert len(commands) == 2
    parsed = []
    for line in commands:
        match = re.fullmatch(r"::error (?P<props>[^:]*)::(?P<message>.*)", line)
        assert match, line
        props = dict(item.split("=", 1) for item in match["props"].split(","))
        parsed.append((props["file"], props["line"], props["col"], _unescape(match["message"])))
    assert ("flags/legacy.yaml", "3", "5") in {p[:3] for p in parsed}
    serve = next(p for p in parsed if p[1] == "12")
    assert "serves 'c'" in serve[3]


def _unescape(text: str) -> str:
    """As the Actions runner does."""
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%25", "%")


@pytest.mark.slow
def test_sarif_matches_the_published_schema_and_locates_problems(broken: Path) -> None:
    result = _validate(broken, "-o", "sarif")
    assert result.returncode == 1
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    results = log["runs"][0]["results"]
    regions = sorted(
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results
    )
    assert regions == [("flags/checkout.yaml", 12), ("flags/legacy.yaml", 3)]
    assert all(r["level"] == "error" for r in results)


@pytest.mark.slow
@pytest.mark.parametrize("output", ["json", "github", "sarif"])
def test_a_valid_workspace_exits_0_with_machine_output_only_on_stdout(
    valid: Path, output: str
) -> None:
    result = _validate(valid, "-o", output)
    assert result.returncode == 0, result.stderr
    assert "OK:" in result.stderr
    if output == "json":
        assert json.loads(result.stdout)["valid"] is True
    elif output == "sarif":
        log = json.loads(result.stdout)
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
        assert log["runs"][0]["results"] == []
    else:
        assert result.stdout == ""
