"""The action's pieces in-process: output syntax, markers, folding and cutting, plan files, API."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.github.api import GitHubApi
from reconciler.github.comment import Comment, Identity, decide
from reconciler.github.errors import ActionError, GitHubError
from reconciler.github.markers import read_fingerprint, sticky_marker, workspace_id
from reconciler.github.outputs import format_output, set_outputs
from reconciler.github.planfile import PlanReport, counts_line
from reconciler.github.summary import FOLD_LINES, Document, clean_log, utf8_size
from tests.github.conftest import parse_outputs


def test_outputs_one_line_and_multiline(tmp_path: Path) -> None:
    file = tmp_path / "output"
    set_outputs(file, {"changes": "true", "report": "line one\nchanges=false\nline three"})
    text = file.read_text()
    assert "changes=true\n" in text
    assert "report<<ghadelimiter_" in text
    assert parse_outputs(text) == {
        "changes": "true",
        "report": "line one\nchanges=false\nline three",
    }


def test_an_output_cannot_end_its_own_block() -> None:
    value = "a\nghadelimiter_x\nb"
    name, rest = format_output("v", value).split("<<", 1)
    delimiter = rest.splitlines()[0]
    assert delimiter not in value


def test_no_output_file_outside_actions() -> None:
    set_outputs(None, {"changes": "true"})  # nothing to write to, and no error


def test_workspace_id_is_relative_to_the_repository(tmp_path: Path) -> None:
    (tmp_path / "teams" / "web").mkdir(parents=True)
    assert workspace_id(tmp_path / "teams" / "web", tmp_path) == "teams/web/flagsync.yaml"
    assert workspace_id("./flagsync.yaml") == "flagsync.yaml"
    assert workspace_id("") == "flagsync.yaml"


def test_workspace_id_cannot_break_the_html_comment() -> None:
    tricky = workspace_id("a--> <b>/flagsync.yaml")
    assert "--" not in tricky and ">" not in tricky and " " not in tricky
    assert tricky != workspace_id("a-> <b>/flagsync.yaml")
    assert sticky_marker(tricky).count("-->") == 1


def test_the_last_fingerprint_marker_counts() -> None:
    body = (
        '| flag | `description` | | "<!-- flagsync-fingerprint: ' + "a" * 64 + ' -->" |\n'
        "<!-- flagsync-fingerprint: " + "b" * 64 + " -->\n"
    )
    assert read_fingerprint(body) == "b" * 64
    assert read_fingerprint("no marker") is None


def test_counts_line() -> None:
    counts = {"create": 3, "update": 1, "delete": 0, "change_request": 2}
    assert counts_line(counts) == "3 to create, 1 to update, 0 to delete, 2 change requests"
    assert counts_line({**counts, "change_request": 1}).endswith("1 change request")


def test_short_plans_stay_open_long_ones_fold() -> None:
    short = Document(head=["head"], plan="\n".join(["x"] * FOLD_LINES)).render()
    assert "<details>" not in short
    long = Document(head=["head"], plan="\n".join(["x"] * (FOLD_LINES + 1))).render()
    assert f"<details><summary>Show the plan ({FOLD_LINES + 1} lines)</summary>" in long
    wide = Document(head=["head"], plan="y" * 50_001).render()
    assert "<details>" in wide


def test_cutting_keeps_head_and_tail_and_counts_bytes() -> None:
    plan = "\n".join(f"| row {i} | é |" for i in range(20_000))
    document = Document(head=["HEAD"], plan=plan, tail=["TAIL"], cut_note="cut: {count} more")
    text = document.render(10_000, utf8_size)
    assert utf8_size(text) <= 10_000
    assert text.startswith("HEAD\n") and text.rstrip().endswith("TAIL")
    assert "_cut: " in text and "more_" in text


def test_cutting_prefers_a_section_boundary() -> None:
    sections = ["#### flag", "", "| a | b |", "|---|---|", "| 1 | 2 |", ""] * 2_000
    text = Document(head=["H"], plan="\n".join(sections)).render(5_000)
    kept = text.split("_The plan is cut here")[0].rstrip().splitlines()
    assert kept[-1] == "| 1 | 2 |"


def test_logs_lose_colours_and_cannot_close_the_fence() -> None:
    log = "\x1b[31mError:\x1b[0m bad\n```\n" + "\n".join(f"line {i}" for i in range(100))
    cleaned = clean_log(log, 10)
    assert "\x1b" not in cleaned and "```" not in cleaned
    assert cleaned.splitlines()[0] == "... (92 earlier lines in the workflow log)"


def test_plan_files_are_checked(tmp_path: Path) -> None:
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"format_version": 2, "summary": {}, "fingerprint": "x"}))
    with pytest.raises(ActionError, match="format_version 2"):
        PlanReport.load(newer)
    with pytest.raises(ActionError, match="no such plan file"):
        PlanReport.load(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ActionError, match="is not JSON"):
        PlanReport.load(broken)


def test_decisions() -> None:
    existing = Comment(1, "body", "github-actions[bot]", "Bot", "url")
    assert decide("true", False, None) == "create"
    assert decide("changes-only", False, None) == "skip"
    assert decide("changes-only", True, None) == "create"
    assert decide("changes-only", False, existing) == "update"
    assert decide("false", True, existing) == "skip"


def test_identity() -> None:
    bot = Comment(1, "", "my-app[bot]", "Bot", "")
    human = Comment(2, "", "mallory", "User", "")
    assert Identity(None).wrote(bot) and not Identity(None).wrote(human)
    assert Identity("mallory").wrote(human) and not Identity("mallory").wrote(bot)


def test_pagination_never_follows_a_link_to_another_host() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json=[{"id": 1}], headers={"Link": '<https://evil.example/next>; rel="next"'}
        )

    api = GitHubApi("https://api.github.com", "secret", transport=httpx.MockTransport(handler))
    with pytest.raises(GitHubError, match="another host"):
        list(api.paginate("/repos/a/b/issues/1/comments"))


def test_errors_carry_githubs_message_and_no_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer secret-token"
        message = "Validation Failed for secret-token"
        return httpx.Response(422, json={"message": message, "errors": [{"message": "too long"}]})

    api = GitHubApi(
        "https://api.github.com", "secret-token", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(GitHubError) as caught:
        api.post("/repos/a/b/issues/1/comments", {"body": "x"})
    text = str(caught.value)
    assert text == "POST /repos/a/b/issues/1/comments: 422 Validation Failed for ***: too long"
    assert caught.value.status == 422
