"""A plan lets a PostHog flag go unread (no model, no diff) only when every project's copy
holds exactly what flagsync would send for it there: a copy that differs in any field
flagsync sends is translated and compared, so an edit made elsewhere always shows."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reconciler.model import Flag
from reconciler.ownership import marker_for
from reconciler.providers.posthog.read import _as_sent, _readable
from reconciler.providers.posthog.translate import flag_body
from tests.strategies import posthog_flags
from tests.test_posthog_translate import context

MARKER = marker_for("bench")


def _copies(flag: Flag) -> dict[str, dict[str, Any]]:
    """Each project's copy as PostHog stores what flagsync sent (with fields of its own)."""
    return {
        env: {
            **flag_body(flag, env, context(env), marker=MARKER),
            "id": 7,
            "key": flag.key,
            "deleted": False,
            "version": 3,
            "created_at": "2026-12-03T10:00:00Z",
        }
        for env in flag.environments
    }


@settings(max_examples=200, deadline=None)
@given(posthog_flags(), st.data())
def test_only_a_copy_as_sent_lets_the_flag_go(flag: Flag, data: st.DataObject) -> None:
    assume(_readable(flag))
    contexts = {env: context(env) for env in flag.environments}
    copies = _copies(flag)
    assert _as_sent(flag, copies, contexts, MARKER)

    env = data.draw(st.sampled_from(sorted(copies)))
    name = data.draw(st.sampled_from(sorted(flag_body(flag, env, contexts[env], marker=MARKER))))
    edited = {**copies[env], name: ["edited elsewhere"]}
    assert not _as_sent(flag, {**copies, env: edited}, contexts, MARKER)
    assert not _as_sent(
        flag, {**copies, env: {**copies[env], "archived": True}}, contexts, MARKER
    ) or (flag.status == "archived")
