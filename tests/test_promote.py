"""Promotion between environments, on the manifests alone: it rewrites only the target's
block, keeps the rest of the file byte for byte, is idempotent, and afterwards the plan of the
target environment shows exactly the differences the source had."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.manifest.emit import render_manifest
from reconciler.manifest.loader import load_flags
from reconciler.manifest.write import flag_data
from reconciler.model import Audience, EnvironmentConfig, Filter, Flag, FlagSet, Target
from reconciler.plan import diff_flag
from reconciler.promote import promote, summary
from reconciler.providers.posthog.context import ProjectContext
from reconciler.providers.posthog.promotion import missing_in_project
from reconciler.workspace import load_workspace
from tests.strategies import ENVIRONMENTS, POSTHOG_ENVIRONMENTS, flags, posthog_flags

WORKSPACE = """provider: devcycle
project: demo
environments:
  development: {}
  staging: {}
  production: {}
manifests: flags/
"""


def _workspace(folder: Path, text: str) -> Path:
    (folder / "flags").mkdir()
    (folder / "flagsync.yaml").write_text(WORKSPACE, encoding="utf-8")
    (folder / "flags" / "f.yaml").write_text(text, encoding="utf-8")
    return folder / "flagsync.yaml"


@settings(max_examples=60, deadline=None)
@given(
    flags(key="promoted"),
    st.sampled_from([(a, b) for a in ENVIRONMENTS for b in ENVIRONMENTS if a != b]),
)
def test_promotion_laws(flag: Flag, pair: tuple[str, str]) -> None:
    source, target = pair
    with tempfile.TemporaryDirectory() as folder:
        text = "# leading comment\n" + render_manifest([flag_data(flag)]) + "# trailing\n"
        workspace = load_workspace(_workspace(Path(folder), text))
        before = load_flags(workspace).flags["promoted"]
        outcome = promote(workspace, source, target)
        outcome.write()
        after = load_flags(workspace).flags["promoted"]
        # the target now equals the source; nothing else changed
        expected = before.model_copy(
            update={"environments": {**before.environments, target: before.environments[source]}}
        )
        assert after == expected
        # the plan of the target environment shows exactly the differences the source had
        assert diff_flag(after, before) == diff_flag(expected, before)
        assert all(c.environment == target for c in diff_flag(after, before))
        written = (Path(folder) / "flags" / "f.yaml").read_text(encoding="utf-8")
        assert written.startswith("# leading comment\n") and written.endswith("# trailing\n")
        # idempotent: a second promotion changes nothing
        again = promote(workspace, source, target)
        assert not again.edits and not again.promoted


POSTHOG_WORKSPACE = """provider: posthog
environments:
  staging: {project_id: 1}
  production: {project_id: 2}
manifests: flags/
"""


@settings(max_examples=40, deadline=None)
@given(
    posthog_flags(key="promoted"),
    st.sampled_from([("staging", "production"), ("production", "staging")]),
)
def test_posthog_promotion_laws(flag: Flag, pair: tuple[str, str]) -> None:
    """On PostHog an environment is a project: a flag the source project lacks is left
    alone; otherwise the target project's targeting becomes the source's, once."""
    source, target = pair
    assert set(POSTHOG_ENVIRONMENTS) == {source, target}
    with tempfile.TemporaryDirectory() as folder:
        path = _workspace(Path(folder), render_manifest([flag_data(flag, "posthog")]))
        path.write_text(POSTHOG_WORKSPACE, encoding="utf-8")
        workspace = load_workspace(path)
        before = load_flags(workspace).flags["promoted"]
        outcome = promote(workspace, source, target)
        outcome.write()
        after = load_flags(workspace).flags["promoted"]
        if source not in before.environments:
            assert after == before and not outcome.edits
            return
        expected = before.model_copy(
            update={"environments": {**before.environments, target: before.environments[source]}}
        )
        assert after == expected
        assert diff_flag(after, before) == diff_flag(expected, before)
        assert not promote(workspace, source, target).edits


KEEP = """# yaml-language-server: $schema=x
flags:
  # the first flag
  - key: a   # inline
    variations: [{key: "on"}]
    environments:
      staging:   # staging's comment
        enabled: true
        targets:
          - {name: Everyone, serve: "on"}   # everyone
      production:  # production's comment stays
        enabled: false

  # a comment about b, between flags
  - key: b
    variations: [{key: x}]
    environments:
      staging: {enabled: true, targets: [{name: All, serve: x}]}
