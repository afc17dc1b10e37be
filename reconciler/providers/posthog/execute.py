"""Sending a planned PostHog call: placeholders filled with the ids this apply learned
(`{flag-id:<key>}`, `{experiment-id:<key>}`, `{holdout-id:<name>}`), the ids of what it creates
noted for the calls after, a 409 on a PATCH explained as an edit made since the plan, and a
refusal that is not a failure answered by `recovery.py`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.errors import ApiError, FlagsyncError
from reconciler.plan import ApiCall
from reconciler.providers.posthog import answers, dependencies
from reconciler.providers.posthog.context import placeholder_key
from reconciler.providers.posthog.experiment_recovery import create_experiment, create_holdout
from reconciler.providers.posthog.experiment_steps import experiment_placeholder
from reconciler.providers.posthog.holdouts import placeholder_name
from reconciler.providers.posthog.recovery import Recovering

_EXPERIMENTS = re.compile(r"^/api/projects/(\d+)/experiments/$")

_HOLDOUTS = re.compile(r"^/api/projects/(\d+)/experiment_holdouts/$")

_PATH_PLACEHOLDER = re.compile(r"^/api/projects/(\d+)/.*\{(experiment-id|flag-id):([^}]+)\}")


class Executing(Recovering):
    """The executing part of the PostHog provider."""

    def execute(self, call: ApiCall) -> Any:
        """Send one planned call, with placeholders replaced by the ids they stand for."""
        created = dependencies.creates(call)
        try:
            return self._execute(call, created)
        except BaseException:
            holdout = _HOLDOUTS.match(call.path)
            if call.method == "POST" and holdout is not None and isinstance(call.body, dict):
                # Experiments waiting for this holdout's id stop waiting.
                self._holdout_ids.failed(int(holdout.group(1)), str(call.body.get("name")))
            raise

    def _execute(self, call: ApiCall, created: tuple[int, str] | None) -> Any:
        try:
            call = self._with_holdout_id(self._resolved(self._resolved_path(call)))
            if call.method == "POST" and _EXPERIMENTS.match(call.path):
                answer = create_experiment(self.client, call)
            elif call.method == "POST" and _HOLDOUTS.match(call.path):
                answer = create_holdout(self.client, call)
            else:
                answer = self.client.json(
                    call.method, call.path, params=call.params or None, body=call.body
                )
            answers.check_written(call, answer)
        except ApiError as error:
            recovered = self._recover(call, error)
            if recovered is None:
                if created is not None:
                    self._ids.failed(*created)
                raise self._explained(call, error) from None
            answer = recovered
        except FlagsyncError:
            if created is not None:
                self._ids.failed(*created)
            raise
        if created is not None and isinstance(answer, dict) and "id" in answer:
            self._ids.note(created[0], created[1], int(answer["id"]))
        self._note_experiment(call, answer)
        self._note_holdout(call, answer)
        return answer

    def describe(self, call: ApiCall) -> str:
        """The call as it was sent: ids in place of the placeholders in its path."""
        try:
            return self._resolved_path(call).describe()
        except FlagsyncError:
            return call.describe()

    def _note_holdout(self, call: ApiCall, answer: Any) -> None:
        """A created holdout's id, for the experiments of the same apply that use it."""
        project = _HOLDOUTS.match(call.path)
        if call.method == "POST" and project is not None and isinstance(answer, dict):
            self._holdout_ids.note(int(project.group(1)), str(answer["name"]), int(answer["id"]))

    def _with_holdout_id(self, call: ApiCall) -> ApiCall:
        """The call with a `{holdout-id:<name>}` placeholder in its body replaced by the id of
        the holdout this apply created (waiting, bounded, for its create to answer)."""
        body = call.body if isinstance(call.body, dict) else {}
        name = placeholder_name(body.get("holdout_id"))
        if name is None:
            return call
        project = int(call.path.split("/")[3])
        holdout_id = self._holdout_ids.wait(project, name)
        if holdout_id is None:
            raise FlagsyncError(
                f"{call.describe()}: holdout '{name}' was not created in PostHog project "
                f"{project}, so the experiment cannot use it"
            )
        return call.model_copy(update={"body": {**body, "holdout_id": holdout_id}})

    def _note_experiment(self, call: ApiCall, answer: Any) -> None:
        """A created experiment's id and its new flag's id, for the calls after it."""
        project = _EXPERIMENTS.match(call.path)
        if call.method != "POST" or project is None or not isinstance(answer, dict):
            return
        key = str(answer.get("feature_flag_key") or (call.body or {}).get("feature_flag_key"))
        self._experiment_ids[(int(project.group(1)), key)] = int(answer["id"])
        flag = answer.get("feature_flag")
        if isinstance(flag, dict) and "id" in flag:
            self._ids.note(int(project.group(1)), key, int(flag["id"]))

    def _resolved_path(self, call: ApiCall) -> ApiCall:
        """The call with an experiment's or flag's id placeholder in its path replaced: the
        calls after an experiment's create address what the create made."""
        found = _PATH_PLACEHOLDER.search(call.path)
        if found is None:
            return call
        project, kind, key = int(found.group(1)), found.group(2), found.group(3)
        if kind == "experiment-id":
            known: int | None = self._experiment_ids.get((project, key))
        else:
            known = self._ids.wait(project, key, timeout=0)
        if known is None:
            raise FlagsyncError(
                f"{call.describe()}: experiment '{key}' was not created in PostHog project "
                f"{project}, so this call cannot be sent"
            )
        path = call.path.replace(
            experiment_placeholder(key) if kind == "experiment-id" else "{flag-id:" + key + "}",
            str(known),
        )
        return call.model_copy(update={"path": path})

    def _resolved(self, call: ApiCall) -> ApiCall:
        """The call with every `{flag-id:<key>}` replaced by the flag's id in its project."""
        parents = dependencies.placeholders(call)
        if not parents:
            return call
        project = dependencies.project_of(call)
        assert project is not None
        body = json.loads(json.dumps(call.body))
        for prop in dependencies.flag_properties(body):
            parent = placeholder_key(prop.get("key"))
            if parent is None:
                continue
            flag_id = self._ids.wait(project, parent)
            if flag_id is None:
                raise FlagsyncError(
                    f"{call.describe()}: flag '{body.get('key', '')}' depends on flag "
                    f"'{parent}', which was not created in PostHog project {project}"
                )
            prop["key"] = str(flag_id)
        return call.model_copy(update={"body": body})

    def _explained(self, call: ApiCall, error: ApiError) -> ApiError:
        if error.status != 409 or call.method != "PATCH":
            return error
        key = ((call.body or {}).get("original_flag") or {}).get("key", "")
        return ApiError(
            error.call,
            f"flag '{key}' was changed in PostHog since the plan; run `flagsync plan` again to "
            "see the current state (nothing was overwritten)",
            status=409,
            vendor_message=error.vendor_message,
        )
