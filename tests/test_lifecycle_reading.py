"""The plan's expiry notice reads again only the manifest files that can name `expires`: a
large workspace without dates is not parsed a second time (the plan already read it once),
and a date spelled through a YAML escape is still found."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconciler.manifest import fast_yaml
from reconciler.manifest.lifecycle_checks import dated_flags, expiring, lifecycle_findings
from reconciler.workspace import load_workspace

PLAIN = "flags:\n  - key: plain-{n}\n    variations: [{{key: 'on'}}]\n"


def _workspace(folder: Path, files: dict[str, str]) -> Path:
    (folder / "flags").mkdir()
    for name, text in files.items():
        (folder / "flags" / name).write_text(text, encoding="utf-8")
    (folder / "flagsync.yaml").write_text(
        "provider: devcycle\nproject: demo\nenvironments:\n  production: {}\nmanifests: flags/\n",
        encoding="utf-8",
    )
    return folder / "flagsync.yaml"


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    load = fast_yaml.load_plain

    def counting(text: str) -> object:
        parsed.append(text)
        return load(text)

    monkeypatch.setattr(fast_yaml, "load_plain", counting)
    return parsed


def test_files_without_dates_are_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"f{n}.yaml": PLAIN.format(n=n) for n in range(5)}
    files["dated.yaml"] = "flags:\n  - key: old\n    expires: 2020-01-31\n"
    workspace = load_workspace(_workspace(tmp_path, files))
    parsed = _counting(monkeypatch)
    expired, soon = expiring(workspace, 30, date(2026, 1, 1))
    assert [flag.key for flag in expired] == ["old"] and soon == []
    assert len(parsed) == 1  # only the file that names `expires`


def test_an_escaped_expires_key_is_still_found(tmp_path: Path) -> None:
    files = {"escaped.yaml": 'flags:\n  - key: hidden\n    "\\x65xpires": 2020-01-31\n'}
    workspace = load_workspace(_workspace(tmp_path, files))
    assert [(flag.key, flag.expires) for flag in dated_flags(workspace)] == [
        ("hidden", date(2020, 1, 31))
    ]
    _, warnings = lifecycle_findings(workspace, (), date(2026, 1, 1))
    assert len(warnings) == 1 and "hidden" in warnings[0].message


def test_required_fields_still_read_every_file(tmp_path: Path) -> None:
    workspace = load_workspace(_workspace(tmp_path, {"a.yaml": PLAIN.format(n=1)}))
    problems, _ = lifecycle_findings(workspace, ("owner",), date(2026, 1, 1))
    assert len(problems) == 1 and "plain-1" in problems[0].message