"""


def test_only_the_target_block_changes_comments_kept(tmp_path: Path) -> None:
    workspace = load_workspace(_workspace(tmp_path, KEEP))
    outcome = promote(workspace, "staging", "production")
    assert outcome.promoted == ["a", "b"]
    outcome.write()
    text = (tmp_path / "flags" / "f.yaml").read_text(encoding="utf-8")
    assert text == KEEP.replace(
        "      production:  # production's comment stays\n        enabled: false\n",
        "      production:  # production's comment stays\n        enabled: true\n        targets:\n"
        '          - {name: Everyone, serve: "on"}   # everyone\n',
    ).replace(
        "      staging: {enabled: true, targets: [{name: All, serve: x}]}\n",
        "      staging: {enabled: true, targets: [{name: All, serve: x}]}\n"
        "      production: {enabled: true, targets: [{name: All, serve: x}]}\n",
    )


def test_a_change_request_environment_is_named_not_promoted(tmp_path: Path) -> None:
    path = _workspace(tmp_path, KEEP)
    path.write_text(
        WORKSPACE.replace("production: {}", "production: {changes: change-request}"),
        encoding="utf-8",
    )
    workspace = load_workspace(path)
    outcome = promote(workspace, "staging", "production")
    assert outcome.promoted == []
    assert {n.key for n in outcome.named} == {"a", "b"}
    assert "change requests" in outcome.named[0].reason
    allowed = promote(workspace, "staging", "production", allow_change_requests=True)
    assert allowed.promoted == ["a", "b"] and not allowed.named


def test_unknown_environments_are_refused(tmp_path: Path) -> None:
    workspace = load_workspace(_workspace(tmp_path, KEEP))
    with pytest.raises(Exception, match="not an environment"):
        promote(workspace, "staging", "prod")


def test_posthog_names_what_the_target_project_lacks() -> None:
    source = EnvironmentConfig(
        enabled=True,
        targets=(
            Target(
                audience=Audience(
                    filters=(
                        Filter(field="cohort", comparator="is", values=("Beta testers",)),
                        Filter(field="group", comparator="exists", data_key="n", group_type="org"),
                        Filter(field="flag", comparator="is", values=(True,), data_key="parent"),
                    )
                )
            ),
        ),
    )
    flag = Flag(key="child", name="child", environments={"staging": source})
    context = ProjectContext(
        environment="production", project_id=2, cohorts={"Other": 3}, known_group_types={}
    )
    problems = missing_in_project(flag, source, "production", context, FlagSet())
    assert problems == [
        "cohort 'Beta testers' does not exist in PostHog project 2 (production)",
        "group type 'org' does not exist in PostHog project 2 (production)",
        "depends on flag 'parent', which PostHog project 2 (production) does not have",
    ]
    context.cohorts["Beta testers"] = 4
    context.known_group_types = {"org": 0}
    context.flags["parent"] = 9
    assert missing_in_project(flag, source, "production", context, FlagSet()) == []


def test_a_flag_off_in_the_source_is_turned_off_in_the_target_and_said_so(
    tmp_path: Path,
) -> None:
    text = (
        "flags:\n"
        "  - key: only-prod\n"
        '    variations: [{key: "on"}]\n'
        "    environments:\n"
        "      production:\n"
        "        enabled: true\n"
        '        targets: [{name: All, serve: "on"}]\n'
    )
    workspace = load_workspace(_workspace(tmp_path, text))
    outcome = promote(workspace, "staging", "production")
    assert outcome.turned_off == ["only-prod"]
    outcome.write()
    assert "      production: {enabled: false}\n" in (tmp_path / "flags" / "f.yaml").read_text()
    assert "now off in production too: only-prod" in summary(outcome)


def test_experiments_are_named_not_promoted(tmp_path: Path) -> None:
    path = _workspace(
        tmp_path,
        "experiments:\n"
        "  - key: exp\n"
        "    name: Exp\n"
        "    variants: [{key: control, split: 50}, {key: test, split: 50}]\n"
        "    environments: [staging]\n",
    )
    path.write_text(POSTHOG_WORKSPACE, encoding="utf-8")
    outcome = promote(load_workspace(path), "staging", "production")
    assert outcome.experiments == ["exp"] and not outcome.edits
    assert "add production to it by hand to start them there: exp" in summary(outcome)


def test_a_pattern_that_matches_nothing_is_said(tmp_path: Path) -> None:
    workspace = load_workspace(_workspace(tmp_path, KEEP))
    outcome = promote(workspace, "staging", "production", ("nope-*",))
    assert not outcome.edits
    assert summary(outcome) == "--flag nope-*: no flag in the manifests matches.\n"
