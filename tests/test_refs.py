"""`flagsync refs` on generated repositories in several languages: every planted SDK call is
found at its file:line, no decoy is, .gitignore is honoured (in Git and outside it), DevCycle
variable keys lead to their feature, and the report names unreferenced, undeclared and expired
flags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.commands.refs import run_refs
from reconciler.errors import ValidationFailed
from reconciler.workspace import load_workspace

POSTHOG_CODE = {
    "web/app.js": [
        ("if (posthog.isFeatureEnabled('js-flag')) {", "js-flag"),
        ('const v = posthog.getFeatureFlag("js-variant")', "js-variant"),
        ("const p = posthog.getFeatureFlagPayload(`js-payload`)", "js-payload"),
        ('console.log("isFeatureEnabled")', None),
        ("const x = posthog.isFeatureEnabled(flagName)", None),
        ('myGetFeatureFlag("not-a-flag")', None),
    ],
    "web/Banner.tsx": [
        ("const on = useFeatureFlagEnabled('react-flag')", "react-flag"),
        ('const variant = useFeatureFlagVariantKey("react-variant")', "react-variant"),
        ('return <PostHogFeature flag="react-component" match={true}>', "react-component"),
    ],
    "api/views.py": [
        ('if posthog.feature_enabled("py-flag", "user-1"):', "py-flag"),
        ("    variant = posthog.get_feature_flag('py-variant', distinct_id)", "py-variant"),
        ("# posthog.feature_enabled is called above", None),
    ],
    "svc/main.go": [
        ("enabled, _ := client.IsFeatureEnabled(posthog.FeatureFlagPayload{", None),
        ('\tKey:        "go-flag",', "go-flag"),
        ('\tDistinctId: "user-1",', None),
        ("})", None),
    ],
    "svc/Flags.java": [
        ('boolean on = posthog.isFeatureEnabled("distinct-id", "java-flag");', "java-flag"),
        ('Object v = posthog.getFeatureFlag(userId, "java-variant");', "java-variant"),
    ],
    "android/Main.kt": [('if (PostHog.isFeatureEnabled("kotlin-flag", false)) {}', "kotlin-flag")],
    "rails/app.rb": [("if posthog.is_feature_enabled('ruby-flag', 'user')", "ruby-flag")],
    "ios/View.swift": [('if PostHogSDK.shared.isFeatureEnabled("swift-flag") {', "swift-flag")],
    "dotnet/Program.cs": [
        ('var on = await posthog.IsFeatureEnabledAsync("csharp-flag", "user");', "csharp-flag")
    ],
    "README.md": [("call posthog.isFeatureEnabled('docs-only')", None)],
    "node_modules/lib/index.js": [("posthog.isFeatureEnabled('ignored-dependency')", None)],
}

DEVCYCLE_CODE = {
    "web/server.js": [
        ("const on = await devcycleClient.variable(user, 'js-var', false)", "js-var"),
        ("const v = devcycleClient.variableValue('js-client-var', 'x')", "js-client-var"),
        ("const n = devcycleClient.variable(user, someKey, false)", None),
        ('myvariable("nope"); variables("nope")', None),
    ],
    "web/Page.tsx": [("const dark = useVariableValue('react-var', false)", "react-var")],
    "api/app.py": [('on = client.variable_value(user, "py-var", False)', "py-var")],
    "svc/main.go": [('v, err := client.Variable(user, "go-var", false)', "go-var")],
    "svc/App.java": [('boolean on = client.variableValue(user, "java-var", false);', "java-var")],
    "ios/App.swift": [
        ('let v = dvcClient.variable(key: "swift-var", defaultValue: false)', "swift-var")
    ],
    "dotnet/App.cs": [
        ('var v = await client.VariableValueAsync(user, "csharp-var", false);', "csharp-var")
    ],
    "rails/app.rb": [("on = client.variable(user, 'ruby-var', false)", "ruby-var")],
}


def _plant(root: Path, code: dict[str, list[tuple[str, str | None]]]) -> set[tuple[str, int, str]]:
    planted = set()
    for name, lines in code.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        body = ["// generated", ""]
        for text, key in lines:
            body.append(text)
            if key:
                planted.add((name, len(body), key))
        path.write_text("\n".join(body) + "\n", encoding="utf-8")
    (root / ".gitignore").write_text("node_modules/\n", encoding="utf-8")
    return planted


def _workspace(root: Path, provider: str, flags: str) -> Path:
    (root / "flags").mkdir()
    (root / "flags" / "flags.yaml").write_text(flags, encoding="utf-8")
    if provider == "posthog":
        head = "provider: posthog\nenvironments:\n  production: {project_id: 1}\n"
    else:
        head = "provider: devcycle\nproject: demo\nenvironments:\n  production: {}\n"
    (root / "flagsync.yaml").write_text(head + "manifests: flags/\n", encoding="utf-8")
    return root / "flagsync.yaml"


POSTHOG_FLAGS = """flags:
  - key: js-flag
    owner: team-web
    expires: 2020-01-31
  - key: py-flag
  - key: forgotten
    expires: 2999-01-01
