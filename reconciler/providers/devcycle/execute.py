"""Sending a planned DevCycle call: audience placeholders filled with the ids this apply
made, the feature re-read and compared before a guarded write, variables deleted after their
detach, and a refusal that shows the write already happened answered as the write.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from reconciler.errors import ApiError, ConflictError, PlanError
from reconciler.plan import ApiCall
from reconciler.providers.devcycle import answers, audiences, translate, variables
from reconciler.providers.devcycle.read import concurrency_fingerprint
from reconciler.providers.devcycle.recovery import Recovering
from reconciler.providers.shape import check


class Executing(Recovering):
    """The executing part of the DevCycle provider."""

    def execute(self, call: ApiCall) -> Any:
        """Send one planned call; returns the decoded answer.

        A refusal is not a failure when it shows the write already happened (an earlier attempt
        whose answer was lost, or a concurrent apply of the same manifests). Any other refusal
        is an error: a direct write DevCycle refuses (say, because the project's approval
        workflow was turned on after the plan) is never turned into something else.
        """
        call = audiences.resolved(call, self._audience_id)
        if call.if_unchanged is not None:
            self._check_unchanged(call)
        try:
            if variables.is_delete(call, self._v1):
                return variables.delete_detached(self._send, self._read_path, call)
            return self._send(call)
        except ApiError as error:
            recovered = self._recover(call, error)
            if recovered is not None:
                return recovered
            raise

    def _audience_id(self, key: str) -> str:
        """The `_id` of an audience created by this apply (for its placeholder)."""
        if key not in self._created_audience_ids:
            path = f"{self._v1}/audiences/{quote(key, safe='')}"
            answer = self.client.json("GET", path)
            check(f"GET {path}", answers.AUDIENCE, answer, "an audience")
            self._created_audience_ids[key] = str(answer["_id"])
        return self._created_audience_ids[key]

    def _check_unchanged(self, call: ApiCall) -> None:
        """DevCycle gives features no ETag or version to send with a write, so a write planned
        against one state of a feature reads it again first and refuses when it moved: an edit
        made in the dashboard since the plan is not overwritten silently. (The read and the
        write are two requests; an edit landing between them is not caught.)"""
        key = call.subject.key if call.subject is not None else None
        if key is None:
            raise PlanError(f"{call.describe()}: the write names no feature to compare first")
        feature_path = f"{self._v2}/features/{quote(key, safe='')}"
        feature = self.client.json("GET", feature_path)
        check(f"GET {feature_path}", answers.FEATURE, feature, "a feature")
        found = None
        if isinstance(feature, dict):
            found = translate.feature_to_flag(
                feature,
                self._last_environment_keys,
                self._last_audience_keys,
                self.workspace.environment_names,
            )
        if found is None or concurrency_fingerprint(found) != call.if_unchanged:
            raise ConflictError(
                call.describe(),
                f"feature '{key}' changed in DevCycle since it was planned (someone edited it "
                "meanwhile); it was not written, so the edit is kept. Run `flagsync plan` again.",
            )

    def _send(self, call: ApiCall) -> Any:
        """Send a call; a write must answer with the object written (`answers.check_written`)."""
        answer = self.client.json(
            call.method,
            call.path,
            params=call.params or None,
            body=call.body,
            headers=call.headers or None,
        )
        answers.check_written(call, answer)
        return answer

    def _read_path(self, path: str) -> Any:
        return self.client.json("GET", path)