"""


def _found(report: object, root: Path) -> set[tuple[str, int, str]]:
    refs = report.references  # type: ignore[attr-defined]
    return {
        (str((Path.cwd() / r.file).resolve().relative_to(root.resolve())), r.line, r.key)
        for r, _ in refs
    }


@pytest.mark.parametrize("use_git", [True, False])
def test_posthog_planted_references_found_and_nothing_else(
    tmp_path: Path, use_git: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = _plant(tmp_path, POSTHOG_CODE)
    workspace = _workspace(tmp_path, "posthog", POSTHOG_FLAGS)
    if use_git:
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    report = run_refs(load_workspace(workspace), ())
    assert _found(report, tmp_path) == planted
    assert [f.key for f in report.unreferenced] == ["forgotten"]
    assert set(report.undeclared) == {key for _, _, key in planted} - {"js-flag", "py-flag"}
    [(expired, refs)] = report.expired
    assert expired.key == "js-flag" and expired.owner == "team-web"
    assert [(r.file, r.line) for r in refs] == [("web/app.js", 3)]


def test_devcycle_variable_keys_lead_to_their_feature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = _plant(tmp_path, DEVCYCLE_CODE)
    workspace = _workspace(
        tmp_path,
        "devcycle",
        "flags:\n"
        "  - key: checkout\n"
        "    variables: {js-var: {type: Boolean}, go-var: {type: Boolean}}\n"
        "    variations: [{key: a, values: {js-var: true, go-var: true}}]\n"
        "  - key: unused\n"
        "    permanent: true\n"
        "    variations: [{key: a}]\n",
    )
    monkeypatch.chdir(tmp_path)
    report = run_refs(load_workspace(workspace), ())
    assert _found(report, tmp_path) == planted
    assert {ref.key: flag for ref, flag in report.references}["go-var"] == "checkout"
    assert [(f.key, f.permanent) for f in report.unreferenced] == [("unused", True)]
    assert "js-var" not in report.undeclared and "swift-var" in report.undeclared


def test_workspace_patterns_paths_and_outputs_through_the_cli(tmp_path: Path) -> None:
    _plant(tmp_path, POSTHOG_CODE)
    workspace = _workspace(tmp_path, "posthog", POSTHOG_FLAGS)
    workspace.write_text(
        workspace.read_text()
        + "refs:\n  default_patterns: false\n  patterns:\n"
        + "    - {regex: 'flags\\.on\\(:(?P<key>[a-z-]+)\\)', files: [rb]}\n",
        encoding="utf-8",
    )
    (tmp_path / "rails" / "own.rb").write_text("x = flags.on(:forgotten)\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "reconciler", "refs", "-o", "json", "rails"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert [(r["file"], r["line"], r["flag"]) for r in data["references"]] == [
        ("rails/own.rb", 1, "forgotten")
    ]
    assert data["expired"][0]["key"] == "js-flag" and data["expired"][0]["references"] == []
    markdown = subprocess.run(
        [sys.executable, "-m", "reconciler", "refs", "-o", "markdown"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "| `js-flag` | 2020-01-31 | team-web | none: remove it |" in markdown.stdout


def test_a_bad_pattern_is_reported_at_its_line(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, "posthog", POSTHOG_FLAGS)
    workspace.write_text(
        workspace.read_text() + "refs:\n  patterns:\n    - regex: 'no group here'\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ValidationFailed, match=r"flagsync.yaml:7:\d+: not a usable regex: needs a group"
    ):
        run_refs(load_workspace(workspace), ())
